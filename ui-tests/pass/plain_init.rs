// `orbital::init()` as the first line of a plain `fn main`, instead of `#[orbital::main]`.

use orbital::prelude::*;

#[electron]
fn hello(name: String) -> String {
    format!("Hello, {name}!")
}

#[lattice]
fn greet(name: String) -> String {
    hello(name)
}

fn main() -> orbital::Result<()> {
    orbital::init()?;
    let workflow = greet::build("World".into());
    println!("{}", workflow.to_dot());
    Ok(())
}
