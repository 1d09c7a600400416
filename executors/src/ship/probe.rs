//! Asking a host what it is: one POSIX shell line that prints the kernel (`uname -s`), the
//! machine (`uname -m`) and the C library (glibc's version, musl, or nothing found), and its
//! answer read as a [`Target`]. The SSH executor runs it over its connection; the Slurm
//! executor on the login node, or as a tiny job on a compute node (`probe = "compute"`).

use super::target::{Arch, Libc, Target};

/// The probe: three lines, `Linux`, `x86_64`, then `glibc 2.31`, `musl` or `unknown`.
pub(crate) const SCRIPT: &str = "uname -s; uname -m; getconf GNU_LIBC_VERSION 2>/dev/null \
     || { ls /lib/ld-musl-* >/dev/null 2>&1 && echo musl; } || echo unknown";

/// What a host answered that orbital cannot build for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Foreign {
    /// Another kernel than Linux (`FreeBSD`, `Darwin`).
    NotLinux(String),
    /// A machine orbital does not build for (`riscv64`, `ppc64le`).
    Machine(String),
    /// The answer was not the probe's (a login banner, a shell that printed nothing).
    Unreadable(String),
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Foreign::NotLinux(os) => write!(
                f,
                "the host runs {os}, not Linux, and orbital builds programs for Linux only: build this \
                 program for the host yourself and set `binary` to that build"
            ),
            Foreign::Machine(m) => write!(
                f,
                "the host runs Linux on {m}, and orbital builds for x86_64 and aarch64 only: build this \
                 program for the host yourself and set `binary` to that build"
            ),
            Foreign::Unreadable(said) => write!(
                f,
                "the host's answer to `{SCRIPT}` could not be read ({said:?}); set `target` to the host's \
                 target (e.g. \"x86_64-unknown-linux-gnu.2.28\") to skip the probe"
            ),
        }
    }
}

/// The target the probe's output `said` describes.
pub(crate) fn parse(said: &str) -> Result<Target, Foreign> {
    let mut lines = said.lines().map(str::trim).filter(|l| !l.is_empty());
    let (Some(os), Some(machine), libc) = (lines.next(), lines.next(), lines.next()) else {
        return Err(Foreign::Unreadable(said.trim().to_owned()));
    };
    if !os.eq_ignore_ascii_case("linux") {
        return Err(Foreign::NotLinux(os.to_owned()));
    }
    let arch = Arch::from_uname(machine).ok_or_else(|| Foreign::Machine(machine.to_owned()))?;
    let libc = match libc.unwrap_or("unknown") {
        "musl" => Libc::Musl,
        other => other
            .strip_prefix("glibc ")
            .and_then(|v| {
                let mut p = v.trim().split('.');
                Some((p.next()?.parse().ok()?, p.next()?.parse().ok()?))
            })
            .map_or(Libc::Unknown, Libc::Gnu),
    };
    Ok(Target { arch, libc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_targets() {
        assert_eq!(
            parse("Linux\nx86_64\nglibc 2.31\n"),
            Ok(Target {
                arch: Arch::X86_64,
                libc: Libc::Gnu((2, 31))
            })
        );
        assert_eq!(
            parse("Linux\naarch64\nmusl\n"),
            Ok(Target {
                arch: Arch::Aarch64,
                libc: Libc::Musl
            })
        );
        assert_eq!(
            parse("Linux\narm64\nunknown\n").map(|t| t.libc),
            Ok(Libc::Unknown)
        );
        assert_eq!(
            parse("FreeBSD\namd64\nunknown\n"),
            Err(Foreign::NotLinux("FreeBSD".into()))
        );
        let e = parse("FreeBSD\namd64\n").unwrap_err().to_string();
        assert!(e.contains("FreeBSD") && e.contains("`binary`"), "{e}");
        assert_eq!(
            parse("Linux\nriscv64\nglibc 2.36\n"),
            Err(Foreign::Machine("riscv64".into()))
        );
        assert!(matches!(parse(""), Err(Foreign::Unreadable(_))));
    }

    #[test]
    fn the_probe_reads_this_machine() {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(SCRIPT)
            .output()
            .unwrap();
        let t = parse(&String::from_utf8_lossy(&out.stdout)).unwrap();
        assert_eq!(t.arch.machine(), std::env::consts::ARCH);
        if cfg!(target_env = "gnu") {
            assert!(matches!(t.libc, Libc::Gnu(_)), "{t}");
        }
    }
}
