//! Where a program is to run, apart from any executor: Linux on a CPU architecture, with a C
//! library (glibc of some version, musl, or none found), and whether a program fits there,
//! decided from what the program itself needs ([`Needs`]), never from the driver machine.

use std::fmt;
use std::str::FromStr;

use object::elf::{EM_AARCH64, EM_X86_64};

pub(crate) use super::elf::GlibcVersion;
use super::elf::{machine_name, Format, Needs};

/// The glibc a build for a probed host links against (older than any Lambda runtime's and
/// than every maintained distribution's), or the host's own when it is older still.
pub(crate) const PINNED_GLIBC: GlibcVersion = (2, 17);

/// A CPU architecture orbital builds for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Arch {
    /// 64-bit x86.
    X86_64,
    /// 64-bit ARM (AWS's `arm64`).
    Aarch64,
}

impl Arch {
    /// Its name in ELF files and in Rust targets: `x86_64`, `aarch64`.
    pub(crate) fn machine(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Its ELF `e_machine`.
    fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => EM_X86_64,
            Arch::Aarch64 => EM_AARCH64,
        }
    }

    /// The architecture `uname -m` names (`x86_64`, `amd64`, `aarch64`, `arm64`).
    pub(crate) fn from_uname(m: &str) -> Option<Arch> {
        match m.trim() {
            "x86_64" | "amd64" => Some(Arch::X86_64),
            "aarch64" | "arm64" | "armv8l" => Some(Arch::Aarch64),
            _ => None,
        }
    }
}

/// The C library programs find on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Libc {
    /// GNU libc of this version: a program that needs a newer `GLIBC_2.x` does not run.
    Gnu(GlibcVersion),
    /// musl: only static programs, or programs linked against musl, run.
    Musl,
    /// None was found: only static programs are sure to run.
    Unknown,
}

/// Where a program is to run: Linux on this architecture, with this C library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    /// The CPU architecture.
    pub arch: Arch,
    /// The C library.
    pub libc: Libc,
}

impl Target {
    /// The Rust target of it, without a glibc version: `x86_64-unknown-linux-gnu`,
    /// `aarch64-unknown-linux-musl` (a target without glibc gets a static musl build).
    pub(crate) fn rust_target(&self) -> String {
        let env = match self.libc {
            Libc::Gnu(_) => "gnu",
            Libc::Musl | Libc::Unknown => "musl",
        };
        format!("{}-unknown-linux-{env}", self.arch.machine())
    }
}

impl fmt::Display for Target {
    /// `Linux on x86_64 with glibc 2.31`, `Linux on aarch64 with musl`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Linux on {}", self.arch.machine())?;
        match self.libc {
            Libc::Gnu((a, b)) => write!(f, " with glibc {a}.{b}"),
            Libc::Musl => write!(f, " with musl"),
            Libc::Unknown => write!(f, " with no C library found"),
        }
    }
}

/// A `target` setting that is not a Linux target orbital builds for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadTarget(String);

impl fmt::Display for BadTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`target = \"{}\"` is not a target orbital builds for: write `<arch>-unknown-linux-gnu`, \
             `<arch>-unknown-linux-gnu.<glibc version>` or `<arch>-unknown-linux-musl`, with <arch> \
             x86_64 or aarch64 (e.g. \"x86_64-unknown-linux-gnu.2.28\", \"aarch64-unknown-linux-musl\"); for \
             another system, build the program yourself and set `binary`",
            self.0
        )
    }
}

impl FromStr for Target {
    type Err = BadTarget;

    /// `x86_64-unknown-linux-gnu.2.28`, `aarch64-unknown-linux-gnu` (glibc 2.17, the pinned
    /// version) or `x86_64-unknown-linux-musl`.
    fn from_str(s: &str) -> Result<Target, BadTarget> {
        let bad = || BadTarget(s.to_owned());
        let mut parts = s.trim().splitn(4, '-');
        let (arch, vendor, os, env) = (
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
        );
        let arch = match arch {
            "x86_64" => Arch::X86_64,
            "aarch64" => Arch::Aarch64,
            _ => return Err(bad()),
        };
        if vendor != "unknown" || os != "linux" {
            return Err(bad());
        }
        let libc = match env.split_once('.') {
            None if env == "gnu" => Libc::Gnu(PINNED_GLIBC),
            None if env == "musl" => Libc::Musl,
            Some(("gnu", v)) => {
                let (a, b) = v.split_once('.').ok_or_else(bad)?;
                Libc::Gnu((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?))
            }
            _ => return Err(bad()),
        };
        Ok(Target { arch, libc })
    }
}

/// Why a program cannot run on a target; its message names both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unfit {
    /// It is not a Linux (ELF) program (a Mach-O program from macOS, a script).
    NotElf(Format),
    /// It is built for this other machine (as [`machine_name`] names it).
    Machine {
        /// What the program is built for.
        program: String,
        /// What the target runs.
        target: Arch,
    },
    /// It needs glibc `needs`, and the target has only `has`.
    Glibc {
        /// The newest `GLIBC_2.x` symbol version the program requires.
        needs: GlibcVersion,
        /// The target's glibc.
        has: GlibcVersion,
    },
    /// It needs glibc, and the target has another C library, or none found.
    NoGlibc {
        /// The newest `GLIBC_2.x` the program requires (or `None` when it only asks for
        /// glibc's loader).
        needs: Option<GlibcVersion>,
        /// What the target has.
        has: Libc,
    },
    /// It is linked against musl, and the target has glibc, or no C library found.
    NoMusl,
}

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unfit::NotElf(Format::MachO) => {
                f.write_str("it is a macOS (Mach-O) program, not a Linux one")
            }
            Unfit::NotElf(Format::Pe) => f.write_str("it is a Windows program, not a Linux one"),
            Unfit::NotElf(_) => f.write_str("it is not a Linux (ELF) executable"),
            Unfit::Machine { program, target } => write!(
                f,
                "it is built for {program}, and the host runs {}",
                target.machine()
            ),
            Unfit::Glibc { needs, has } => write!(
                f,
                "it needs glibc {}.{}, and the host has glibc {}.{}",
                needs.0, needs.1, has.0, has.1
            ),
            Unfit::NoGlibc { needs, has } => {
                match needs {
                    Some((a, b)) => write!(f, "it needs glibc {a}.{b}")?,
                    None => f.write_str("it needs glibc")?,
                }
                match has {
                    Libc::Musl => f.write_str(", and the host has musl"),
                    _ => f.write_str(", and no C library was found on the host"),
                }
            }
            Unfit::NoMusl => f.write_str("it is linked against musl, which the host does not have"),
        }
    }
}

/// Whether a program that needs `needs` runs on `target`: an ELF file for its machine, then a
/// C library it can load (a static program needs none).
pub(crate) fn fits(needs: &Needs, target: &Target) -> Result<(), Unfit> {
    let Format::Elf(machine) = needs.format else {
        return Err(Unfit::NotElf(needs.format.clone()));
    };
    if machine != target.arch.elf_machine() {
        return Err(Unfit::Machine {
            program: machine_name(machine),
            target: target.arch,
        });
    }
    if needs.interpreter.is_none() {
        return Ok(()); // static: it brings its own C library
    }
    match (target.libc, needs.musl()) {
        (Libc::Gnu(has), false) => match needs.glibc {
            Some(v) if v > has => Err(Unfit::Glibc { needs: v, has }),
            _ => Ok(()),
        },
        (Libc::Musl, true) => Ok(()),
        (has @ (Libc::Musl | Libc::Unknown), false) => Err(Unfit::NoGlibc {
            needs: needs.glibc,
            has,
        }),
        (Libc::Gnu(_) | Libc::Unknown, true) => Err(Unfit::NoMusl),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::elf::needs;
    use crate::ship::fixtures::*;

    const X86_GLIBC_2_31: Target = Target {
        arch: Arch::X86_64,
        libc: Libc::Gnu((2, 31)),
    };

    #[test]
    fn programs_fit_by_machine_then_c_library() {
        let old = needs(X86_64_GLIBC_2_17);
        let new = needs(X86_64_GLIBC_2_34);
        assert_eq!(fits(&old, &X86_GLIBC_2_31), Ok(()));
        assert_eq!(
            fits(&new, &X86_GLIBC_2_31),
            Err(Unfit::Glibc {
                needs: (2, 34),
                has: (2, 31)
            })
        );
        let arm = Target {
            arch: Arch::Aarch64,
            ..X86_GLIBC_2_31
        };
        assert_eq!(
            fits(&old, &arm),
            Err(Unfit::Machine {
                program: "x86_64".into(),
                target: Arch::Aarch64
            })
        );
        assert_eq!(fits(&needs(AARCH64_GLIBC_2_17), &arm), Ok(()));
        // A program built on a Mac runs on no Linux host.
        assert_eq!(fits(&needs(MACHO), &arm), Err(Unfit::NotElf(Format::MachO)));
        // Static musl runs anywhere of its machine; glibc programs need glibc.
        let musl_host = Target {
            libc: Libc::Musl,
            ..X86_GLIBC_2_31
        };
        let bare = Target {
            libc: Libc::Unknown,
            ..X86_GLIBC_2_31
        };
        for t in [X86_GLIBC_2_31, musl_host, bare] {
            assert_eq!(fits(&needs(X86_64_MUSL), &t), Ok(()), "{t}");
        }
        assert_eq!(
            fits(&old, &musl_host),
            Err(Unfit::NoGlibc {
                needs: Some((2, 17)),
                has: Libc::Musl
            })
        );
        let dynamic_musl = Needs {
            interpreter: Some("/lib/ld-musl-x86_64.so.1".into()),
            ..needs(X86_64_MUSL)
        };
        assert_eq!(fits(&dynamic_musl, &musl_host), Ok(()));
        assert_eq!(fits(&dynamic_musl, &X86_GLIBC_2_31), Err(Unfit::NoMusl));
    }

    #[test]
    fn unfit_messages_name_both_sides() {
        let say = |n: &[u8], t: &Target| fits(&needs(n), t).unwrap_err().to_string();
        assert_eq!(
            say(X86_64_GLIBC_2_34, &X86_GLIBC_2_31),
            "it needs glibc 2.34, and the host has glibc 2.31"
        );
        let arm = Target {
            arch: Arch::Aarch64,
            ..X86_GLIBC_2_31
        };
        assert_eq!(
            say(X86_64_GLIBC_2_17, &arm),
            "it is built for x86_64, and the host runs aarch64"
        );
        assert_eq!(
            say(MACHO, &arm),
            "it is a macOS (Mach-O) program, not a Linux one"
        );
        assert_eq!(
            say(
                X86_64_GLIBC_2_17,
                &Target {
                    libc: Libc::Unknown,
                    ..X86_GLIBC_2_31
                }
            ),
            "it needs glibc 2.17, and no C library was found on the host"
        );
    }

    #[test]
    fn target_settings_parse() {
        let t = |s: &str| s.parse::<Target>();
        assert_eq!(
            t("x86_64-unknown-linux-gnu.2.28"),
            Ok(Target {
                arch: Arch::X86_64,
                libc: Libc::Gnu((2, 28))
            })
        );
        assert_eq!(
            t("aarch64-unknown-linux-gnu"),
            Ok(Target {
                arch: Arch::Aarch64,
                libc: Libc::Gnu((2, 17))
            })
        );
        assert_eq!(
            t("aarch64-unknown-linux-musl"),
            Ok(Target {
                arch: Arch::Aarch64,
                libc: Libc::Musl
            })
        );
        for bad in [
            "x86_64-apple-darwin",
            "riscv64gc-unknown-linux-gnu",
            "x86_64-unknown-linux-gnu.2",
            "x86_64-unknown-linux-gnux",
            "x86_64",
        ] {
            let e = t(bad).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains("`binary`"), "{e}");
        }
        assert_eq!(
            t("x86_64-unknown-linux-gnu.2.28").unwrap().to_string(),
            "Linux on x86_64 with glibc 2.28"
        );
        assert_eq!(
            t("aarch64-unknown-linux-musl").unwrap().rust_target(),
            "aarch64-unknown-linux-musl"
        );
        assert_eq!(Arch::from_uname("arm64\n"), Some(Arch::Aarch64));
        assert_eq!(Arch::from_uname("riscv64"), None);
    }
}
