use orbital::prelude::*;

#[electron]
fn double(x: u64) -> u64 {
    x * 2
}

#[lattice]
fn workflow<T: Into<u64>>(x: T) -> u64 {
    double(x.into())
}

fn main() {}
