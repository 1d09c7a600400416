//! The one binary encoding every value uses when it leaves a task: arguments, outputs, inputs.
//!
//! orbital encodes values with [`postcard`]: compact, fast, and driven by `serde`, so any
//! `Serialize + DeserializeOwned` type travels. The format is not self-describing: a value is
//! decoded with the type it was encoded from, which the registry always knows. JSON views of
//! values (for people and the CLI) come from [`crate::TypeInfo::to_json`].
//!
//! ```
//! let bytes = orbital_core::codec::encode(&vec![1u32, 2, 3]).unwrap();
//! let back: Vec<u32> = orbital_core::codec::decode(&bytes).unwrap();
//! assert_eq!(back, [1, 2, 3]);
//! ```

use bytes::Bytes;
use serde::{de::DeserializeOwned, Serialize};

/// The name and version of the encoding, recorded with every stored dispatch.
pub const FORMAT: &str = "postcard-1";

/// A value could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[error("could not {action} a value of type `{type_name}`: {source}")]
pub struct CodecError {
    /// `"encode"` or `"decode"`.
    pub action: &'static str,
    /// The Rust type involved.
    pub type_name: &'static str,
    /// What postcard reported.
    #[source]
    pub source: postcard::Error,
}

/// Encodes a value.
///
/// # Errors
/// Fails only for types whose `Serialize` cannot be expressed in postcard (for example a
/// sequence of unknown length).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Bytes, CodecError> {
    postcard::to_stdvec(value)
        .map(Bytes::from)
        .map_err(|source| CodecError {
            action: "encode",
            type_name: std::any::type_name::<T>(),
            source,
        })
}

/// Decodes a value, rejecting trailing bytes.
///
/// # Errors
/// Fails when the bytes were not produced by [`encode`] for the same type.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let err = |source| CodecError {
        action: "decode",
        type_name: std::any::type_name::<T>(),
        source,
    };
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(err)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(err(postcard::Error::DeserializeBadEncoding))
    }
}

/// Encodes a `Vec<T>` from the encodings of its elements, without decoding them.
///
/// This is how a `Vec<Node<T>>` reaches an electron that takes a `Vec<T>` (fan-in): postcard
/// writes a sequence as its length (a varint) followed by its elements.
///
/// ```
/// use orbital_core::codec::{encode, decode, encode_seq};
/// let parts = [encode(&1u64).unwrap(), encode(&2u64).unwrap()];
/// let v: Vec<u64> = decode(&encode_seq(parts.iter())).unwrap();
/// assert_eq!(v, [1, 2]);
/// ```
pub fn encode_seq<'a>(items: impl ExactSizeIterator<Item = &'a Bytes> + Clone) -> Bytes {
    let len = items.len();
    let total: usize = items.clone().map(Bytes::len).sum();
    let mut out = Vec::with_capacity(total + 10);
    write_len(&mut out, len);
    for item in items {
        out.extend_from_slice(item);
    }
    Bytes::from(out)
}

/// Appends the length of a sequence or map as postcard writes it before the elements: a
/// varint (7 bits a byte, low bits first).
///
/// ```
/// let mut out = Vec::new();
/// orbital_core::codec::write_len(&mut out, 300);
/// assert_eq!(out, [0xac, 0x02]);
/// ```
pub fn write_len(out: &mut Vec<u8>, len: usize) {
    let mut n = len as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_of_encodings_is_the_encoding_of_the_vec() {
        for n in [0usize, 1, 127, 128, 300, 20_000] {
            let values: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            let parts: Vec<Bytes> = values.iter().map(|v| encode(v).unwrap()).collect();
            assert_eq!(
                encode_seq(parts.iter()),
                encode(&values).unwrap(),
                "n = {n}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut b = encode(&7u8).unwrap().to_vec();
        b.push(0);
        let err = decode::<u8>(&b).unwrap_err();
        assert!(err.to_string().contains("`u8`"), "{err}");
    }
}
