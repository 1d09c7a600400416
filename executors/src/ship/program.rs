//! The one shipping path of every remote executor: given where the tasks run (a probed
//! [`Target`], or the `target` setting), which program goes there. `binary` as it is; else the
//! running executable when it can run there (by `cross_build`); else this same program built
//! for the target with `cargo zigbuild`, with the package, Cargo target and features that
//! `#[orbital::main]` recorded, into `<cache dir>/build`. The program's build identity (the
//! hash of that file) is what each spec carries, so a runner refuses any other build.
//!
//! Blocking (it may run cargo for minutes): call it from `spawn_blocking`. One process builds
//! each (program, target, profile) once, however many hosts and executors want it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::choose::{choose, Chosen, CrossBuild};
use super::cross::{self, BuildFor};
use super::elf;
use super::shell::expand_local;
use super::target::{fits, Target};

/// The keys every remote executor shares for what it ships (see each executor's
/// documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Settings {
    /// `cross_build`.
    pub cross_build: CrossBuild,
    /// `target`: the host's target, instead of asking the host (built for exactly that).
    pub target: Option<String>,
    /// `build_profile`: the Cargo profile of a build for the host.
    pub build_profile: String,
    /// `build_features`: the package's features of that build, instead of those recorded.
    pub build_features: Option<Vec<String>>,
    /// `binary`: a program to ship as it is.
    pub binary: Option<String>,
    /// Where builds go (`<cache_dir>/build`).
    pub cache_dir: PathBuf,
}

/// The default `build_profile`.
pub(crate) const DEFAULT_PROFILE: &str = "release";

/// The default cache directory of an executor of `kind`: `~/.cache/orbital/<kind>`.
pub(crate) fn default_cache_dir(kind: &str) -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("orbital")
        .join(kind)
}

/// Where a shipped program came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The running executable, which can run there.
    Running,
    /// The `binary` setting.
    Binary,
    /// This program, built for the target (why, and how long cargo took: its no-op check
    /// when nothing changed).
    Built {
        /// Why the running executable was not shipped.
        why: String,
        /// How long `cargo zigbuild` took.
        time: Duration,
    },
}

/// The program to ship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Program {
    /// The executable.
    pub path: PathBuf,
    /// Its build identity (the hash of the file): its name where it is shipped, and what each
    /// spec carries.
    pub build_id: String,
    /// Where it came from.
    pub origin: Origin,
    /// Where it is to run.
    pub target: Target,
}

/// The target the tasks run on: the `target` setting, or else what the host said (`probed`,
/// which the caller runs only when this says it is needed: see [`needs_probe`]).
pub(crate) fn target_of(settings: &Settings, probed: Option<Target>) -> Result<Target, String> {
    match (&settings.target, probed) {
        (Some(t), _) => t.parse::<Target>().map_err(|e| e.to_string()),
        (None, Some(t)) => Ok(t),
        (None, None) => Err("the host's target is unknown: set `target`".to_owned()),
    }
}

/// Whether the host must be asked what it is (no `target` setting).
pub(crate) fn needs_probe(settings: &Settings) -> bool {
    settings.target.is_none()
}

/// The program to ship to `target`, built first if need be; `who` words the messages.
pub(crate) fn resolve(
    settings: &Settings,
    target: Target,
    who: BuildFor<'_>,
) -> Result<Program, String> {
    if let Some(b) = &settings.binary {
        let path = expand_local(b);
        let needs = elf::read(&path).map_err(|e| format!("`binary = \"{b}\"`: {e}"))?;
        fits(&needs, &target).map_err(|why| {
            format!(
                "`binary = \"{b}\"` cannot run on {target}: {why}; set `binary` to a build for the host, or \
                 remove it and let orbital build one"
            )
        })?;
        let build_id = orbital_core::identity::of_file(&path)
            .map_err(|e| format!("`binary = \"{b}\"`: cannot read it: {e}"))?;
        return Ok(Program {
            path,
            build_id,
            origin: Origin::Binary,
            target,
        });
    }
    let exe = super::install::this_executable()?;
    let shown = exe.display().to_string();
    let needs = elf::read(&exe)?;
    let why = match choose(settings.cross_build, &needs, &target, &shown)? {
        Chosen::Ship => {
            let build_id = orbital_core::identity::current()
                .map_err(|e| format!("cannot compute this program's build identity: {e}"))?;
            return Ok(Program {
                path: exe,
                build_id,
                origin: Origin::Running,
                target,
            });
        }
        Chosen::Build(why) => why,
    };
    // A probed host gets the pinned glibc (it runs on every newer one); `target` is built as
    // written.
    let build_for = if settings.target.is_some() {
        target
    } else {
        cross::pinned(target)
    };
    let Some(mut source) = orbital_core::program::current() else {
        return Err(format!(
            "{why}; orbital cannot tell which Cargo target this program is (it was not started by cargo and \
             has no `#[orbital::main]`), so it cannot build it for {}: set `binary` to a build for it ({})",
            who.place,
            cross::by_hand(&build_for)
        ));
    };
    if let Some(f) = &settings.build_features {
        source.features = f.clone();
        source.exact_features = false;
    }
    tracing::info!(reason = %why, target = %cross::zig_target(&build_for), "this program is built again for {}", who.place);
    let built = build_once(
        &source,
        &build_for,
        &settings.build_profile,
        &settings.cache_dir.join("build"),
        who,
    )?;
    let build_id = orbital_core::identity::of_file(&built.path)
        .map_err(|e| format!("cannot read the build {}: {e}", built.path.display()))?;
    Ok(Program {
        path: built.path,
        build_id,
        origin: Origin::Built {
            why,
            time: built.time,
        },
        target,
    })
}

/// [`cross::build`], once per (program, target, profile, directory) in this process: a second
/// caller waits for the first and takes its build (a failed one is tried again).
fn build_once(
    source: &orbital_core::program::Source,
    target: &Target,
    profile: &str,
    dir: &Path,
    who: BuildFor<'_>,
) -> Result<cross::Built, String> {
    type Slot = Arc<Mutex<Option<cross::Built>>>;
    static BUILDS: Mutex<Option<HashMap<String, Slot>>> = Mutex::new(None);
    let key = format!(
        "{:?}|{}|{profile}|{}",
        source.cargo_args(),
        cross::zig_target(target),
        dir.display()
    );
    let slot = BUILDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_default()
        .clone();
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(built) = slot.as_ref() {
        return Ok(cross::Built {
            path: built.path.clone(),
            time: Duration::ZERO,
        });
    }
    let built = cross::build(source, target, profile, dir, who)?;
    *slot = Some(built.clone());
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::target::{Arch, Libc};

    fn settings() -> Settings {
        Settings {
            cross_build: CrossBuild::Auto,
            target: None,
            build_profile: DEFAULT_PROFILE.into(),
            build_features: None,
            binary: None,
            cache_dir: std::env::temp_dir(),
        }
    }

    const WHO: BuildFor<'static> = BuildFor {
        place: "the host",
        setting: "`binary`",
    };

    #[test]
    fn the_target_setting_wins_over_the_probe() {
        let probed = Target {
            arch: Arch::Aarch64,
            libc: Libc::Gnu((2, 36)),
        };
        assert_eq!(target_of(&settings(), Some(probed)), Ok(probed));
        assert!(needs_probe(&settings()));
        let s = Settings {
            target: Some("x86_64-unknown-linux-musl".into()),
            ..settings()
        };
        assert!(!needs_probe(&s));
        assert_eq!(target_of(&s, None).unwrap().libc, Libc::Musl);
        let bad = Settings {
            target: Some("sparc-sun-solaris".into()),
            ..settings()
        };
        assert!(target_of(&bad, None)
            .unwrap_err()
            .contains("sparc-sun-solaris"));
    }

    #[test]
    fn a_binary_is_shipped_as_it_is_when_it_fits() {
        let dir = tempfile::tempdir().unwrap();
        let arm = dir.path().join("arm");
        std::fs::write(&arm, crate::ship::fixtures::AARCH64_GLIBC_2_17).unwrap();
        let s = Settings {
            binary: Some(arm.display().to_string()),
            ..settings()
        };
        let host = Target {
            arch: Arch::Aarch64,
            libc: Libc::Gnu((2, 31)),
        };
        let p = resolve(&s, host, WHO).unwrap();
        assert_eq!(
            (p.path.as_path(), &p.origin),
            (arm.as_path(), &Origin::Binary)
        );
        assert_eq!(
            p.build_id,
            orbital_core::identity::of_bytes(crate::ship::fixtures::AARCH64_GLIBC_2_17)
        );
        let x86 = Target {
            arch: Arch::X86_64,
            ..host
        };
        let e = resolve(&s, x86, WHO).unwrap_err();
        assert!(
            e.contains("built for aarch64, and the host runs x86_64") && e.contains("`binary"),
            "{e}"
        );
        let missing = Settings {
            binary: Some("/nonexistent/prog".into()),
            ..settings()
        };
        assert!(resolve(&missing, host, WHO)
            .unwrap_err()
            .contains("/nonexistent/prog"));
    }

    #[test]
    fn the_running_executable_ships_where_it_runs() {
        // This test program, on this machine's own target: shipped as it is.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(crate::ship::probe::SCRIPT)
            .output()
            .unwrap();
        let here = crate::ship::probe::parse(&String::from_utf8_lossy(&out.stdout)).unwrap();
        let p = resolve(&settings(), here, WHO).unwrap();
        assert_eq!(p.origin, Origin::Running);
        assert_eq!(p.build_id, orbital_core::identity::current().unwrap());
    }
}
