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
