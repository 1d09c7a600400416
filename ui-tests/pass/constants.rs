// Constants passed directly where an electron expects a value: a `&str` literal for a
// `String`, a number, a `Vec`, and a struct that derives serde.

use orbital::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Settings {
    scale: f64,
}

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron]
fn scale(xs: Vec<f64>, settings: Settings) -> Vec<f64> {
    xs.into_iter().map(|x| x * settings.scale).collect()
}

#[electron]
fn repeat(s: String, times: usize) -> String {
    s.repeat(times)
}

#[lattice]
fn constants(b: String) -> String {
    let _scaled = scale(vec![1.0, 2.0], Settings { scale: 2.0 });
    let joined = join_words("Hello", b);
    repeat(joined, 2)
}

#[lattice]
fn constant_output() -> u32 {
    42
}

fn main() {
    let workflow = constants::build("World".into());
    assert_eq!(workflow.graph().len(), 3);
    let workflow = constant_output::build();
    assert_eq!(workflow.graph().len(), 0);
}
