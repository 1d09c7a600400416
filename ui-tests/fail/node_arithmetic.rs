use orbital::prelude::*;

#[electron]
fn count(text: String) -> u64 {
    text.len() as u64
}

#[electron]
fn double(x: u64) -> u64 {
    x * 2
}

#[lattice]
fn workflow(text: String) -> u64 {
    let n = count(text);
    double(n + 1)
}

fn main() {}
