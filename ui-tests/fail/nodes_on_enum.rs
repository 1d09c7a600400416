use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, orbital::Nodes)]
enum Outcome {
    Total(f64),
    Count(usize),
}

fn main() {}
