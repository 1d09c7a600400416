//! The choice between shipping the running executable as it is and building the program again
//! for where its tasks run, by the executor's `cross_build` setting and what the executable
//! itself needs (never by what the driver machine is: it may be a Mac).

use serde::{Deserialize, Serialize};

use super::elf::Needs;
use super::target::{fits, Target};

/// When an executor builds the program again for where its tasks run (`cross_build`), instead
/// of shipping the running executable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrossBuild {
    /// When the running executable cannot run there (another architecture, a newer glibc than
    /// the host's, not a Linux program at all).
    #[default]
    Auto,
    /// Every time (the running executable is never shipped).
    Always,
    /// Never: an executable that cannot run there is an error.
    Never,
}

/// What [`choose`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Chosen {
    /// Ship the running executable: it runs there.
    Ship,
    /// Build the program again for there, for this reason.
    Build(String),
}

/// Whether the running executable (which needs `needs`) is shipped to `target`, or the
/// program is built again (and why), by `mode`. With `Never`, an executable that cannot run
/// there is an error naming both sides; `shown` names the executable in it.
pub(crate) fn choose(
    mode: CrossBuild,
    needs: &Needs,
    target: &Target,
    shown: &str,
) -> Result<Chosen, String> {
    if mode == CrossBuild::Always {
        return Ok(Chosen::Build("`cross_build = \"always\"`".to_owned()));
    }
    match (fits(needs, target), mode) {
        (Ok(()), _) => Ok(Chosen::Ship),
        (Err(why), CrossBuild::Never) => Err(format!(
            "this program ({shown}) cannot run on {target}: {why}; and `cross_build = \"never\"` keeps orbital \
             from building it for the host: set `cross_build = \"auto\"`, or set `binary` to a build for it"
        )),
        (Err(why), _) => Ok(Chosen::Build(format!("{shown} cannot run on {target}: {why}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::elf::needs;
    use crate::ship::fixtures::*;
    use crate::ship::target::{Arch, Libc};

    const OLD_CLUSTER: Target = Target {
        arch: Arch::X86_64,
        libc: Libc::Gnu((2, 28)),
    };
    const ARM: Target = Target {
        arch: Arch::Aarch64,
        libc: Libc::Gnu((2, 36)),
    };

    #[test]
    fn each_mode_ships_or_builds_again() {
        let new = needs(X86_64_GLIBC_2_34);
        let old = needs(X86_64_GLIBC_2_17);
        assert_eq!(
            choose(CrossBuild::Auto, &old, &OLD_CLUSTER, "p"),
            Ok(Chosen::Ship)
        );
        assert_eq!(
            choose(CrossBuild::Never, &old, &OLD_CLUSTER, "p"),
            Ok(Chosen::Ship)
        );
        assert_eq!(
            choose(CrossBuild::Auto, &new, &OLD_CLUSTER, "p"),
            Ok(Chosen::Build(
                "p cannot run on Linux on x86_64 with glibc 2.28: it needs glibc 2.34, and the host has glibc 2.28"
                    .into()
            ))
        );
        let e = choose(CrossBuild::Never, &new, &OLD_CLUSTER, "p").unwrap_err();
        assert!(
            e.contains("needs glibc 2.34, and the host has glibc 2.28")
                && e.contains("cross_build = \"auto\"")
                && e.contains("`binary`"),
            "{e}"
        );
        assert!(matches!(
            choose(CrossBuild::Always, &old, &OLD_CLUSTER, "p"),
            Ok(Chosen::Build(why)) if why.contains("always")
        ));
    }

    #[test]
    fn a_driver_on_a_mac_or_on_arm_builds_for_the_host() {
        // The driver's own executable is a Mach-O program (dispatching from macOS).
        match choose(CrossBuild::Auto, &needs(MACHO), &OLD_CLUSTER, "p").unwrap() {
            Chosen::Build(why) => assert!(why.contains("macOS (Mach-O)"), "{why}"),
            Chosen::Ship => panic!("a Mach-O program was shipped to Linux"),
        }
        // An ELF for another machine (dispatching from an ARM laptop to x86_64, and back).
        let arm = needs(AARCH64_GLIBC_2_17);
        match choose(CrossBuild::Auto, &arm, &OLD_CLUSTER, "p").unwrap() {
            Chosen::Build(why) => assert!(
                why.contains("built for aarch64, and the host runs x86_64"),
                "{why}"
            ),
            Chosen::Ship => panic!("an aarch64 program was shipped to x86_64"),
        }
        assert_eq!(choose(CrossBuild::Auto, &arm, &ARM, "p"), Ok(Chosen::Ship));
        let e = choose(CrossBuild::Never, &needs(X86_64_GLIBC_2_17), &ARM, "p").unwrap_err();
        assert!(
            e.contains("built for x86_64, and the host runs aarch64"),
            "{e}"
        );
    }

    #[test]
    fn the_setting_reads_in_lowercase() {
        #[derive(Deserialize)]
        struct C {
            #[serde(default)]
            cross_build: CrossBuild,
        }
        let read = |t: &str| toml::from_str::<C>(t).unwrap().cross_build;
        assert_eq!(read(""), CrossBuild::Auto);
        assert_eq!(read("cross_build = \"always\""), CrossBuild::Always);
        assert_eq!(read("cross_build = \"never\""), CrossBuild::Never);
        assert!(toml::from_str::<C>("cross_build = \"Always\"").is_err());
    }
}
