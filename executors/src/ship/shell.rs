//! Shell and path helpers of the executors that run commands elsewhere (ssh, slurm, awslambda):
//! quoting a word for a POSIX shell, the whole cause chain of an error, and `~/` on this
//! machine.

use std::path::PathBuf;

/// Quotes a string for a POSIX shell.
#[cfg(any(feature = "ssh", feature = "slurm"))]
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The error of a failed `openssh` call with its causes (its own message is only "failed to
/// connect to the remote host"; what ssh said is in the chain).
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(text.trim())) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ").replace('\n', " ").trim().to_owned()
}

/// `~/x` as a local path.
pub(crate) fn expand_local(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map_or_else(|| PathBuf::from(path), |h| PathBuf::from(h).join(rest)),
        None => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(feature = "ssh", feature = "slurm"))]
    #[test]
    fn quoted_words_survive_the_shell() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", quote("it's $HOME `x` \"y\"")))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "it's $HOME `x` \"y\"");
    }

    #[test]
    fn error_chains_keep_each_new_cause_once() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let e = E(
            "failed to connect",
            Some(Box::new(E(
                "connect",
                Some(Box::new(E("ssh: Connection\nrefused", None))),
            ))),
        );
        assert_eq!(chain(&e), "failed to connect: ssh: Connection refused");
    }

    #[test]
    fn only_a_leading_tilde_slash_is_home() {
        assert_eq!(expand_local("/abs/x"), PathBuf::from("/abs/x"));
        assert_eq!(expand_local("rel/~/x"), PathBuf::from("rel/~/x"));
        if let Some(home) = std::env::var_os("HOME") {
            assert_eq!(expand_local("~/x"), PathBuf::from(home).join("x"));
        }
    }
}

/// The marker a failed `prerun_commands` line leaves on the script's stderr:
/// `orbital-prerun-failed LINE STATUS`.
const PRERUN_MARK: &str = "orbital-prerun-failed";

/// `prerun_commands` as script lines: each runs in the script's own shell (so `export` and
/// `module load` last), its output on stderr, and the first that fails (or exits) ends the
/// script with its status, after an `EXIT` trap leaves a marker that [`prerun_failure`] reads.
pub(crate) fn prerun(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "trap 'orbital_rc=$?; if [ -n \"$orbital_line\" ]; then echo \"{PRERUN_MARK} $orbital_line $orbital_rc\" >&2; fi' EXIT\n"
    );
    for (i, line) in lines.iter().enumerate() {
        s.push_str(&format!(
            "orbital_line={}\n{{ {line}\n}} 1>&2 || exit $?\n",
            i + 1
        ));
    }
    s.push_str("orbital_line=\ntrap - EXIT\n");
    s
}

/// Why a script whose `prerun_commands` line failed ended: the line, its status and what it
/// printed just before, read from the script's stderr (or log); `None` when none failed.
pub(crate) fn prerun_failure(lines: &[String], said: &str) -> Option<String> {
    let (before, mark) = said.rsplit_once(PRERUN_MARK)?;
    let mut words = mark.split_whitespace();
    let n: usize = words.next()?.parse().ok()?;
    let status = words.next().unwrap_or("?");
    let line = lines.get(n.checked_sub(1)?)?;
    let tail: Vec<&str> = before.trim_end().lines().collect();
    let tail = tail[tail.len().saturating_sub(10)..].join("\n");
    Some(format!(
        "prerun_commands line {n} failed with exit status {status}: `{line}`{}",
        if tail.trim().is_empty() {
            " (it printed nothing on stderr)".to_owned()
        } else {
            format!("; its stderr ends:\n{tail}")
        }
    ))
}

#[cfg(test)]
mod prerun_tests {
    #[test]
    fn a_failing_line_is_found_with_its_status_and_stderr() {
        let lines = vec!["export A=1".to_owned(), "true".to_owned()];
        let run = |lines: &[String]| {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("{}echo after \"$A\"", super::prerun(lines)))
                .output()
                .unwrap()
        };
        // A line that exits, and a line that fails.
        for (bad, status) in [("echo nope >&2; exit 3", 3), ("echo nope >&2; false", 1)] {
            let lines = vec!["true".to_owned(), bad.to_owned()];
            let out = run(&lines);
            assert_eq!(out.status.code(), Some(status));
            assert!(out.stdout.is_empty());
            let said = String::from_utf8_lossy(&out.stderr);
            let msg = super::prerun_failure(&lines, &said).unwrap();
            assert!(
                msg.starts_with(&format!(
                    "prerun_commands line 2 failed with exit status {status}: `{bad}`"
                )) && msg.contains("nope"),
                "{msg}"
            );
        }
        // Lines that pass leave no marker, and what they export lasts.
        let out = run(&lines);
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "after 1\n");
        assert!(super::prerun_failure(&lines, &String::from_utf8_lossy(&out.stderr)).is_none());
    }
}
