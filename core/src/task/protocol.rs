//! The task protocol on the wire: how a [`TaskSpec`] reaches a runner in another process (or
//! host) and how its [`TaskOutcome`] comes back. Defined once, here, for every executor.
//!
//! A message is one frame: a 20-byte header, then the payload in orbital's binary encoding
//! ([`crate::codec`]):
//!
//! | bytes | field |
//! | --- | --- |
//! | 4 | magic `ORBT` |
//! | 2 | protocol version, little-endian ([`VERSION`]) |
//! | 1 | kind: 1 = spec, 2 = outcome |
//! | 1 | reserved (0) |
//! | 8 | payload length, little-endian |
//! | 4 | CRC-32 of the payload, little-endian |
//!
//! A truncated, corrupted or foreign message is an error that says which.
//!
//! ```
//! use orbital_core::protocol;
//! let spec = orbital_core::TaskSpec {
//!     dispatch_id: "d".into(), node_id: 1, electron: "demo::f".into(), build_id: String::new(),
//!     args: vec![], attempt: 1, time_limit: None,
//!     executor: "process".into(), workdir: orbital_core::Workdir::default(),
//! };
//! let mut wire = Vec::new();
//! protocol::write_spec(&mut wire, &spec).unwrap();
//! let back = protocol::read_spec(&mut wire.as_slice()).unwrap();
//! assert_eq!(back.electron, "demo::f");
//! ```

use std::io::{Read, Write};

use serde::{de::DeserializeOwned, Serialize};

use crate::codec;
use crate::task::{TaskOutcome, TaskSpec};

/// The protocol version this build speaks.
pub const VERSION: u16 = 1;
const MAGIC: [u8; 4] = *b"ORBT";
const HEADER: usize = 20;
const KIND_SPEC: u8 = 1;
const KIND_OUTCOME: u8 = 2;

/// A message could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The stream ended early.
    #[error("truncated message: {what} needs {expected} bytes, only {got} arrived")]
    Truncated {
        /// The header or the payload.
        what: &'static str,
        /// Bytes needed.
        expected: u64,
        /// Bytes read.
        got: u64,
    },
    /// The bytes are not an orbital message.
    #[error("not an orbital task message (it starts with {found:02x?}, not \"ORBT\")")]
    BadMagic {
        /// The first bytes.
        found: [u8; 4],
    },
    /// Another protocol version.
    #[error("protocol version {found}, but this build speaks version {VERSION}: driver and runner are different orbital releases")]
    Version {
        /// The version in the message.
        found: u16,
    },
    /// A spec where an outcome was expected, or the reverse.
    #[error("expected a {expected}, got a message of kind {found}")]
    WrongKind {
        /// What was expected.
        expected: &'static str,
        /// The kind byte found.
        found: u8,
    },
    /// The payload does not match its checksum.
    #[error(
        "corrupted message: the payload's checksum is {found:08x}, the header says {expected:08x}"
    )]
    Checksum {
        /// From the header.
        expected: u32,
        /// Of the payload.
        found: u32,
    },
    /// The payload does not decode.
    #[error("the payload does not decode: {0}")]
    Decode(#[from] codec::CodecError),
}

fn write_frame<T: Serialize>(w: &mut impl Write, kind: u8, value: &T) -> Result<(), ProtocolError> {
    let payload = codec::encode(value)?;
    let mut header = [0u8; HEADER];
    header[..4].copy_from_slice(&MAGIC);
    header[4..6].copy_from_slice(&VERSION.to_le_bytes());
    header[6] = kind;
    header[8..16].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    header[16..20].copy_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    w.write_all(&header)?;
    w.write_all(&payload)?;
    w.flush()?;
    Ok(())
}

fn read_full(r: &mut impl Read, buf: &mut [u8], what: &'static str) -> Result<(), ProtocolError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => {
                return Err(ProtocolError::Truncated {
                    what,
                    expected: buf.len() as u64,
                    got: got as u64,
                })
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The most a payload may claim to be (a corrupted length must not allocate 2^64 bytes).
const MAX_PAYLOAD: u64 = 1 << 40;

fn read_frame<T: DeserializeOwned>(
    r: &mut impl Read,
    kind: u8,
    expected: &'static str,
) -> Result<T, ProtocolError> {
    let mut header = [0u8; HEADER];
    read_full(r, &mut header, "the header")?;
    let magic: [u8; 4] = header[..4].try_into().unwrap_or_default();
    if magic != MAGIC {
        return Err(ProtocolError::BadMagic { found: magic });
    }
    let version = u16::from_le_bytes([header[4], header[5]]);
    if version != VERSION {
        return Err(ProtocolError::Version { found: version });
    }
    if header[6] != kind {
        return Err(ProtocolError::WrongKind {
            expected,
            found: header[6],
        });
    }
    let len = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
    let crc = u32::from_le_bytes(header[16..20].try_into().unwrap_or_default());
    if len > MAX_PAYLOAD {
        return Err(ProtocolError::Truncated {
            what: "the payload (its length is implausible)",
            expected: len,
            got: 0,
        });
    }
    let mut payload = Vec::new();
    let got = r.take(len).read_to_end(&mut payload)? as u64;
    if got < len {
        return Err(ProtocolError::Truncated {
            what: "the payload",
            expected: len,
            got,
        });
    }
    let found = crc32fast::hash(&payload);
    if found != crc {
        return Err(ProtocolError::Checksum {
            expected: crc,
            found,
        });
    }
    Ok(codec::decode(&payload)?)
}

/// Writes a task spec.
///
/// # Errors
/// When writing fails.
pub fn write_spec(w: &mut impl Write, spec: &TaskSpec) -> Result<(), ProtocolError> {
    write_frame(w, KIND_SPEC, spec)
}

/// Reads a task spec.
///
/// # Errors
/// When the message is truncated, corrupted, of another version or kind.
pub fn read_spec(r: &mut impl Read) -> Result<TaskSpec, ProtocolError> {
    read_frame(r, KIND_SPEC, "task spec")
}

/// Writes a task outcome.
///
/// # Errors
/// When writing fails.
pub fn write_outcome(w: &mut impl Write, outcome: &TaskOutcome) -> Result<(), ProtocolError> {
    write_frame(w, KIND_OUTCOME, outcome)
}

/// Reads a task outcome.
///
/// # Errors
/// When the message is truncated, corrupted, of another version or kind.
pub fn read_outcome(r: &mut impl Read) -> Result<TaskOutcome, ProtocolError> {
    read_frame(r, KIND_OUTCOME, "task outcome")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskError;

    fn spec() -> TaskSpec {
        TaskSpec {
            dispatch_id: "d1".into(),
            node_id: 7,
            electron: "demo::double".into(),
            build_id: "0123456789abcdef0123456789abcdef".into(),
            args: vec![codec::encode(&21u64).unwrap()],
            attempt: 2,
            executor: "ssh".into(),
            workdir: crate::task::Workdir::at("/w"),
            time_limit: Some(std::time::Duration::from_secs(30)),
        }
    }

    fn wire() -> Vec<u8> {
        let mut w = Vec::new();
        write_spec(&mut w, &spec()).unwrap();
        w
    }

    #[test]
    fn a_spec_round_trips() {
        let back = read_spec(&mut wire().as_slice()).unwrap();
        assert_eq!(back.node_id, 7);
        assert_eq!(back.attempt, 2);
        assert_eq!(back.time_limit, Some(std::time::Duration::from_secs(30)));
        assert_eq!(back.args, spec().args);
    }

    #[test]
    fn an_outcome_round_trips_with_its_error() {
        let now = std::time::SystemTime::now();
        let mut o = TaskOutcome::new(Err(TaskError::panicked("boom")), now);
        o.stdout = Some("out".into());
        let mut w = Vec::new();
        write_outcome(&mut w, &o).unwrap();
        let back = read_outcome(&mut w.as_slice()).unwrap();
        assert_eq!(back.result.unwrap_err().message, "boom");
        assert_eq!(back.stdout.as_deref(), Some("out"));
    }

    #[test]
    fn a_truncated_spec_says_so() {
        let w = wire();
        for cut in [0, 10, HEADER, w.len() - 1] {
            let err = read_spec(&mut &w[..cut]).unwrap_err();
            assert!(
                matches!(err, ProtocolError::Truncated { .. }),
                "cut at {cut}: {err}"
            );
        }
    }

    #[test]
    fn a_corrupted_payload_fails_its_checksum() {
        let mut w = wire();
        let last = w.len() - 1;
        w[last] ^= 0xff;
        let err = read_spec(&mut w.as_slice()).unwrap_err();
        assert!(matches!(err, ProtocolError::Checksum { .. }), "{err}");
    }

    #[test]
    fn foreign_bytes_and_other_versions_and_kinds_are_refused() {
        let err = read_spec(&mut &b"hello world, this is not a frame"[..]).unwrap_err();
        assert!(
            err.to_string().contains("not an orbital task message"),
            "{err}"
        );
        let mut w = wire();
        w[4] = 9;
        assert!(matches!(
            read_spec(&mut w.as_slice()).unwrap_err(),
            ProtocolError::Version { found: 9 }
        ));
        let w = wire();
        let err = read_outcome(&mut w.as_slice()).unwrap_err();
        assert!(matches!(err, ProtocolError::WrongKind { .. }), "{err}");
    }
}
