//! What a failed AWS call says (Lambda's, S3's, Batch's: the SDKs share one error type): the service's
//! error code and message, or the whole cause chain of a call that did not reach the service.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// What an AWS call's error says, with its code (`ResourceNotFoundException`, `NoSuchBucket`,
/// `AccessDenied`...).
pub(crate) fn said<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match e.as_service_error() {
        Some(s) => format!(
            "{}: {}",
            s.code().unwrap_or("error"),
            s.message().unwrap_or("no message")
        ),
        None => crate::ship::shell::chain(e),
    }
}
