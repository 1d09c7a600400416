use orbital::{Executor, Task, TaskOutcome};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Mine;

#[orbital::executor]
impl Executor for Mine {
    async fn run(&self, _task: Task) -> TaskOutcome {
        unimplemented!()
    }
}

fn main() {}
