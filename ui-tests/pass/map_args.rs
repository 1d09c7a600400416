//! An electron that takes a map of values takes a map of nodes (Covalent's dict of electron
//! results): `HashMap<K, Node<V>>` for a `HashMap<K, V>`, `BTreeMap<K, Node<V>>` for a
//! `BTreeMap<K, V>`.
use std::collections::{BTreeMap, HashMap};

use orbital::prelude::*;

#[electron]
fn score(name: String) -> f64 {
    name.len() as f64
}

#[electron]
fn best(scores: HashMap<String, f64>) -> String {
    scores.into_keys().next().unwrap_or_default()
}

#[electron]
fn first(scores: BTreeMap<u32, f64>) -> f64 {
    scores.into_values().next().unwrap_or_default()
}

#[lattice]
fn pick(names: Vec<String>) -> (String, f64) {
    let scores: HashMap<String, Node<f64>> =
        names.iter().map(|n| (n.clone(), score(n.clone()))).collect();
    let by_index: BTreeMap<u32, Node<f64>> = (0..3).map(|i| (i, score(i.to_string()))).collect();
    (best(&scores), first(by_index))
}

fn main() {
    let _ = pick::build(vec!["a".into()]);
}
