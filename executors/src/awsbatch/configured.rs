//! A value given in code (`AwsBatchExecutor::new().vcpu(8.0)`) takes the settings it was not
//! given from `[executors.awsbatch]`: the table (its Covalent-only keys stripped) with the
//! code's keys laid over it. The result is made once per distinct table, so that electrons with
//! the same settings share one executor (its clients, program and job definition).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use orbital_core::ExecutorRef;

use super::config::AwsBatchExecutor;

/// The table a value given in code completes itself from.
pub(super) const TABLE: &str = "awsbatch";

/// Executors made from a merged table, by its text.
static MADE: Mutex<Vec<(String, ExecutorRef)>> = Mutex::new(Vec::new());

impl AwsBatchExecutor {
    /// The executor `self` (given in code) stands for under `tables`: `None` when it was read
    /// from a table itself, or when there is no `[executors.awsbatch]` (the code's settings and
    /// the defaults are then all there is).
    pub(super) fn merged(
        &self,
        tables: &BTreeMap<String, toml::Table>,
    ) -> Result<Option<ExecutorRef>, String> {
        let Some(code) = &self.code else {
            return Ok(None);
        };
        let Some(table) = tables.get(TABLE) else {
            return Ok(None);
        };
        if let Some(t) = table.get("type").and_then(|t| t.as_str()) {
            if t != TABLE {
                return Ok(None);
            }
        }
        let mut merged = table.clone();
        merged.remove("type");
        orbital_core::covalent_keys::strip(
            TABLE,
            TABLE,
            std::path::Path::new("orbital.toml"),
            &mut merged,
        );
        for (k, v) in code {
            merged.insert(k.clone(), v.clone());
        }
        let text = toml::to_string(&merged).map_err(|e| e.to_string())?;
        let mut made = MADE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, e)) = made.iter().find(|(t, _)| *t == text) {
            return Ok(Some(e.clone()));
        }
        let e: AwsBatchExecutor =
            toml::Value::Table(merged)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    format!("[executors.{TABLE}] with the settings given in code: {e}")
                })?;
        e.check_config()?;
        let e: ExecutorRef = Arc::new(e);
        made.push((text, e.clone()));
        Ok(Some(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(text: &str) -> BTreeMap<String, toml::Table> {
        let mut t = BTreeMap::new();
        t.insert(TABLE.to_owned(), toml::from_str(text).unwrap());
        t
    }

    #[test]
    fn code_keys_lay_over_the_table() {
        let t = tables("type = \"awsbatch\"\nbatch_queue = \"q1\"\nvcpu = 1\nmemory = 2.0\n");
        let e = AwsBatchExecutor::new().vcpu(8.0);
        let made = e.merged(&t).unwrap().unwrap();
        let text = format!("{made:?}");
        assert!(text.contains("batch_queue: \"q1\""), "{text}");
        assert!(text.contains("vcpu: 8.0"), "{text}");
        assert!(text.contains("memory: 2.0"), "{text}");
        // The same settings again: the same executor.
        let again = AwsBatchExecutor::new()
            .vcpu(8.0)
            .merged(&t)
            .unwrap()
            .unwrap();
        assert!(Arc::ptr_eq(&made, &again));
    }

    #[test]
    fn a_table_value_or_no_table_is_left_alone() {
        let from_table: AwsBatchExecutor = toml::from_str("vcpu = 1").unwrap();
        assert!(from_table.merged(&tables("vcpu = 4")).unwrap().is_none());
        assert!(AwsBatchExecutor::new()
            .merged(&BTreeMap::new())
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_bad_merge_names_the_key() {
        let e = AwsBatchExecutor::new().vcpu(1.0);
        let err = e.merged(&tables("time_limit = 5")).unwrap_err();
        assert!(err.contains("`time_limit"), "{err}");
        let err = e.merged(&tables("batch_queu = \"x\"")).unwrap_err();
        assert!(err.contains("batch_queu"), "{err}");
    }
}
