//! `orbital resume <id>`: runs the program that dispatched it, in its resume mode.

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use orbital_core::store::StoredDispatch;
use serde_json::json;

use crate::context::Context;
use crate::error::{fail, Result};

/// The argument that makes an orbital program resume a dispatch instead of running `main`.
pub const RESUME_FLAG: &str = "--orbital-resume";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id.
    id: String,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let d = ctx.load(&args.id)?;
    let id = &d.summary.id;
    let status = d.summary.status;
    if status.is_final() {
        return fail(format!(
            "dispatch {id} has already ended ({status}); there is nothing left to resume; \
             `orbital redispatch {id}` runs it again, reusing what is unchanged"
        ));
    }
    run_program(ctx, &d, &[RESUME_FLAG, id], "resume")
}

/// Runs the program that dispatched `d` as `program args...`, on the store the CLI reads,
/// and exits with its exit code. `verb` names what it does, for errors.
pub fn run_program(ctx: &mut Context, d: &StoredDispatch, args: &[&str], verb: &str) -> Result {
    let id = &d.summary.id;
    let shown = args.join(" ");
    let Some(program) = d.program.as_deref() else {
        return fail(format!(
            "dispatch {id} does not record the program that dispatched it; \
             run that program yourself as `<program> {shown}`"
        ));
    };
    let path = Path::new(program);
    if !path.is_file() {
        return fail(format!(
            "cannot {verb} dispatch {id}: the program that dispatched it, {program}, does not exist any more \
             (rebuilt, moved or deleted?); run the program that holds lattice `{}` yourself as \
             `<program> {shown}`",
            d.summary.lattice
        ));
    }
    let (store, _) = ctx.store_path()?;
    let mut cmd = Command::new(path);
    cmd.args(args)
        // The program works on the store the CLI read the dispatch from.
        .env(orbital_core::config::DB_ENV, &store)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit());
    // With --json, stdout carries only our JSON: the program's own stdout goes to stderr.
    cmd.stdout(if ctx.json {
        stderr_stdio()
    } else {
        Stdio::inherit()
    });
    let status = cmd.status().or_else(|e| {
        fail(format!(
            "cannot run {program} to {verb} dispatch {id}: {e}; check that it is an executable \
             orbital program, or run it yourself as `{program} {shown}`"
        ))
    })?;
    let code = exit_code(&status);
    if ctx.json {
        let doc = json!({ "id": id, "program": program, "exit_code": code });
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
    }
    if code != 0 {
        eprintln!("{program} {shown} exited with {status}");
    }
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}

/// The child's exit code; `128 + signal` when a signal ended it (as shells report it).
fn exit_code(status: &std::process::ExitStatus) -> i32 {
    if let Some(c) = status.code() {
        return c;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    1
}

fn stderr_stdio() -> Stdio {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(fd);
        }
    }
    Stdio::null()
}
