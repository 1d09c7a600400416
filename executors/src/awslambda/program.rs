//! The program deployed as the function's `bootstrap`: `binary`, or by the shared shipping path
//! (`ship/program.rs`) the running executable or a
//! build of this program for Lambda (by `cross_build`), packaged once per executor.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::AwsLambdaExecutor;
use super::package::{self, Package};
use super::runtime::{al2023, FOR_LAMBDA};
use crate::ship::program::{self, target_of, Origin, Program, Settings};

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
                    || program::default_cache_dir("lambda"),
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

    /// Picks the binary (`binary`, or by the shared shipping path this executable or a build
    /// of this program for Lambda) and packages it.
    fn package_blocking(&self, cache: &std::path::Path) -> Result<(Package, Duration), String> {
        let arch = &self.architecture;
        if let Some(b) = &self.binary {
            return Ok((
                package::build(&crate::ship::shell::expand_local(b), arch, cache)
                    .map_err(|e| e.to_string())?,
                Duration::ZERO,
            ));
        }
        let program = self.program(cache)?;
        let built = match program.origin {
            Origin::Built { time, .. } => time,
            _ => Duration::ZERO,
        };
        let pkg = package::build(&program.path, arch, cache).map_err(|e| match program.origin {
            Origin::Built { .. } => format!(
                "the program built for Lambda ({}) cannot be deployed: {e}",
                program.path.display()
            ),
            _ => e.to_string(),
        })?;
        Ok((pkg, built))
    }

    /// The program for the function by the shared shipping path: the running executable when
    /// it runs on `provided.al2023` (or `target`), else this program built for it.
    fn program(&self, cache: &std::path::Path) -> Result<Program, String> {
        let settings = Settings {
            cross_build: self.cross_build,
            target: self.target.clone(),
            build_profile: self.build_profile.clone(),
            build_features: self.build_features.clone(),
            binary: None,
            cache_dir: cache.to_owned(),
        };
        let function = al2023(&self.architecture);
        let target = target_of(&settings, Some(function))?;
        if target.arch != function.arch {
            return Err(format!(
                "`target = \"{}\"` is for {}, and the function runs on {} (`architecture = \"{}\"`): set a \
                 target of the function's architecture, or change `architecture`",
                settings.target.as_deref().unwrap_or_default(),
                target.arch.machine(),
                function.arch.machine(),
                self.architecture
            ));
        }
        program::resolve(&settings, target, FOR_LAMBDA)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::choose::CrossBuild;

    #[test]
    fn the_running_executable_is_deployed_where_it_runs_unless_always() {
        let dir = tempfile::tempdir().unwrap();
        // This test program, built on Debian 12 for x86-64 (glibc 2.36 there, but it needs
        // only what its version table names): deployed as it is when that fits al2023.
        let auto: AwsLambdaExecutor = toml::from_str("").unwrap();
        assert_eq!(auto.cross_build, CrossBuild::Auto);
        if std::env::consts::ARCH == "x86_64" {
            let needs = crate::ship::elf::read(&std::env::current_exe().unwrap()).unwrap();
            if needs.glibc.is_none_or(|v| v <= (2, 34)) {
                assert_eq!(auto.program(dir.path()).unwrap().origin, Origin::Running);
            }
        }
        // `never` on a function this executable cannot run on: the error names both sides.
        let other = if std::env::consts::ARCH == "x86_64" {
            "arm64"
        } else {
            "x86_64"
        };
        let never: AwsLambdaExecutor = toml::from_str(&format!(
            "cross_build = \"never\"\narchitecture = \"{other}\""
        ))
        .unwrap();
        let e = never.program(dir.path()).unwrap_err();
        assert!(
            e.contains("and the host runs") && e.contains("cross_build = \"auto\""),
            "{e}"
        );
        // A target of another architecture than the function's is refused by name.
        let wrong: AwsLambdaExecutor =
            toml::from_str("target = \"aarch64-unknown-linux-musl\"").unwrap();
        let e = wrong.program(dir.path()).unwrap_err();
        assert!(e.contains("`architecture = \"x86_64\"`"), "{e}");
    }
}
