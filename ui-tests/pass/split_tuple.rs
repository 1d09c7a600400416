// A tuple output split into typed nodes with `orbital::prelude::Split`.

use orbital::prelude::*;

#[electron]
fn divmod(a: u64, b: u64) -> (u64, u64) {
    (a / b, a % b)
}

#[electron]
fn describe(q: u64, r: String) -> String {
    format!("quotient {q}, remainder {r}")
}

#[electron]
fn to_text(x: u64) -> String {
    x.to_string()
}

#[lattice]
fn division(a: u64, b: u64) -> String {
    let (q, r) = divmod(a, b).split();
    let q: Node<u64> = q;
    describe(q, to_text(r))
}

fn main() {
    let workflow = division::build(7, 2);
    // divmod, its two fields, to_text, describe
    assert_eq!(workflow.graph().len(), 5);
    let _ = workflow.to_dot();
}
