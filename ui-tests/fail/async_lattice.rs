use orbital::prelude::*;

#[electron]
fn double(x: u64) -> u64 {
    x * 2
}

#[lattice]
async fn workflow(x: u64) -> u64 {
    double(x)
}

fn main() {}
