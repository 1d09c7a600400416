//! Building this program again for a [`Target`], when the running executable cannot run there
//! (another architecture, a newer glibc, not Linux at all): `cargo zigbuild` for a pinned glibc
//! (`x86_64-unknown-linux-gnu.2.17`, `aarch64-unknown-linux-gnu.2.17`) or for musl, the same
//! package, target and features, into a target directory the caller names (one of its own
//! under the executor's cache directory, so it never waits on the dispatching cargo's lock).
//! Cargo's own output (its progress and errors) goes to this program's stderr, and its last
//! lines into the error when the build fails.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orbital_core::program::Source;

use super::target::{Libc, Target, PINNED_GLIBC};

/// Whom a build is for, as its messages name it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuildFor<'a> {
    /// Where the program runs: `Lambda` ("building this program for Lambda").
    pub place: &'a str,
    /// The setting that names a build made by hand instead: `` `binary` ``.
    pub setting: &'a str,
}

/// A program built for a target.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    /// The executable.
    pub path: PathBuf,
    /// How long `cargo zigbuild` took.
    pub time: Duration,
}

/// What is built for a host that is `target`: glibc lowered to [`PINNED_GLIBC`] (a build for
/// an older glibc runs on every newer one), and musl when the host has no glibc.
pub(crate) fn pinned(target: Target) -> Target {
    Target {
        libc: match target.libc {
            Libc::Gnu(has) => Libc::Gnu(has.min(PINNED_GLIBC)),
            Libc::Musl | Libc::Unknown => Libc::Musl,
        },
        ..target
    }
}

/// The target `cargo zigbuild` builds for: the Rust target with its glibc version
/// (`x86_64-unknown-linux-gnu.2.17`), or a musl one.
pub(crate) fn zig_target(target: &Target) -> String {
    match target.libc {
        Libc::Gnu((major, minor)) => format!("{}.{major}.{minor}", target.rust_target()),
        Libc::Musl | Libc::Unknown => target.rust_target(),
    }
}

/// The arguments after `cargo` that build `source` for `target`.
pub(crate) fn args(
    source: &Source,
    target: &Target,
    profile: &str,
    target_dir: &Path,
) -> Vec<String> {
    let mut a = vec![
        "zigbuild".to_owned(),
        "--profile".to_owned(),
        profile.to_owned(),
        "--target".to_owned(),
        zig_target(target),
        "--target-dir".to_owned(),
        target_dir.display().to_string(),
        "--message-format=json-render-diagnostics".to_owned(),
    ];
    a.extend(source.cargo_args());
    a
}

/// How to build it by hand (for errors).
pub(crate) fn by_hand(target: &Target) -> String {
    let t = target.rust_target();
    format!(
        "`rustup target add {t}`, then `cargo zigbuild --release --target {}`",
        zig_target(target)
    )
}

/// How many of cargo's last stderr lines a failed build's error keeps.
const KEPT_LINES: usize = 30;

/// Builds `source` for `target` (exactly: pin it first with [`pinned`]) with `cargo zigbuild`
/// and returns the executable; `who` words the messages.
pub(crate) fn build(
    source: &Source,
    target: &Target,
    profile: &str,
    target_dir: &Path,
    who: BuildFor<'_>,
) -> Result<Built, String> {
    let BuildFor { place, setting } = who;
    let t0 = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = source.manifest_dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(format!(
            "cannot build this program for {place}: its manifest {} is gone (the program was built \
             elsewhere); set {setting} to a build for {place} ({})",
            manifest.display(),
            by_hand(target)
        ));
    }
    let zigbuild_ok = Command::new(&cargo)
        .args(["zigbuild", "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !zigbuild_ok || !zig_found() {
        let missing = if zigbuild_ok {
            "zig"
        } else {
            "`cargo zigbuild`"
        };
        return Err(format!(
            "this program must be built again for {place}, and {missing} is not installed: {INSTALL}; or \
             build it yourself ({}) and set {setting} to that build",
            by_hand(target)
        ));
    }
    add_rust_target(&target.rust_target(), who)?;
    let args = args(source, target, profile, target_dir);
    let shown = format!("cargo {}", args.join(" "));
    tracing::info!(command = %shown, "building this program for {place}");
    let mut child = Command::new(&cargo)
        .args(&args)
        .current_dir(&source.manifest_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    // Cargo's progress and errors go on to our stderr as they come; the last lines are kept.
    let said = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut kept = std::collections::VecDeque::new();
            for line in std::io::BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                eprintln!("{line}");
                if kept.len() == KEPT_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
            // What cargo-zigbuild adds after its error (a backtrace of itself) says nothing.
            let kept: Vec<String> = kept
                .into_iter()
                .take_while(|l| !l.starts_with("Stack backtrace:"))
                .collect();
            kept.join("\n")
        })
    });
    let mut executable = None;
    if let Some(out) = child.stdout.take() {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if msg["reason"] == "compiler-artifact" {
                if let Some(exe) = msg["executable"].as_str() {
                    executable = Some(PathBuf::from(exe));
                }
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("`{shown}` did not finish: {e}"))?;
    let said = said.and_then(|t| t.join().ok()).unwrap_or_default();
    if !status.success() {
        let zig = if said.contains("zig")
            && (said.contains("not found") || said.contains("Failed to find"))
        {
            format!(" zig is missing: {INSTALL}.")
        } else {
            String::new()
        };
        return Err(format!(
            "building this program for {place} failed ({status}).{zig} Cargo said:\n{said}\nRerun it by hand \
             with `{shown}` (in {}); fix the build, or set {setting} to a build for {place}",
            source.manifest_dir.display()
        ));
    }
    let path = executable.ok_or_else(|| {
        format!("`{shown}` succeeded but named no executable: set {setting} to a build for {place}")
    })?;
    let time = t0.elapsed();
    tracing::info!(
        executable = %path.display(),
        seconds = time.as_secs_f64(),
        "built this program for {place}"
    );
    Ok(Built { path, time })
}

/// Whether zig can be found the ways `cargo zigbuild` looks for it: `$ZIG`, `zig` on the
/// PATH, or Python's `ziglang` package.
fn zig_found() -> bool {
    let runs = |program: &std::ffi::OsStr, args: &[&str]| {
        Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::env::var_os("ZIG").is_some()
        || runs("zig".as_ref(), &["version"])
        || runs("python3".as_ref(), &["-c", "import ziglang"])
}

/// How to install what a cross build needs.
const INSTALL: &str =
    "`pip install cargo-zigbuild ziglang` (or `cargo install cargo-zigbuild` and zig from your system)";

/// Adds the Rust standard library for `target` with rustup when it is missing (a toolchain
/// without rustup is left to cargo, whose error says what is missing).
fn add_rust_target(target: &str, who: BuildFor<'_>) -> Result<(), String> {
    let BuildFor { place, setting } = who;
    let Ok(listed) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .stderr(Stdio::null())
        .output()
    else {
        return Ok(());
    };
    if !listed.status.success()
        || String::from_utf8_lossy(&listed.stdout)
            .lines()
            .any(|l| l.trim() == target)
    {
        return Ok(());
    }
    tracing::info!(%target, "adding the Rust target for {place} (rustup target add)");
    let out = Command::new("rustup")
        .args(["target", "add", target])
        .output()
        .map_err(|e| format!("cannot run `rustup target add {target}`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`rustup target add {target}` failed: {}; add it by hand, or set {setting} to a build for {place}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::target::Arch;
    use orbital_core::program::Target as CargoTarget;

    #[test]
    fn the_command_pins_glibc_and_selects_the_program() {
        let s = Source {
            manifest_dir: "/src/app".into(),
            package: "app".into(),
            target: CargoTarget::Example("lambda".into()),
            features: vec!["awslambda".into()],
            exact_features: true,
        };
        let arm = Target {
            arch: Arch::Aarch64,
            libc: Libc::Gnu((2, 34)),
        };
        let a = args(&s, &pinned(arm), "release", Path::new("/c/build"));
        assert_eq!(
            a.join(" "),
            "zigbuild --profile release --target aarch64-unknown-linux-gnu.2.17 --target-dir /c/build \
             --message-format=json-render-diagnostics --manifest-path /src/app/Cargo.toml -p app --example lambda \
             --no-default-features --features awslambda"
        );
        let x86 = Target {
            arch: Arch::X86_64,
            ..arm
        };
        assert!(by_hand(&pinned(x86)).contains("x86_64-unknown-linux-gnu.2.17"));
        // A host older than the pinned glibc is built for its own; an explicit target as it is.
        let old = Target {
            libc: Libc::Gnu((2, 12)),
            ..x86
        };
        assert_eq!(zig_target(&pinned(old)), "x86_64-unknown-linux-gnu.2.12");
        assert_eq!(zig_target(&x86), "x86_64-unknown-linux-gnu.2.34");
        // A host without glibc gets a static musl build.
        for libc in [Libc::Musl, Libc::Unknown] {
            let t = pinned(Target { libc, ..arm });
            assert_eq!(zig_target(&t), "aarch64-unknown-linux-musl");
        }
    }
}
