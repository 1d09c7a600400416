//! `--orbital-query`: what this build is and which electrons and lattices it holds.

use crate::graph::registry::Registry;
use crate::task::protocol;

/// What `--orbital-query` prints: the build identity and the electrons with their signatures.
///
/// # Errors
/// When the registry has duplicate names.
pub fn query() -> Result<serde_json::Value, crate::Error> {
    let registry = Registry::get()?;
    let electrons: Vec<serde_json::Value> = registry
        .electrons()
        .iter()
        .map(|e| serde_json::json!({ "name": e.name, "signature": e.signature }))
        .collect();
    let lattices: Vec<serde_json::Value> = registry
        .lattices()
        .iter()
        .map(|l| serde_json::json!({ "name": l.name, "signature": l.signature }))
        .collect();
    Ok(serde_json::json!({
        "build_id": crate::task::identity::current().ok(),
        "protocol": protocol::VERSION,
        "program": std::env::current_exe().ok().map(|p| p.display().to_string()),
        "electrons": electrons,
        "lattices": lattices,
    }))
}
