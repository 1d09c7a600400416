//! Sub-lattices: built at run time from earlier outputs, recorded under their parent node, and
//! inheriting their lattice's default executor.

mod common;

use orbital::prelude::*;

#[electron]
fn count_words(text: String) -> u64 {
    text.split_whitespace().count() as u64
}

#[electron]
fn square(x: u64) -> u64 {
    x * x
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

/// Fans out over `n`: its shape is only known once `n` is.
#[lattice]
fn squares_below(n: u64) -> u64 {
    let squares: Vec<Node<u64>> = (0..n).map(square).collect();
    total(squares)
}

#[electron]
fn plus(a: u64, b: u64) -> u64 {
    a + b
}

/// The count comes from an electron; the sub-lattice fans out over it.
#[lattice]
fn squares_of_word_count(text: String) -> u64 {
    let n = count_words(text);
    let sum = squares_below(n);
    plus(sum, 1000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_lattice_takes_its_shape_from_an_earlier_output() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let wf = squares_of_word_count::build("one two three four five".into());
    assert_eq!(
        wf.graph().len(),
        3,
        "before it runs, the sub-lattice is one node"
    );
    let result = rt.dispatch(wf).await?.wait().await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(
        result.output()?,
        1000 + (0..5u64).map(|x| x * x).sum::<u64>()
    );

    let sub = result
        .nodes_named("squares_below")
        .next()
        .expect("the sub-lattice node");
    assert_eq!(sub.kind(), "sublattice");
    assert_eq!(sub.electron(), "sublattice::squares_below");
    assert_eq!(sub.status(), NodeStatus::Completed);
    assert_eq!(
        sub.output_as::<u64>()?,
        30,
        "its output is its body's output"
    );
    assert_eq!(sub.parent(), None);

    // Five squares and their total were built at run time, under the sub-lattice node.
    let children: Vec<_> = result
        .nodes()
        .iter()
        .filter(|n| n.parent() == Some(sub.id()))
        .collect();
    assert_eq!(children.len(), 6);
    assert_eq!(children.iter().filter(|n| n.name() == "square").count(), 5);
    assert_eq!(children.iter().filter(|n| n.name() == "total").count(), 1);
    assert!(children.iter().all(|n| n.status() == NodeStatus::Completed));
    // Top-level nodes have no parent.
    for name in ["count_words", "plus"] {
        assert_eq!(result.nodes_named(name).next().unwrap().parent(), None);
    }

    // A different input builds a different shape.
    let result = rt
        .dispatch(squares_of_word_count::build("just two".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.output()?, 1001);
    assert_eq!(result.nodes_named("square").count(), 2);

    // The store records the parents too.
    let stored = rt.get_result(result.id())?;
    let sub = stored.nodes_named("squares_below").next().unwrap().id();
    assert_eq!(
        stored
            .nodes()
            .iter()
            .filter(|n| n.parent() == Some(sub))
            .count(),
        3
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_lattice_over_zero_builds_only_its_fan_in() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(squares_of_word_count::build("".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.output()?, 1000);
    assert_eq!(result.nodes_named("square").count(), 0);
    Ok(())
}

// Nested sub-lattices.

#[lattice]
fn twice_squares_below(n: u64) -> u64 {
    let a = squares_below(n);
    let b = squares_below(n);
    plus(a, b)
}

#[lattice]
fn nested(text: String) -> u64 {
    let n = count_words(text);
    twice_squares_below(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_lattices_nest() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(nested::build("a b c".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.output()?, 2 * (1 + 4));
    let outer = result.nodes_named("twice_squares_below").next().unwrap();
    let inner: Vec<_> = result.nodes_named("squares_below").collect();
    assert_eq!(inner.len(), 2);
    for sub in &inner {
        assert_eq!(sub.parent(), Some(outer.id()));
        let squares = result
            .nodes()
            .iter()
            .filter(|n| n.parent() == Some(sub.id()) && n.name() == "square")
            .count();
        assert_eq!(squares, 3);
    }
    assert!(result
        .nodes()
        .iter()
        .all(|n| n.status() == NodeStatus::Completed));
    Ok(())
}

// Executor inheritance.

const LIM: &str = "[executors.lim]\ntype = \"local\"\nmax_concurrency = 2\n";

#[electron(executor = "local")]
fn pinned_to_local(x: u64) -> u64 {
    x
}

#[lattice(executor = "lim")]
fn on_lim(text: String) -> u64 {
    let n = count_words(text);
    let sum = squares_below(n);
    let pinned = pinned_to_local(sum);
    plus(pinned, 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_lattice_inherits_its_lattices_executor() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, LIM)?;
    let result = rt
        .dispatch(on_lim::build("x y z".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, 5);
    let sub = result.nodes_named("squares_below").next().unwrap();
    assert_eq!(sub.executor(), "lim");
    let built: Vec<_> = result
        .nodes()
        .iter()
        .filter(|n| n.parent() == Some(sub.id()))
        .collect();
    assert_eq!(built.len(), 4);
    for n in built {
        assert_eq!(n.executor(), "lim", "{} inherits `lim`", n.name());
    }
    assert_eq!(
        result.nodes_named("count_words").next().unwrap().executor(),
        "lim"
    );
    assert_eq!(result.nodes_named("plus").next().unwrap().executor(), "lim");
    // An electron that names its executor keeps it.
    assert_eq!(
        result
            .nodes_named("pinned_to_local")
            .next()
            .unwrap()
            .executor(),
        "local"
    );
    // The same sub-lattice under a lattice without a default runs on `local`.
    let result = rt
        .dispatch(squares_of_word_count::build("x y z".into()))
        .await?
        .wait()
        .await?;
    assert!(result.nodes().iter().all(|n| n.executor() == "local"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lattice_default_executor_must_be_configured() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let err = rt.dispatch(on_lim::build("x".into())).await.unwrap_err();
    assert!(
        matches!(&err, orbital::Error::UnknownExecutor { name, .. } if name == "lim"),
        "{err}"
    );
    Ok(())
}
