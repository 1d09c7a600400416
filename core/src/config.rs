//! `orbital.toml`: where it is, what it holds, and the errors that name the file, line and key.
//!
//! ```toml
//! [store]
//! path = "/var/lib/orbital/orbital.db"   # default: the platform data dir
//!
//! [dispatcher]
//! retry_delay = "100ms"                  # first retry's backoff; doubles each attempt
//! retry_delay_max = "10s"
//!
//! [executors.local]
//! max_concurrency = 64
//!
//! [executors.gpu1]                       # a named executor of type ssh
//! type = "ssh"
//! hostname = "gpu1.example.org"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The environment variable naming the directory that holds `orbital.toml`.
pub const CONFIG_DIR_ENV: &str = "ORBITAL_CONFIG_DIR";
/// The environment variable naming the results store file (overrides `[store] path`).
pub const DB_ENV: &str = "ORBITAL_DB";
/// The environment variable naming the data directory (the store is `orbital.db` inside).
pub const DATA_DIR_ENV: &str = "ORBITAL_DATA_DIR";

/// The configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a key has the wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// `[store]`: where results are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The SQLite file.
    pub path: Option<PathBuf>,
}

/// `[dispatcher]`: how the dispatcher retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispatcherConfig {
    /// The wait before the first retry; it doubles with each attempt.
    #[serde(with = "humantime_serde_compat")]
    pub retry_delay: Duration,
    /// The longest wait between attempts.
    #[serde(with = "humantime_serde_compat")]
    pub retry_delay_max: Duration,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            retry_delay: Duration::from_millis(100),
            retry_delay_max: Duration::from_secs(10),
        }
    }
}

mod humantime_serde_compat {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map_err(|e| {
            serde::de::Error::custom(format!(
                "`{s}` is not a duration ({e}); write e.g. \"100ms\", \"30s\", \"5m\""
            ))
        })
    }
}

/// The whole configuration: `orbital.toml` as read, or the defaults.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from (`None`: no file, defaults only).
    pub file: Option<PathBuf>,
    /// `[store]`.
    pub store: StoreConfig,
    /// `[dispatcher]`.
    pub dispatcher: DispatcherConfig,
    /// `[executors.NAME]` tables, as written.
    pub executors: BTreeMap<String, toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    store: StoreConfig,
    #[serde(default)]
    dispatcher: DispatcherConfig,
    #[serde(default)]
    executors: BTreeMap<String, toml::Table>,
}

impl Config {
    /// The file orbital reads: `$ORBITAL_CONFIG_DIR/orbital.toml`, else `orbital/orbital.toml`
    /// in the platform config dir (`~/.config/orbital/orbital.toml` on Linux).
    pub fn default_path() -> Option<PathBuf> {
        match std::env::var_os(CONFIG_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir).join("orbital.toml")),
            _ => dirs::config_dir().map(|d| d.join("orbital").join("orbital.toml")),
        }
    }

    /// Reads the configuration from [`Config::default_path`]; a missing file means defaults.
    ///
    /// # Errors
    /// When the file exists but cannot be read or parsed.
    pub fn load() -> Result<Config, ConfigError> {
        match Config::default_path() {
            Some(path) => Config::load_from(&path),
            None => Ok(Config::default()),
        }
    }

    /// Reads the configuration from `path`; a missing file means defaults.
    ///
    /// # Errors
    /// When the file exists but cannot be read or parsed.
    pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        let mut config = Config::parse(&text, path)?;
        config.file = Some(path.to_owned());
        Ok(config)
    }

    /// The configuration as `orbital.toml` text that [`Config::parse`] reads back the same
    /// (what a detached driver is started with).
    ///
    /// ```
    /// let c = orbital_core::Config::parse("[executors.gpu]\ntype = \"ssh\"\nhostname = \"g\"\n", "x.toml".as_ref()).unwrap();
    /// let again = orbital_core::Config::parse(&c.to_toml(), "y.toml".as_ref()).unwrap();
    /// assert_eq!(again.executors, c.executors);
    /// assert_eq!(again.dispatcher.retry_delay, c.dispatcher.retry_delay);
    /// ```
    pub fn to_toml(&self) -> String {
        let mut top = toml::Table::new();
        if let Some(path) = &self.store.path {
            let mut store = toml::Table::new();
            store.insert("path".into(), path.display().to_string().into());
            top.insert("store".into(), store.into());
        }
        let mut dispatcher = toml::Table::new();
        let d = &self.dispatcher;
        for (key, value) in [
            ("retry_delay", d.retry_delay),
            ("retry_delay_max", d.retry_delay_max),
        ] {
            let text = humantime::format_duration(value).to_string();
            dispatcher.insert(key.into(), text.into());
        }
        top.insert("dispatcher".into(), dispatcher.into());
        let executors: toml::Table = self
            .executors
            .iter()
            .map(|(k, v)| (k.clone(), toml::Value::Table(v.clone())))
            .collect();
        top.insert("executors".into(), executors.into());
        toml::to_string(&top).unwrap_or_default()
    }

    /// Parses configuration text; `path` is only used in errors.
    ///
    /// ```
    /// let c = orbital_core::Config::parse("[executors.local]\nmax_concurrency = 4\n", "x.toml".as_ref()).unwrap();
    /// assert!(c.executors.contains_key("local"));
    /// let e = orbital_core::Config::parse("[store]\npath = 3\n", "x.toml".as_ref()).unwrap_err();
    /// assert!(e.to_string().starts_with("x.toml:2:"), "{e}");
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Parse`] with the line, column and key of the problem.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| parse_error(text, path, &e))?;
        Ok(Config {
            file: None,
            store: raw.store,
            dispatcher: raw.dispatcher,
            executors: raw.executors,
        })
    }
}

/// Turns a TOML error into one that names the file, line and column.
pub(crate) fn parse_error(text: &str, path: &Path, e: &toml::de::Error) -> ConfigError {
    let (line, column) = match e.span() {
        Some(span) => line_col(text, span.start),
        None => (1, 1),
    };
    let offset = e.span().map_or(0, |s| s.start);
    let message = match key_at(text, offset) {
        Some(key) => format!("key `{key}`: {}", e.message().trim()),
        None => e.message().trim().to_owned(),
    };
    ConfigError::Parse {
        path: path.to_owned(),
        line,
        column,
        message,
    }
}

/// The dotted key whose line holds `offset` (`store.path`), if the line is a `key = value`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let key = line.split_once('=')?.0.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') || key.starts_with('#') {
        return None;
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_owned(),
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> (usize, usize, String) {
        match Config::parse(text, Path::new("o.toml")).unwrap_err() {
            ConfigError::Parse {
                line,
                column,
                message,
                ..
            } => (line, column, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn line_and_column_are_one_based() {
        let text = "ab\ncde\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 1), (1, 2));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 3));
        assert_eq!(line_col(text, 999), (3, 1), "past the end: clamped");
    }

    #[test]
    fn the_key_at_an_offset_is_qualified_by_its_table() {
        let text = "top = 1\n[store]\n# comment = 2\npath = 3\n[executors.gpu]\n\"max\" = 4\n";
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(key_at(text, at("1")).as_deref(), Some("top"));
        assert_eq!(key_at(text, at("3")).as_deref(), Some("store.path"));
        assert_eq!(key_at(text, at("4")).as_deref(), Some("executors.gpu.max"));
        assert_eq!(
            key_at(text, at("[store]")),
            None,
            "a table header is no key"
        );
        assert_eq!(key_at(text, at("# comment")), None, "a comment is no key");
    }

    #[test]
    fn parse_errors_name_line_column_and_key() {
        let (line, column, message) = parse_err("[store]\npath = 3\n");
        assert_eq!((line, column), (2, 8));
        assert!(message.starts_with("key `store.path`: "), "{message}");

        let (line, _, message) = parse_err("[dispatcher]\n\nretry_delay_max = \"forever\"\n");
        assert_eq!(line, 3);
        assert!(message.contains("dispatcher.retry_delay_max"), "{message}");
        assert!(message.contains("`forever` is not a duration"), "{message}");

        let (line, _, message) = parse_err("[unknown_table]\nx = 1\n");
        assert_eq!(line, 1);
        assert!(message.contains("unknown_table"), "{message}");
    }

    #[test]
    fn executor_tables_are_kept_as_written() {
        let c = Config::parse(
            "[executors.gpu]\ntype = \"ssh\"\nhostname = \"gpu1\"\n[executors.gpu.options]\nx = 1\n",
            Path::new("o.toml"),
        )
        .unwrap();
        let gpu = &c.executors["gpu"];
        assert_eq!(gpu["type"].as_str(), Some("ssh"));
        assert_eq!(gpu["options"]["x"].as_integer(), Some(1));
        assert!(c.file.is_none(), "parse does not claim a file");
        assert_eq!(c.dispatcher.retry_delay, Duration::from_millis(100));
    }

    #[test]
    fn durations_take_humantime_syntax() {
        let c = Config::parse(
            "[dispatcher]\nretry_delay = \"1s 500ms\"\nretry_delay_max = \"2m\"\n",
            Path::new("o.toml"),
        )
        .unwrap();
        assert_eq!(c.dispatcher.retry_delay, Duration::from_millis(1500));
        assert_eq!(c.dispatcher.retry_delay_max, Duration::from_secs(120));
    }
}
