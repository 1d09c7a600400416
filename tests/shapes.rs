//! Composite shapes in and out of a lattice, dispatched on the local executor: a lattice that
//! returns a tuple of nodes (and constants), a struct of nodes (`#[derive(orbital::Nodes)]`),
//! electrons that take maps and tuples of nodes; each result read back from the store and
//! dispatched again from its stored inputs.

mod common;

use std::collections::{BTreeMap, HashMap};

use orbital::prelude::*;
use orbital::{Redispatch, Untyped};
use serde::{Deserialize, Serialize};

#[electron]
fn total(xs: Vec<f64>) -> f64 {
    xs.iter().sum()
}

#[electron]
fn count(xs: Vec<f64>) -> usize {
    xs.len()
}

#[electron]
fn label(n: usize) -> String {
    format!("{n} values")
}

// A tuple of nodes, as Covalent's `return total, count`.

#[lattice]
fn stats(xs: Vec<f64>) -> (f64, usize) {
    let t = total(xs.clone());
    let c = count(xs);
    (t, c)
}

// A node, a constant and a `Vec` of nodes in one tuple.

#[lattice]
fn mixed(xs: Vec<f64>) -> (f64, u8, Vec<usize>, String) {
    let parts: Vec<Node<usize>> = xs.iter().map(|&x| count(vec![x; 2])).collect();
    (total(xs), 3u8, parts, "fixed".to_owned())
}

// A tuple that the body's last expression is not written as (it goes through `IntoTuple`).

#[lattice]
fn named_tuple(xs: Vec<f64>) -> (usize, String) {
    let c = count(xs);
    std::convert::identity((c, label(c)))
}

// A struct of nodes.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, orbital::Nodes)]
struct Stats {
    total: f64,
    count: usize,
    label: String,
}

#[lattice]
fn summary(xs: Vec<f64>) -> Stats {
    let c = count(xs.clone());
    Stats::nodes(total(xs), c, label(c))
}

#[derive(Debug, PartialEq, Serialize, Deserialize, Nodes)]
struct Pair(f64, usize);

#[electron]
fn describe(s: Stats) -> String {
    format!("{}: {}", s.label, s.total)
}

#[lattice]
fn described(xs: Vec<f64>) -> (Pair, String) {
    let c = count(xs.clone());
    let t = total(xs);
    let s = Stats::nodes(t, c, "constant label".to_owned());
    (Pair::nodes(t, c), describe(s))
}

// Maps of nodes into electrons that take maps of values.

#[electron]
fn square(x: f64) -> f64 {
    x * x
}

#[electron]
fn best(scores: HashMap<String, f64>) -> String {
    let mut v: Vec<_> = scores.into_iter().collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1));
    v.last().map(|(k, _)| k.clone()).unwrap_or_default()
}

#[electron]
fn ordered(scores: BTreeMap<u32, f64>) -> Vec<(u32, f64)> {
    scores.into_iter().collect()
}

#[lattice]
fn maps(names: Vec<String>) -> (String, Vec<(u32, f64)>) {
    let scores: HashMap<String, Node<f64>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), square(i as f64)))
        .collect();
    let by_index: BTreeMap<u32, Node<f64>> = (0..names.len() as u32)
        .rev()
        .map(|i| (i, square(f64::from(i))))
        .collect();
    (best(&scores), ordered(by_index))
}

// A tuple of nodes into an electron that takes a tuple; a sub-lattice with a tuple output.

#[electron]
fn mean(s: (f64, usize)) -> f64 {
    s.0 / s.1 as f64
}

#[lattice]
fn averaged(xs: Vec<f64>) -> (f64, (f64, usize)) {
    let inner = stats(xs.clone());
    let (t, _) = inner.split();
    (mean((t, count(xs))), inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lattice_returns_a_tuple_of_nodes() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let xs = vec![1.0, 2.5, 3.5];
    let result = rt.dispatch(stats::build(xs.clone())).await?.wait().await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, (7.0, 3));

    let mixed = rt.dispatch(mixed::build(xs.clone())).await?.wait().await?;
    assert_eq!(mixed.output()?, (7.0, 3, vec![2, 2, 2], "fixed".to_owned()));

    let named = rt.dispatch(named_tuple::build(xs)).await?.wait().await?;
    assert_eq!(named.output()?, (3, "3 values".to_owned()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lattice_returns_a_struct_of_nodes() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(summary::build(vec![2.0, 4.0]))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    let expected = Stats {
        total: 6.0,
        count: 2,
        label: "2 values".into(),
    };
    assert_eq!(result.output()?, expected);
    let node = result
        .nodes()
        .iter()
        .find(|n| n.name() == "Stats")
        .expect("the assemble node");
    assert_eq!(node.kind(), "assemble");
    assert_eq!(
        node.output_json(),
        Some(serde_json::json!({"total": 6.0, "count": 2, "label": "2 values"}))
    );

    let result = rt
        .dispatch(described::build(vec![1.0, 2.0]))
        .await?
        .wait()
        .await?;
    assert_eq!(
        result.output()?,
        (Pair(3.0, 2), "constant label: 3".to_owned())
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn electrons_take_maps_and_tuples_of_nodes() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let names = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let result = rt.dispatch(maps::build(names)).await?.wait().await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(
        result.output()?,
        ("c".to_owned(), vec![(0, 0.0), (1, 1.0), (2, 4.0)])
    );

    let result = rt
        .dispatch(averaged::build(vec![1.0, 2.0, 6.0]))
        .await?
        .wait()
        .await?;
    assert_eq!(result.output()?, (3.0, (9.0, 3)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composite_results_round_trip_through_the_store() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let (tuple_id, struct_id) = {
        let rt = common::runtime(&dir)?;
        let a = rt.dispatch(stats::build(vec![1.0, 2.0])).await?;
        let b = rt.dispatch(summary::build(vec![5.0])).await?;
        let ids = (a.id().to_owned(), b.id().to_owned());
        a.wait().await?;
        b.wait().await?;
        rt.shutdown().await?;
        ids
    };
    // Another runtime on the same file: what a later process (or `orbital output`) reads.
    let rt = common::runtime(&dir)?;
    let stored = rt.get_result(&tuple_id)?;
    assert_eq!(stored.output_as::<(f64, usize)>()?, (3.0, 2));
    assert_eq!(stored.output_json(), Some(serde_json::json!([3.0, 2])));
    let stored = rt.get_result(&struct_id)?;
    assert_eq!(
        stored.output_as::<Stats>()?,
        Stats {
            total: 5.0,
            count: 1,
            label: "1 values".into()
        }
    );

    // Dispatched again from the stored inputs: every electron is reused, the shapes rebuilt.
    for id in [&tuple_id, &struct_id] {
        let again = rt
            .redispatch::<Untyped>(id, Redispatch::same_inputs())
            .await?
            .wait()
            .await?;
        assert_eq!(again.status(), DispatchStatus::Completed);
        assert_eq!(again.output_json(), rt.get_result(id)?.output_json());
        for node in again.nodes().iter().filter(|n| n.kind() == "electron") {
            assert!(node.reused_from().is_some(), "{} ran again", node.name());
        }
    }
    Ok(())
}
