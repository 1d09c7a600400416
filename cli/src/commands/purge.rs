//! `orbital purge`: deletes finished dispatches; `orbital purge --cache` empties the electron
//! cache (forgets every reuse key) and keeps the results.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use orbital_core::store::Purge;
use serde_json::json;

use crate::context::Context;
use crate::error::{fail, Result};
use crate::format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only dispatches that ended longer ago than this (`7d`, `12h`, `30m`).
    #[arg(long, value_name = "AGE", conflicts_with = "all")]
    older_than: Option<humantime::Duration>,
    /// Every dispatch, running ones included (their drivers can no longer record them).
    #[arg(long)]
    all: bool,
    /// Empty the electron cache instead: no earlier result is reused by `cache = true` or a
    /// redispatch after this. The dispatches and their results stay.
    #[arg(long, conflicts_with_all = ["all", "older_than"])]
    cache: bool,
    /// Do not ask for confirmation (needed when standard input is not a terminal).
    #[arg(long, short = 'y')]
    yes: bool,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    if args.cache {
        return cache(ctx);
    }
    if !args.yes && !std::io::stdin().is_terminal() {
        return fail(
            "refusing to purge without confirmation: standard input is not a terminal, so nobody can type `yes`; \
             pass --yes to purge from a script",
        );
    }
    let (path, _) = ctx.store_path()?;
    let which = if args.all {
        Purge::All
    } else if let Some(age) = args.older_than {
        let cutoff = SystemTime::now()
            .checked_sub(*age)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        Purge::FinishedBefore(cutoff)
    } else {
        Purge::Finished
    };
    let (kind, what) = match which {
        Purge::All => ("all", "dispatch(es), running ones included,".to_owned()),
        Purge::Finished => ("finished", "finished dispatch(es)".to_owned()),
        Purge::FinishedBefore(t) => (
            "finished_before",
            format!("dispatch(es) that ended before {} UTC", format::time(t)),
        ),
    };
    let Some(rt) = ctx.runtime()? else {
        return report(
            ctx.json,
            kind,
            0,
            &format!("nothing to purge: {} does not exist", path.display()),
        );
    };
    let candidates = rt
        .list(usize::MAX)?
        .into_iter()
        .filter(|d| match which {
            Purge::All => true,
            Purge::Finished => d.status.is_final(),
            Purge::FinishedBefore(t) => d.status.is_final() && d.ended.is_some_and(|e| e < t),
        })
        .count();
    if candidates == 0 {
        return report(
            ctx.json,
            kind,
            0,
            &format!("nothing to purge: no {what} in {}", path.display()),
        );
    }
    if !args.yes {
        eprint!(
            "delete {candidates} {what} from {}? type `yes` to confirm: ",
            path.display()
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            eprintln!("not purged: nothing was deleted");
            return Ok(ExitCode::FAILURE);
        }
    }
    let n = rt.store().purge(which)?;
    report(
        ctx.json,
        kind,
        n,
        &format!("deleted {n} {what} from {}", path.display()),
    )
}

/// `--cache`: nothing is deleted, so nothing is asked.
fn cache(ctx: &mut Context) -> Result {
    let (path, _) = ctx.store_path()?;
    let Some(rt) = ctx.runtime()? else {
        return report(
            ctx.json,
            "cache",
            0,
            &format!("the cache is empty: {} does not exist", path.display()),
        );
    };
    let n = rt.store().forget_cache()?;
    report(
        ctx.json,
        "cache",
        n,
        &format!(
            "emptied the cache of {}: {n} result(s) will not be reused; they stay in their dispatches",
            path.display()
        ),
    )
}

fn report(json: bool, kind: &str, n: usize, text: &str) -> Result {
    let mut out = std::io::stdout().lock();
    if json {
        let doc = json!({ "purged": n, "which": kind });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
    } else {
        writeln!(out, "{text}")?;
    }
    Ok(ExitCode::SUCCESS)
}
