//! Failures: an `Err` or a panic fails its node; what depends on it does not run; what does not
//! depend on it still runs; the dispatch fails and says which node failed and why.

mod common;

use orbital::prelude::*;

#[electron]
fn parse_number(text: String) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|e| format!("`{text}` is not a number: {e}"))
}

#[electron]
fn double(x: u64) -> u64 {
    x * 2
}

#[electron]
fn greet(name: String) -> String {
    format!("hello {name}")
}

#[lattice]
fn parse_and_double(text: String, name: String) -> u64 {
    let n = parse_number(text);
    let twice = double(n);
    let four_times = double(twice);
    // An independent branch.
    let _greeting = greet(name);
    four_times
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_err_fails_its_node_and_only_what_depends_on_it() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(parse_and_double::build("forty".into(), "Ada".into()))
        .await?
        .wait()
        .await?;

    let nodes = result.nodes();
    let parse = &nodes[0];
    assert_eq!(parse.name(), "parse_number");
    assert_eq!(parse.status(), NodeStatus::Failed);
    let message = parse.error().expect("the failed node says why");
    assert!(
        message.contains("`forty` is not a number: invalid digit"),
        "{message}"
    );
    assert_eq!(parse.output_json(), None);
    assert_eq!(parse.attempts(), 1);

    // Its dependants never ran, and say which input failed.
    for dependant in &nodes[1..3] {
        assert_eq!(dependant.status(), NodeStatus::UpstreamFailed);
        assert_eq!(dependant.attempts(), 0, "it did not run");
        assert_eq!(dependant.started(), None);
        assert!(dependant.output_as::<u64>().is_err());
    }
    let e = nodes[1].error().unwrap();
    assert!(e.contains("node 0 `parse_number`"), "{e}");
    assert!(e.contains("failed"), "{e}");
    let e = nodes[2].error().unwrap();
    assert!(e.contains("node 1 `double`"), "{e}");

    // The independent branch completed.
    assert_eq!(nodes[3].name(), "greet");
    assert_eq!(nodes[3].status(), NodeStatus::Completed);
    assert_eq!(nodes[3].output_as::<String>()?, "hello Ada");

    // The dispatch failed, and its errors name the failed node.
    assert_eq!(result.status(), DispatchStatus::Failed);
    let err = result.output().unwrap_err();
    assert!(
        matches!(err, orbital::Error::DispatchFailed { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("node 0 `parse_number`"), "{text}");
    assert!(text.contains("`forty` is not a number"), "{text}");
    assert!(text.contains("FAILED"), "{text}");
    let error = result.error().unwrap();
    assert!(
        error.contains("node 0 `parse_number`: `forty` is not a number"),
        "{error}"
    );
    let failures = result.failures();
    assert_eq!(
        failures.len(),
        1,
        "upstream-failed nodes are not failures of their own"
    );
    assert_eq!(failures[0].node, 0);

    // The store says the same.
    let stored = rt.get_result(result.id())?;
    assert_eq!(stored.status(), DispatchStatus::Failed);
    let statuses: Vec<_> = stored.nodes().iter().map(|n| n.status()).collect();
    assert_eq!(
        statuses,
        [
            NodeStatus::Failed,
            NodeStatus::UpstreamFailed,
            NodeStatus::UpstreamFailed,
            NodeStatus::Completed
        ]
    );
    assert_eq!(stored.nodes()[0].error(), parse.error());
    assert!(stored
        .output_as::<u64>()
        .unwrap_err()
        .to_string()
        .contains("`parse_number`"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_lattice_completes_with_good_input() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(parse_and_double::build(" 10 ".into(), "Ada".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, 40);
    Ok(())
}

// Panics.

#[electron]
fn fragile(x: u64) -> u64 {
    if x == 3 {
        panic!("boom at {x}");
    }
    x
}

#[electron]
async fn fragile_async(x: u64) -> u64 {
    tokio::task::yield_now().await;
    if x == 4 {
        panic!("async boom at {x}");
    }
    x
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice]
fn fragile_fan_out(n: u64) -> u64 {
    let doubled: Vec<Node<u64>> = (0..n).map(|i| double(fragile_async(fragile(i)))).collect();
    // Fan-in of the branches that do not panic: it runs.
    let safe: Vec<Node<u64>> = doubled
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, n)| *n)
        .collect();
    let _safe_sum = total(safe);
    // Ordering on every branch: it does not run.
    let _after_all = greet("still here").wait_for_all(doubled.clone());
    // Fan-in of every branch, the output: it does not run.
    total(doubled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_only_its_node_and_the_rest_goes_on() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt.dispatch(fragile_fan_out::build(6)).await?.wait().await?;
    assert_eq!(result.status(), DispatchStatus::Failed);

    let fragile: Vec<_> = result.nodes_named("fragile").collect();
    assert_eq!(fragile.len(), 6);
    for (i, n) in fragile.iter().enumerate() {
        if i == 3 {
            assert_eq!(n.status(), NodeStatus::Failed);
            let e = n.error().unwrap();
            assert!(e.contains("panicked") && e.contains("boom at 3"), "{e}");
        } else {
            assert_eq!(n.status(), NodeStatus::Completed, "fragile({i})");
        }
    }
    let asyncs: Vec<_> = result.nodes_named("fragile_async").collect();
    for (i, n) in asyncs.iter().enumerate() {
        match i {
            3 => assert_eq!(n.status(), NodeStatus::UpstreamFailed),
            4 => {
                assert_eq!(n.status(), NodeStatus::Failed);
                let e = n.error().unwrap();
                assert!(e.contains("panicked: async boom at 4"), "{e}");
            }
            _ => assert_eq!(n.status(), NodeStatus::Completed, "fragile_async({i})"),
        }
    }
    let doubled: Vec<_> = result.nodes_named("double").collect();
    for (i, n) in doubled.iter().enumerate() {
        if i == 3 || i == 4 {
            assert_eq!(n.status(), NodeStatus::UpstreamFailed, "double({i})");
        } else {
            assert_eq!(n.output_as::<u64>()?, 2 * i as u64);
        }
    }
    let totals: Vec<_> = result.nodes_named("total").collect();
    assert_eq!(totals[0].status(), NodeStatus::Completed);
    assert_eq!(totals[0].output_as::<u64>()?, 2 * (1 + 2 + 5));
    assert_eq!(totals[1].status(), NodeStatus::UpstreamFailed);
    // Ordering on a failed node also keeps a node from running.
    let greet = result.nodes_named("greet").next().unwrap();
    assert_eq!(greet.status(), NodeStatus::UpstreamFailed);

    let failures = result.failures();
    assert_eq!(failures.len(), 2);
    let text = result.error().unwrap();
    assert!(
        text.contains("boom at 3") && text.contains("async boom at 4"),
        "{text}"
    );
    let err = result.output().unwrap_err().to_string();
    assert!(err.contains("`fragile`: panicked: boom at 3"), "{err}");
    assert!(
        err.contains("`fragile_async`: panicked: async boom at 4"),
        "{err}"
    );
    Ok(())
}

// A sub-lattice whose node fails.

#[lattice]
fn parse_all(texts: Vec<String>) -> Vec<u64> {
    texts.into_iter().map(parse_number).collect::<Vec<_>>()
}

#[electron]
fn words(text: String) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

#[lattice]
fn parse_words(text: String) -> u64 {
    let ws = words(text);
    let numbers = parse_all(ws);
    let sum = total(numbers);
    let _independent = greet("bystander");
    sum
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_inside_a_sub_lattice_fails_the_sub_lattice_node() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(parse_words::build("1 two 3".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let sub = result.nodes_named("parse_all").next().unwrap();
    assert_eq!(sub.status(), NodeStatus::Failed);
    let e = sub.error().unwrap();
    assert!(e.contains("`parse_number`"), "{e}");
    let parses: Vec<_> = result.nodes_named("parse_number").collect();
    assert_eq!(parses.len(), 3);
    assert!(parses.iter().all(|n| n.parent() == Some(sub.id())));
    let statuses: Vec<_> = parses.iter().map(|n| n.status()).collect();
    assert_eq!(statuses[1], NodeStatus::Failed);
    assert_eq!(statuses[0], NodeStatus::Completed);
    assert_eq!(statuses[2], NodeStatus::Completed);
    assert!(parses[1].error().unwrap().contains("`two` is not a number"));
    let total = result.nodes_named("total").next().unwrap();
    assert_eq!(total.status(), NodeStatus::UpstreamFailed);
    assert!(total.error().unwrap().contains("`parse_all`"));
    assert_eq!(
        result.nodes_named("greet").next().unwrap().status(),
        NodeStatus::Completed
    );
    let err = result.output().unwrap_err().to_string();
    assert!(err.contains("`two` is not a number"), "{err}");

    // And with good input, the same lattice completes.
    let result = rt
        .dispatch(parse_words::build("1 2 3".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.output()?, 6);
    Ok(())
}

// A sub-lattice whose body panics while it is built.

#[lattice]
fn picky(n: u64) -> u64 {
    assert!(n < 10, "picky cannot build for {n}");
    double(n)
}

#[lattice]
fn builds_picky(text: String) -> u64 {
    let n = parse_number(text);
    let p = picky(n);
    let _other = greet("bystander");
    double(p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_lattice_that_panics_while_built_fails_its_node() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(builds_picky::build("12".into()))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let sub = result.nodes_named("picky").next().unwrap();
    assert_eq!(sub.status(), NodeStatus::Failed);
    let e = sub.error().unwrap();
    assert!(e.contains("picky cannot build for 12"), "{e}");
    assert_eq!(
        result.nodes_named("greet").next().unwrap().status(),
        NodeStatus::Completed
    );
    let last = result
        .nodes()
        .iter()
        .rfind(|n| n.name() == "double")
        .unwrap();
    assert_eq!(last.status(), NodeStatus::UpstreamFailed);
    Ok(())
}
