use orbital::prelude::*;

#[electron]
fn total(xs: Vec<f64>) -> f64 {
    xs.iter().sum()
}

#[electron]
fn count(xs: Vec<f64>) -> usize {
    xs.len()
}

#[lattice]
fn stats(xs: Vec<f64>) -> (f64, usize) {
    let t = total(xs.clone());
    let c = count(xs);
    (t, c, t)
}

fn main() {}
