//! `orbital show <id>`: one dispatch and its nodes.

use std::io::Write;
use std::process::ExitCode;

use orbital_core::store::StoredDispatch;
use serde_json::json;

use super::{json_value, node_json};
use crate::context::Context;
use crate::error::Result;
use crate::format::{self, json_millis, json_time};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id (`orbital list` shows them).
    id: String,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let d = ctx.load(&args.id)?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let doc = dispatch_json(&d);
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = &d.summary;
    let mut head = format::pairs();
    head.add_row(["dispatch".to_owned(), s.id.clone()]);
    head.add_row(["lattice".to_owned(), s.lattice.clone()]);
    head.add_row(["status".to_owned(), s.status.to_string()]);
    let inputs = d.inputs_json.as_deref().unwrap_or("-");
    head.add_row(["inputs".to_owned(), format::shorten(inputs, 200)]);
    head.add_row([
        "created".to_owned(),
        format!("{} UTC", format::time(s.created)),
    ]);
    head.add_row(["started".to_owned(), stamp(d.started)]);
    let took = match (d.started, s.ended) {
        (Some(_), Some(_)) => format!(" (took {})", format::elapsed_or_dash(d.started, s.ended)),
        (Some(_), None) => format!(
            " (running for {})",
            format::elapsed_or_dash(d.started, None)
        ),
        _ => String::new(),
    };
    head.add_row(["ended".to_owned(), format!("{}{took}", stamp(s.ended))]);
    let c = s.counts;
    head.add_row([
        "nodes".to_owned(),
        format!(
            "{} total: {} completed, {} failed, {} upstream failed, {} cancelled, {} running, {} waiting",
            s.node_count, c.completed, c.failed, c.upstream_failed, c.cancelled, c.running, c.new
        ),
    ]);
    if let Some(p) = &d.program {
        let driver = match (d.driver_pid, &d.driver_host) {
            (Some(pid), Some(host)) => format!(" (driver: process {pid} on {host})"),
            _ => String::new(),
        };
        head.add_row(["program".to_owned(), format!("{p}{driver}")]);
    }
    if driver_alive(&d) == Some(false) {
        head.add_row([
            "driver".to_owned(),
            format!(
                "stopped before the dispatch ended: `orbital resume {}` runs the rest, `orbital cancel {}` gives up on it",
                s.id, s.id
            ),
        ]);
    }
    if let Some(from) = &d.reuse_of {
        head.add_row([
            "reuses".to_owned(),
            format!("the completed nodes of dispatch {from} (a redispatch)"),
        ]);
    }
    if let Some(e) = &d.error {
        head.add_row(["error".to_owned(), e.clone()]);
    }
    write!(out, "{}", format::render(&head))?;
    writeln!(out)?;

    let with_parent = d.nodes.iter().any(|n| n.parent.is_some());
    let mut header = vec![
        "NODE",
        "NAME",
        "STATUS",
        "EXECUTOR",
        "ATTEMPTS",
        "STARTED (UTC)",
        "DURATION",
        "ERROR",
    ];
    if with_parent {
        header.insert(2, "PARENT");
    }
    let mut t = format::table(header);
    for n in &d.nodes {
        let mut row = vec![
            n.id.to_string(),
            n.name.clone(),
            match &n.reused_from {
                Some((from, node)) => format!("{} (reused from {from}:{node})", n.status),
                None => n.status.to_string(),
            },
            n.executor.clone(),
            n.attempts.to_string(),
            format::time_or_dash(n.started),
            if n.started.is_some() {
                format::elapsed_or_dash(n.started, n.ended)
            } else {
                "-".to_owned()
            },
            n.error
                .as_deref()
                .map_or_else(|| "-".to_owned(), |e| format::shorten(e, 60)),
        ];
        if with_parent {
            row.insert(
                2,
                n.parent.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            );
        }
        t.add_row(row);
    }
    if d.nodes.is_empty() {
        writeln!(out, "no nodes stored yet")?;
    } else {
        write!(out, "{}", format::render(&t))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the driver of an unfinished dispatch still runs (see `DispatchSummary::driver_alive`).
fn driver_alive(d: &StoredDispatch) -> Option<bool> {
    d.summary.driver_alive()
}

fn stamp(t: Option<std::time::SystemTime>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| format!("{} UTC", format::time(t)))
}

/// A dispatch for `--json` output (stable keys).
pub fn dispatch_json(d: &StoredDispatch) -> serde_json::Value {
    let s = &d.summary;
    let c = s.counts;
    json!({
        "id": s.id,
        "lattice": s.lattice,
        "status": s.status.as_str(),
        "inputs": json_value(d.inputs_json.as_deref()),
        "output": json_value(d.output_json.as_deref()),
        "output_type": d.output_type,
        "error": d.error,
        "created": json_time(Some(s.created)),
        "started": json_time(d.started),
        "ended": json_time(s.ended),
        "duration_ms": if d.started.is_some() { json_millis(d.started, s.ended) } else { serde_json::Value::Null },
        "program": d.program,
        "build_id": d.build_id,
        "driver_pid": d.driver_pid,
        "driver_host": d.driver_host,
        "driver_alive": driver_alive(d),
        "reuse_of": d.reuse_of,
        "counts": {
            "total": s.node_count,
            "new": c.new,
            "running": c.running,
            "completed": c.completed,
            "failed": c.failed,
            "upstream_failed": c.upstream_failed,
            "cancelled": c.cancelled,
        },
        "nodes": d.nodes.iter().map(node_json).collect::<Vec<_>>(),
    })
}
