use orbital::prelude::*;

#[electron(time_limit = "30 parsecs")]
fn slow(x: u32) -> u32 {
    x
}

fn main() {}
