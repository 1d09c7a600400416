//! Building this program again for the function's machine, when the running executable cannot
//! run on `provided.al2023` (another architecture, a newer glibc, not Linux at all): `cargo
//! zigbuild` for a pinned glibc (`x86_64-unknown-linux-gnu.2.17`, `aarch64-unknown-linux-gnu.2.17`),
//! the same package, target and features, into a target directory of its own under `cache_dir`.
//! Cargo's own output (its progress) goes to this program's stderr.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orbital_core::program::Source;

use super::package::machine_of;

/// The glibc the cross-build links against (older than any Lambda runtime's).
pub(crate) const PINNED_GLIBC: &str = "2.17";

/// A program built for the function.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    /// The executable.
    pub path: PathBuf,
    /// How long `cargo zigbuild` took.
    pub time: Duration,
}

/// The Rust target of `architecture` (`x86_64-unknown-linux-gnu`), without the glibc suffix.
pub(crate) fn rust_target(architecture: &str) -> String {
    format!("{}-unknown-linux-gnu", machine_of(architecture))
}

/// The arguments after `cargo` that build `source` for `architecture`.
pub(crate) fn args(
    source: &Source,
    architecture: &str,
    profile: &str,
    target_dir: &Path,
) -> Vec<String> {
    let mut a = vec![
        "zigbuild".to_owned(),
        "--profile".to_owned(),
        profile.to_owned(),
        "--target".to_owned(),
        format!("{}.{PINNED_GLIBC}", rust_target(architecture)),
        "--target-dir".to_owned(),
        target_dir.display().to_string(),
        "--message-format=json-render-diagnostics".to_owned(),
    ];
    a.extend(source.cargo_args());
    a
}

/// How to build it by hand (for errors).
pub(crate) fn by_hand(architecture: &str) -> String {
    let t = rust_target(architecture);
    format!(
        "`rustup target add {t}`, `pip install cargo-zigbuild ziglang` (or `cargo install cargo-zigbuild` and \
         zig from your system), then `cargo zigbuild --release --target {t}.{PINNED_GLIBC}`"
    )
}

/// Builds `source` for `architecture` with `cargo zigbuild` and returns the executable.
pub(crate) fn build(
    source: &Source,
    architecture: &str,
    profile: &str,
    target_dir: &Path,
) -> Result<Built, String> {
    let t0 = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = source.manifest_dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(format!(
            "cannot build this program for Lambda: its manifest {} is gone (the program was built \
             elsewhere); set `binary` to a build for Lambda ({})",
            manifest.display(),
            by_hand(architecture)
        ));
    }
    let zigbuild_ok = Command::new(&cargo)
        .args(["zigbuild", "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !zigbuild_ok {
        return Err(format!(
            "this program must be built again for Lambda, and `cargo zigbuild` is not installed: \
             `pip install cargo-zigbuild ziglang` (or `cargo install cargo-zigbuild` and zig from your \
             system); or build it yourself and set `binary` ({})",
            by_hand(architecture)
        ));
    }
    add_rust_target(&rust_target(architecture))?;
    let args = args(source, architecture, profile, target_dir);
    let shown = format!("cargo {}", args.join(" "));
    tracing::info!(command = %shown, "building this program for Lambda");
    let mut child = Command::new(&cargo)
        .args(&args)
        .current_dir(&source.manifest_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
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
    if !status.success() {
        return Err(format!(
            "building this program for Lambda failed ({status}); cargo's messages are above. The command \
             was `{shown}` (in {}); fix the build, or set `binary` to a build for Lambda",
            source.manifest_dir.display()
        ));
    }
    let path = executable.ok_or_else(|| {
        format!("`{shown}` succeeded but named no executable: set `binary` to a build for Lambda")
    })?;
    let time = t0.elapsed();
    tracing::info!(
        executable = %path.display(),
        seconds = time.as_secs_f64(),
        "built this program for Lambda"
    );
    Ok(Built { path, time })
}

/// Adds the Rust standard library for `target` with rustup when it is missing (a toolchain
/// without rustup is left to cargo, whose error says what is missing).
fn add_rust_target(target: &str) -> Result<(), String> {
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
    tracing::info!(%target, "adding the Rust target for Lambda (rustup target add)");
    let out = Command::new("rustup")
        .args(["target", "add", target])
        .output()
        .map_err(|e| format!("cannot run `rustup target add {target}`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`rustup target add {target}` failed: {}; add it by hand, or set `binary` to a build for Lambda",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbital_core::program::Target;

    #[test]
    fn the_command_pins_glibc_and_selects_the_program() {
        let s = Source {
            manifest_dir: "/src/app".into(),
            package: "app".into(),
            target: Target::Example("lambda".into()),
            features: vec!["awslambda".into()],
            exact_features: true,
        };
        let a = args(&s, "arm64", "release", Path::new("/c/build"));
        assert_eq!(
            a.join(" "),
            "zigbuild --profile release --target aarch64-unknown-linux-gnu.2.17 --target-dir /c/build \
             --message-format=json-render-diagnostics --manifest-path /src/app/Cargo.toml -p app --example lambda \
             --no-default-features --features awslambda"
        );
        assert!(by_hand("x86_64").contains("x86_64-unknown-linux-gnu.2.17"));
    }
}
