//! What shipping a program to a place did: which build, for what, and what it cost (the
//! probe, cargo, the upload), as the executors' `ship()` report it for benchmarks and logs.

use std::time::Duration;

use super::program::{Origin, Program};

/// What an executor shipped before its first task, and what that took.
///
/// ```
/// # #[cfg(feature = "ssh")] {
/// let s = orbital_executors::Shipped::default();
/// assert!(s.build.is_none() && s.upload.is_none());
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shipped {
    /// Where the program is, on the host (`<remote_dir>/bin/<build id>`).
    pub path: String,
    /// Its build identity: the hash of the file, which each task's spec carries.
    pub build_id: String,
    /// What the host is (`Linux on x86_64 with glibc 2.31`).
    pub target: String,
    /// How the program was chosen: `this executable`, `binary`, or `built: <why>`.
    pub origin: String,
    /// How long asking the host what it is took (zero with `target` set).
    pub probe: Duration,
    /// How long `cargo zigbuild` took, when the program was built for the host (cargo's no-op
    /// check when nothing changed).
    pub build: Option<Duration>,
    /// Bytes uploaded and how long that took, when the host did not have this build yet.
    pub upload: Option<(u64, Duration)>,
}

impl Shipped {
    /// The report of `program` at `path` on the host (nothing uploaded yet).
    pub(crate) fn of(path: String, program: &Program, probe: Duration) -> Shipped {
        Shipped {
            path,
            build_id: program.build_id.clone(),
            target: program.target.to_string(),
            origin: match &program.origin {
                Origin::Running => "this executable".to_owned(),
                Origin::Binary => "binary".to_owned(),
                Origin::Built { why, .. } => format!("built: {why}"),
            },
            probe,
            build: match program.origin {
                Origin::Built { time, .. } => Some(time),
                _ => None,
            },
            upload: None,
        }
    }
}
