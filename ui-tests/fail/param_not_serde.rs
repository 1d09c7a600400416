use orbital::prelude::*;

struct Config {
    verbose: bool,
}

#[electron]
fn run(config: Config, steps: u32) -> u32 {
    if config.verbose { steps } else { 0 }
}

fn main() {}
