use orbital::prelude::*;

#[electron(executor = 8)]
fn work(x: u32) -> u32 {
    x
}

fn main() {}
