//! What a failed Lambda call says: the service's error code and message, or the whole cause
//! chain of a call that did not reach the service.

/// What a Lambda call's error says, with its code.
pub(super) fn lambda_said<E, R>(e: &aws_sdk_lambda::error::SdkError<E, R>) -> String
where
    E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + 'static,
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
