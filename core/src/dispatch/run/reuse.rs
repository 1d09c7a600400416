//! Reuse: an electron node takes the output of an earlier completed node with the same reuse
//! key (its electron's name and code hash, and its encoded arguments) instead of running. The
//! earlier node is one of the dispatch this one redispatches, or, for
//! `#[electron(cache = true)]`, of any dispatch in the store.

use std::sync::Arc;

use bytes::Bytes;

use super::state::Run;
use crate::store::{CacheKey, Reusable};
use crate::task::ElectronDef;

/// The reuse key of a call of `def` with these encoded arguments.
///
/// It covers the registered name, the code hash the macro computed from the function's tokens
/// (and its `version` option), and every argument's bytes, each prefixed by its length.
pub(crate) fn reuse_key(def: &ElectronDef, args: &[Bytes]) -> CacheKey {
    let mut h = blake3::Hasher::new();
    h.update(b"orbital-reuse-v1\0");
    h.update(def.name.as_bytes());
    h.update(b"\0");
    h.update(def.code_hash.as_bytes());
    h.update(b"\0");
    for a in args {
        h.update(&(a.len() as u64).to_le_bytes());
        h.update(a);
    }
    let mut key = [0u8; 16];
    key.copy_from_slice(&h.finalize().as_bytes()[..16]);
    key
}

impl Run {
    /// Completes an electron node with an earlier result of the same key, when there is one,
    /// and says whether it did. A failed cache lookup is a miss (logged), never a failure.
    pub(super) fn try_reuse(&mut self, node: u32, def: &'static ElectronDef) -> bool {
        if self.reuse.earlier.is_empty() && !def.cache {
            return false;
        }
        let spec = &self.graph.nodes[node as usize];
        let args: Vec<Bytes> = spec.args.iter().map(|a| self.value_of(a)).collect();
        let key = reuse_key(def, &args);
        self.nodes[node as usize].key = Some(key);
        let found = match self.reuse.earlier.get(&key) {
            Some(r) => Some(r.clone()),
            None if def.cache => self.cached(&key),
            None => None,
        };
        let Some(r) = found else {
            return false;
        };
        tracing::debug!(dispatch = %self.id, node, from = %r.dispatch, from_node = r.node, "reused");
        let st = &mut self.nodes[node as usize];
        st.reused_from = Some((Arc::from(r.dispatch), r.node));
        self.complete(node, r.output, Some(std::time::SystemTime::now()));
        true
    }

    /// A completed node of any dispatch with this key.
    fn cached(&mut self, key: &CacheKey) -> Option<Reusable> {
        let store = self.shared.store().clone();
        if self.reuse.conn.is_none() {
            match store.reader() {
                Ok(c) => self.reuse.conn = Some(c),
                Err(e) => {
                    tracing::warn!(dispatch = %self.id, error = %e, "cache lookup skipped");
                    return None;
                }
            }
        }
        let conn = self.reuse.conn.as_ref()?;
        match store.cached(conn, key) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(dispatch = %self.id, error = %e, "cache lookup failed; the node runs");
                None
            }
        }
    }
}
