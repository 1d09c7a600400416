// An `async fn` electron: inside a lattice it is called like any other (no `.await`); its
// plain function is still `async`.

use orbital::prelude::*;

#[electron]
async fn fetch(id: u32) -> String {
    format!("record {id}")
}

#[electron]
fn shout(s: String) -> String {
    s.to_uppercase()
}

#[lattice]
fn pipeline(id: u32) -> String {
    let record = fetch(id);
    shout(record)
}

#[orbital::main]
async fn main() {
    assert_eq!(fetch::call(7).await, "record 7");
    let workflow = pipeline::build(7);
    assert_eq!(workflow.graph().len(), 2);
    let _ = workflow.to_dot();
}
