//! What may cross a process boundary, and what the runtime knows of a type.

use serde::{de::DeserializeOwned, Serialize};

use crate::codec::{self, CodecError};

/// A value that can be an electron's argument or output, or a lattice's input or output.
///
/// Everything that crosses a boundary (to another thread, process, host or Lambda) is
/// `Serialize + DeserializeOwned + Send + 'static`; this trait names that bound and is
/// implemented for every type that meets it.
///
/// ```
/// fn takes<T: orbital_core::Data>() {}
/// takes::<Vec<(String, f64)>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross a process boundary, so it cannot be an electron's or lattice's parameter or output",
    label = "`{Self}` must implement `serde::Serialize` and `serde::Deserialize`, and be `Send + 'static`",
    note = "derive them: `#[derive(serde::Serialize, serde::Deserialize)]`"
)]
pub trait Data: Serialize + DeserializeOwned + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Data for T {}

/// What the runtime knows of a value's type: its name, and how to show an encoded value as JSON.
#[derive(Clone, Copy)]
pub struct TypeInfo {
    /// The Rust type's name.
    pub name: fn() -> &'static str,
    /// Decodes an encoded value and renders it as JSON.
    pub to_json: fn(&[u8]) -> Result<serde_json::Value, CodecError>,
    /// Decodes an encoded value and renders it as JSON text (what the store keeps).
    pub to_json_text: fn(&[u8]) -> Result<String, CodecError>,
}

impl TypeInfo {
    /// The type information of `T`.
    ///
    /// ```
    /// let info = orbital_core::TypeInfo::of::<u32>();
    /// let bytes = orbital_core::codec::encode(&7u32).unwrap();
    /// assert_eq!((info.to_json)(&bytes).unwrap(), serde_json::json!(7));
    /// assert_eq!((info.name)(), "u32");
    /// ```
    pub const fn of<T: Data>() -> TypeInfo {
        TypeInfo {
            name: std::any::type_name::<T>,
            to_json: to_json::<T>,
            to_json_text: to_json_text::<T>,
        }
    }
}

impl std::fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str((self.name)())
    }
}

fn to_json<T: Data>(bytes: &[u8]) -> Result<serde_json::Value, CodecError> {
    let value: T = codec::decode(bytes)?;
    Ok(serde_json::to_value(&value).unwrap_or_else(|e| {
        serde_json::Value::String(format!(
            "<{} not representable as JSON: {e}>",
            std::any::type_name::<T>()
        ))
    }))
}

fn to_json_text<T: Data>(bytes: &[u8]) -> Result<String, CodecError> {
    let value: T = codec::decode(bytes)?;
    Ok(serde_json::to_string(&value).unwrap_or_else(|e| {
        serde_json::Value::String(format!(
            "<{} not representable as JSON: {e}>",
            std::any::type_name::<T>()
        ))
        .to_string()
    }))
}
