//! What the AWS executors (`awslambda`, `awsbatch`) share: loading the SDK's configuration from
//! the keys they have in common (`profile`, `credentials_file`, `region`, `endpoint_url`), the
//! credentials checked at setup, what a failed call says, and S3 objects. It imports neither
//! executor.

pub(crate) mod access;
pub(crate) mod al2023;
pub(crate) mod credentials;
pub(crate) mod s3io;
pub(crate) mod said;
pub(crate) mod sdk;
