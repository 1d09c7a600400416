//! Whether a host can run this build: the same OS and architecture, and a C library at least
//! as new as this one's.

use super::config::SshExecutor;
use super::connection::Host;

impl Host {
    /// Checks that the host can run this binary: same OS and architecture, and a C library
    /// at least as new as this one's.
    pub(super) async fn check_compatible(&self, cfg: &SshExecutor) -> Result<(), String> {
        let out = self
            .sh(
                cfg,
                "uname -s; uname -m; getconf GNU_LIBC_VERSION 2>/dev/null || echo 'libc unknown'",
            )
            .await?;
        let mut lines = out.lines().map(str::trim);
        let (os, arch, libc_line) = (
            lines.next().unwrap_or_default().to_owned(),
            lines.next().unwrap_or_default().to_owned(),
            lines.next().unwrap_or_default().to_owned(),
        );
        let local_arch = std::env::consts::ARCH;
        let same_arch = arch == local_arch || (local_arch == "aarch64" && arch == "arm64");
        if !os.eq_ignore_ascii_case(std::env::consts::OS) || !same_arch {
            return Err(format!(
                "the host runs {os} on {arch}, and this binary is for {} on {local_arch}: build the program for the \
                 host's target (e.g. `cargo zigbuild --release --target {arch}-unknown-linux-gnu.2.17`) and dispatch \
                 from that build",
                std::env::consts::OS
            ));
        }
        if cfg!(target_env = "gnu") {
            let remote = libc_line.strip_prefix("glibc ").and_then(parse_version);
            let local = local_glibc();
            match (remote, local) {
                (None, _) => {
                    return Err(format!(
                        "the host has no GNU C library ({libc_line}), and this binary needs one: build a static \
                         binary for it (`--target {arch}-unknown-linux-musl`)"
                    ))
                }
                (Some(r), Some(l)) if r < l => {
                    return Err(format!(
                        "the host's glibc is {}.{}, older than this binary's {}.{}: build against an older glibc \
                         (e.g. `cargo zigbuild --release --target {arch}-unknown-linux-gnu.2.17`)",
                        r.0, r.1, l.0, l.1
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let mut it = s.trim().split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn local_glibc() -> Option<(u32, u32)> {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: returns a pointer to a static, NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
        parse_version(v.to_str().ok()?)
    }
    #[cfg(not(target_env = "gnu"))]
    {
        None
    }
}
