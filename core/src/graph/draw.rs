//! Drawing a graph as Graphviz DOT or Mermaid text, without running it.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use crate::graph::{Arg, Graph};
use crate::store::StoredDispatch;

/// Whether a node of this kind is computed in the dispatcher (a tuple split, a struct of
/// nodes): drawn without an executor.
fn in_dispatcher(kind: &str) -> bool {
    matches!(kind, "project" | "assemble")
}

/// What a drawing shows of one node.
#[derive(Debug, Clone)]
pub struct ViewNode {
    /// The node id.
    pub id: u32,
    /// Its display name.
    pub name: String,
    /// `electron`, `sublattice`, `project` or `assemble`.
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
            view.edges
                .extend(deps.into_iter().map(|(from, param)| ViewEdge {
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
    for n in tree
        .get(&parent)
        .into_iter()
        .flatten()
        .map(|&i| &view.nodes[i])
    {
        let shape = match n.kind.as_str() {
            "sublattice" => ", shape=box3d",
            "project" | "assemble" => ", shape=ellipse",
            _ => "",
        };
        let mut label = format!("{}\\n[{}]", escape(&n.name), escape(&n.executor));
        if in_dispatcher(&n.kind) {
            label = escape(&n.name);
        }
        let mut colour = String::new();
        if let Some(s) = &n.status {
            let _ = write!(label, "\\n{s}");
            if let Some((fill, border)) = status_colours(s) {
                colour =
                    format!(", style=\"rounded,filled\", fillcolor=\"{fill}\", color=\"{border}\"");
            }
        }
        let _ = writeln!(
            out,
            "{pad}n{} [label=\"{}\"{}{}];",
            n.id, label, shape, colour
        );
        if tree.contains_key(&Some(n.id)) {
            let _ = writeln!(out, "{pad}subgraph cluster_n{} {{", n.id);
            let _ = writeln!(
                out,
                "{pad}  label=\"built by n{} {}\";",
                n.id,
                escape(&n.name)
            );
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

fn mermaid_nodes(
    out: &mut String,
    view: &GraphView,
    tree: &Tree,
    parent: Option<u32>,
    depth: usize,
) {
    let pad = "    ".repeat(depth);
    for n in tree
        .get(&parent)
        .into_iter()
        .flatten()
        .map(|&i| &view.nodes[i])
    {
        let mut label = if in_dispatcher(&n.kind) {
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
            "project" | "assemble" => ("([", "])"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{DispatchStatus, NodeStatus};
    use crate::store::{DispatchSummary, NodeCounts, StoredNode};

    fn node(
        id: u32,
        name: &str,
        kind: &str,
        deps: &str,
        parent: Option<u32>,
        status: NodeStatus,
    ) -> StoredNode {
        StoredNode {
            id,
            name: name.into(),
            kind: kind.into(),
            electron: format!("t::{name}"),
            executor: "local".into(),
            deps: deps.into(),
            parent,
            status,
            output: None,
            output_json: None,
            error: None,
            started: None,
            ended: None,
            attempts: 0,
            stdout: None,
            stderr: None,
            job: None,
            cache_key: None,
            reused_from: None,
        }
    }

    fn stored(nodes: Vec<StoredNode>) -> StoredDispatch {
        StoredDispatch {
            summary: DispatchSummary {
                id: "d".into(),
                lattice: "t::outer".into(),
                status: DispatchStatus::Failed,
                created: std::time::SystemTime::UNIX_EPOCH,
                ended: None,
                node_count: nodes.len(),
                started: None,
                counts: NodeCounts::default(),
                driver_pid: None,
                driver_host: None,
            },
            started: None,
            inputs: Vec::new(),
            inputs_json: None,
            output: None,
            output_json: None,
            output_type: String::new(),
            error: None,
            program: None,
            build_id: None,
            driver_pid: None,
            driver_host: None,
            reuse_of: None,
            nodes,
        }
    }

    /// `count` feeds sub-lattice `inner` (which built `sq` and `sum`); `last` waits for `count`.
    fn sample() -> StoredDispatch {
        stored(vec![
            node(0, "count", "electron", "[]", None, NodeStatus::Completed),
            node(
                1,
                "inner",
                "sublattice",
                r#"[[0,"n"]]"#,
                None,
                NodeStatus::Failed,
            ),
            node(
                2,
                "last",
                "electron",
                "[[0,null]]",
                None,
                NodeStatus::UpstreamFailed,
            ),
            node(3, "sq", "electron", "[]", Some(1), NodeStatus::Completed),
            node(
                4,
                "sum",
                "electron",
                r#"[[3,"xs"]]"#,
                Some(1),
                NodeStatus::Failed,
            ),
            node(
                5,
                "bad \"deps\"",
                "electron",
                "not json",
                None,
                NodeStatus::New,
            ),
        ])
    }

    #[test]
    fn a_stored_dispatch_draws_its_edges_statuses_and_sub_lattices() {
        let view = GraphView::from_stored(&sample());
        assert_eq!(view.title, "t::outer");
        assert_eq!(view.nodes.len(), 6);
        assert_eq!(view.nodes[4].status.as_deref(), Some("FAILED"));
        assert_eq!(view.nodes[4].parent, Some(1));
        let edges: Vec<(u32, u32, Option<&str>)> = view
            .edges
            .iter()
            .map(|e| (e.from, e.to, e.param.as_deref()))
            .collect();
        assert_eq!(
            edges,
            [(0, 1, Some("n")), (0, 2, None), (3, 4, Some("xs"))],
            "unparsable deps draw nothing"
        );
        assert!(
            view.output.is_empty(),
            "the store does not say which node is the output"
        );

        let dot = dot(&view);
        assert!(dot.contains("n0 -> n1 [label=\"n\"];"), "{dot}");
        assert!(
            dot.contains("n0 -> n2 [style=dashed, label=\"wait_for\"];"),
            "{dot}"
        );
        assert!(
            dot.contains("  subgraph cluster_n1 {\n    label=\"built by n1 inner\";"),
            "{dot}"
        );
        assert!(dot.contains("    n4 [label=\"sum\\n[local]\\nFAILED\", style=\"rounded,filled\", fillcolor=\"#f8d7da\""), "{dot}");
        assert!(
            dot.contains("n5 [label=\"bad \\\"deps\\\"\\n[local]\\nNEW\"];"),
            "no colour for NEW: {dot}"
        );
        assert_eq!(dot.matches('{').count(), dot.matches('}').count(), "{dot}");

        let m = mermaid(&view);
        assert!(
            m.contains("    n1[[\"inner<br/>[local]<br/>FAILED\"]]\n"),
            "{m}"
        );
        assert!(m.contains("    subgraph s1[\"built by n1 inner\"]\n        n3(\"sq<br/>[local]<br/>COMPLETED\")"), "{m}");
        assert!(
            m.contains("        style n4 fill:#f8d7da,stroke:#dc3545\n    end\n"),
            "{m}"
        );
        assert!(
            m.contains("n5(\"bad #quot;deps#quot;<br/>[local]<br/>NEW\")"),
            "{m}"
        );
        assert!(m.contains("    n0 -.->|wait_for| n2"), "{m}");
    }

    #[test]
    fn nodes_whose_parent_is_missing_or_themselves_are_drawn_at_the_top() {
        let mut d = sample();
        d.nodes[3].parent = Some(99);
        d.nodes[0].parent = Some(0);
        let view = GraphView::from_stored(&d);
        let dot = dot(&view);
        assert!(
            dot.contains("\n  n3 [") && dot.contains("\n  n0 ["),
            "{dot}"
        );
        assert!(
            dot.contains("\n    n4 ["),
            "still in its sub-lattice: {dot}"
        );
    }
}
