//! Where a Lambda function runs: `provided.al2023` (glibc 2.34) on x86_64 or arm64, as a
//! [`Target`] of the shared floor, and why a binary cannot run there (with the fix).

pub(crate) use crate::aws::al2023::al2023;
use crate::ship::cross::{pinned, zig_target, BuildFor};
use crate::ship::elf;
use crate::ship::target::{fits, Unfit};

/// How builds for a function are named in messages.
pub(crate) const FOR_LAMBDA: BuildFor<'static> = BuildFor {
    place: "Lambda",
    setting: "`binary`",
};

/// Why `binary` cannot run as a `provided.al2023` function on `architecture`, with the fix.
pub(crate) fn check_runnable(bytes: &[u8], shown: &str, architecture: &str) -> Result<(), String> {
    let target = al2023(architecture);
    let want = target.arch.machine();
    let fix = format!(
        "build the program for Lambda (`rustup target add {}`, then \
         `cargo zigbuild --release --target {}`) and set `binary` to that build",
        target.rust_target(),
        zig_target(&pinned(target))
    );
    match fits(&elf::needs(bytes), &target) {
        Ok(()) => Ok(()),
        Err(Unfit::NotElf(_)) => Err(format!("{shown} is not a Linux (ELF) executable: {fix}")),
        Err(Unfit::Machine { program, .. }) => Err(format!(
            "{shown} is built for {program}, and the function runs on {want} (`architecture = \"{architecture}\"`): {fix}"
        )),
        Err(Unfit::Glibc { needs, has }) => Err(format!(
            "{shown} needs glibc {}.{}, and provided.al2023 has {}.{}: {fix}",
            needs.0, needs.1, has.0, has.1
        )),
        Err(other) => Err(format!("{shown} cannot run on provided.al2023: {other}: {fix}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::fixtures::*;

    #[test]
    fn programs_are_checked_against_al2023() {
        assert!(check_runnable(X86_64_GLIBC_2_34, "x", "x86_64").is_ok());
        assert!(check_runnable(X86_64_MUSL, "x", "x86_64").is_ok());
        assert!(check_runnable(AARCH64_GLIBC_2_17, "x", "arm64").is_ok());
        let err = check_runnable(X86_64_GLIBC_2_17, "x", "arm64").unwrap_err();
        assert!(
            err.contains("aarch64") && err.contains("cargo zigbuild"),
            "{err}"
        );
        assert!(check_runnable(b"#!/bin/sh\n", "x", "x86_64").is_err());
    }

    #[test]
    fn the_messages_name_the_build_to_make() {
        let arm = check_runnable(X86_64_GLIBC_2_17, "p", "arm64").unwrap_err();
        assert_eq!(
            arm,
            "p is built for x86_64, and the function runs on aarch64 (`architecture = \"arm64\"`): build the \
             program for Lambda (`rustup target add aarch64-unknown-linux-gnu`, then `cargo zigbuild --release \
             --target aarch64-unknown-linux-gnu.2.17`) and set `binary` to that build"
        );
        let not_elf = check_runnable(MACHO, "p", "x86_64").unwrap_err();
        assert!(
            not_elf.starts_with("p is not a Linux (ELF) executable: build the program for Lambda (`rustup target add x86_64-unknown-linux-gnu`"),
            "{not_elf}"
        );
        assert_eq!(al2023("sparc"), al2023("x86_64"));
    }
}
