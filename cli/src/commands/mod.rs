//! One module per command; helpers they share.

pub mod cancel;
pub mod config;
pub mod graph;
pub mod list;
pub mod logs;
pub mod output;
pub mod purge;
pub mod redispatch;
pub mod resume;
pub mod show;
pub mod wait;

use orbital_core::store::{StoredDispatch, StoredNode};
use serde_json::{json, Value};

use crate::error::{fail, Result};
use crate::format::{json_millis, json_time};

/// The node a user named: by id (`3`) or by name (`excitement`, when only one node has it).
pub fn select_node<'a>(d: &'a StoredDispatch, which: &str) -> Result<&'a StoredNode> {
    let id = &d.summary.id;
    if let Ok(n) = which.parse::<u32>() {
        return match d.nodes.iter().find(|x| x.id == n) {
            Some(node) => Ok(node),
            None => fail(format!(
                "dispatch {id} has no node {n} (its nodes are 0 to {}); `orbital show {id}` lists them",
                d.nodes.len().saturating_sub(1)
            )),
        };
    }
    let named: Vec<&StoredNode> = d.nodes.iter().filter(|x| x.name == which).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut names: Vec<&str> = d.nodes.iter().map(|x| x.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            let more = names.len().saturating_sub(12);
            names.truncate(12);
            let mut list = names.join(", ");
            if more > 0 {
                list.push_str(&format!(" and {more} more"));
            }
            fail(format!(
                "dispatch {id} has no node named `{which}`; its nodes are named: {list}; give a node id or one of those names"
            ))
        }
        many => fail(format!(
            "dispatch {id} has {} nodes named `{which}` (ids {}); give the node id instead",
            many.len(),
            many.iter()
                .map(|n| n.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The nodes a user named, as ids.
pub fn select_nodes(d: &StoredDispatch, which: &[String]) -> Result<Vec<u32>> {
    which
        .iter()
        .map(|w| select_node(d, w).map(|n| n.id))
        .collect()
}

/// Stored JSON text as a value (`null` when absent; a string when it does not parse).
pub fn json_value(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_owned())),
    }
}

/// A node's edges in: `[[from, "param" or null], ...]` as stored.
pub fn deps(n: &StoredNode) -> Vec<(u32, Option<String>)> {
    serde_json::from_str(&n.deps).unwrap_or_default()
}

/// A node for `--json` output (stable keys).
pub fn node_json(n: &StoredNode) -> Value {
    json!({
        "id": n.id,
        "name": n.name,
        "kind": n.kind,
        "electron": n.electron,
        "executor": n.executor,
        "status": n.status.as_str(),
        "attempts": n.attempts,
        "parent": n.parent,
        "deps": deps(n).into_iter().map(|(from, param)| json!({"from": from, "param": param})).collect::<Vec<_>>(),
        "started": json_time(n.started),
        "ended": json_time(n.ended),
        "duration_ms": if n.started.is_some() { json_millis(n.started, n.ended) } else { Value::Null },
        "error": n.error,
        "job": n.job,
        "output": json_value(n.output_json.as_deref()),
        "stdout_captured": n.stdout.is_some(),
        "stderr_captured": n.stderr.is_some(),
        "reused_from": n.reused_from.as_ref().map(|(d, node)| json!({"dispatch": d, "node": node})),
    })
}
