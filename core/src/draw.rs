//! Drawing a graph as Graphviz DOT or Mermaid text, without running it.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use crate::graph::{Arg, Graph};
use crate::store::StoredDispatch;

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
    /// The sub-lattice node that built it (drawn inside that node's box).
    pub parent: Option<u32>,
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
                parent: n.parent.map(|p| p.0),
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

    /// The view of a stored dispatch: every node it ran (sub-lattices' nodes included, drawn
    /// inside the sub-lattice that built them), with its status. The store does not record
    /// which node is the lattice's output, so this view has no output marker.
    pub fn from_stored(dispatch: &StoredDispatch) -> GraphView {
        let mut view = GraphView {
            title: dispatch.summary.lattice.clone(),
            ..GraphView::default()
        };
        for n in &dispatch.nodes {
            view.nodes.push(ViewNode {
                id: n.id,
                name: n.name.clone(),
                kind: n.kind.clone(),
                executor: n.executor.clone(),
                status: Some(n.status.as_str().to_owned()),
                parent: n.parent,
            });
            // `[[from, "param" or null], ...]`; a row that does not parse draws no edges.
            let deps: Vec<(u32, Option<String>)> =
                serde_json::from_str(&n.deps).unwrap_or_default();
            view.edges.extend(deps.into_iter().map(|(from, param)| ViewEdge {
                from,
                to: n.id,
                param,
            }));
        }
        view
    }

    /// The nodes (as indexes) built by each sub-lattice node; `None`: the top level, which
    /// also takes nodes whose parent is not in the view.
    fn tree(&self) -> HashMap<Option<u32>, Vec<usize>> {
        let ids: HashSet<u32> = self.nodes.iter().map(|n| n.id).collect();
        let mut tree: HashMap<Option<u32>, Vec<usize>> = HashMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let parent = n.parent.filter(|p| ids.contains(p) && *p != n.id);
            tree.entry(parent).or_default().push(i);
        }
        tree
    }
}

/// Colours of a node by status (fill, border), for drawings of dispatches.
fn status_colours(status: &str) -> Option<(&'static str, &'static str)> {
    Some(match status {
        "COMPLETED" => ("#d4edda", "#28a745"),
        "RUNNING" => ("#fff3cd", "#e0a800"),
        "FAILED" => ("#f8d7da", "#dc3545"),
        "UPSTREAM_FAILED" | "CANCELLED" => ("#e2e3e5", "#6c757d"),
        _ => return None,
    })
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

type Tree = HashMap<Option<u32>, Vec<usize>>;

fn dot_nodes(out: &mut String, view: &GraphView, tree: &Tree, parent: Option<u32>, depth: usize) {
    let pad = "  ".repeat(depth);
    for n in tree.get(&parent).into_iter().flatten().map(|&i| &view.nodes[i]) {
        let shape = match n.kind.as_str() {
            "sublattice" => ", shape=box3d",
            "project" => ", shape=ellipse",
            _ => "",
        };
        let mut label = format!("{}\\n[{}]", escape(&n.name), escape(&n.executor));
        if n.kind == "project" {
            label = escape(&n.name);
        }
        let mut colour = String::new();
        if let Some(s) = &n.status {
            let _ = write!(label, "\\n{s}");
            if let Some((fill, border)) = status_colours(s) {
                colour = format!(", style=\"rounded,filled\", fillcolor=\"{fill}\", color=\"{border}\"");
            }
        }
        let _ = writeln!(out, "{pad}n{} [label=\"{}\"{}{}];", n.id, label, shape, colour);
        if tree.contains_key(&Some(n.id)) {
            let _ = writeln!(out, "{pad}subgraph cluster_n{} {{", n.id);
            let _ = writeln!(out, "{pad}  label=\"built by n{} {}\";", n.id, escape(&n.name));
            let _ = writeln!(out, "{pad}  style=dashed;");
            dot_nodes(out, view, tree, Some(n.id), depth + 1);
            let _ = writeln!(out, "{pad}}}");
        }
    }
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
    dot_nodes(&mut out, view, &view.tree(), None, 1);
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

fn mermaid_nodes(out: &mut String, view: &GraphView, tree: &Tree, parent: Option<u32>, depth: usize) {
    let pad = "    ".repeat(depth);
    for n in tree.get(&parent).into_iter().flatten().map(|&i| &view.nodes[i]) {
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
        let _ = writeln!(out, "{pad}n{}{}\"{}\"{}", n.id, open, label, close);
        if let Some((fill, border)) = n.status.as_deref().and_then(status_colours) {
            let _ = writeln!(out, "{pad}style n{} fill:{fill},stroke:{border}", n.id);
        }
        if tree.contains_key(&Some(n.id)) {
            let _ = writeln!(
                out,
                "{pad}subgraph s{}[\"built by n{} {}\"]",
                n.id,
                n.id,
                mermaid_text(&n.name)
            );
            mermaid_nodes(out, view, tree, Some(n.id), depth + 1);
            let _ = writeln!(out, "{pad}end");
        }
    }
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
    mermaid_nodes(&mut out, view, &view.tree(), None, 1);
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
