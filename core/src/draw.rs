//! Drawing a graph as Graphviz DOT or Mermaid text, without running it.

use std::fmt::Write;

use crate::graph::{Arg, Graph};

/// What a drawing shows of one node.
#[derive(Debug, Clone)]
pub struct ViewNode {
    /// The node id.
    pub id: u32,
    /// Its display name.
    pub name: String,
    /// `electron`, `sublattice` or `project`.
    pub kind: String,
    /// Its executor's label.
    pub executor: String,
    /// Its status, when drawn from a dispatch.
    pub status: Option<String>,
}

/// What a drawing shows of one edge.
#[derive(Debug, Clone)]
pub struct ViewEdge {
    /// The node the value (or ordering) comes from.
    pub from: u32,
    /// The node it goes to.
    pub to: u32,
    /// The parameter it feeds; `None` for ordering-only edges (`wait_for`).
    pub param: Option<String>,
}

/// A graph reduced to what a drawing shows.
#[derive(Debug, Clone, Default)]
pub struct GraphView {
    /// The title (the lattice's name).
    pub title: String,
    /// The nodes.
    pub nodes: Vec<ViewNode>,
    /// The edges.
    pub edges: Vec<ViewEdge>,
    /// The node(s) whose value is the lattice's output.
    pub output: Vec<u32>,
}

impl GraphView {
    /// The view of a built graph.
    pub fn from_graph(title: &str, graph: &Graph, output: &Arg) -> GraphView {
        let mut view = GraphView {
            title: title.to_owned(),
            ..GraphView::default()
        };
        for (i, n) in graph.nodes.iter().enumerate() {
            let id = i as u32;
            view.nodes.push(ViewNode {
                id,
                name: n.name.clone(),
                kind: n.op.kind().to_owned(),
                executor: n.executor.label(),
                status: None,
            });
            for (p, arg) in n.args.iter().enumerate() {
                for dep in arg.deps() {
                    view.edges.push(ViewEdge {
                        from: dep.0,
                        to: id,
                        param: Some(n.op.param_name(p).to_owned()),
                    });
                }
            }
            for dep in &n.after {
                view.edges.push(ViewEdge {
                    from: dep.0,
                    to: id,
                    param: None,
                });
            }
        }
        view.output = output.deps().iter().map(|d| d.0).collect();
        view
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The view as Graphviz DOT.
///
/// ```
/// let view = orbital_core::draw::GraphView { title: "empty".into(), ..Default::default() };
/// assert!(orbital_core::draw::dot(&view).starts_with("digraph \"empty\" {"));
/// ```
pub fn dot(view: &GraphView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(&view.title));
    let _ = writeln!(out, "  rankdir=TB;");
    let _ = writeln!(
        out,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"
    );
    for n in &view.nodes {
        let shape = match n.kind.as_str() {
            "sublattice" => ", shape=box3d",
            "project" => ", shape=ellipse",
            _ => "",
        };
        let mut label = format!("{}\\n[{}]", escape(&n.name), escape(&n.executor));
        if n.kind == "project" {
            label = escape(&n.name);
        }
        if let Some(s) = &n.status {
            let _ = write!(label, "\\n{s}");
        }
        let _ = writeln!(out, "  n{} [label=\"{}\"{}];", n.id, label, shape);
    }
    for e in &view.edges {
        match &e.param {
            Some(p) => {
                let _ = writeln!(out, "  n{} -> n{} [label=\"{}\"];", e.from, e.to, escape(p));
            }
            None => {
                let _ = writeln!(
                    out,
                    "  n{} -> n{} [style=dashed, label=\"wait_for\"];",
                    e.from, e.to
                );
            }
        }
    }
    if !view.output.is_empty() {
        let _ = writeln!(out, "  output [shape=doublecircle, label=\"output\"];");
        for o in &view.output {
            let _ = writeln!(out, "  n{o} -> output;");
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// The view as a Mermaid flowchart.
///
/// ```
/// let view = orbital_core::draw::GraphView { title: "empty".into(), ..Default::default() };
/// assert!(orbital_core::draw::mermaid(&view).starts_with("flowchart TD"));
/// ```
pub fn mermaid(view: &GraphView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    for n in &view.nodes {
        let mut label = if n.kind == "project" {
            mermaid_text(&n.name)
        } else {
            format!(
                "{}<br/>[{}]",
                mermaid_text(&n.name),
                mermaid_text(&n.executor)
            )
        };
        if let Some(s) = &n.status {
            let _ = write!(label, "<br/>{s}");
        }
        let (open, close) = match n.kind.as_str() {
            "sublattice" => ("[[", "]]"),
            "project" => ("([", "])"),
            _ => ("(", ")"),
        };
        let _ = writeln!(out, "    n{}{}\"{}\"{}", n.id, open, label, close);
    }
    for e in &view.edges {
        match &e.param {
            Some(p) => {
                let _ = writeln!(out, "    n{} -->|{}| n{}", e.from, mermaid_text(p), e.to);
            }
            None => {
                let _ = writeln!(out, "    n{} -.->|wait_for| n{}", e.from, e.to);
            }
        }
    }
    if !view.output.is_empty() {
        let _ = writeln!(out, "    output((output))");
        for o in &view.output {
            let _ = writeln!(out, "    n{o} --> output");
        }
    }
    out
}
