//! `orbital cancel <id> [node...]`: cancels a dispatch, whichever process runs it.

use std::io::Write;
use std::process::ExitCode;

use orbital_core::CancelOutcome;
use serde_json::json;

use super::select_nodes;
use crate::context::Context;
use crate::error::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id.
    id: String,
    /// Cancel only these nodes (ids, or names when only one node has it) and what depends on
    /// them; the rest goes on.
    nodes: Vec<String>,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let d = ctx.load(&args.id)?;
    let nodes = select_nodes(&d, &args.nodes)?;
    let rt = ctx.runtime_for(&args.id)?;
    let outcome = rt.cancel(&args.id, &nodes)?;
    let id = &args.id;
    let what = if nodes.is_empty() {
        format!("dispatch {id}")
    } else {
        let list: Vec<String> = nodes.iter().map(u32::to_string).collect();
        format!("node(s) {} of dispatch {id}", list.join(", "))
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let (name, status) = match outcome {
            CancelOutcome::Requested => ("requested", None),
            CancelOutcome::DriverGone => ("driver_gone", None),
            CancelOutcome::AlreadyEnded(s) => ("already_ended", Some(s.as_str())),
        };
        let doc = json!({
            "id": id,
            "nodes": nodes,
            "outcome": name,
            "status": status,
            "driver_pid": d.driver_pid,
            "driver_host": d.driver_host,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    match outcome {
        CancelOutcome::Requested => {
            let driver = match (d.driver_pid, &d.driver_host) {
                (Some(pid), Some(host)) => format!(" (process {pid} on {host})"),
                _ => String::new(),
            };
            writeln!(
                out,
                "asked the driver{driver} to cancel {what}; it stops within a second. \
                 `orbital show {id}` shows the result"
            )?;
        }
        CancelOutcome::DriverGone => writeln!(
            out,
            "the driver of dispatch {id} has stopped; marked {what} cancelled in the store"
        )?,
        CancelOutcome::AlreadyEnded(s) => writeln!(
            out,
            "dispatch {id} had already ended ({s}); nothing to cancel"
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
