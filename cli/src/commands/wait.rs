//! `orbital wait <id> [--timeout 10m]`: waits until a dispatch ends, whichever process runs
//! it, then prints its output as JSON (as `orbital output` does). Exits 0 when it completed,
//! 1 when it failed or was cancelled (the error on stderr), 2 when the timeout passed or its
//! driver is gone (it will not end by itself: `orbital resume` continues it).

use std::process::ExitCode;
use std::time::Duration;

use orbital_core::{DispatchStatus, Error};

use super::output;
use crate::context::Context;
use crate::error::{fail, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id.
    id: String,
    /// Give up after this long (`30s`, `10m`, `2h`); the dispatch goes on. Default: no limit.
    #[arg(long, value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let rt = ctx.runtime_for(&args.id)?.clone();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let ended = tokio.block_on(rt.wait(&args.id, args.timeout));
    match ended {
        Ok(r) => {
            let printed = output::run(ctx, output::Args::of(&args.id));
            match r.status() {
                DispatchStatus::Completed => printed,
                _ => printed.and(Ok(ExitCode::FAILURE)),
            }
        }
        Err(e @ Error::Wait { .. }) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => fail(e.to_string()),
    }
}
