use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, orbital::Nodes)]
struct Nothing;

fn main() {}
