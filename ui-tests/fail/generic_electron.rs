use orbital::prelude::*;

#[electron]
fn identity<T: serde::Serialize>(x: T) -> T {
    x
}

fn main() {}
