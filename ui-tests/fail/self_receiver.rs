use orbital::prelude::*;

struct Counter;

impl Counter {
    #[electron]
    fn count(&self, x: u32) -> u32 {
        x + 1
    }
}

fn main() {}
