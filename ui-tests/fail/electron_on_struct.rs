use orbital::prelude::*;

#[electron]
struct Job {
    id: u32,
}

fn main() {}
