use orbital::prelude::*;

#[electron]
fn total(xs: Vec<f64>) -> f64 {
    xs.iter().sum()
}

#[electron]
fn name(xs: Vec<f64>) -> String {
    format!("{} values", xs.len())
}

#[lattice]
fn stats(xs: Vec<f64>) -> (f64, usize) {
    let t = total(xs.clone());
    (t, name(xs))
}

fn main() {}
