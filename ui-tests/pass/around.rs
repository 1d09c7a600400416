//! `files`, `deps_bash`, `call_before` and `call_after`, and the task's context.
use orbital::fs::{from, to, Transfer};
use orbital::prelude::*;

fn setup() -> Result<String, std::io::Error> {
    Ok("ready".to_owned())
}

fn teardown() {}

mod db {
    pub fn connect() -> Result<u32, String> {
        Ok(7)
    }
}

#[electron]
fn warm_up() -> Result<(), String> {
    Ok(())
}

fn input_from_env() -> Transfer {
    from(std::env::var("INPUT_URL").unwrap_or_default(), "input.bin")
}

#[electron(
    files = [
        from("/data/{dispatch}/in.csv", "in.csv"),
        from("rsync://data.example.org/srv/in.csv", "more.csv").user("alice").private_key_path("~/.ssh/id"),
        to("out.csv", "sftp://alice@data.example.org:2222/results/{dispatch}/{node}-{attempt}.csv"),
        input_from_env(),
    ],
    deps_bash = ["mkdir -p data", "echo ready"],
    call_before = [setup, db::connect, warm_up::call],
    call_after = [teardown],
)]
fn process(x: u32) -> Result<u32, String> {
    let ctx = orbital::context().map_err(|e| e.to_string())?;
    let _: std::sync::Arc<String> = ctx.value::<String>().ok_or("no setup")?;
    let _ = (ctx.dispatch_id(), ctx.node_id(), ctx.attempt(), ctx.executor(), ctx.files());
    Ok(x + 1)
}

#[electron(deps_bash = "module load cuda")]
fn one_command(x: u32) -> u32 {
    x
}

#[lattice]
fn flow(x: u32) -> u32 {
    one_command(process(x))
}

fn main() {
    let _ = flow::build(1);
    assert!(orbital::context().is_err());
}
