//! Build identity: the content hash of the running program, the key under which remote
//! executors cache it and the check that a task runs in the same build that dispatched it.
//!
//! Hashing a large binary takes a while (a debug build is hundreds of MB), so the hash is
//! computed once per process and also remembered across processes in the cache directory
//! (`~/.cache/orbital/build-ids/`), keyed by the file's device, inode, size and modification
//! time: a rebuilt binary gets a new key, and is hashed again.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The build identity of a program: the BLAKE3 hash of its executable, as 32 hex digits.
///
/// ```no_run
/// let id = orbital_core::identity::current().unwrap();
/// assert_eq!(id.len(), 32);
/// ```
///
/// # Errors
/// When the running executable cannot be found or read.
pub fn current() -> Result<String, std::io::Error> {
    static CURRENT: OnceLock<Result<String, String>> = OnceLock::new();
    CURRENT
        .get_or_init(|| {
            let exe = std::env::current_exe()
                .map_err(|e| format!("cannot find the running executable: {e}"))?;
            of_file(&exe).map_err(|e| format!("cannot hash {}: {e}", exe.display()))
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// The build identity of this process if it was already computed (never hashes).
pub fn known() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    cached(&exe)
}

/// The build identity of the executable at `path`.
///
/// # Errors
/// When the file cannot be read.
pub fn of_file(path: &Path) -> Result<String, std::io::Error> {
    if let Some(id) = cached(path) {
        return Ok(id);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update_mmap(path)?;
    let id = hasher.finalize().to_hex()[..32].to_owned();
    if let Some(entry) = cache_entry(path) {
        if let Some(dir) = entry.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &id).is_ok() {
            let _ = std::fs::rename(&tmp, &entry);
        }
    }
    Ok(id)
}

/// The build identity of an executable's bytes (what [`of_file`] gives for a file holding them).
///
/// ```
/// let id = orbital_core::identity::of_bytes(b"not really a program");
/// assert_eq!(id.len(), 32);
/// ```
pub fn of_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_owned()
}

fn cached(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(cache_entry(path)?).ok()?;
    let id = text.trim();
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_owned())
}

fn cache_entry(path: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    let key = format!(
        "{:x}-{:x}-{:x}-{}.{}",
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec()
    );
    let base = std::env::var_os("ORBITAL_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("orbital")))?;
    Some(base.join("build-ids").join(key))
}

/// This machine's host name (for telling whose driver a dispatch has).
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether process `pid` is alive on this machine.
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the field after the command name, which is in parentheses and may
        // itself hold spaces and parentheses. A zombie (`Z`) or dead (`X`) process has ended:
        // a killed driver whose parent does not reap it stays a zombie.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state != "Z" && state != "X"),
        Err(_) => Path::new(&format!("/proc/{pid}")).exists(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_hash_is_stable_and_changes_with_the_content() {
        let dir = tempfile::tempdir().unwrap();
        std::env::set_var("ORBITAL_CACHE_DIR", dir.path().join("cache"));
        let f = dir.path().join("prog");
        std::fs::write(&f, b"one").unwrap();
        let a = super::of_file(&f).unwrap();
        assert_eq!(a, super::of_file(&f).unwrap(), "cached");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, b"two, longer").unwrap();
        let b = super::of_file(&f).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
