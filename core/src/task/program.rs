//! Where the running program comes from: its Cargo package, target and features, so that an
//! executor can build the same program again for another machine (the Lambda executor
//! cross-builds it for `provided.al2023` when this executable cannot run there).
//!
//! `#[orbital::main]` records it at compile time ([`record`]). A program that calls
//! `orbital::init()` itself (a test binary, say) falls back to what Cargo tells a process it
//! starts (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`) and to where Cargo put the executable.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What Cargo builds to get this program.
///
/// ```
/// use orbital_core::program::{Source, Target};
/// let s = Source {
///     manifest_dir: "/src/demo".into(),
///     package: "demo".into(),
///     target: Target::Example("hello".into()),
///     features: vec!["awslambda".into()],
///     exact_features: false,
/// };
/// assert_eq!(s.cargo_args(), ["--manifest-path", "/src/demo/Cargo.toml", "-p", "demo", "--example", "hello", "--features", "awslambda"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The package's directory (holds its `Cargo.toml`).
    pub manifest_dir: PathBuf,
    /// The package's name.
    pub package: String,
    /// Which of its targets this program is.
    pub target: Target,
    /// The package's own features that were on in this build.
    pub features: Vec<String>,
    /// Whether `features` is the whole set (default features are then in it by name, when
    /// they were on), so that the build passes `--no-default-features`.
    pub exact_features: bool,
}

/// A Cargo target of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `[[bin]]` (`--bin NAME`).
    Bin(String),
    /// `[[example]]` (`--example NAME`).
    Example(String),
    /// `[[test]]` (`--test NAME`).
    Test(String),
}

impl Source {
    /// The arguments that select this program in `cargo build` (manifest, package, target,
    /// features), without the profile or the target triple.
    pub fn cargo_args(&self) -> Vec<String> {
        let (flag, name) = match &self.target {
            Target::Bin(n) => ("--bin", n),
            Target::Example(n) => ("--example", n),
            Target::Test(n) => ("--test", n),
        };
        let mut args = vec![
            "--manifest-path".to_owned(),
            self.manifest_dir.join("Cargo.toml").display().to_string(),
            "-p".to_owned(),
            self.package.clone(),
            flag.to_owned(),
            name.clone(),
        ];
        if self.exact_features {
            args.push("--no-default-features".to_owned());
        }
        if !self.features.is_empty() {
            args.push("--features".to_owned());
            args.push(self.features.join(","));
        }
        args
    }
}

/// What `#[orbital::main]` records of the program it is compiled into (compile-time strings).
#[doc(hidden)]
#[derive(Debug)]
pub struct Recorded {
    /// `CARGO_MANIFEST_DIR`.
    pub manifest_dir: &'static str,
    /// `CARGO_PKG_NAME`.
    pub package: &'static str,
    /// `CARGO_BIN_NAME` (bins and examples).
    pub bin_name: Option<&'static str>,
    /// `CARGO_CRATE_NAME`.
    pub crate_name: &'static str,
    /// The package's features that were on.
    pub features: &'static [&'static str],
    /// Whether `features` is the whole set (the macro could read the package's manifest).
    pub features_known: bool,
}

static RECORDED: OnceLock<&'static Recorded> = OnceLock::new();

/// Records where this program comes from (called by `#[orbital::main]` before anything else).
#[doc(hidden)]
pub fn record(r: &'static Recorded) {
    let _ = RECORDED.set(r);
}

/// Where this program comes from, when it can be told: recorded by `#[orbital::main]`, or from
/// the environment Cargo gives `cargo run` / `cargo test`. `None` for a binary started by hand
/// that was built without `#[orbital::main]`.
pub fn current() -> Option<Source> {
    let exe = std::env::current_exe().ok();
    if let Some(r) = RECORDED.get() {
        let target = match (r.bin_name, exe.as_deref().map(kind_of)) {
            (Some(n), Some(Kind::Example)) => Target::Example(n.to_owned()),
            (Some(n), _) => Target::Bin(n.to_owned()),
            (None, _) => Target::Test(r.crate_name.to_owned()),
        };
        return Some(Source {
            manifest_dir: PathBuf::from(r.manifest_dir),
            package: r.package.to_owned(),
            target,
            features: r.features.iter().map(|f| (*f).to_owned()).collect(),
            exact_features: r.features_known,
        });
    }
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let package = std::env::var("CARGO_PKG_NAME").ok()?;
    let exe = exe?;
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    let target = match kind_of(&exe) {
        Kind::Example => Target::Example(stem),
        // `deps/<crate>-<16 hex digits>`: an integration test (cargo names the file after the
        // crate, with `-` as `_`; the target's own name may have had `-`).
        Kind::Deps => {
            let name = match stem.rsplit_once('-') {
                Some((n, hash)) if hash.len() == 16 => n.to_owned(),
                _ => stem,
            };
            Target::Test(name)
        }
        Kind::Bin => Target::Bin(stem),
    };
    Some(Source {
        manifest_dir,
        package,
        target,
        features: Vec::new(),
        exact_features: false,
    })
}

enum Kind {
    Bin,
    Example,
    Deps,
}

fn kind_of(exe: &Path) -> Kind {
    match exe
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
    {
        Some("examples") => Kind::Example,
        Some("deps") => Kind::Deps,
        _ => Kind::Bin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_select_their_flag() {
        let s = Source {
            manifest_dir: "/w".into(),
            package: "p".into(),
            target: Target::Test("lambda_faults".into()),
            features: vec![],
            exact_features: true,
        };
        assert_eq!(
            s.cargo_args(),
            [
                "--manifest-path",
                "/w/Cargo.toml",
                "-p",
                "p",
                "--test",
                "lambda_faults",
                "--no-default-features"
            ]
        );
    }

    #[test]
    fn the_executable_path_tells_the_kind() {
        assert!(matches!(
            kind_of(Path::new("/t/debug/examples/hello")),
            Kind::Example
        ));
        assert!(matches!(
            kind_of(Path::new("/t/debug/deps/x-0123456789abcdef")),
            Kind::Deps
        ));
        assert!(matches!(kind_of(Path::new("/t/release/hello")), Kind::Bin));
    }
}
