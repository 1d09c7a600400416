//! Bad input is refused with an error that says what is wrong and where: unknown executors,
//! configuration files that do not parse, stores that cannot be written, executor tables that
//! do not describe an executor.

mod common;

use orbital::prelude::*;

#[electron(executor = "nowhere")]
fn lost(x: u64) -> u64 {
    x
}

#[electron]
fn fine(x: u64) -> u64 {
    x
}

#[lattice]
fn goes_nowhere(x: u64) -> u64 {
    let a = fine(x);
    lost(a)
}

const TWO_EXECUTORS: &str = r#"
[executors.lim]
type = "local"
max_concurrency = 2

[executors.gpu]
type = "local"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_executor_is_refused_at_dispatch_and_nothing_is_stored() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, TWO_EXECUTORS)?;
    let err = rt.dispatch(goes_nowhere::build(1)).await.unwrap_err();
    match &err {
        orbital::Error::UnknownExecutor {
            name, configured, ..
        } => {
            assert_eq!(name, "nowhere");
            let mut configured = configured.clone();
            configured.sort();
            assert_eq!(configured, ["gpu", "lim", "local", "process"]);
        }
        other => panic!("expected UnknownExecutor, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("unknown executor `nowhere`"), "{text}");
    assert!(
        text.contains("configured executors: local, process, gpu, lim"),
        "{text}"
    );
    assert!(
        text.contains("[executors.nowhere]"),
        "says how to fix it: {text}"
    );
    assert!(rt.list(10)?.is_empty(), "nothing was stored");

    // Without any configuration, the built-in `local` and `process` are the names there are.
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    match rt.dispatch(goes_nowhere::build(1)).await.unwrap_err() {
        orbital::Error::UnknownExecutor { configured, .. } => {
            assert_eq!(configured, ["local", "process"])
        }
        other => panic!("expected UnknownExecutor, got {other:?}"),
    }
    assert!(rt.list(10)?.is_empty());
    Ok(())
}

// An unknown executor that only a sub-lattice names is found when the sub-lattice is built.

#[lattice]
fn inner_goes_nowhere(x: u64) -> u64 {
    lost(x)
}

#[lattice]
fn outer_goes_nowhere(x: u64) -> u64 {
    let a = fine(x);
    let _b = fine(a);
    inner_goes_nowhere(a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_executor_in_a_sub_lattice_fails_its_node() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt
        .dispatch(outer_goes_nowhere::build(1))
        .await?
        .wait()
        .await?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let lost = result.nodes_named("lost").next().unwrap();
    assert_eq!(lost.status(), NodeStatus::Failed);
    let e = lost.error().unwrap();
    assert!(e.contains("unknown executor `nowhere`"), "{e}");
    let sub = result.nodes_named("inner_goes_nowhere").next().unwrap();
    assert_eq!(
        sub.status(),
        NodeStatus::Failed,
        "not completed without its output"
    );
    assert_eq!(sub.output_json(), None);
    let e = sub.error().unwrap();
    assert!(e.contains("`lost` of this sub-lattice failed"), "{e}");
    let err = result.output().unwrap_err().to_string();
    assert!(err.contains("unknown executor `nowhere`"), "{err}");
    assert!(result
        .nodes_named("fine")
        .all(|n| n.status() == NodeStatus::Completed));
    Ok(())
}

// Configuration files.

fn config_error(text: &str) -> (std::path::PathBuf, orbital::Error) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orbital.toml");
    std::fs::write(&path, text).unwrap();
    let err = orbital::Runtime::builder()
        .config_file(&path)
        .store_path(dir.path().join("o.db"))
        .build()
        .unwrap_err();
    (path, err)
}

#[test]
fn a_config_value_of_the_wrong_type_names_file_line_and_key() {
    let (path, err) = config_error("# results\n[store]\npath = 3\n");
    match &err {
        orbital::Error::Config(orbital::ConfigError::Parse {
            path: p,
            line,
            message,
            ..
        }) => {
            assert_eq!(p, &path);
            assert_eq!(*line, 3);
            assert!(message.contains("store.path"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:3:", path.display())),
        "{text}"
    );
}

#[test]
fn broken_toml_names_file_and_line() {
    let (path, err) = config_error("[dispatcher]\nretry_delay = \"10ms\n");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:2:", path.display())),
        "{text}"
    );
    assert!(matches!(
        err,
        orbital::Error::Config(orbital::ConfigError::Parse { line: 2, .. })
    ));
}

#[test]
fn a_bad_duration_names_the_key_and_shows_the_format() {
    let (path, err) = config_error("[dispatcher]\nretry_delay = \"soon\"\n");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:2:", path.display())),
        "{text}"
    );
    assert!(text.contains("dispatcher.retry_delay"), "{text}");
    assert!(text.contains("`soon` is not a duration"), "{text}");
}

#[test]
fn an_unknown_config_key_is_an_error() {
    let (path, err) = config_error("[dispatcher]\nretry_dalay = \"1s\"\n");
    let text = err.to_string();
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    assert!(text.contains("retry_dalay"), "{text}");
    assert!(matches!(
        err,
        orbital::Error::Config(orbital::ConfigError::Parse { line: 2, .. })
    ));
}

#[test]
fn a_missing_config_file_means_the_defaults() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = orbital::Runtime::builder()
        .config_file(dir.path().join("absent.toml"))
        .store_path(dir.path().join("o.db"))
        .build()?;
    assert_eq!(rt.executor_names(), ["local", "process"]);
    assert!(rt.config().file.is_none());
    Ok(())
}

#[test]
fn the_store_path_of_a_config_file_is_used() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("orbital.toml");
    let db = dir.path().join("from-config.db");
    std::fs::write(
        &config,
        format!("[store]\npath = {:?}\n", db.display().to_string()),
    )
    .unwrap();
    // No store path given: `[store] path` is used (unless ORBITAL_DB is set).
    if std::env::var_os("ORBITAL_DB").is_none() {
        let rt = orbital::Runtime::builder().config_file(&config).build()?;
        assert_eq!(rt.store_path(), db);
        assert_eq!(rt.config().file.as_deref(), Some(config.as_path()));
        assert!(db.exists());
    }
    Ok(())
}

// Stores that cannot be written.

#[test]
fn a_store_under_a_regular_file_is_refused_naming_the_path_and_orbital_db() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "plain file").unwrap();
    let store = file.join("o.db");
    let err = orbital::Runtime::builder()
        .config(orbital::Config::default())
        .store_path(&store)
        .build()
        .unwrap_err();
    match &err {
        orbital::Error::Store(e) => assert_eq!(e.path, store),
        other => panic!("expected a store error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&store.display().to_string()), "{text}");
    assert!(text.contains("ORBITAL_DB"), "{text}");
    assert!(text.contains("[store]"), "{text}");
}

#[test]
fn a_store_that_is_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = orbital::Runtime::builder()
        .config(orbital::Config::default())
        .store_path(dir.path())
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, orbital::Error::Store(_)), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("ORBITAL_DB"), "{text}");
}

#[test]
fn a_store_that_is_not_sqlite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("o.db");
    std::fs::write(
        &store,
        "this is not a database, just some text. ".repeat(200),
    )
    .unwrap();
    let err = orbital::Runtime::builder()
        .config(orbital::Config::default())
        .store_path(&store)
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, orbital::Error::Store(_)), "{text}");
    assert!(text.contains(&store.display().to_string()), "{text}");
}

// Executor tables that do not describe an executor.

#[electron(executor = "typo")]
fn on_typo(x: u64) -> u64 {
    x
}

#[electron(executor = "quantum")]
fn on_quantum(x: u64) -> u64 {
    x
}

#[lattice]
fn uses_typo(x: u64) -> u64 {
    on_typo(x)
}

#[lattice]
fn uses_quantum(x: u64) -> u64 {
    on_quantum(x)
}

const BAD_EXECUTORS: &str = r#"
[executors.typo]
type = "local"
max_concurency = 2

[executors.quantum]
type = "qubit"
"#;

fn executor_config_error(err: &orbital::Error, executor: &str) -> String {
    match err {
        orbital::Error::ExecutorConfig { name, .. } => assert_eq!(name, executor),
        other => panic!("expected ExecutorConfig for `{executor}`, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&format!("executor `{executor}`")), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executor_table_with_an_unknown_key_names_the_executor() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, BAD_EXECUTORS)?;
    let err = rt.dispatch(uses_typo::build(1)).await.unwrap_err();
    let text = executor_config_error(&err, "typo");
    assert!(text.contains("max_concurency"), "{text}");
    assert!(
        text.contains("max_concurrency"),
        "suggests the right key: {text}"
    );
    assert!(rt.list(10)?.is_empty(), "nothing was stored");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executor_table_of_an_unknown_type_names_the_executor() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, BAD_EXECUTORS)?;
    let err = rt.dispatch(uses_quantum::build(1)).await.unwrap_err();
    let text = executor_config_error(&err, "quantum");
    assert!(text.contains("qubit"), "{text}");
    assert!(text.contains("local"), "lists the known types: {text}");
    assert!(rt.list(10)?.is_empty(), "nothing was stored");
    Ok(())
}

#[test]
fn an_executor_table_is_checked_when_asked_for_by_name() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, BAD_EXECUTORS)?;
    assert!(rt.executor("local").is_ok());
    executor_config_error(&rt.executor("typo").unwrap_err(), "typo");
    executor_config_error(&rt.executor("quantum").unwrap_err(), "quantum");
    assert!(matches!(
        rt.executor("absent"),
        Err(orbital::Error::UnknownExecutor { .. })
    ));
    // A runtime built from a file names it.
    let path = dir.path().join("orbital.toml");
    std::fs::write(&path, BAD_EXECUTORS).unwrap();
    let rt = orbital::Runtime::builder()
        .config_file(&path)
        .store_path(dir.path().join("o2.db"))
        .build()?;
    let text = executor_config_error(&rt.executor("typo").unwrap_err(), "typo");
    assert!(text.contains(&path.display().to_string()), "{text}");
    Ok(())
}
