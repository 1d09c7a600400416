// The seed workflow of DESIGN.md, under `#[orbital::main]`. `main` only builds the graph (a
// dispatch needs a results store); `run` shows the dispatching code compiles.

use orbital::prelude::*;

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    excitement(phrase)
}

#[allow(dead_code)]
async fn run() -> orbital::Result<String> {
    let result = simple_workflow::dispatch("Hello".into(), "World".into())
        .await?
        .wait()
        .await?;
    result.output()
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let workflow = simple_workflow::build("Hello".into(), "World".into());
    assert_eq!(workflow.graph().len(), 2);
    assert!(workflow.to_dot().contains("excitement"));
    assert_eq!(join_words::call("Hello".into(), "World".into()), "Hello, World");
    Ok(())
}
