//! A workflow that outlives its script: `study::submit` hands the dispatch to a background
//! driver of this program and returns its id; `orbital::wait` waits for it (from this process
//! here, from any process in general). `simulate` is cached: run it twice and the second run
//! reuses every simulation from the store.
//!
//! ```sh
//! cargo run --example long                 # submit, then wait here
//! cargo run --example long -- --orbital-detach   # submit, print the id, exit
//! orbital wait <id>                        # from anywhere
//! ```

use orbital::prelude::*;

/// One simulation; its result is reused by any later dispatch with the same seed.
#[electron(cache = true)]
fn simulate(seed: u64) -> f64 {
    std::thread::sleep(std::time::Duration::from_millis(20));
    (seed as f64).sqrt()
}

/// The mean of the simulations.
#[electron]
fn mean(xs: Vec<f64>) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// `n` simulations and their mean.
#[lattice]
fn study(n: u64) -> f64 {
    mean((0..n).map(simulate).collect::<Vec<_>>())
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let id = study::submit(100).await?; // returns once the driver has started
    eprintln!("dispatch {id} runs detached; `orbital logs {id} --driver` shows its driver's log");
    let result = orbital::wait(&id).await?; // any process can wait for it
    let reused = result
        .nodes()
        .iter()
        .filter(|n| n.reused_from().is_some())
        .count();
    eprintln!("{reused} of 100 simulations came from the cache");
    println!("{:.4}", result.output_as::<f64>()?);
    Ok(())
}
