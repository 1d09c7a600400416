//! Keys that Covalent writes into an `[executors.NAME]` table and that mean nothing in
//! orbital: accepted with a warning each (once per table and key), so that a user who copies
//! the executor tables of their `covalent.conf` into `orbital.toml` gets no error for them.
//!
//! Each executor type declares its own with [`inventory::submit!`]; a type of your own may do
//! the same.
//!
//! ```
//! use orbital_core::covalent_keys::{IgnoredKey, IgnoredKeys};
//!
//! orbital_core::inventory::submit! {
//!     IgnoredKeys {
//!         executor_type: "tally",
//!         keys: &[IgnoredKey {
//!             key: "log_stdout",
//!             why: "a task's stdout is kept in the store (`orbital logs`)",
//!         }],
//!     }
//! }
//! ```

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

/// One key an executor type accepts and ignores, and why it means nothing here.
#[derive(Debug, Clone, Copy)]
pub struct IgnoredKey {
    /// The key, as Covalent writes it (`log_stdout`).
    pub key: &'static str,
    /// Why it has no meaning in orbital, or what to use instead (one clause).
    pub why: &'static str,
}

/// The ignored keys of one executor type.
#[derive(Debug)]
pub struct IgnoredKeys {
    /// The executor's `type` (`local`, `ssh`...).
    pub executor_type: &'static str,
    /// Its keys that are accepted and ignored.
    pub keys: &'static [IgnoredKey],
}

inventory::collect!(IgnoredKeys);

/// The keys an executor of type `executor_type` ignores.
pub fn ignored(executor_type: &str) -> impl Iterator<Item = &'static IgnoredKey> + '_ {
    inventory::iter::<IgnoredKeys>
        .into_iter()
        .filter(move |k| k.executor_type == executor_type)
        .flat_map(|k| k.keys.iter())
}

/// Removes from `table` (the `[executors.NAME]` table of `file`, of type `executor_type`) the
/// keys that type ignores, warning once per table and key: through `tracing` when a
/// subscriber is set, on stderr otherwise (a warning no one sees is no warning). Returns the
/// warnings, in the table's order.
pub fn strip(executor_type: &str, name: &str, file: &Path, table: &mut toml::Table) -> Vec<String> {
    static WARNED: Mutex<Option<HashSet<(String, String, String)>>> = Mutex::new(None);
    let mut out = Vec::new();
    for k in ignored(executor_type) {
        if table.remove(k.key).is_none() {
            continue;
        }
        let text = format!(
            "{}: [executors.{name}] `{}` is a Covalent key that means nothing in orbital, and is ignored: {}",
            file.display(),
            k.key,
            k.why
        );
        let first = WARNED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(HashSet::new)
            .insert((
                file.display().to_string(),
                name.to_owned(),
                k.key.to_owned(),
            ));
        if first {
            if tracing::dispatcher::has_been_set() {
                tracing::warn!("{text}");
            } else {
                eprintln!("warning: {text}");
            }
        }
        out.push(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    inventory::submit! {
        IgnoredKeys {
            executor_type: "test-covalent-keys",
            keys: &[IgnoredKey { key: "log_stdout", why: "kept in the store" }],
        }
    }

    #[test]
    fn ignored_keys_are_removed_and_named() {
        let mut t: toml::Table = toml::from_str("log_stdout = \"stdout.log\"\nkept = 1").unwrap();
        let w = strip(
            "test-covalent-keys",
            "mine",
            Path::new("orbital.toml"),
            &mut t,
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("[executors.mine] `log_stdout`"), "{}", w[0]);
        assert!(w[0].contains("kept in the store"), "{}", w[0]);
        assert!(!t.contains_key("log_stdout"));
        assert!(t.contains_key("kept"));
        // Another type ignores nothing.
        let mut t: toml::Table = toml::from_str("log_stdout = \"x\"").unwrap();
        assert!(strip("other", "o", Path::new("f"), &mut t).is_empty());
        assert!(t.contains_key("log_stdout"));
    }
}
