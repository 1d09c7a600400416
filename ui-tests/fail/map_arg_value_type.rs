use std::collections::HashMap;

use orbital::prelude::*;

#[electron]
fn describe(name: String) -> String {
    format!("{name}!")
}

#[electron]
fn best(scores: HashMap<String, f64>) -> String {
    scores.into_keys().next().unwrap_or_default()
}

#[lattice]
fn pick(names: Vec<String>) -> String {
    let scores: HashMap<String, Node<String>> =
        names.iter().map(|n| (n.clone(), describe(n.clone()))).collect();
    best(scores)
}

fn main() {}
