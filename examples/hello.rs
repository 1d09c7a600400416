//! The seed workflow: two electrons in a lattice, run on the local executor with the results
//! kept in the default SQLite file. `cargo run --example hello` prints `Hello, World!` last.

use orbital::prelude::*;

/// Joins two words with a comma.
#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

/// Adds an exclamation mark.
#[electron]
fn excitement(a: String) -> String {
    format!("{a}!")
}

/// The workflow: join, then excite.
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
