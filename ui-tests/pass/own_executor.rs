// An executor of the user's own, with neither `typetag` nor `async-trait` among the crate's
// dependencies: `#[orbital::executor]` brings what they need.
use orbital::{Executor, ExecutorContext, ExecutorError, Task, TaskError, TaskOutcome};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Refuse {
    reason: String,
}

#[orbital::executor(name = "refuse")]
impl Executor for Refuse {
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        Ok(())
    }

    async fn run(&self, _task: Task) -> TaskOutcome {
        TaskOutcome::new(
            Err(TaskError::executor(self.reason.clone())),
            std::time::SystemTime::now(),
        )
    }
}

// It writes `kind` from `name` unless the block has its own.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Named;

#[orbital::executor(name = "named")]
impl Executor for Named {
    fn kind(&self) -> &'static str {
        "named"
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        let _ = task;
        TaskOutcome::new(Ok(Default::default()), std::time::SystemTime::now())
    }
}

#[orbital::electron(executor = Refuse { reason: "no".into() })]
fn one() -> u32 {
    1
}

fn main() {
    assert_eq!(Refuse { reason: String::new() }.kind(), "refuse");
    let _ = one::call();
}
