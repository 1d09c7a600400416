//! The seed workflow with `excitement` on AWS Lambda: `[executors.awslambda]` in `orbital.toml`
//! names the function, the bucket, the role and the region (see the `awslambda` executor's
//! documentation). The program deploys itself as the function once per build, then
//! `excitement` runs there. Its last line is `Hello, World!`.
//!
//! `cargo run --release --features awslambda --example lambda`

use orbital::prelude::*;

/// Joins two words with a comma (on the local executor).
#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

/// Adds an exclamation mark, in an AWS Lambda function.
#[electron(executor = "awslambda")]
fn excitement(a: String) -> String {
    format!("{a}!")
}

/// The workflow: join here, excite on Lambda.
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
