use orbital::prelude::*;

#[electron]
fn pair(xs: Vec<f64>) -> (f64, String) {
    (xs.iter().sum(), "sum".into())
}

#[lattice]
fn stats(xs: Vec<f64>) -> (f64, usize) {
    let p = pair(xs);
    p
}

fn main() {}
