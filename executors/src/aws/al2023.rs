//! Amazon Linux 2023 as a [`Target`] of the shared floor: what Lambda's `provided.al2023`
//! runtime and Batch's default image (`public.ecr.aws/amazonlinux/amazonlinux:2023`) run.

use crate::ship::target::{Arch, Libc, Target};

/// The newest glibc on Amazon Linux 2023.
pub(crate) const AL2023_GLIBC: (u32, u32) = (2, 34);

/// Amazon Linux 2023 on `architecture` (`arm64`; anything else is `x86_64`).
pub(crate) fn al2023(architecture: &str) -> Target {
    Target {
        arch: if architecture == "arm64" {
            Arch::Aarch64
        } else {
            Arch::X86_64
        },
        libc: Libc::Gnu(AL2023_GLIBC),
    }
}
