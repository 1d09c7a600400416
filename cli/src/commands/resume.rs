//! `orbital resume <id>`: runs the program that dispatched it, in its resume mode.

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

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
            "dispatch {id} has already ended ({status}); there is nothing left to resume"
        ));
    }
    let Some(program) = d.program.as_deref() else {
        return fail(format!(
            "dispatch {id} does not record the program that dispatched it; \
             run that program yourself as `<program> {RESUME_FLAG} {id}`"
        ));
    };
    let path = Path::new(program);
    if !path.is_file() {
        return fail(format!(
            "cannot resume dispatch {id}: the program that dispatched it, {program}, does not exist any more \
             (rebuilt, moved or deleted?); run the program that holds lattice `{}` yourself as \
             `<program> {RESUME_FLAG} {id}`",
            d.summary.lattice
        ));
    }
    let (store, _) = ctx.store_path()?;
    let mut cmd = Command::new(path);
    cmd.arg(RESUME_FLAG)
        .arg(id)
        // The program resumes from the store the CLI read it from.
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
            "cannot run {program} to resume dispatch {id}: {e}; check that it is an executable \
             orbital program, or run it yourself as `{program} {RESUME_FLAG} {id}`"
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
        eprintln!("{program} {RESUME_FLAG} {id} exited with {status}");
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
