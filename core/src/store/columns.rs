//! How times and values are kept in the store's columns.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::data::TypeInfo;

/// Microseconds since the Unix epoch, as stored.
pub(crate) fn micros(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// The time of a stored timestamp.
pub(crate) fn from_micros(us: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(us.max(0) as u64)
}

/// An encoded value and the JSON text of it (when small enough to render).
pub(crate) fn json_text(bytes: &Bytes, ty: TypeInfo) -> Option<String> {
    const MAX_JSON_SOURCE: usize = 1 << 20;
    if bytes.len() > MAX_JSON_SOURCE {
        return None;
    }
    (ty.to_json_text)(bytes).ok()
}
