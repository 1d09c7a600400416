//! The program deployed as the function's `bootstrap`: `binary`, the running executable, or a
//! build of this program for Lambda (by `cross_build`), packaged once per executor.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::AwsLambdaExecutor;
use super::package::{self, Package};
use super::runtime::{al2023, FOR_LAMBDA};
use crate::ship::choose::{self, Chosen};
use crate::ship::cross;
use crate::ship::install;

impl AwsLambdaExecutor {
    /// The package to deploy, its build time (zero unless the program was built again for
    /// Lambda) and its packaging time (zero when it was already made).
    pub(super) async fn package(&self) -> Result<(Arc<Package>, Duration, Duration), String> {
        let t0 = Instant::now();
        let mut built = None;
        let p = self
            .state
            .package
            .get_or_try_init(|| async {
                let cache = self.cache_dir.as_deref().map_or_else(
                    || {
                        dirs_cache()
                            .unwrap_or_else(|| PathBuf::from("/tmp"))
                            .join("orbital/lambda")
                    },
                    crate::ship::shell::expand_local,
                );
                let me = self.clone();
                let (pkg, build_time) =
                    tokio::task::spawn_blocking(move || me.package_blocking(&cache))
                        .await
                        .map_err(|e| format!("packaging failed: {e}"))??;
                built = Some(build_time);
                Ok::<_, String>(Arc::new(pkg))
            })
            .await?
            .clone();
        Ok(match built {
            Some(b) => (p, b, t0.elapsed().saturating_sub(b)),
            None => (p, Duration::ZERO, Duration::ZERO),
        })
    }

    /// Picks the binary (`binary`, this executable, or a build of this program for Lambda) and
    /// packages it.
    fn package_blocking(&self, cache: &std::path::Path) -> Result<(Package, Duration), String> {
        let arch = &self.architecture;
        if let Some(b) = &self.binary {
            return Ok((
                package::build(&crate::ship::shell::expand_local(b), arch, cache)
                    .map_err(|e| e.to_string())?,
                Duration::ZERO,
            ));
        }
        let exe = install::this_executable()?;
        let why = match self.choose(&exe, cache)? {
            Chosen::Ready(p) => return Ok((p, Duration::ZERO)),
            Chosen::CrossBuild(why) => why,
        };
        let Some(mut source) = orbital_core::program::current() else {
            return Err(format!(
                "{why}; orbital cannot tell which Cargo target this program is (it was not started by \
                 cargo and has no `#[orbital::main]`), so it cannot build it for Lambda: set `binary` to a \
                 build for Lambda ({})",
                cross::by_hand(&al2023(arch))
            ));
        };
        if let Some(f) = &self.build_features {
            source.features = f.clone();
            source.exact_features = false;
        }
        tracing::info!(reason = %why, "this program is built again for Lambda");
        let built = cross::build(
            &source,
            &al2023(arch),
            &self.build_profile,
            &cache.join("build"),
            FOR_LAMBDA,
        )?;
        let pkg = package::build(&built.path, arch, cache).map_err(|e| {
            format!(
                "the program built for Lambda ({}) cannot be deployed: {e}",
                built.path.display()
            )
        })?;
        Ok((pkg, built.time))
    }

    /// Whether the running executable `exe` is deployed (packaged) or the program is built
    /// again for Lambda (and why), by `cross_build`.
    fn choose(
        &self,
        exe: &std::path::Path,
        cache: &std::path::Path,
    ) -> Result<Chosen<Package>, String> {
        choose::choose(self.cross_build, || {
            package::build(exe, &self.architecture, cache)
        })
    }
}

fn dirs_cache() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::choose::CrossBuild;

    #[test]
    fn an_executable_lambda_cannot_run_is_built_again_unless_never() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        // Not an ELF file (a program built on macOS would be Mach-O).
        let exe = dir.path().join("prog");
        std::fs::write(&exe, b"\xcf\xfa\xed\xfe not linux").unwrap();
        let auto: AwsLambdaExecutor = toml::from_str("").unwrap();
        assert_eq!(auto.cross_build, CrossBuild::Auto);
        match auto.choose(&exe, &cache).unwrap() {
            Chosen::CrossBuild(why) => {
                assert!(why.contains("not a Linux (ELF) executable"), "{why}")
            }
            Chosen::Ready(_) => panic!("a non-ELF executable was packaged"),
        }
        let never: AwsLambdaExecutor = toml::from_str("cross_build = \"never\"").unwrap();
        let Err(e) = never.choose(&exe, &cache) else {
            panic!("`never` packaged a non-ELF executable")
        };
        assert!(
            e.contains("cargo zigbuild") && e.contains("cross_build = \"auto\""),
            "{e}"
        );
        // A Linux x86-64 program that needs no glibc newer than 2.34 is deployed as it is.
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
        elf.extend_from_slice(b"\0GLIBC_2.17\0GLIBC_2.34\0");
        std::fs::write(&exe, &elf).unwrap();
        assert!(matches!(
            auto.choose(&exe, &cache).unwrap(),
            Chosen::Ready(_)
        ));
        let always: AwsLambdaExecutor = toml::from_str("cross_build = \"always\"").unwrap();
        assert!(matches!(
            always.choose(&exe, &cache).unwrap(),
            Chosen::CrossBuild(_)
        ));
        // ... and one that needs glibc 2.38 is built again.
        elf.extend_from_slice(b"GLIBC_2.38\0");
        let newer = dir.path().join("newer");
        std::fs::write(&newer, &elf).unwrap();
        match auto.choose(&newer, &cache).unwrap() {
            Chosen::CrossBuild(why) => assert!(why.contains("glibc 2.38"), "{why}"),
            Chosen::Ready(_) => panic!("a program needing glibc 2.38 was packaged"),
        }
    }
}
