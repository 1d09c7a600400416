//! Your own executor: an `impl Executor` in your crate, chosen by value in `#[electron]` and by
//! `type = "..."` in `orbital.toml`. The README's "Your own executor" shows this file.
//!
//! ```sh
//! cargo run --example own_executor
//! ```

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use orbital::executors::LocalExecutor;
use orbital::prelude::*;
use orbital::{Config, Executor, Runtime, Task, TaskOutcome};
use serde::{Deserialize, Serialize};

/// How many tasks ran on a `Tally` executor, whichever way it was chosen.
static RAN: AtomicUsize = AtomicUsize::new(0);

/// Runs each task in this process, as `local` does, and says so on stderr with its `label`.
/// Its fields are its settings: `[executors.NAME]` in `orbital.toml` deserialises into it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tally {
    /// Shown before each task it runs.
    #[serde(default)]
    label: String,
    /// Where the work really happens (not a setting).
    #[serde(skip)]
    local: LocalExecutor,
}

// `name` is the `type = "tally"` of orbital.toml. The attribute registers the executor (so a
// table can name it and a stored graph can hold it) and writes `fn kind` from that name.
#[orbital::executor(name = "tally")]
impl Executor for Tally {
    fn max_concurrency(&self) -> Option<usize> {
        Some(4)
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        RAN.fetch_add(1, Ordering::Relaxed);
        eprintln!(
            "[{}] {} (node {})",
            self.label, task.spec.electron, task.spec.node_id
        );
        self.local.run(task).await
    }
}

/// Chosen by value: the expression is evaluated once, on first use.
#[electron(executor = Tally { label: "by value".into(), ..Tally::default() })]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

/// Chosen by name: `[executors.loud]` below, whose `type` is `tally`.
#[electron(executor = "loud")]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    excitement(phrase)
}

/// What an `orbital.toml` would hold; read from text here so that the example runs anywhere.
const ORBITAL_TOML: &str = r#"
[executors.loud]
type = "tally"
label = "from orbital.toml"
"#;

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let config = Config::parse(ORBITAL_TOML, Path::new("orbital.toml"))?;
    let dir = std::env::temp_dir().join(format!("orbital-own-executor-{}", std::process::id()));
    let rt = Runtime::builder()
        .config(config)
        .store_path(dir.join("orbital.db"))
        .build()?;
    let workflow = simple_workflow::build("Hello".into(), "World".into());
    let result = rt.dispatch(workflow).await?.wait().await?;
    rt.shutdown().await?;
    let _ = std::fs::remove_dir_all(&dir);
    println!("tasks on `tally`: {}", RAN.load(Ordering::Relaxed));
    println!("{}", result.output()?); // Hello, World!
    Ok(())
}
