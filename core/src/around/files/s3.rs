//! The S3 strategy (feature `s3`): one object, with the AWS configuration and credentials of
//! the task's host (`AWS_PROFILE`, `AWS_REGION`, `AWS_SHARED_CREDENTIALS_FILE`, an instance or
//! job role...). `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) points it at another endpoint,
//! such as moto or MinIO, with path-style addressing.

use std::path::Path;

use crate::task::Direction;

#[cfg(feature = "s3")]
async fn client() -> &'static aws_sdk_s3::Client {
    static CLIENT: tokio::sync::OnceCell<aws_sdk_s3::Client> = tokio::sync::OnceCell::const_new();
    CLIENT
        .get_or_init(|| async {
            let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .load()
                .await;
            let custom = std::env::var_os("AWS_ENDPOINT_URL").is_some()
                || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
            let s3 = aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(custom)
                .build();
            aws_sdk_s3::Client::from_conf(s3)
        })
        .await
}

/// Downloads `s3://bucket/key` to `local`, or uploads `local` there.
///
/// # Errors
/// The cause, as S3 said it (its error code and message), or the local file's.
#[cfg(feature = "s3")]
pub async fn transfer(
    bucket: &str,
    key: &str,
    local: &Path,
    direction: Direction,
) -> Result<(), String> {
    use aws_sdk_s3::error::DisplayErrorContext;
    let c = client().await;
    match direction {
        Direction::From => {
            let obj = c
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| DisplayErrorContext(e).to_string())?;
            if let Some(parent) = local.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let mut file = tokio::fs::File::create(local)
                .await
                .map_err(|e| format!("cannot create {}: {e}", local.display()))?;
            let mut body = obj.body.into_async_read();
            tokio::io::copy(&mut body, &mut file)
                .await
                .map_err(|e| format!("the download broke off: {e}"))?;
            Ok(())
        }
        Direction::To => {
            let body = aws_sdk_s3::primitives::ByteStream::from_path(local)
                .await
                .map_err(|e| format!("cannot read {}: {e}", local.display()))?;
            c.put_object()
                .bucket(bucket)
                .key(key)
                .body(body)
                .send()
                .await
                .map_err(|e| DisplayErrorContext(e).to_string())?;
            Ok(())
        }
    }
}

/// Without the `s3` feature: an error that says how to turn it on.
///
/// # Errors
/// Always.
#[cfg(not(feature = "s3"))]
pub async fn transfer(
    _bucket: &str,
    _key: &str,
    _local: &Path,
    _direction: Direction,
) -> Result<(), String> {
    Err(
        "this program was built without orbital's `s3` feature; add it \
         (`orbital = { .., features = [\"s3\"] }`) to move files to and from S3"
            .to_owned(),
    )
}
