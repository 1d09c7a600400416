//! The HTTP strategy: GET before the call, PUT after it (where the server takes it). Feature
//! `http` (`ureq`, with rustls); without it, an `http(s)://` transfer is an error that names
//! the feature.

use std::path::Path;

use crate::task::Direction;

/// GETs `url` into `local`, or PUTs `local` to `url`.
///
/// # Errors
/// The cause: the status the server answered, or why no answer came.
#[cfg(feature = "http")]
pub async fn transfer(url: &str, local: &Path, direction: Direction) -> Result<(), String> {
    let (url, local) = (url.to_owned(), local.to_path_buf());
    tokio::task::spawn_blocking(move || blocking(&url, &local, direction))
        .await
        .map_err(|e| format!("the transfer's thread failed: {e}"))?
}

#[cfg(feature = "http")]
fn blocking(url: &str, local: &Path, direction: Direction) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(3600)))
        .build()
        .into();
    match direction {
        Direction::From => {
            let mut resp = agent.get(url).call().map_err(|e| said(&e))?;
            if let Some(parent) = local.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            let mut file = std::fs::File::create(local)
                .map_err(|e| format!("cannot create {}: {e}", local.display()))?;
            std::io::copy(&mut resp.body_mut().as_reader(), &mut file)
                .map_err(|e| format!("the download broke off: {e}"))?;
            Ok(())
        }
        Direction::To => {
            let file = std::fs::File::open(local)
                .map_err(|e| format!("cannot read {}: {e}", local.display()))?;
            // A file's body has its length (not chunked): presigned S3 URLs and many servers
            // refuse chunked PUTs.
            agent.put(url).send(file).map_err(|e| said(&e))?;
            Ok(())
        }
    }
}

#[cfg(feature = "http")]
fn said(e: &ureq::Error) -> String {
    match e {
        ureq::Error::StatusCode(code) => format!("the server answered {code}"),
        other => other.to_string(),
    }
}

/// Without the `http` feature: an error that says how to turn it on.
///
/// # Errors
/// Always.
#[cfg(not(feature = "http"))]
pub async fn transfer(_url: &str, _local: &Path, _direction: Direction) -> Result<(), String> {
    Err(
        "this program was built without orbital's `http` feature; add it \
         (`orbital = { .., features = [\"http\"] }`) to move files over HTTP"
            .to_owned(),
    )
}
