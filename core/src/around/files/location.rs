//! Where a transfer's remote end is, read from its URL or path, with the task's placeholders
//! (`{dispatch}`, `{node}`, `{attempt}`, `{electron}`) filled in.

use std::path::PathBuf;

use crate::task::{TaskSpec, Transfer};

/// An ssh endpoint of an `rsync://` or `sftp://` transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshEnd {
    /// The login, if any.
    pub user: Option<String>,
    /// The host.
    pub host: String,
    /// The port, if not ssh's default.
    pub port: Option<u16>,
    /// The path on that host.
    pub path: String,
    /// The private key.
    pub key: Option<String>,
    /// A known-hosts file.
    pub known_hosts: Option<String>,
}

impl SshEnd {
    /// `user@host` or `host`.
    pub fn login(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        }
    }
}

/// A transfer's remote end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A path on the task's host.
    Local(PathBuf),
    /// `rsync://`.
    Rsync(SshEnd),
    /// `sftp://`.
    Sftp(SshEnd),
    /// `s3://bucket/key`.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
    },
    /// `http://` or `https://`.
    Http(String),
}

impl Location {
    /// The strategy's name, for messages.
    pub fn strategy(&self) -> &'static str {
        match self {
            Location::Local(_) => "local copy",
            Location::Rsync(_) => "rsync",
            Location::Sftp(_) => "sftp",
            Location::S3 { .. } => "s3",
            Location::Http(_) => "http",
        }
    }
}

/// The placeholders a path may hold.
pub const PLACEHOLDERS: &[&str] = &["dispatch", "node", "attempt", "electron"];

/// `text` with the task's placeholders filled in.
///
/// # Errors
/// An unknown or unclosed placeholder.
pub fn fill(text: &str, spec: &TaskSpec, electron: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("`{text}` has a `{{` with no `}}`"));
        };
        match &after[..close] {
            "dispatch" => out.push_str(&spec.dispatch_id),
            "node" => out.push_str(&spec.node_id.to_string()),
            "attempt" => out.push_str(&spec.attempt.to_string()),
            "electron" => out.push_str(electron),
            other => {
                return Err(format!(
                    "`{text}` has an unknown placeholder `{{{other}}}`; the placeholders are {}",
                    PLACEHOLDERS
                        .iter()
                        .map(|p| format!("`{{{p}}}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Reads a (filled) remote location, with the transfer's ssh settings.
///
/// # Errors
/// An unknown scheme or a malformed URL, said with the forms that work.
pub fn parse(remote: &str, t: &Transfer) -> Result<Location, String> {
    let Some((scheme, rest)) = remote.split_once("://") else {
        return Ok(Location::Local(PathBuf::from(remote)));
    };
    match scheme {
        "file" => Ok(Location::Local(PathBuf::from(rest))),
        "rsync" | "sftp" => {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            // `rsync://host/~/data` is `~/data` on that host.
            let path = path
                .strip_prefix('/')
                .filter(|p| p.starts_with('~'))
                .unwrap_or(path);
            if path.is_empty() {
                return Err(format!(
                    "`{remote}` has no path; write `{scheme}://[user@]host[:port]/path`"
                ));
            }
            let (user, hostport) = match authority.rsplit_once('@') {
                Some((u, h)) => (Some(u.to_owned()), h),
                None => (None, authority),
            };
            let (host, port) = match hostport.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    Some(p.parse::<u16>().map_err(|_| {
                        format!("`{remote}` has a port `{p}` that is not a number")
                    })?),
                ),
                None => (hostport, None),
            };
            let host = t.host.clone().unwrap_or_else(|| host.to_owned());
            if host.is_empty() {
                return Err(format!(
                    "`{remote}` names no host; write `{scheme}://[user@]host/path`, or set it with `.host(..)`"
                ));
            }
            let end = SshEnd {
                user: t.user.clone().or(user),
                host,
                port: t.port.or(port),
                path: path.to_owned(),
                key: t.private_key_path.clone(),
                known_hosts: t.known_hosts.clone(),
            };
            Ok(if scheme == "rsync" {
                Location::Rsync(end)
            } else {
                Location::Sftp(end)
            })
        }
        "s3" => match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Location::S3 {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            }),
            _ => Err(format!("`{remote}` is not `s3://bucket/key`")),
        },
        "http" | "https" => Ok(Location::Http(remote.to_owned())),
        other => Err(format!(
            "`{remote}` has the scheme `{other}`, which orbital cannot move files by; use a local \
             path, `file://`, `rsync://`, `sftp://`, `s3://`, `http://` or `https://`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::transfer::from;

    fn spec() -> TaskSpec {
        TaskSpec {
            dispatch_id: "D1".into(),
            node_id: 4,
            electron: "x::f".into(),
            build_id: String::new(),
            args: vec![],
            attempt: 2,
            time_limit: None,
            executor: "local".into(),
            workdir: crate::task::Workdir::default(),
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let s = spec();
        assert_eq!(
            fill("s3://b/{dispatch}/{node}-{attempt}-{electron}.csv", &s, "f").unwrap(),
            "s3://b/D1/4-2-f.csv"
        );
        let e = fill("out/{run}.csv", &s, "f").unwrap_err();
        assert!(e.contains("`{run}`") && e.contains("`{dispatch}`"), "{e}");
        assert!(fill("out/{dispatch", &s, "f").is_err());
    }

    #[test]
    fn locations_by_scheme() {
        let t = from("x", "y");
        assert_eq!(parse("/a/b", &t).unwrap(), Location::Local("/a/b".into()));
        assert_eq!(
            parse("file:///a/b", &t).unwrap(),
            Location::Local("/a/b".into())
        );
        let Location::Rsync(end) = parse("rsync://al@h:2222/srv/in", &t).unwrap() else {
            panic!()
        };
        assert_eq!(
            (end.login(), end.port, end.path.as_str()),
            ("al@h".to_owned(), Some(2222), "/srv/in")
        );
        let Location::Sftp(end) = parse("sftp://h/~/in", &t.clone().user("bo")).unwrap() else {
            panic!()
        };
        assert_eq!(
            (end.login(), end.path.as_str()),
            ("bo@h".to_owned(), "~/in")
        );
        assert_eq!(
            parse("s3://bkt/k/e/y", &t).unwrap(),
            Location::S3 {
                bucket: "bkt".into(),
                key: "k/e/y".into()
            }
        );
        assert!(matches!(
            parse("https://e.org/x", &t).unwrap(),
            Location::Http(_)
        ));
        let e = parse("ftp://h/x", &t).unwrap_err();
        assert!(e.contains("`ftp`") && e.contains("rsync://"), "{e}");
        assert!(parse("s3://bucket-only", &t).is_err());
        assert!(parse("rsync://h", &t).is_err());
    }
}
