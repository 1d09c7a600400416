//! A file moved before or after a task: Covalent's `TransferFromRemote` and
//! `TransferToRemote`, as values. `#[electron(files = [..])]` takes a list of them, and the
//! task's host moves the files (`around/files/`).
//!
//! The strategy follows the remote location's form:
//!
//! | location | strategy |
//! |---|---|
//! | `/abs/path`, `rel/path`, `file:///abs/path` | a local copy (a directory is copied whole) |
//! | `rsync://[user@]host[:port]/abs/path` | `rsync -a` over `ssh` (Covalent's `Rsync`) |
//! | `sftp://[user@]host[:port]/abs/path` | `sftp` in batch mode |
//! | `s3://bucket/key` | S3 (feature `s3`): the host's AWS configuration and credentials |
//! | `http://..`, `https://..` | GET before the task, PUT after it (feature `http`) |
//!
//! `{dispatch}`, `{node}`, `{attempt}` and `{electron}` in either path are replaced with the
//! task's own. A relative local path is relative to the task's working directory.

use std::fmt;

/// Before the call (from a remote location to a local path) or after it (the other way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `from(remote, local)`: fetched before the call.
    From,
    /// `to(local, remote)`: sent after a successful call.
    To,
}

/// One file transfer of a task. Build it with [`from`] or [`to`].
///
/// ```
/// use orbital_core::transfer::{from, to, Direction};
/// let t = from("rsync://data.example.org/srv/in.csv", "in.csv")
///     .user("alice")
///     .private_key_path("~/.ssh/id_ed25519");
/// assert_eq!(t.direction, Direction::From);
/// let out = to("out.csv", "s3://results/{dispatch}/out.csv");
/// assert_eq!(out.local, "out.csv");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Transfer {
    /// When it runs, and which way.
    pub direction: Direction,
    /// The remote location (a URL or a path on the task's host).
    pub remote: String,
    /// The local path on the task's host (relative: in the task's working directory).
    pub local: String,
    /// The ssh login for `rsync://` and `sftp://` (Covalent's `Rsync.user`); the URL's `user@`
    /// otherwise.
    pub user: Option<String>,
    /// The ssh host for `rsync://` and `sftp://` (Covalent's `Rsync.host`); the URL's otherwise.
    pub host: Option<String>,
    /// The ssh private key (Covalent's `Rsync.private_key_path`).
    pub private_key_path: Option<String>,
    /// The ssh port, when not 22 and not in the URL.
    pub port: Option<u16>,
    /// A known-hosts file for the ssh host (default: ssh's own).
    pub known_hosts: Option<String>,
}

impl fmt::Debug for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.direction {
            Direction::From => write!(f, "from({:?}, {:?})", self.remote, self.local),
            Direction::To => write!(f, "to({:?}, {:?})", self.local, self.remote),
        }
    }
}

/// Fetches `remote` to `local` before the call (Covalent's `TransferFromRemote`).
///
/// ```
/// let t = orbital_core::transfer::from("https://example.org/data.csv", "data.csv");
/// assert_eq!(t.remote, "https://example.org/data.csv");
/// ```
pub fn from(remote: impl Into<String>, local: impl Into<String>) -> Transfer {
    Transfer::new(Direction::From, remote.into(), local.into())
}

/// Sends `local` to `remote` after a successful call (Covalent's `TransferToRemote`).
///
/// ```
/// let t = orbital_core::transfer::to("out.csv", "/srv/results/{dispatch}.csv");
/// assert_eq!(t.local, "out.csv");
/// ```
pub fn to(local: impl Into<String>, remote: impl Into<String>) -> Transfer {
    Transfer::new(Direction::To, remote.into(), local.into())
}

impl Transfer {
    fn new(direction: Direction, remote: String, local: String) -> Self {
        Transfer {
            direction,
            remote,
            local,
            user: None,
            host: None,
            private_key_path: None,
            port: None,
            known_hosts: None,
        }
    }

    /// The ssh user of an `rsync://` or `sftp://` transfer.
    ///
    /// ```
    /// let t = orbital_core::transfer::from("rsync://h/in", "in").user("alice");
    /// assert_eq!(t.user.as_deref(), Some("alice"));
    /// ```
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// The ssh host of an `rsync://` or `sftp://` transfer, overriding the URL's.
    ///
    /// ```
    /// let t = orbital_core::transfer::from("rsync:///srv/in", "in").host("data1");
    /// assert_eq!(t.host.as_deref(), Some("data1"));
    /// ```
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The ssh private key of an `rsync://` or `sftp://` transfer.
    ///
    /// ```
    /// let t = orbital_core::transfer::from("sftp://h/in", "in").private_key_path("/k");
    /// assert_eq!(t.private_key_path.as_deref(), Some("/k"));
    /// ```
    pub fn private_key_path(mut self, path: impl Into<String>) -> Self {
        self.private_key_path = Some(path.into());
        self
    }

    /// The ssh port of an `rsync://` or `sftp://` transfer.
    ///
    /// ```
    /// let t = orbital_core::transfer::from("sftp://h/in", "in").port(2222);
    /// assert_eq!(t.port, Some(2222));
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// A known-hosts file for the ssh host of an `rsync://` or `sftp://` transfer.
    ///
    /// ```
    /// let t = orbital_core::transfer::from("sftp://h/in", "in").known_hosts("/kh");
    /// assert_eq!(t.known_hosts.as_deref(), Some("/kh"));
    /// ```
    pub fn known_hosts(mut self, path: impl Into<String>) -> Self {
        self.known_hosts = Some(path.into());
        self
    }
}

/// One file of a running task, as [`TaskContext::files`](crate::around::TaskContext::files)
/// gives it: where it came from or goes to, and its path on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFile {
    /// Fetched before the call, or sent after it.
    pub direction: Direction,
    /// The remote location, with its placeholders filled in.
    pub remote: String,
    /// The absolute local path.
    pub path: std::path::PathBuf,
}
