//! What travels in an invocation: the task spec in the event and the outcome in the response,
//! inline (base64 of the protocol frame) or, over the invoke limits, as an S3 object.

use serde::{Deserialize, Serialize};

/// Lambda's limit on a synchronous invocation's request and response payloads (bytes).
pub(crate) const INVOKE_LIMIT: usize = 6 * 1024 * 1024;
/// The most frame bytes sent inline: base64 grows them by 4/3, and the JSON around them needs
/// a little room.
pub(crate) const MAX_INLINE_FRAME: usize = (INVOKE_LIMIT - 64 * 1024) / 4 * 3;

pub(crate) use crate::aws::s3io::S3Ref;

/// A frame, inline or in S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Carried {
    /// base64 of the frame.
    Inline(String),
    /// The frame is this object.
    S3(S3Ref),
}

/// The invocation event: a task spec for the runner in the function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Event {
    /// The protocol of this event (so that a function of another orbital says so).
    pub orbital: u32,
    /// The spec frame.
    pub spec: Carried,
    /// Where the function puts an outcome too large for the response: bucket and key prefix.
    #[serde(default)]
    pub spill: Option<S3Ref>,
    /// S3 addressing the function must use (path-style with an emulator's endpoint).
    #[serde(default)]
    pub path_style: bool,
    /// The most bytes of stdout, and of stderr, kept.
    pub capture_limit: u64,
    /// An object the driver writes when it cancels the task (Lambda cannot stop a running
    /// invocation): the function watches for it and kills the task when it appears.
    #[serde(default)]
    pub cancel: Option<S3Ref>,
}

/// The invocation's response: the outcome frame.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Response {
    pub outcome: Carried,
}

/// The version of [`Event`].
pub(crate) const EVENT_VERSION: u32 = 1;

pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn unb64(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("bad base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_inline_frames_fit_the_limit() {
        let e = Event {
            orbital: EVENT_VERSION,
            spec: Carried::Inline(b64(b"frame")),
            spill: Some(S3Ref {
                bucket: "b".into(),
                key: "k".into(),
            }),
            path_style: true,
            capture_limit: 10,
            cancel: None,
        };
        let json = serde_json::to_string(&e).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back.spec, e.spec);
        let Carried::Inline(text) = back.spec else {
            unreachable!()
        };
        assert_eq!(unb64(&text).unwrap(), b"frame");
        let biggest = b64(&vec![0u8; MAX_INLINE_FRAME]);
        assert!(biggest.len() + 1024 < INVOKE_LIMIT);
    }
}
