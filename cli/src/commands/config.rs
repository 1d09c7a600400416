//! `orbital config`: the configuration in force and where everything lives.

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::format;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &mut Context, _args: Args) -> Result {
    let file = ctx.config_path();
    let config = ctx.config()?.clone();
    let (store, source) = ctx.store_path()?;
    let mut executors: Vec<(String, toml::Table)> = config
        .executors
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !executors.iter().any(|(n, _)| n == "local") {
        executors.insert(0, ("local".to_owned(), toml::Table::new()));
    }
    let kind = |name: &str, t: &toml::Table| {
        t.get("type")
            .and_then(toml::Value::as_str)
            .unwrap_or(name)
            .to_owned()
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let doc = json!({
            "config_file": file.as_ref().map(|f| f.display().to_string()),
            "config_file_exists": config.file.is_some(),
            "store": {
                "path": store.display().to_string(),
                "source": source,
                "exists": store.exists(),
            },
            "dispatcher": {
                "retry_delay_ms": config.dispatcher.retry_delay.as_millis() as u64,
                "retry_delay_max_ms": config.dispatcher.retry_delay_max.as_millis() as u64,
            },
            "executors": executors.iter().map(|(name, t)| json!({
                "name": name,
                "type": kind(name, t),
                "settings": serde_json::to_value(t).unwrap_or_default(),
            })).collect::<Vec<_>>(),
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values print")
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = format::pairs();
    let file_line = match (&config.file, &file) {
        (Some(f), _) => f.display().to_string(),
        (None, Some(f)) => format!(
            "none: {} does not exist (defaults are in force; create it to configure orbital)",
            f.display()
        ),
        (None, None) => {
            "none: there is no config dir on this platform; set ORBITAL_CONFIG_DIR".to_owned()
        }
    };
    t.add_row(["configuration".to_owned(), file_line]);
    let exists = if store.exists() {
        ""
    } else {
        "; not created yet"
    };
    t.add_row([
        "results store".to_owned(),
        format!("{} (from {source}{exists})", store.display()),
    ]);
    t.add_row([
        "dispatcher".to_owned(),
        format!(
            "retry_delay = {}, retry_delay_max = {}",
            format::duration(config.dispatcher.retry_delay),
            format::duration(config.dispatcher.retry_delay_max)
        ),
    ]);
    write!(out, "{}", format::render(&t))?;
    writeln!(out)?;
    let mut e = format::table(["EXECUTOR", "TYPE", "SETTINGS"]);
    for (name, table) in &executors {
        let settings: Vec<String> = table
            .iter()
            .filter(|(k, _)| k.as_str() != "type")
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        let settings = if settings.is_empty() {
            "(defaults)".to_owned()
        } else {
            settings.join(", ")
        };
        e.add_row([name.clone(), kind(name, table), settings]);
    }
    write!(out, "{}", format::render(&e))?;
    Ok(ExitCode::SUCCESS)
}
