//! `orbital list`: the most recent dispatches.

use std::io::Write;
use std::process::ExitCode;

use orbital_core::store::DispatchSummary;
use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::format::{self, json_millis, json_time};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many dispatches to show.
    #[arg(long, short = 'n', default_value_t = 20, value_name = "N")]
    limit: usize,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let (path, _) = ctx.store_path()?;
    let list = match ctx.runtime()? {
        Some(rt) => rt.list(args.limit)?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let dispatches: Vec<_> = list.iter().map(summary_json).collect();
        let doc = json!({ "store": path.display().to_string(), "dispatches": dispatches });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        let why = if path.exists() {
            ""
        } else {
            " (the file does not exist yet)"
        };
        writeln!(out, "no dispatches in {}{why}", path.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = format::table([
        "ID",
        "LATTICE",
        "STATUS",
        "DONE",
        "FAILED",
        "RUNNING",
        "TOTAL",
        "CREATED (UTC)",
        "DURATION",
        "DRIVER",
    ]);
    for d in &list {
        let c = d.counts;
        t.add_row([
            d.id.clone(),
            d.lattice.clone(),
            match d.driver_alive() {
                Some(false) => format!("{} (driver gone)", d.status),
                _ => d.status.to_string(),
            },
            c.completed.to_string(),
            (c.failed + c.upstream_failed).to_string(),
            c.running.to_string(),
            d.node_count.to_string(),
            format::time(d.created),
            format::elapsed_or_dash(Some(d.started.unwrap_or(d.created)), d.ended),
            driver(d),
        ]);
    }
    write!(out, "{}", format::render(&t))?;
    Ok(ExitCode::SUCCESS)
}

/// The process driving an unfinished dispatch (`-` once it has ended).
fn driver(d: &DispatchSummary) -> String {
    if d.status.is_final() {
        return "-".to_owned();
    }
    match (d.driver_pid, d.driver_alive()) {
        (Some(pid), Some(_)) => format!("pid {pid}"),
        (Some(pid), None) => format!(
            "pid {pid} on {}",
            d.driver_host.as_deref().unwrap_or("another host")
        ),
        (None, _) => "none yet".to_owned(),
    }
}

fn summary_json(d: &DispatchSummary) -> serde_json::Value {
    let c = d.counts;
    json!({
        "id": d.id,
        "lattice": d.lattice,
        "status": d.status.as_str(),
        "counts": {
            "total": d.node_count,
            "new": c.new,
            "running": c.running,
            "completed": c.completed,
            "failed": c.failed,
            "upstream_failed": c.upstream_failed,
            "cancelled": c.cancelled,
        },
        "created": json_time(Some(d.created)),
        "started": json_time(d.started),
        "ended": json_time(d.ended),
        "duration_ms": json_millis(Some(d.started.unwrap_or(d.created)), d.ended),
        "driver_pid": d.driver_pid,
        "driver_alive": d.driver_alive(),
    })
}
