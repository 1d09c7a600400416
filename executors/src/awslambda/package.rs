//! The deployment package: this program as `bootstrap` for `provided.al2023`, checked against
//! Lambda's limits, stripped, in a deterministic zip whose hash names the code.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::runtime::check_runnable;

/// Why a program could not be packaged.
#[derive(Debug)]
pub(crate) enum PrepareError {
    /// It cannot run on Lambda (the message says why and how to build one that can).
    NotRunnable(String),
    /// Anything else (unreadable, too large, cache not writable).
    Other(String),
}

impl From<String> for PrepareError {
    fn from(s: String) -> Self {
        PrepareError::Other(s)
    }
}

impl std::fmt::Display for PrepareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrepareError::NotRunnable(s) | PrepareError::Other(s) => f.write_str(s),
        }
    }
}

/// Lambda's limit on the unzipped code of a function (bytes).
pub(crate) const MAX_UNZIPPED: u64 = 250 * 1000 * 1000;
/// The biggest zip uploaded inline with CreateFunction / UpdateFunctionCode (bytes); bigger
/// ones go through S3.
pub(crate) const MAX_INLINE_ZIP: usize = 50 * 1000 * 1000;

/// A built package.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    /// The zip (one entry, `bootstrap`, mode 755, fixed timestamps).
    pub zip: Vec<u8>,
    /// base64 of the zip's SHA-256, as Lambda reports `CodeSha256`.
    pub code_sha256: String,
    /// The build identity of the packaged `bootstrap` (what the function computes for itself,
    /// and what each spec must carry).
    pub build_id: String,
    /// Size of `bootstrap`.
    pub unzipped: u64,
    /// The executable it was made from.
    pub binary: PathBuf,
}

/// Builds the package from `binary`: checks it, strips its debug information when `strip` is
/// on the PATH (in a copy under `cache_dir`), checks the size limit, and zips it.
pub(crate) fn build(
    binary: &Path,
    architecture: &str,
    cache_dir: &Path,
) -> Result<Package, PrepareError> {
    let shown = binary.display().to_string();
    // One package build at a time in this process: executors that start together (several
    // dispatches, several runtimes) wait for the first and read its cache.
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|p| p.into_inner());
    // A build's package is made once: cached under the binary's identity (hashed once per
    // file, then remembered by stat key) and the architecture.
    let key = orbital_core::identity::of_file(binary)
        .map_err(|e| format!("cannot read the binary {shown}: {e}"))?;
    let cached_zip = cache_dir.join(format!("package-{key}-{architecture}.zip"));
    let cached_meta = cache_dir.join(format!("package-{key}-{architecture}.meta"));
    if let (Ok(zip), Ok(meta)) = (
        std::fs::read(&cached_zip),
        std::fs::read_to_string(&cached_meta),
    ) {
        let mut lines = meta.lines();
        if let (Some(build_id), Some(unzipped)) =
            (lines.next(), lines.next().and_then(|u| u.parse().ok()))
        {
            let code_sha256 = base64_sha256(&zip);
            return Ok(Package {
                zip,
                code_sha256,
                build_id: build_id.to_owned(),
                unzipped,
                binary: binary.to_owned(),
            });
        }
    }
    let package = build_uncached(binary, &shown, architecture, cache_dir)?;
    let tmp = cache_dir.join(format!(".package-{key}.{}", std::process::id()));
    if std::fs::write(&tmp, &package.zip).is_ok() && std::fs::rename(&tmp, &cached_zip).is_ok() {
        let _ = std::fs::write(
            &cached_meta,
            format!("{}\n{}\n", package.build_id, package.unzipped),
        );
    }
    Ok(package)
}

fn build_uncached(
    binary: &Path,
    shown: &str,
    architecture: &str,
    cache_dir: &Path,
) -> Result<Package, PrepareError> {
    let shown = shown.to_owned();
    let original =
        std::fs::read(binary).map_err(|e| format!("cannot read the binary {shown}: {e}"))?;
    check_runnable(&original, &shown, architecture).map_err(PrepareError::NotRunnable)?;
    std::fs::create_dir_all(cache_dir)
        .map_err(|e| format!("cannot create cache_dir {}: {e}", cache_dir.display()))?;
    let stripped = crate::ship::strip::strip_copy(binary, &original, cache_dir);
    let bytes = match &stripped {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        None => original,
    };
    let unzipped = bytes.len() as u64;
    if unzipped > MAX_UNZIPPED {
        return Err(PrepareError::Other(format!(
            "the binary {shown} is {:.0} MB ({}), over Lambda's {} MB limit for unzipped code: build it with \
             `--release` (a debug build is hundreds of MB) and `strip = true` in `[profile.release]`, or set \
             `binary` to a smaller build",
            unzipped as f64 / 1e6,
            if stripped.is_some() { "after `strip --strip-debug`" } else { "not stripped: `strip` failed or is missing" },
            MAX_UNZIPPED / 1_000_000
        )));
    }
    let build_id = orbital_core::identity::of_bytes(&bytes);
    let zip = zip_bootstrap(&bytes).map_err(PrepareError::Other)?;
    let code_sha256 = base64_sha256(&zip);
    Ok(Package {
        zip,
        code_sha256,
        build_id,
        unzipped,
        binary: binary.to_owned(),
    })
}

/// One entry, `bootstrap`, executable, with fixed timestamps: the same bytes give the same zip.
pub(crate) fn zip_bootstrap(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .last_modified_time(zip::DateTime::default());
    w.start_file("bootstrap", options)
        .and_then(|_| w.write_all(bytes).map_err(Into::into))
        .map_err(|e| format!("cannot zip the binary: {e}"))?;
    let cursor = w
        .finish()
        .map_err(|e| format!("cannot zip the binary: {e}"))?;
    Ok(cursor.into_inner())
}

/// The deterministic `bootstrap` zip of `bytes` (for tests that plant a package).
///
/// # Errors
/// When zipping fails.
#[doc(hidden)]
pub fn zip_bootstrap_for_tests(bytes: &[u8]) -> Result<Vec<u8>, String> {
    zip_bootstrap(bytes)
}

/// base64 of SHA-256, as Lambda's `CodeSha256`.
pub(crate) fn base64_sha256(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_deterministic() {
        let a = zip_bootstrap(b"hello").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = zip_bootstrap(b"hello").unwrap();
        assert_eq!(base64_sha256(&a), base64_sha256(&b));
        assert_ne!(
            base64_sha256(&a),
            base64_sha256(&zip_bootstrap(b"other").unwrap())
        );
    }
}
