//! Dispatching lattices on a real runtime: outputs, fan-out and fan-in, tuple splits, ordering
//! without data, constants, async electrons, and what the results record.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use orbital::prelude::*;

// The seed workflow.

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    excitement(phrase)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_workflow_says_hello_world() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(simple_workflow::build("Hello".into(), "World".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, "Hello, World!");
    assert_eq!(result.error(), None);
    Ok(())
}

// Fan-out over a lattice parameter, then fan-in.

#[electron]
fn square(x: u64) -> u64 {
    x * x
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice]
fn sum_of_squares(n: u64) -> u64 {
    let squares: Vec<Node<u64>> = (0..n).map(square).collect();
    total(squares)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_over_a_parameter_fans_in_to_one_electron() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(sum_of_squares::build(100))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, (0..100u64).map(|x| x * x).sum::<u64>());
    assert_eq!(result.output()?, 328_350);
    let squares: Vec<_> = result.nodes_named("square").collect();
    assert_eq!(squares.len(), 100, "one node per element of the fan-out");
    assert!(squares.iter().all(|n| n.status() == NodeStatus::Completed));
    // Node i squared i: the fan-in received the outputs in the order they were given.
    for (i, n) in squares.iter().enumerate() {
        assert_eq!(n.output_as::<u64>()?, (i * i) as u64);
    }
    let total = result.nodes_named("total").next().expect("the fan-in node");
    assert_eq!(total.output_json(), Some(serde_json::json!(328_350)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_over_nothing_fans_in_an_empty_vec() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt.dispatch(sum_of_squares::build(0)).await?.wait().await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, 0);
    assert_eq!(result.nodes().len(), 1, "only the fan-in node");
    Ok(())
}

#[lattice]
fn repeated_fan_in(x: u64) -> u64 {
    let a = square(x);
    let b = square(x + 1);
    // The same node twice, and a slice: each element is passed in its place.
    let first = total(vec![a, a, b]);
    let second = total(&[b, a][..]);
    total(vec![first, second])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_in_may_name_a_node_twice() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt.dispatch(repeated_fan_in::build(2)).await?.wait().await?;
    assert_eq!(result.output()?, (4 + 4 + 9) + (9 + 4));
    assert_eq!(
        result.nodes_named("square").count(),
        2,
        "each node runs once"
    );
    Ok(())
}

// Splitting a tuple output into typed nodes.

#[electron]
fn divmod(a: u64, b: u64) -> (u64, u64) {
    (a / b, a % b)
}

#[electron]
fn describe(q: u64, r: u64) -> String {
    format!("quotient {q}, remainder {r}")
}

#[lattice]
fn division(a: u64, b: u64) -> String {
    let (q, r) = divmod(a, b).split();
    describe(q, r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tuple_output_splits_into_typed_nodes() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt.dispatch(division::build(17, 5)).await?.wait().await?;
    assert_eq!(result.output()?, "quotient 3, remainder 2");
    let q = result.nodes_named("divmod.0").next().expect("field 0");
    let r = result.nodes_named("divmod.1").next().expect("field 1");
    assert_eq!(q.kind(), "project");
    assert_eq!(q.output_as::<u64>()?, 3);
    assert_eq!(r.output_as::<u64>()?, 2);
    assert_eq!(q.status(), NodeStatus::Completed);
    let whole = result.nodes_named("divmod").next().expect("the tuple node");
    assert_eq!(whole.output_json(), Some(serde_json::json!([3, 2])));
    Ok(())
}

// Ordering without data.

static ORDER: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// Records `what` after sleeping `ms` milliseconds.
#[electron]
fn record(what: String, ms: u64) -> String {
    std::thread::sleep(Duration::from_millis(ms));
    let what: &'static str = what.leak();
    ORDER.lock().unwrap().push(what);
    what.to_owned()
}

#[electron]
fn both(a: String, b: String) -> String {
    format!("{a} {b}")
}

#[lattice]
fn ordered() -> String {
    // Without `wait_for`, the slow first one would very likely record after the quick second.
    let first = record("first", 300);
    let second = record("second", 0).wait_for(first);
    // `second` does not take `first`'s output: the order is the only link.
    let third = record("third", 0).wait_for(second);
    both(second, third)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_orders_nodes_without_passing_data() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let wf = ordered::build();
    let second = &wf.graph().nodes[1];
    assert_eq!(second.name, "record");
    assert_eq!(second.after.as_slice(), &[orbital::NodeId(0)]);
    let result = rt.dispatch(wf).await?.wait().await?;
    assert_eq!(result.output()?, "second third");
    assert_eq!(*ORDER.lock().unwrap(), ["first", "second", "third"]);
    let nodes = result.nodes();
    assert!(nodes[1].started() >= nodes[0].ended());
    Ok(())
}

// A constant as the lattice's output.

#[lattice]
fn constant_answer(x: u64) -> u64 {
    // The electron runs, but the output is the constant.
    let _ignored = square(x);
    42
}

#[lattice]
fn nothing_but_a_constant() -> String {
    "no electrons at all"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_constant_can_be_the_lattice_output() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt.dispatch(constant_answer::build(7)).await?.wait().await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, 42);
    assert_eq!(
        result.nodes()[0].output_as::<u64>()?,
        49,
        "the electron still ran"
    );

    let result = rt
        .dispatch(nothing_but_a_constant::build())
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert!(result.nodes().is_empty());
    assert_eq!(result.output()?, "no electrons at all");
    let stored = rt.get_result(result.id())?;
    assert_eq!(
        stored.output_json(),
        Some(serde_json::json!("no electrons at all"))
    );
    Ok(())
}

// Async electrons.

#[electron]
async fn add_later(a: u64, b: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(20)).await;
    a + b
}

#[electron]
async fn checked_half(x: u64) -> Result<u64, String> {
    tokio::task::yield_now().await;
    if x.is_multiple_of(2) {
        Ok(x / 2)
    } else {
        Err(format!("{x} is odd"))
    }
}

#[lattice]
fn async_chain(a: u64, b: u64) -> u64 {
    let sum = add_later(a, b);
    let half = checked_half(sum);
    // A blocking electron takes an async one's output, and the other way round.
    let squared = square(half);
    add_later(squared, 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_electrons_run_and_mix_with_blocking_ones() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt.dispatch(async_chain::build(3, 5)).await?.wait().await?;
    assert_eq!(result.output()?, 17); // ((3 + 5) / 2)^2 + 1
    assert_eq!(result.nodes().len(), 4);
    assert!(result
        .nodes()
        .iter()
        .all(|n| n.status() == NodeStatus::Completed));
    Ok(())
}

#[test]
fn an_electron_can_still_be_called_as_a_plain_function() {
    assert_eq!(join_words::call("a".into(), "b".into()), "a, b");
    assert_eq!(divmod::call(7, 2), (3, 1));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(add_later::call(1, 2)), 3);
    assert_eq!(rt.block_on(checked_half::call(3)), Err("3 is odd".into()));
}

// What the results record.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_records_every_node_and_the_dispatch() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let dispatch = rt
        .dispatch(simple_workflow::build("Hello".into(), "World".into()))
        .await?;
    let id = dispatch.id().to_owned();
    let result = dispatch.wait().await?;

    assert_eq!(result.id(), id);
    assert_eq!(result.lattice(), "dispatch::simple_workflow");
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(
        result.inputs(),
        Some(&serde_json::json!({"a": "Hello", "b": "World"}))
    );
    assert_eq!(
        result.output_json(),
        Some(serde_json::json!("Hello, World!"))
    );
    let (started, ended) = (result.started().unwrap(), result.ended().unwrap());
    assert!(result.created().unwrap() <= started);
    assert!(started <= ended);

    let nodes = result.nodes();
    assert_eq!(nodes.len(), 2);
    let expect = [
        ("join_words", "dispatch::join_words", "Hello, World"),
        ("excitement", "dispatch::excitement", "Hello, World!"),
    ];
    for (i, (n, (name, electron, output))) in nodes.iter().zip(expect).enumerate() {
        assert_eq!(n.id(), orbital::NodeId(i as u32));
        assert_eq!(n.name(), name);
        assert_eq!(n.kind(), "electron");
        assert_eq!(n.electron(), electron);
        assert_eq!(n.executor(), "local");
        assert_eq!(n.status(), NodeStatus::Completed);
        assert_eq!(n.output_json(), Some(serde_json::json!(output)));
        assert_eq!(n.output_as::<String>()?, output);
        assert_eq!(n.error(), None);
        assert_eq!(n.attempts(), 1);
        assert_eq!(n.parent(), None);
        let (s, e) = (n.started().unwrap(), n.ended().unwrap());
        assert!(
            started <= s && s <= e && e <= ended,
            "node {i} within the dispatch"
        );
    }
    // The second node ran after the first ended: it needed its output.
    assert!(nodes[0].ended() <= nodes[1].started());
    assert!(result.node(orbital::NodeId(1)).is_some());
    assert!(result.node(orbital::NodeId(2)).is_none());
    assert!(result.failures().is_empty());

    // The store holds the same.
    let stored = rt.get_result(&id)?;
    assert_eq!(stored.status(), DispatchStatus::Completed);
    assert_eq!(stored.inputs(), result.inputs());
    assert_eq!(stored.output_json(), result.output_json());
    assert_eq!(stored.output_as::<String>()?, "Hello, World!");
    for (a, b) in stored.nodes().iter().zip(nodes) {
        assert_eq!(a.name(), b.name());
        assert_eq!(a.electron(), b.electron());
        assert_eq!(a.executor(), b.executor());
        assert_eq!(a.status(), b.status());
        assert_eq!(a.output_json(), b.output_json());
        assert_eq!(a.attempts(), b.attempts());
        assert!(a.started().is_some() && a.ended().is_some());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reports_the_end() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let dispatch = rt.dispatch(sum_of_squares::build(10)).await?;
    let mut watch = dispatch.watch();
    let last = common::within(30, "the dispatch", async {
        watch.wait_for(|p| p.done).await.map(|p| *p)
    })
    .await
    .expect("the dispatcher reports its end");
    assert_eq!(last.total, 11);
    assert_eq!(last.completed, 11);
    assert_eq!(last.running, 0);
    assert_eq!(last.failed, 0);
    assert_eq!(dispatch.wait().await?.output()?, 285);
    Ok(())
}
