//! `#[derive(orbital::Nodes)]`: a struct whose fields are nodes, `Stats::nodes(..)`, as a
//! lattice's output and as an electron's argument.
use orbital::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, orbital::Nodes)]
pub struct Stats {
    total: f64,
    count: usize,
}

#[derive(Serialize, Deserialize, Nodes)]
struct Pair(f64, String);

#[electron]
fn total(xs: Vec<f64>) -> f64 {
    xs.iter().sum()
}

#[electron]
fn count(xs: Vec<f64>) -> usize {
    xs.len()
}

#[electron]
fn describe(s: Stats) -> String {
    format!("{} over {}", s.total, s.count)
}

#[lattice]
pub fn stats(xs: Vec<f64>) -> Stats {
    Stats::nodes(total(xs.clone()), count(xs))
}

#[lattice]
fn described(xs: Vec<f64>) -> Pair {
    let t = total(xs.clone());
    let s = Stats::nodes(t, 2usize);
    Pair::nodes(t, describe(s))
}

fn main() {
    let _ = stats::build(vec![1.0]);
    let _ = described::build(vec![1.0]);
}
