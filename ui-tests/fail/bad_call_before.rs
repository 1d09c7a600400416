use orbital::prelude::*;

fn counts() -> u32 {
    3
}

fn needs_arg(_x: u32) -> Result<(), String> {
    Ok(())
}

#[electron(call_before = ["setup"])]
fn quoted() -> u32 {
    1
}

#[electron(call_before = [counts])]
fn wrong_return() -> u32 {
    1
}

#[electron(call_after = [needs_arg])]
fn takes_argument() -> u32 {
    1
}

fn main() {}
