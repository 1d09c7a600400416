use orbital::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Nodes)]
struct Stats {
    total: f64,
    count: usize,
}

#[electron]
fn total(xs: Vec<f64>) -> f64 {
    xs.iter().sum()
}

#[electron]
fn name(xs: Vec<f64>) -> String {
    format!("{} values", xs.len())
}

#[lattice]
fn stats(xs: Vec<f64>) -> Stats {
    Stats::nodes(total(xs.clone()), name(xs))
}

fn main() {}
