// Ordering without data: `wait_for` and `wait_for_all`.

use orbital::prelude::*;

#[electron]
fn create_table() {}

#[electron]
fn insert(row: u32) -> u32 {
    row
}

#[electron]
fn report() -> String {
    "done".to_owned()
}

#[lattice]
fn load(rows: u32) -> String {
    let table = create_table();
    let inserts: Vec<Node<u32>> = (0..rows).map(|r| insert(r).wait_for(table)).collect();
    report().wait_for_all(inserts)
}

fn main() {
    let workflow = load::build(3);
    assert_eq!(workflow.graph().len(), 5);
    let _ = workflow.to_dot();
}
