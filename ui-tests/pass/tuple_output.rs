//! A lattice returns a tuple of nodes and constants (Covalent's `return total, count`), and an
//! electron that takes a tuple takes a tuple of nodes.
use orbital::prelude::*;

#[electron]
fn total(xs: Vec<f64>) -> f64 {
    xs.iter().sum()
}

#[electron]
fn count(xs: Vec<f64>) -> usize {
    xs.len()
}

#[electron]
fn mean(s: (f64, usize)) -> f64 {
    s.0 / s.1 as f64
}

#[lattice]
fn stats(xs: Vec<f64>) -> (f64, usize) {
    let t = total(xs.clone());
    let c = count(xs);
    (t, c)
}

#[lattice]
fn with_constant(xs: Vec<f64>) -> (f64, usize, String) {
    (total(xs), 3usize, "constant")
}

#[lattice]
fn from_a_sub_lattice(xs: Vec<f64>) -> (f64, usize) {
    stats(xs)
}

#[lattice]
fn averaged(xs: Vec<f64>) -> (f64,) {
    let t = total(xs.clone());
    (mean((t, count(xs))),)
}

fn main() {
    let _ = stats::build(vec![1.0]);
    let _ = with_constant::build(vec![1.0]);
    let _ = from_a_sub_lattice::build(vec![1.0]);
    let _ = averaged::build(vec![1.0]);
}
