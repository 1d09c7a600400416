//! The global runtime: `my_lattice::dispatch(..)` and `orbital::get_result(id)` use the store
//! and configuration named by the environment. A test binary of its own with one test, so the
//! environment it sets is its alone.

use orbital::prelude::*;

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron(executor = "configured")]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    excitement(join_words(a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_runtime_follows_the_environment() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("global.db");
    std::fs::write(
        dir.path().join("orbital.toml"),
        "[executors.configured]\ntype = \"local\"\n",
    )
    .unwrap();
    // The only test of this binary: nothing else reads the environment meanwhile.
    std::env::set_var("ORBITAL_CONFIG_DIR", dir.path());
    std::env::set_var("ORBITAL_DB", &db);

    let dispatch = simple_workflow::dispatch("Hello".into(), "World".into()).await?;
    let id = dispatch.id().to_owned();
    let result = dispatch.wait().await?;
    assert_eq!(result.output()?, "Hello, World!");
    assert_eq!(result.nodes()[1].executor(), "configured");

    let rt = orbital::Runtime::global()?;
    assert_eq!(rt.store_path(), db);
    assert_eq!(
        rt.config().file.as_deref(),
        Some(dir.path().join("orbital.toml").as_path())
    );
    let stored = orbital::get_result(&id)?;
    assert_eq!(stored.status(), DispatchStatus::Completed);
    assert_eq!(stored.output_as::<String>()?, "Hello, World!");
    assert!(matches!(
        orbital::get_result("nope"),
        Err(orbital::Error::UnknownDispatch { .. })
    ));
    Ok(())
}
