//! A copy of a program without its debug information, for executors that upload it (a debug
//! build is hundreds of MB, its stripped copy a tenth of that), made once per build in a cache.

use std::path::{Path, PathBuf};

/// A stripped copy of `binary` (whose bytes are `original`) in `cache_dir`, keyed by the
/// original's hash and made once; `None` (logged) when `strip --strip-debug` fails or is
/// missing, and the binary is then used as it is.
pub(crate) fn strip_copy(binary: &Path, original: &[u8], cache_dir: &Path) -> Option<PathBuf> {
    let key = orbital_core::identity::of_bytes(original);
    let out = cache_dir.join(format!("bootstrap-{key}"));
    if out.is_file() {
        return Some(out);
    }
    let tmp = cache_dir.join(format!(".bootstrap-{key}.{}", unique()));
    let ran = std::process::Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&tmp)
        .arg(binary)
        .status();
    match ran {
        Ok(s) if s.success() && std::fs::rename(&tmp, &out).is_ok() => Some(out),
        other => {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(
                ?other,
                "`strip --strip-debug` failed; using the binary as it is"
            );
            None
        }
    }
}

/// A name part no other writer in this machine uses at the same time: the process id and a
/// counter (threads of one process prepare programs at once).
pub(crate) fn unique() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}
