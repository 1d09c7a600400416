//! Frames as S3 objects (large specs and outcomes), with errors that name the bucket and key.

use serde::{Deserialize, Serialize};

use super::said::said;

/// An S3 object holding a frame (or a program, a manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct S3Ref {
    pub bucket: String,
    pub key: String,
}

/// Puts a frame.
pub(crate) async fn put(
    client: &aws_sdk_s3::Client,
    r: &S3Ref,
    bytes: Vec<u8>,
) -> Result<(), String> {
    client
        .put_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .body(bytes.into())
        .send()
        .await
        .map(drop)
        .map_err(|e| format!("cannot write s3://{}/{}: {}", r.bucket, r.key, said(&e)))
}

/// Gets a frame.
#[cfg_attr(not(feature = "awslambda"), allow(dead_code))]
pub(crate) async fn get(client: &aws_sdk_s3::Client, r: &S3Ref) -> Result<Vec<u8>, String> {
    let o = client
        .get_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .send()
        .await
        .map_err(|e| format!("cannot read s3://{}/{}: {}", r.bucket, r.key, said(&e)))?;
    let body = o
        .body
        .collect()
        .await
        .map_err(|e| format!("cannot read s3://{}/{}: {e}", r.bucket, r.key))?;
    Ok(body.into_bytes().to_vec())
}

/// Removes the objects under `prefix` (one listing page at a time).
pub(crate) async fn remove_prefix(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<usize, String> {
    let mut removed = 0;
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| format!("cannot list s3://{bucket}/{prefix}: {}", said(&e)))?;
        for o in page.contents() {
            if let Some(k) = o.key() {
                client
                    .delete_object()
                    .bucket(bucket)
                    .key(k)
                    .send()
                    .await
                    .map_err(|e| format!("cannot remove s3://{bucket}/{k}: {}", said(&e)))?;
                removed += 1;
            }
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
            _ => return Ok(removed),
        }
    }
}
