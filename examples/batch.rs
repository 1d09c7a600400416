//! The seed workflow with `excitement` on AWS Batch: `[executors.awsbatch]` in `orbital.toml`
//! names the queue, the bucket and the region (see the `awsbatch` executor's documentation).
//! The program puts itself in the bucket once per build and registers one job definition; then
//! `excitement` runs as a Batch job on a stock Amazon Linux image. Its last line is
//! `Hello, World!`.
//!
//! `cargo run --release --features awsbatch --example batch`

use orbital::prelude::*;

/// Joins two words with a comma (on the local executor).
#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

/// Adds an exclamation mark, in an AWS Batch job.
#[electron(executor = "awsbatch")]
fn excitement(a: String) -> String {
    format!("{a}!")
}

/// The workflow: join here, excite on Batch.
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
