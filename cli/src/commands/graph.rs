//! `orbital graph <id>`: a dispatch's graph, drawn with node statuses.

use std::io::Write;
use std::process::ExitCode;

use orbital_core::draw::{self, GraphView};
use serde_json::json;

use crate::context::Context;
use crate::error::Result;

/// How to draw.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// A Mermaid flowchart (renders in GitHub and GitLab Markdown).
    Mermaid,
    /// Graphviz DOT (`| dot -Tsvg > graph.svg`).
    Dot,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dispatch id.
    id: String,
    /// The drawing's language.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
}

pub fn run(ctx: &mut Context, args: Args) -> Result {
    let d = ctx.load(&args.id)?;
    let view = GraphView::from_stored(&d);
    let (name, text) = match args.format {
        Format::Mermaid => ("mermaid", draw::mermaid(&view)),
        Format::Dot => ("dot", draw::dot(&view)),
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let doc = json!({
            "id": d.summary.id,
            "lattice": d.summary.lattice,
            "format": name,
            "text": text,
            "nodes": view.nodes.iter().map(|n| json!({
                "id": n.id,
                "name": n.name,
                "kind": n.kind,
                "executor": n.executor,
                "status": n.status,
                "parent": n.parent,
            })).collect::<Vec<_>>(),
            "edges": view.edges.iter().map(|e| json!({
                "from": e.from,
                "to": e.to,
                "param": e.param,
            })).collect::<Vec<_>>(),
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
    } else {
        write!(out, "{text}")?;
    }
    Ok(ExitCode::SUCCESS)
}
