use orbital::prelude::*;

struct Report {
    lines: Vec<String>,
}

#[electron]
fn summarize(lines: Vec<String>) -> Report {
    Report { lines }
}

fn main() {}
