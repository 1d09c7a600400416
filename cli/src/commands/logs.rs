//! `orbital logs <id> [node]`: what nodes printed, as their executors captured it;
//! `orbital logs <id> --driver`: what a detached dispatch's driver process printed.

use std::io::Write;
use std::process::ExitCode;

use orbital_core::store::StoredNode;
use serde_json::json;

use super::select_node;
use crate::context::Context;
use crate::error::{fail, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id.
    id: String,
    /// One node only: its id, or its name when only one node has it.
    #[arg(conflicts_with = "driver")]
    node: Option<String>,
    /// The log of the dispatch's detached driver (`submit`, `--orbital-detach`) instead.
    #[arg(long)]
    driver: bool,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let d = ctx.load(&args.id)?;
    if args.driver {
        return driver(ctx, &d.summary.id);
    }
    let nodes: Vec<&StoredNode> = match &args.node {
        Some(which) => vec![select_node(&d, which)?],
        // Electrons are what run and print; sub-lattice and tuple-field nodes do not.
        None => d.nodes.iter().filter(|n| n.kind == "electron").collect(),
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let doc = json!({
            "id": d.summary.id,
            "nodes": nodes.iter().map(|n| json!({
                "id": n.id,
                "name": n.name,
                "status": n.status.as_str(),
                "executor": n.executor,
                "stdout": n.stdout,
                "stderr": n.stderr,
            })).collect::<Vec<_>>(),
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if nodes.is_empty() {
        writeln!(
            out,
            "dispatch {} has no electron nodes stored yet",
            d.summary.id
        )?;
    }
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "==> node {} {} ({}, executor {}) <==",
            n.id, n.name, n.status, n.executor
        )?;
        if n.stdout.is_none() && n.stderr.is_none() {
            writeln!(out, "{}", nothing_captured(n))?;
            continue;
        }
        for (stream, text) in [("stdout", &n.stdout), ("stderr", &n.stderr)] {
            match text.as_deref() {
                None => writeln!(out, "--- {stream}: not captured")?,
                Some("") => writeln!(out, "--- {stream}: empty")?,
                Some(t) => {
                    writeln!(out, "--- {stream}:")?;
                    out.write_all(t.as_bytes())?;
                    if !t.ends_with('\n') {
                        writeln!(out)?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The detached driver's log, as it is now.
fn driver(ctx: &mut Context, id: &str) -> Result {
    let (store, _) = ctx.store_path()?;
    let path = orbital_core::detach::driver_log(&store, id);
    let text = match std::fs::read(&path) {
        Ok(t) => String::from_utf8_lossy(&t).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fail(format!(
                "dispatch {id} has no driver log ({} does not exist): only a detached dispatch \
                 (`submit`, or a program run with --orbital-detach) has one; its driver was this \
                 program's own process",
                path.display()
            ))
        }
        Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let doc = json!({ "id": id, "path": path.display().to_string(), "log": text });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn nothing_captured(n: &StoredNode) -> String {
    if !n.status.is_final() && n.status != orbital_core::NodeStatus::Running {
        return "(nothing captured: it has not run yet)".to_owned();
    }
    if n.kind != "electron" {
        return format!(
            "(nothing captured: a {} node runs no code of its own)",
            n.kind
        );
    }
    if n.executor == "local" || n.executor.starts_with("local") {
        return "(nothing captured: the local executor runs electrons inside the driver's process, \
                where their output goes to the driver's own stdout and stderr; \
                run them on the process executor to capture it)"
            .to_owned();
    }
    format!("(nothing captured by the {} executor)", n.executor)
}
