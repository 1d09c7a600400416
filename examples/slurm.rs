//! The seed workflow with `excitement` as a Slurm job: `[executors.slurm]` in `orbital.toml`
//! says where (see the `slurm` executor's documentation; with no `address`, this machine is the
//! login node). `join_words` runs locally; the program puts itself in `remote_workdir` once and
//! `excitement` runs there as a job. Its last line is `Hello, World!`.
//!
//! ```toml
//! [executors.slurm]
//! remote_workdir = "/scratch/me/orbital"   # on the filesystem the compute nodes share
//! poll_freq = 1
//! ```
//!
//! `cargo run --features slurm --example slurm`

use orbital::prelude::*;

/// Joins two words with a comma (on the local executor).
#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

/// Adds an exclamation mark, in a Slurm job.
#[electron(executor = "slurm")]
fn excitement(a: String) -> String {
    format!("{a}!")
}

/// The workflow: join here, excite on the cluster.
#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    excitement(phrase)
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let dispatch = simple_workflow::dispatch("Hello".into(), "World".into()).await?;
    eprintln!("dispatch {}", dispatch.id());
    let result = dispatch.wait().await?;
    println!("{}", result.output()?);
    Ok(())
}
