// `#[orbital::main]` on a non-async `main`, and an electron with no parameters and no output.

use orbital::prelude::*;

#[electron]
fn tick() {}

#[lattice]
fn ticks() {
    tick()
}

#[orbital::main]
fn main() {
    let workflow = ticks::build();
    assert_eq!(workflow.graph().len(), 1);
}
