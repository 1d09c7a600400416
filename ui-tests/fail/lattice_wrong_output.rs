use orbital::prelude::*;

#[electron]
fn count(text: String) -> usize {
    text.len()
}

#[lattice]
fn workflow(text: String) -> String {
    count(text)
}

fn main() {}
