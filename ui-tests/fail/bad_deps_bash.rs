use orbital::prelude::*;

#[electron(deps_bash = ["mkdir -p data", 42])]
fn not_a_string() -> u32 {
    1
}

#[electron(deps_bash = ["  "])]
fn empty_command() -> u32 {
    1
}

fn main() {}
