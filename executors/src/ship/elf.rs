//! What a program needs of the machine that runs it, read from the file itself: its format,
//! the machine its ELF header names, the dynamic loader it asks for, and the newest
//! `GLIBC_2.x` symbol version its version-needs table requires. Only the headers and those
//! tables are read (the file is mapped, not loaded), so a debug build of hundreds of MB costs
//! a few page faults.

use std::path::Path;

use object::elf::{EM_AARCH64, EM_X86_64, PT_INTERP};
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

/// A glibc version, `(major, minor)`: `(2, 34)`.
pub(crate) type GlibcVersion = (u32, u32);

/// What an executable file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Format {
    /// A Linux (ELF) executable for this machine (`e_machine`, as [`machine_name`] names it).
    Elf(u16),
    /// A Mach-O program (built on macOS).
    MachO,
    /// A Windows (PE) program.
    Pe,
    /// Anything else (a script, a truncated file).
    Unknown,
}

/// What a program needs of the machine that runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Needs {
    /// Its format (and, for ELF, its machine).
    pub format: Format,
    /// The dynamic loader it names (`/lib64/ld-linux-x86-64.so.2`), or `None` when it is
    /// statically linked.
    pub interpreter: Option<String>,
    /// The newest `GLIBC_2.x` version it requires, if it requires any.
    pub glibc: Option<GlibcVersion>,
}

impl Needs {
    /// Whether it links against musl (its loader is `ld-musl-*`).
    pub(crate) fn musl(&self) -> bool {
        self.interpreter
            .as_deref()
            .is_some_and(|i| i.contains("ld-musl"))
    }
}

/// The name of an ELF machine, as `uname -m` and Rust targets say it.
pub(crate) fn machine_name(machine: u16) -> String {
    match machine {
        EM_X86_64 => "x86_64".to_owned(),
        EM_AARCH64 => "aarch64".to_owned(),
        other => format!("ELF machine {other}"),
    }
}

/// Reads what the executable at `path` needs.
pub(crate) fn read(path: &Path) -> Result<Needs, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // SAFETY: the map is only read, and only while `file` is open here; a program rebuilt
    // under us could change it, which at worst misreads a header (the decision is checked
    // again by the loader that runs it).
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(needs(&map))
}

/// What the executable `bytes` needs.
pub(crate) fn needs(bytes: &[u8]) -> Needs {
    let unknown = |format| Needs {
        format,
        interpreter: None,
        glibc: None,
    };
    match bytes.get(..4) {
        Some(b"\x7fELF") => {}
        Some(
            [0xcf, 0xfa, 0xed, 0xfe]
            | [0xfe, 0xed, 0xfa, 0xcf]
            | [0xce, 0xfa, 0xed, 0xfe]
            | [0xca, 0xfe, 0xba, 0xbe],
        ) => return unknown(Format::MachO),
        Some([b'M', b'Z', ..]) => return unknown(Format::Pe),
        _ => return unknown(Format::Unknown),
    }
    // object reads headers in place, and needs them aligned (a map is; bytes from elsewhere
    // may not be): copy those into an aligned buffer.
    let aligned: Vec<u64>;
    let bytes = if bytes.as_ptr().align_offset(8) == 0 {
        bytes
    } else {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        // SAFETY: `words` holds at least `bytes.len()` bytes, and u64 has no invalid values.
        let view =
            unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), bytes.len()) };
        view.copy_from_slice(bytes);
        aligned = words;
        // SAFETY: as above; `aligned` lives to the end of this function.
        unsafe { std::slice::from_raw_parts(aligned.as_ptr().cast::<u8>(), bytes.len()) }
    };
    let parsed = match bytes.get(4) {
        Some(2) => elf::<object::elf::FileHeader64<Endianness>>(bytes),
        _ => elf::<object::elf::FileHeader32<Endianness>>(bytes),
    };
    // An ELF file whose headers `object` refuses (odd, truncated): its machine, from the
    // fixed place in the identification header, and nothing else known.
    parsed.unwrap_or_else(|| match (bytes.get(5), bytes.get(18..20)) {
        (Some(&data), Some(&[a, b])) => unknown(Format::Elf(if data == 2 {
            u16::from_be_bytes([a, b])
        } else {
            u16::from_le_bytes([a, b])
        })),
        _ => unknown(Format::Unknown),
    })
}

fn elf<H: FileHeader<Endian = Endianness>>(bytes: &[u8]) -> Option<Needs> {
    let header = H::parse(bytes).ok()?;
    let endian = header.endian().ok()?;
    let machine = header.e_machine(endian);
    let interpreter = header
        .program_headers(endian, bytes)
        .ok()?
        .iter()
        .find(|p| p.p_type(endian) == PT_INTERP)
        .and_then(|p| p.interpreter(endian, bytes).ok().flatten())
        .map(|i| String::from_utf8_lossy(i).into_owned());
    let mut glibc: Option<GlibcVersion> = None;
    let sections = header.sections(endian, bytes).ok()?;
    if let Ok(Some((mut needed, link))) = sections.gnu_verneed(endian, bytes) {
        let strings = sections.strings(endian, bytes, link).ok()?;
        while let Ok(Some((_, mut aux))) = needed.next() {
            while let Ok(Some(a)) = aux.next() {
                let Ok(name) = a.name(endian, strings) else {
                    continue;
                };
                if let Some(v) = glibc_version(name) {
                    glibc = glibc.max(Some(v));
                }
            }
        }
    }
    Some(Needs {
        format: Format::Elf(machine),
        interpreter,
        glibc,
    })
}

/// `GLIBC_2.34` as `(2, 34)`; `GLIBC_2.2.5` as `(2, 2)`; anything else `None`.
fn glibc_version(name: &[u8]) -> Option<GlibcVersion> {
    let rest = std::str::from_utf8(name).ok()?.strip_prefix("GLIBC_")?;
    let mut parts = rest.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ship::fixtures::*;

    #[test]
    fn real_programs_say_what_they_need() {
        let x86 = needs(X86_64_GLIBC_2_17);
        assert_eq!(x86.format, Format::Elf(EM_X86_64));
        assert_eq!(x86.glibc, Some((2, 17)));
        assert_eq!(needs(X86_64_GLIBC_2_34).glibc, Some((2, 34)));
        assert!(x86
            .interpreter
            .as_deref()
            .is_some_and(|i| i.contains("ld-linux-x86-64")));
        assert!(!x86.musl());
        let arm = needs(AARCH64_GLIBC_2_17);
        assert_eq!(arm.format, Format::Elf(EM_AARCH64));
        assert_eq!(arm.glibc, Some((2, 17)));
        let musl = needs(X86_64_MUSL);
        assert_eq!(musl.format, Format::Elf(EM_X86_64));
        assert_eq!((musl.glibc, musl.interpreter), (None, None));
        assert_eq!(needs(MACHO).format, Format::MachO);
        assert_eq!(needs(b"#!/bin/sh\necho hi\n").format, Format::Unknown);
        assert_eq!(needs(b"MZ\x90\0").format, Format::Pe);
        assert_eq!(needs(b"\x7fELF\x02\x01").format, Format::Unknown);
        // A bare identification header: its machine, nothing else.
        let mut bare = b"\x7fELF\x02\x01\0\0\0\0\0\0\0\0\0\0\x02\0\xb7\0".to_vec();
        bare.resize(64, 0);
        assert_eq!(needs(&bare).format, Format::Elf(EM_AARCH64));
        assert_eq!(machine_name(EM_AARCH64), "aarch64");
        assert_eq!(machine_name(243), "ELF machine 243");
    }

    #[test]
    fn this_test_program_needs_what_its_own_table_says() {
        let me = read(&std::env::current_exe().unwrap()).unwrap();
        let Format::Elf(machine) = me.format else {
            panic!("{me:?}")
        };
        assert_eq!(machine_name(machine), std::env::consts::ARCH);
        // Built here, against the build machine's glibc (2.36 on Debian 12): at least 2.2.5,
        // and never a version named only in data (the tests above hold `GLIBC_2.38` bytes).
        let v = me.glibc.expect("a glibc program");
        assert!(((2, 2)..(2, 38)).contains(&v), "{v:?}");
    }

    #[test]
    fn version_names_parse() {
        assert_eq!(glibc_version(b"GLIBC_2.34"), Some((2, 34)));
        assert_eq!(glibc_version(b"GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(glibc_version(b"GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version(b"GCC_3.0"), None);
    }
}
