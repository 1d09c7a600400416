//! The results store: a dispatch's result can be read back by id, from another process too, and
//! an unknown id is a clear error.

mod common;

use std::process::Command;

use orbital::prelude::*;

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[electron]
fn refuse(a: String) -> Result<String, String> {
    Err(format!("will not shout {a:?}"))
}

#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    let _refused = refuse(phrase);
    excitement(phrase)
}

/// The environment variables that make [`child_reads_a_result_by_id`] do its work.
const STORE_ENV: &str = "ORBITAL_TEST_CHILD_STORE";
const ID_ENV: &str = "ORBITAL_TEST_CHILD_DISPATCH";

/// Run by [`a_result_can_be_read_from_another_process`] in a child process of this test
/// binary; without its environment variables (a plain `cargo test`), it does nothing.
#[test]
fn child_reads_a_result_by_id() -> orbital::Result<()> {
    let (Some(store), Some(id)) = (std::env::var_os(STORE_ENV), std::env::var(ID_ENV).ok()) else {
        return Ok(());
    };
    let rt = orbital::Runtime::builder()
        .store_path(store)
        .config(orbital::Config::default())
        .build()?;
    let result = rt.get_result(&id)?;
    println!(); // the harness's `test ... ` has no newline yet
    println!("CHILD lattice {}", result.lattice());
    println!("CHILD status {}", result.status());
    println!("CHILD inputs {}", result.inputs().unwrap());
    println!("CHILD output {}", result.output_json().unwrap());
    println!("CHILD typed {}", result.typed::<String>().output()?);
    let result = rt.get_result(&id)?;
    for n in result.nodes() {
        println!(
            "CHILD node {} {} {} {} {}",
            n.id(),
            n.name(),
            n.status(),
            n.attempts(),
            n.output_json().map_or("-".into(), |j| j.to_string())
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_can_be_read_from_another_process() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(simple_workflow::build("Hello".into(), "World".into()))
        .await?
        .wait()
        .await?;
    // `refuse` failed; the output did not depend on it, so it is there all the same.
    assert_eq!(result.status(), DispatchStatus::Failed);
    assert_eq!(result.output()?, "Hello, World!");

    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_reads_a_result_by_id",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(STORE_ENV, rt.store_path())
        .env(ID_ENV, result.id())
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("CHILD "))
        .collect();
    assert_eq!(
        lines,
        [
            "lattice store::simple_workflow",
            "status FAILED",
            r#"inputs {"a":"Hello","b":"World"}"#,
            r#"output "Hello, World!""#,
            "typed Hello, World!",
            r#"node 0 join_words COMPLETED 1 "Hello, World""#,
            "node 1 refuse FAILED 1 -",
            r#"node 2 excitement COMPLETED 1 "Hello, World!""#,
        ],
        "child output:\n{stdout}\n{stderr}"
    );
    Ok(())
}

/// A time as the store keeps it: microseconds since the epoch.
fn micros(t: Option<std::time::SystemTime>) -> Option<u128> {
    t.map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_micros())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_read_back_matches_the_one_returned() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(simple_workflow::build("a".into(), "b".into()))
        .await?
        .wait()
        .await?;
    // A second runtime on the same file: a fresh connection, nothing cached.
    let other = orbital::Runtime::builder()
        .store_path(rt.store_path())
        .config(orbital::Config::default())
        .build()?;
    let stored = other.get_result(result.id())?;
    assert_eq!(stored.id(), result.id());
    assert_eq!(stored.lattice(), result.lattice());
    assert_eq!(stored.status(), result.status());
    assert_eq!(stored.inputs(), result.inputs());
    assert_eq!(stored.output_json(), result.output_json());
    assert_eq!(stored.error(), result.error());
    // The same times, to the microsecond the store keeps.
    assert_eq!(micros(stored.created()), micros(result.created()));
    assert_eq!(micros(stored.started()), micros(result.started()));
    assert_eq!(micros(stored.ended()), micros(result.ended()));
    assert_eq!(stored.output_as::<String>()?, "a, b!");
    let err = stored.output_as::<u64>().unwrap_err();
    assert!(matches!(err, orbital::Error::OutputType { .. }), "{err}");
    assert_eq!(stored.nodes().len(), result.nodes().len());
    for (s, r) in stored.nodes().iter().zip(result.nodes()) {
        assert_eq!(
            (s.id(), s.name(), s.kind(), s.electron(), s.executor()),
            (r.id(), r.name(), r.kind(), r.electron(), r.executor())
        );
        assert_eq!((s.status(), s.attempts()), (r.status(), r.attempts()));
        assert_eq!(s.output_json(), r.output_json());
        assert_eq!(s.error(), r.error());
        assert_eq!(micros(s.started()), micros(r.started()), "node {}", s.id());
        assert_eq!(micros(s.ended()), micros(r.ended()), "node {}", s.id());
    }
    assert_eq!(stored.nodes()[1].error(), Some(r#"will not shout "a, b""#));

    let listed = other.list(10)?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, result.id());
    assert_eq!(listed[0].status, DispatchStatus::Failed);
    assert_eq!(listed[0].node_count, 3);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_id_is_an_error_naming_the_id_and_the_store() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let err = rt.get_result("no-such-dispatch").unwrap_err();
    match &err {
        orbital::Error::UnknownDispatch { id, store } => {
            assert_eq!(id, "no-such-dispatch");
            assert_eq!(store, rt.store_path());
        }
        other => panic!("expected UnknownDispatch, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("no-such-dispatch"), "{text}");
    assert!(
        text.contains(&rt.store_path().display().to_string()),
        "{text}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dispatch_gets_its_own_id_and_the_store_keeps_them_all() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let mut ids = Vec::new();
    for word in ["one", "two", "three"] {
        let r = rt
            .dispatch(simple_workflow::build(word.into(), "x".into()))
            .await?
            .wait()
            .await?;
        ids.push((r.id().to_owned(), format!("{word}, x!")));
    }
    let listed: Vec<String> = rt.list(10)?.into_iter().map(|d| d.id).collect();
    assert_eq!(listed.len(), 3);
    for (id, output) in &ids {
        assert!(listed.contains(id));
        assert_eq!(rt.get_result(id)?.output_as::<String>()?, *output);
    }
    // Newest first.
    assert_eq!(listed[0], ids[2].0);
    Ok(())
}
