//! The choice between shipping the running executable as it is and building the program again
//! for where its tasks run, by the executor's `cross_build` setting.

use serde::{Deserialize, Serialize};

/// When an executor builds the program again for where its tasks run (`cross_build`), instead
/// of shipping the running executable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrossBuild {
    /// When the running executable cannot run there (for the Lambda executor: on
    /// `provided.al2023`).
    #[default]
    Auto,
    /// Every time (the running executable is never shipped).
    Always,
    /// Never: an executable that cannot run there is an error.
    Never,
}

/// Why the running executable could not be made ready to ship (packaged, say).
#[derive(Debug)]
pub(crate) enum PrepareError {
    /// The executable cannot run where the tasks run (the message says why and how to build
    /// one that can).
    NotRunnable(String),
    /// Anything else (unreadable, too large, cache not writable).
    Other(String),
}

impl From<String> for PrepareError {
    fn from(s: String) -> Self {
        PrepareError::Other(s)
    }
}

impl std::fmt::Display for PrepareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrepareError::NotRunnable(s) | PrepareError::Other(s) => f.write_str(s),
        }
    }
}

/// What [`choose`] decided.
#[derive(Debug)]
pub(crate) enum Chosen<P> {
    /// The running executable, made ready to ship.
    Ready(P),
    /// Build the program again for where the tasks run, for this reason.
    CrossBuild(String),
}

/// Whether the running executable is shipped (made ready by `prepare`, which checks that it
/// can run there) or the program is built again (and why), by `mode`. `Always` does not call
/// `prepare`; `Never` makes an executable that cannot run there an error.
pub(crate) fn choose<P>(
    mode: CrossBuild,
    prepare: impl FnOnce() -> Result<P, PrepareError>,
) -> Result<Chosen<P>, String> {
    match mode {
        CrossBuild::Always => Ok(Chosen::CrossBuild("`cross_build = \"always\"`".to_owned())),
        mode => match prepare() {
            Ok(p) => Ok(Chosen::Ready(p)),
            Err(PrepareError::NotRunnable(why)) if mode == CrossBuild::Auto => {
                Ok(Chosen::CrossBuild(why))
            }
            Err(PrepareError::NotRunnable(why)) => Err(format!(
                "{why}; or let orbital build it (`cross_build = \"auto\"`, not \"never\")"
            )),
            Err(e) => Err(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unfit() -> Result<u8, PrepareError> {
        Err(PrepareError::NotRunnable("x is built for aarch64".into()))
    }

    #[test]
    fn each_mode_ships_or_builds_again() {
        assert!(matches!(
            choose(CrossBuild::Auto, || Ok(1)),
            Ok(Chosen::Ready(1))
        ));
        match choose(CrossBuild::Auto, unfit) {
            Ok(Chosen::CrossBuild(why)) => assert_eq!(why, "x is built for aarch64"),
            other => panic!("{other:?}"),
        }
        let e = choose(CrossBuild::Never, unfit).unwrap_err();
        assert!(
            e.starts_with("x is built for aarch64; ") && e.contains("\"auto\""),
            "{e}"
        );
        assert!(matches!(
            choose(CrossBuild::Never, || Ok(1)),
            Ok(Chosen::Ready(1))
        ));
        let always = choose::<u8>(CrossBuild::Always, || panic!("`always` prepares nothing"));
        assert!(matches!(always, Ok(Chosen::CrossBuild(why)) if why.contains("always")));
        let other = choose::<u8>(CrossBuild::Auto, || Err("cannot read x".to_owned().into()));
        assert_eq!(other.unwrap_err(), "cannot read x");
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
