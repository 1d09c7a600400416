// An electron returning `Result<T, E>` with its own error type: its node is a `Node<T>`, and
// an `Err` fails the node.

use orbital::prelude::*;

#[derive(Debug)]
struct ParseError {
    input: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a number", self.input)
    }
}

impl std::error::Error for ParseError {}

#[electron]
fn parse(s: String) -> Result<u64, ParseError> {
    s.trim().parse().map_err(|_| ParseError { input: s })
}

#[electron]
fn double(x: u64) -> u64 {
    x * 2
}

#[lattice]
fn parse_and_double(s: String) -> u64 {
    let n: Node<u64> = parse(s);
    double(n)
}

fn main() {
    assert_eq!(parse::call("21".into()).unwrap(), 21);
    assert!(parse::call("x".into()).is_err());
    let workflow = parse_and_double::build("21".into());
    assert_eq!(workflow.graph().len(), 2);
}
