//! The seed workflow with `excitement` on an SSH host: `[executors.ssh]` in `orbital.toml`
//! names the host (see the `ssh` executor's documentation). `join_words` runs locally; the
//! program ships itself to the host once and runs `excitement` there. Its last line is
//! `Hello, World!`.
//!
//! `cargo run --features ssh --example ssh`

use orbital::prelude::*;

/// Joins two words with a comma (on the local executor).
#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

/// Adds an exclamation mark, on the SSH host.
#[electron(executor = "ssh")]
fn excitement(a: String) -> String {
    format!("{a}!")
}

/// The workflow: join here, excite there.
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
