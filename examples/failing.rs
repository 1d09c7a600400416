//! A dispatch that fails, to look at with the `orbital` CLI: `parse_port` returns an `Err`, so
//! `connect` (which needs its output) never runs and ends `UPSTREAM_FAILED`, while `greet`,
//! which does not depend on it, completes.
//!
//! `cargo run --example failing`, then `orbital show <id>` (the id is printed first).

use orbital::prelude::*;

/// Reads a port number.
#[electron]
fn parse_port(text: String) -> Result<u16, String> {
    text.parse()
        .map_err(|e| format!("`{text}` is not a port number: {e}"))
}

/// A greeting for a host.
#[electron]
fn greet(host: String) -> String {
    format!("hello, {host}")
}

/// The address to connect to.
#[electron]
fn connect(host: String, port: u16) -> String {
    format!("{host}:{port}")
}

/// Greets the host and builds its address from a port given as text.
#[lattice]
fn connect_to(host: String, port: String) -> String {
    let _greeting = greet(host.clone());
    let port = parse_port(port);
    connect(host, port)
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let dispatch = connect_to::dispatch("example.org".into(), "eighty".into()).await?;
    eprintln!("dispatch {}", dispatch.id());
    let result = dispatch.wait().await?;
    println!("{}", result.status());
    if let Err(e) = result.output() {
        println!("{e}");
    }
    Ok(())
}
