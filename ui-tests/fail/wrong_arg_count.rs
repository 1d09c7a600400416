use orbital::prelude::*;

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[lattice]
fn workflow(a: String) -> String {
    join_words(a)
}

fn main() {}
