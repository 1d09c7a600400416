//! `orbital redispatch <id>`: runs the program that dispatched it, in its redispatch mode: the
//! same lattice and inputs again, reusing every node whose electron code and arguments are
//! unchanged (Covalent's `ct.redispatch(id, reuse_previous_results=True)`).

use super::resume::run_program;
use crate::context::Context;
use crate::error::Result;

/// The argument that makes an orbital program redispatch a dispatch.
pub const REDISPATCH_FLAG: &str = "--orbital-redispatch";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id.
    id: String,
    /// Run every node again, even those whose electron code and arguments are unchanged.
    #[arg(long)]
    no_reuse: bool,
    /// Hand the new dispatch to a background driver and print its id, instead of waiting.
    #[arg(long)]
    detach: bool,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let d = ctx.load(&args.id)?;
    let mut argv = vec![REDISPATCH_FLAG, d.summary.id.as_str()];
    if args.no_reuse {
        argv.push("--no-reuse");
    }
    if args.detach {
        argv.push("--detach");
    }
    run_program(ctx, &d, &argv, "redispatch")
}
