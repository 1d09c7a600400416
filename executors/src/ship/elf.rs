//! Reading a binary: the machine it is built for (its ELF header), and the newest
//! `GLIBC_2.x` symbol version it needs.

/// The highest `GLIBC_x.y` symbol version the ELF file `bytes` requires (its dynamic string
/// table names them), if any.
pub(crate) fn required_glibc(bytes: &[u8]) -> Option<(u32, u32)> {
    const NEEDLE: &[u8] = b"GLIBC_2.";
    let mut best: Option<(u32, u32)> = None;
    let mut i = 0;
    while let Some(pos) = find(&bytes[i..], NEEDLE) {
        let start = i + pos + NEEDLE.len();
        let digits: Vec<u8> = bytes[start..]
            .iter()
            .take(8)
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .copied()
            .collect();
        let text = String::from_utf8_lossy(&digits);
        let mut parts = text.split('.');
        if let Some(Ok(minor)) = parts.next().map(str::parse::<u32>) {
            let v = (2, minor);
            if best.is_none_or(|b| v > b) {
                best = Some(v);
            }
        }
        i = start;
    }
    best
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The ELF machine of a binary (`x86_64`, `aarch64`), if it is an ELF file.
pub(crate) fn elf_machine(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return None;
    }
    let little = bytes[5] == 1;
    let m = if little {
        u16::from_le_bytes([bytes[18], bytes[19]])
    } else {
        u16::from_be_bytes([bytes[18], bytes[19]])
    };
    match m {
        62 => Some("x86_64"),
        183 => Some("aarch64"),
        _ => Some("another machine"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 20 bytes of an ELF header: class 64, little- or big-endian, and `e_machine`.
    fn header(little: bool, machine: u16) -> Vec<u8> {
        let mut h = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0".to_vec();
        h[5] = if little { 1 } else { 2 };
        h.extend_from_slice(&if little {
            machine.to_le_bytes()
        } else {
            machine.to_be_bytes()
        });
        h
    }

    #[test]
    fn machines_are_read_from_the_elf_header() {
        assert_eq!(elf_machine(&header(true, 62)), Some("x86_64"));
        assert_eq!(elf_machine(&header(true, 183)), Some("aarch64"));
        assert_eq!(elf_machine(&header(false, 183)), Some("aarch64"));
        assert_eq!(elf_machine(&header(true, 40)), Some("another machine"));
        assert_eq!(
            elf_machine(b"\xcf\xfa\xed\xfe not linux, a Mach-O file"),
            None
        );
        assert_eq!(elf_machine(b"\x7fELF"), None);
    }

    #[test]
    fn the_newest_glibc_symbol_version_wins() {
        let mut bin = header(true, 62);
        assert_eq!(required_glibc(&bin), None);
        bin.extend_from_slice(b"\0GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0GLIBC_PRIVATE\0");
        assert_eq!(required_glibc(&bin), Some((2, 34)));
        bin.extend_from_slice(b"GLIBC_2.9\0");
        assert_eq!(required_glibc(&bin), Some((2, 34)));
    }
}
