use orbital::prelude::*;

#[electron(call_before = [no_such_function])]
fn unknown() -> u32 {
    1
}

fn main() {}
