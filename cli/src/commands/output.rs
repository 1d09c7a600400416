//! `orbital output <id> [node]`: an output as JSON.

use std::io::Write;
use std::process::ExitCode;

use orbital_core::{DispatchStatus, NodeStatus};
use serde_json::{json, Value};

use super::select_node;
use crate::context::Context;
use crate::error::{fail, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id.
    id: String,
    /// One node's output instead of the dispatch's: its id, or its name when only one node
    /// has it.
    node: Option<String>,
}

impl Args {
    /// The dispatch's own output (no node).
    pub fn of(id: &str) -> Args {
        Args {
            id: id.to_owned(),
            node: None,
        }
    }
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let d = ctx.load(&args.id)?;
    let id = &d.summary.id;
    let (value, node) = match &args.node {
        None => {
            let status = d.summary.status;
            let value = match (&d.output_json, &d.output) {
                (Some(text), _) => parse(text)?,
                (None, Some(bytes)) => {
                    return fail(format!(
                        "the output of dispatch {id} (a `{}`, {} bytes encoded) is too large to render as JSON; \
                         read it in Rust with `orbital::get_result(\"{id}\")?.output_as::<T>()`",
                        d.output_type,
                        bytes.len()
                    ))
                }
                (None, None) if !status.is_final() => {
                    return fail(format!(
                        "dispatch {id} has not finished ({status}), so it has no output yet; \
                         `orbital show {id}` shows how far it is"
                    ))
                }
                (None, None) => {
                    let why = match (status, &d.error) {
                        (DispatchStatus::Cancelled, _) => "it was cancelled".to_owned(),
                        (_, Some(e)) => e.clone(),
                        _ => "no reason was recorded".to_owned(),
                    };
                    return fail(format!(
                        "dispatch {id} ended {status} without an output: {why}; \
                         `orbital show {id}` shows every node's error"
                    ));
                }
            };
            (value, None)
        }
        Some(which) => {
            let n = select_node(&d, which)?;
            let value = match (&n.output_json, &n.output) {
                (Some(text), _) => parse(text)?,
                (None, Some(bytes)) => {
                    return fail(format!(
                        "the output of node {} `{}` of dispatch {id} ({} bytes encoded) is too large to render as JSON; \
                         read it in Rust with `get_result(..).node(..).output_as::<T>()`",
                        n.id,
                        n.name,
                        bytes.len()
                    ))
                }
                (None, None) => {
                    let why = match n.status {
                        NodeStatus::New | NodeStatus::Running => {
                            format!("it has not finished ({})", n.status)
                        }
                        s => match &n.error {
                            Some(e) => format!("it ended {s}: {e}"),
                            None => format!("it ended {s}"),
                        },
                    };
                    return fail(format!(
                        "node {} `{}` of dispatch {id} has no output: {why}",
                        n.id, n.name
                    ));
                }
            };
            (value, Some(n))
        }
    };
    let mut out = std::io::stdout().lock();
    let doc = if ctx.json {
        json!({
            "id": id,
            "node": node.map(|n| n.id),
            "status": node.map_or(d.summary.status.as_str(), |n| n.status.as_str()),
            "output": value,
        })
    } else {
        value
    };
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).expect("JSON values print")
    )?;
    Ok(ExitCode::SUCCESS)
}

fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).or_else(|e| {
        fail(format!(
            "the stored output is not valid JSON ({e}); the store may be damaged"
        ))
    })
}
