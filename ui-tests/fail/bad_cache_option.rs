use orbital::prelude::*;

#[electron(cache = "yes")]
fn cached(x: u32) -> u32 {
    x
}

#[electron(version = 2)]
fn versioned(x: u32) -> u32 {
    x
}

fn main() {}
