//! `orbital`: look at, cancel, resume and clean up the dispatches in an orbital results store.
//!
//! Every command reads the same SQLite file the programs write (WAL), with its own
//! connection, so it works while a dispatch is running in another process.

mod commands;
mod context;
mod error;
mod format;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::context::Context;

/// Look at, cancel, resume and clean up orbital dispatches.
///
/// The results store is `--db`, else `$ORBITAL_DB`, else `[store] path` in orbital.toml, else
/// `$ORBITAL_DATA_DIR/orbital.db`, else the platform data dir
/// (`~/.local/share/orbital/orbital.db` on Linux): the same file the programs use.
#[derive(Debug, Parser)]
#[command(name = "orbital", version, about, long_about)]
struct Cli {
    /// The results store (SQLite file) to use.
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<std::path::PathBuf>,
    /// The configuration file to read instead of `$ORBITAL_CONFIG_DIR/orbital.toml` (or the
    /// platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<std::path::PathBuf>,
    /// Print machine-readable JSON (stable keys) instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The most recent dispatches, newest first.
    List(commands::list::Args),
    /// A dispatch: status, inputs, times, error, and a table of its nodes.
    Show(commands::show::Args),
    /// Captured standard output and error of a dispatch's nodes (or one node).
    Logs(commands::logs::Args),
    /// The output of a dispatch (or one node) as JSON.
    Output(commands::output::Args),
    /// Waits until a dispatch ends (whichever process runs it), then prints its output as JSON.
    Wait(commands::wait::Args),
    /// Cancels a dispatch (or chosen nodes), whichever process runs it.
    Cancel(commands::cancel::Args),
    /// Resumes a dispatch whose driver stopped, by running the program that dispatched it.
    Resume(commands::resume::Args),
    /// Dispatches a dispatch's lattice again with its inputs, by running the program that
    /// dispatched it; nodes whose electron code and arguments are unchanged are reused.
    Redispatch(commands::redispatch::Args),
    /// Draws a dispatch's graph, with node statuses, as Mermaid or Graphviz DOT.
    Graph(commands::graph::Args),
    /// Deletes finished dispatches from the store (or, with --cache, forgets reuse keys).
    Purge(commands::purge::Args),
    /// The configuration in force: its file, the results store, the executors.
    Config(commands::config::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut ctx = Context::new(cli.db, cli.config, cli.json);
    let result = match cli.command {
        Command::List(a) => commands::list::run(&mut ctx, a),
        Command::Show(a) => commands::show::run(&mut ctx, a),
        Command::Logs(a) => commands::logs::run(&mut ctx, a),
        Command::Output(a) => commands::output::run(&mut ctx, a),
        Command::Wait(a) => commands::wait::run(&mut ctx, a),
        Command::Cancel(a) => commands::cancel::run(&mut ctx, a),
        Command::Resume(a) => commands::resume::run(&mut ctx, a),
        Command::Redispatch(a) => commands::redispatch::run(&mut ctx, a),
        Command::Graph(a) => commands::graph::run(&mut ctx, a),
        Command::Purge(a) => commands::purge::run(&mut ctx, a),
        Command::Config(a) => commands::config::run(&mut ctx, a),
    };
    error::exit(result)
}
