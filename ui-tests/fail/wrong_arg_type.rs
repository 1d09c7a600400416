use orbital::prelude::*;

#[electron]
fn count_words(text: String) -> usize {
    text.split_whitespace().count()
}

#[electron]
fn double(x: u64) -> u64 {
    x * 2
}

#[lattice]
fn workflow(text: String) -> u64 {
    let n = count_words(text);
    double(n)
}

fn main() {}
