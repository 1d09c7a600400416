// Fan-out over a lattice parameter (a concrete value while the graph is built), then fan-in:
// a `Vec<Node<u64>>` is passed where the electron takes a `Vec<u64>`.

use orbital::prelude::*;

#[electron]
fn square(x: u64) -> u64 {
    x * x
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice]
fn sum_of_squares(xs: Vec<u64>) -> u64 {
    let mut squares: Vec<Node<u64>> = Vec::new();
    for x in xs {
        squares.push(square(x));
    }
    total(squares)
}

#[lattice]
fn sum_of_squares_up_to(n: u64) -> u64 {
    let squares: Vec<_> = (1..=n).map(square).collect();
    total(&squares[..])
}

fn main() {
    let workflow = sum_of_squares::build(vec![1, 2, 3, 4]);
    assert_eq!(workflow.graph().len(), 5);
    let workflow = sum_of_squares_up_to::build(3);
    assert_eq!(workflow.graph().len(), 4);
    let _ = workflow.to_dot();
}
