//! How times, durations, tables and long text are shown.

use std::time::{Duration, SystemTime};

use comfy_table::{presets, ContentArrangement, Table};
use serde_json::Value;

/// A time as UTC `YYYY-MM-DD HH:MM:SS`.
pub fn time(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s.trim_end_matches('Z').replacen('T', " ", 1)
}

/// [`time`], or `-`.
pub fn time_or_dash(t: Option<SystemTime>) -> String {
    t.map_or_else(|| "-".to_owned(), time)
}

/// A time for JSON: RFC 3339 in UTC, with microseconds.
pub fn json_time(t: Option<SystemTime>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(humantime::format_rfc3339_micros(t).to_string())
    })
}

/// A duration as people read it: `340µs`, `12ms`, `1.2s`, `3m05s`, `2h10m`.
pub fn duration(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{}ms", us / 1_000)
    } else if d.as_secs() < 60 {
        let s = format!("{:.1}s", d.as_secs_f64());
        s.replace(".0s", "s")
    } else if d.as_secs() < 3600 {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{}h{:02}m", d.as_secs() / 3600, (d.as_secs() % 3600) / 60)
    }
}

/// How long something ran: from `start` to `end`, or until now while it runs.
pub fn elapsed(start: Option<SystemTime>, end: Option<SystemTime>) -> Option<Duration> {
    let start = start?;
    let end = end.unwrap_or_else(SystemTime::now);
    Some(end.duration_since(start).unwrap_or_default())
}

/// [`elapsed`] for a table: `1.2s`, or `-`.
pub fn elapsed_or_dash(start: Option<SystemTime>, end: Option<SystemTime>) -> String {
    elapsed(start, end).map_or_else(|| "-".to_owned(), duration)
}

/// [`elapsed`] in milliseconds, for JSON.
pub fn json_millis(start: Option<SystemTime>, end: Option<SystemTime>) -> Value {
    elapsed(start, end).map_or(Value::Null, |d| {
        serde_json::json!((d.as_secs_f64() * 1e3 * 1e3).round() / 1e3)
    })
}

/// The first line of `s`, at most `max` characters, marked with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    let first = s.lines().next().unwrap_or("");
    let cut = first.chars().count() > max || first.len() < s.trim_end().len();
    if !cut {
        return first.to_owned();
    }
    let mut out: String = first.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A table for people: no borders, a header, one line per row (greppable).
pub fn table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    t
}

/// A table of `key  value` lines, without a header.
pub fn pairs() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    t
}

/// Prints a table without trailing spaces.
pub fn render(table: &Table) -> String {
    let mut out = String::new();
    for line in table.lines() {
        let line = line.trim_end();
        let line = line.strip_prefix(' ').unwrap_or(line);
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(Duration::from_micros(340)), "340µs");
        assert_eq!(duration(Duration::from_millis(340)), "340ms");
        assert_eq!(duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(duration(Duration::from_secs(10)), "10s");
        assert_eq!(duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(duration(Duration::from_secs(7800)), "2h10m");
    }

    #[test]
    fn times_are_utc_to_the_second() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(time(t), "2023-11-14 22:13:20");
        assert_eq!(json_time(Some(t)), "2023-11-14T22:13:20.000000Z");
    }

    #[test]
    fn long_and_multi_line_text_is_shortened() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("0123456789abc", 10), "012345678…");
        assert_eq!(shorten("first\nsecond", 20), "first…");
        assert_eq!(shorten("é".repeat(20).as_str(), 5), "éééé…");
    }
}
