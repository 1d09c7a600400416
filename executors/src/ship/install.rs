//! Installing a build by content hash: the shipped file is named by the build's identity (a
//! hash of the executable), so a place that has it already gets nothing; it goes there under a
//! temporary name beside the final one and is renamed into place once complete and executable,
//! so a partial copy is never run.

#[cfg(feature = "slurm")]
use std::path::Path;
use std::path::PathBuf;

#[cfg(feature = "ssh")]
use super::shell::quote;

/// The running executable: the file that is shipped.
#[cfg(any(feature = "ssh", feature = "slurm", feature = "awslambda"))]
pub(crate) fn this_executable() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find this program's executable: {e}"))
}

/// The temporary name of `build` while it is copied, beside its final name:
/// `.<build>.part-<pid>-<unique>` (hidden, and never the name a runner is started by).
#[cfg(any(feature = "ssh", feature = "slurm"))]
pub(crate) fn part_name(build: &str, unique: impl std::fmt::Display) -> String {
    format!(".{build}.part-{}-{unique}", std::process::id())
}

/// The shell command that succeeds when the build at `target` is installed.
#[cfg(feature = "ssh")]
pub(crate) fn installed_command(target: &str) -> String {
    format!("test -x {}", quote(target))
}

/// The shell command that installs a complete copy at `part`: executable, then renamed to
/// `target`.
#[cfg(feature = "ssh")]
pub(crate) fn install_command(part: &str, target: &str) -> String {
    format!(
        "chmod 755 {t} && mv -f {t} {f}",
        t = quote(part),
        f = quote(target)
    )
}

/// Copies `exe` to `bin_dir/<build>` on this machine (to a temporary name, made executable,
/// then renamed) and returns that path.
#[cfg(feature = "slurm")]
pub(crate) fn install_local(exe: &Path, bin_dir: &Path, build: &str) -> Result<PathBuf, String> {
    let target = bin_dir.join(build);
    // Unique per call: several executors of one process may install at once.
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = bin_dir.join(part_name(build, n));
    std::fs::copy(exe, &tmp)
        .and_then(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
        })
        .and_then(|_| std::fs::rename(&tmp, &target))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot install the binary at {}: {e}", target.display())
        })?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssh")]
    #[test]
    fn parts_are_hidden_beside_the_build_and_installed_by_rename() {
        let part = part_name("abc123", 7);
        assert_eq!(part, format!(".abc123.part-{}-7", std::process::id()));
        assert_eq!(installed_command("/b/abc123"), "test -x '/b/abc123'");
        assert_eq!(
            install_command(&format!("/b/{part}"), "/b/abc123"),
            format!("chmod 755 '/b/{part}' && mv -f '/b/{part}' '/b/abc123'")
        );
    }

    #[cfg(feature = "slurm")]
    #[test]
    fn local_installs_are_executable_and_leave_no_part() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("exe");
        std::fs::write(&exe, b"#!/bin/sh\n").unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let target = install_local(&exe, &bin, "abc123").unwrap();
        assert_eq!(target, bin.join("abc123"));
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        let names: Vec<_> = std::fs::read_dir(&bin)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["abc123"]);
        assert!(install_local(&dir.path().join("none"), &bin, "x").is_err());
        assert_eq!(std::fs::read_dir(&bin).unwrap().count(), 1);
    }
}
