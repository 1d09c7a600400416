//! What every dispatch of a runtime shares: the configuration, the results store, and the
//! executors built from `[executors.NAME]`, each once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::error::Error;
use crate::executor::{Executor, ExecutorRef};
use crate::store::Store;

/// Executors a node may name without an `[executors.NAME]` table: they need no settings.
pub(crate) const BUILT_IN: [&str; 2] = ["local", "process"];

/// The configuration, store and executors of one [`Runtime`](crate::Runtime).
pub(crate) struct Shared {
    config: Config,
    store: Store,
    executors: Mutex<HashMap<String, ExecutorRef>>,
}

impl Shared {
    pub(crate) fn new(config: Config, store: Store) -> Shared {
        Shared {
            config,
            store,
            executors: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The names of the executors a node may name: the built-in `local` and `process`, and every
    /// `[executors.NAME]`.
    pub(crate) fn executor_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.config.executors.keys().cloned().collect();
        for (i, b) in BUILT_IN.iter().enumerate() {
            if !names.iter().any(|n| n == b) {
                names.insert(i, (*b).to_owned());
            }
        }
        names
    }

    /// The executor configured as `name` (`local` needs no configuration), built once.
    ///
    /// # Errors
    /// [`Error::UnknownExecutor`] (listing the configured names) or
    /// [`Error::ExecutorConfig`] when its table does not describe a valid executor.
    pub(crate) fn executor(&self, name: &str) -> Result<ExecutorRef, Error> {
        let mut cache = self.executors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = cache.get(name) {
            return Ok(e.clone());
        }
        let config = &self.config;
        let mut table = match config.executors.get(name) {
            Some(t) => t.clone(),
            None if BUILT_IN.contains(&name) => toml::Table::new(),
            None => {
                return Err(Error::UnknownExecutor {
                    name: name.to_owned(),
                    configured: self.executor_names(),
                    file: config.file.clone(),
                })
            }
        };
        let kind = table
            .entry("type")
            .or_insert_with(|| toml::Value::String(name.to_owned()))
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let file = config
            .file
            .as_deref()
            .unwrap_or(std::path::Path::new("orbital.toml"));
        crate::covalent_keys::strip(&kind, name, file, &mut table);
        let exec: Box<dyn Executor> =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| Error::ExecutorConfig {
                    name: name.to_owned(),
                    file: config.file.clone(),
                    message: format!(
                        "{}; the executor types compiled into this program are listed in that message \
                         (ssh, slurm and awslambda are behind the cargo features of the same names)",
                        e.message().trim()
                    ),
                })?;
        let exec: ExecutorRef = Arc::from(exec);
        cache.insert(name.to_owned(), exec.clone());
        Ok(exec)
    }
}
