use orbital::prelude::*;

#[electron]
fn count(text: String) -> usize {
    text.len()
}

#[electron]
fn show(s: String) -> String {
    s
}

#[lattice]
fn workflow(text: String) -> String {
    let n = count(text);
    show(format!("{} words", n))
}

fn main() {}
