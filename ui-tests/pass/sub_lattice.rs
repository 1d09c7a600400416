// A lattice called inside another lattice is a sub-lattice node: it takes nodes and constants
// like an electron does, and its output is a node.

use orbital::prelude::*;

#[electron]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[electron]
fn negate(a: i64) -> i64 {
    -a
}

#[lattice]
fn add_three(a: i64, b: i64, c: i64) -> i64 {
    let ab = add(a, b);
    add(ab, c)
}

#[lattice]
fn outer(x: i64) -> i64 {
    let n = negate(x);
    let sum: Node<i64> = add_three(n, 10, x);
    negate(sum)
}

fn main() {
    let workflow = outer::build(5);
    // negate, the sub-lattice, negate
    assert_eq!(workflow.graph().len(), 3);
    let _ = workflow.to_dot();
}
