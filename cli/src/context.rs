//! What every command needs: the configuration, the store's path, and a runtime on it.

use std::path::{Path, PathBuf};

use orbital_core::config::{DATA_DIR_ENV, DB_ENV};
use orbital_core::store::StoredDispatch;
use orbital_core::{Config, Error, Runtime};

use crate::error::{fail, Result};

/// The global flags, and what they resolve to (each resolved once, when first needed).
pub struct Context {
    db: Option<PathBuf>,
    config_file: Option<PathBuf>,
    /// `--json`: machine-readable output.
    pub json: bool,
    config: Option<Config>,
    runtime: Option<Runtime>,
}

impl Context {
    pub fn new(db: Option<PathBuf>, config_file: Option<PathBuf>, json: bool) -> Context {
        Context {
            db,
            config_file,
            json,
            config: None,
            runtime: None,
        }
    }

    /// The file the configuration is read from (it need not exist).
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config_file.clone().or_else(Config::default_path)
    }

    /// The configuration: `--config`, else `orbital.toml` where the library looks for it.
    pub fn config(&mut self) -> Result<&Config> {
        if self.config.is_none() {
            let config = match &self.config_file {
                Some(f) => {
                    if !f.exists() {
                        return fail(format!(
                            "the configuration file {} (from --config) does not exist; give an existing file, or leave --config out",
                            f.display()
                        ));
                    }
                    Config::load_from(f)?
                }
                None => Config::load()?,
            };
            self.config = Some(config);
        }
        Ok(self.config.as_ref().expect("just set"))
    }

    /// The results store's file and what chose it.
    pub fn store_path(&mut self) -> Result<(PathBuf, &'static str)> {
        if let Some(db) = &self.db {
            return Ok((db.clone(), "--db"));
        }
        let config = self.config()?;
        let path = orbital_core::store::default_path(config);
        // The same order as `store::default_path`, to say which setting won.
        let source = if std::env::var_os(DB_ENV).is_some_and(|v| !v.is_empty()) {
            "ORBITAL_DB"
        } else if config.store.path.is_some() {
            "[store] path in the configuration file"
        } else if std::env::var_os(DATA_DIR_ENV).is_some_and(|v| !v.is_empty()) {
            "ORBITAL_DATA_DIR"
        } else {
            "the platform data dir (default)"
        };
        Ok((path, source))
    }

    /// A runtime on the store, or `None` when the store's file does not exist yet (nothing
    /// was ever dispatched with it; the CLI does not create it).
    pub fn runtime(&mut self) -> Result<Option<&Runtime>> {
        if self.runtime.is_none() {
            let (path, _) = self.store_path()?;
            if !path.exists() {
                return Ok(None);
            }
            let config = self.config()?.clone();
            let rt = Runtime::builder().config(config).store_path(path).build()?;
            self.runtime = Some(rt);
        }
        Ok(self.runtime.as_ref())
    }

    /// A runtime on a store that must exist (for commands about one dispatch `id`).
    pub fn runtime_for(&mut self, id: &str) -> Result<&Runtime> {
        let (path, source) = self.store_path()?;
        match self.runtime()? {
            Some(rt) => Ok(rt),
            None => fail(missing_store(id, &path, source)),
        }
    }

    /// The stored dispatch `id`, with its nodes.
    pub fn load(&mut self, id: &str) -> Result<StoredDispatch> {
        let rt = self.runtime_for(id)?;
        match rt.store().load(id)? {
            Some(d) => Ok(d),
            None => Err(Error::UnknownDispatch {
                id: id.to_owned(),
                store: rt.store_path().to_owned(),
            }
            .into()),
        }
    }
}

fn missing_store(id: &str, path: &Path, source: &str) -> String {
    format!(
        "no dispatch `{id}`: the results store {} (chosen by {source}) does not exist; \
         point at the store the program used with --db, ORBITAL_DB or ORBITAL_DATA_DIR \
         (`orbital config` shows how it is resolved)",
        path.display()
    )
}
