//! What the CLI's test programs share: running the `orbital` binary on a store of their own.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `orbital` binary, on one store and one configuration directory.
pub struct Cli {
    /// The store (`--db`).
    pub db: PathBuf,
    /// `ORBITAL_CONFIG_DIR` (what a program the CLI starts reads, too).
    pub config_dir: PathBuf,
}

impl Cli {
    /// `orbital --db <db> args...`, away from the user's configuration and store.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .expect("the orbital binary runs")
    }

    /// The command, to add to it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orbital"));
        cmd.env_remove("ORBITAL_DB")
            .env_remove("ORBITAL_DATA_DIR")
            .env("ORBITAL_CONFIG_DIR", &self.config_dir)
            .arg("--db")
            .arg(&self.db)
            .args(args);
        cmd
    }

    /// `orbital --json args...`, parsed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(
            out.status.success(),
            "orbital {args:?}: {}",
            text(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }
}

/// Bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The marker files in `dir` whose names start with `prefix`.
pub fn markers(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("markers dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}
