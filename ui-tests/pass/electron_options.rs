// Every option of `#[electron]`, and the lattice default executor.

use std::time::Duration;

use orbital::prelude::*;

#[electron(executor = "local")]
fn named_executor(x: u32) -> u32 {
    x
}

#[electron(retries = 2)]
fn with_retries(x: u32) -> u32 {
    x
}

#[electron(time_limit = "30s")]
fn with_time_limit(x: u32) -> u32 {
    x
}

#[electron(time_limit = std::time::Duration::from_secs(5))]
fn with_duration(x: u32) -> u32 {
    x
}

#[electron(name = "my::stable::name")]
fn renamed(x: u32) -> u32 {
    x
}

#[electron(cache = true, version = "2")]
fn cached(x: u32) -> u32 {
    x
}

/// The same body as `cached`, written differently: the code hash does not see it.
#[electron(cache = true, version = "2")]
fn cached_again(x:u32)->u32{
    // a comment
    x
}

#[electron(executor = orbital::executors::LocalExecutor::default())]
fn executor_value(x: u32) -> u32 {
    x
}

#[electron(executor = "local", retries = 3, time_limit = "1h 30m", name = "all::options")]
fn all_options(x: u32) -> u32 {
    x
}

#[lattice(executor = "local")]
fn options(x: u32) -> u32 {
    let x = named_executor(x);
    let x = with_retries(x);
    let x = with_time_limit(x);
    let x = with_duration(x);
    let x = renamed(x);
    let x = executor_value(x);
    let x = cached(x);
    let x = cached_again(x);
    all_options(x)
}

fn main() {
    assert_eq!(renamed::definition().name, "my::stable::name");
    assert_eq!(with_retries::definition().retries, 2);
    assert_eq!(with_time_limit::definition().time_limit, Some(Duration::from_secs(30)));
    assert_eq!(with_duration::definition().time_limit, Some(Duration::from_secs(5)));
    assert_eq!(
        all_options::definition().time_limit,
        Some(Duration::from_secs(90 * 60))
    );
    assert!(cached::definition().cache);
    assert!(!renamed::definition().cache);
    assert_eq!(cached::definition().code_hash, cached_again::definition().code_hash);
    assert_ne!(cached::definition().code_hash, renamed::definition().code_hash);
    let workflow = options::build(1);
    assert_eq!(workflow.graph().len(), 9);
    let _ = workflow.to_dot();
}
