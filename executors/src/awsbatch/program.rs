//! The program the jobs run: `binary`, or by the shared shipping path (`ship/program.rs`) the
//! running executable or a build of this program for Amazon Linux 2023 (by `cross_build`),
//! stripped of its debug information and put in the bucket once per build, under its build
//! identity (`orbital/bin/<build id>-<architecture>`): an unchanged build uploads nothing.

use std::path::{Path, PathBuf};

use super::config::AwsBatchExecutor;
use super::state::Clients;
use crate::aws::al2023::al2023;
use crate::aws::s3io::S3Ref;
use crate::aws::said::said;
use crate::ship::cross::BuildFor;
use crate::ship::program::{self, target_of, Settings};

/// How builds for Batch are named in messages.
const FOR_BATCH: BuildFor<'static> = BuildFor {
    place: "AWS Batch (Amazon Linux 2023)",
    setting: "`binary`",
};

/// The program, ready to upload: the file the jobs run, its build identity, and its gzip
/// (what is uploaded, with `Content-Encoding: gzip`: the bootstrap's `curl --compressed`
/// inflates it).
#[derive(Debug, Clone)]
pub(super) struct Local {
    pub(super) path: PathBuf,
    pub(super) build_id: String,
    pub(super) gzip: PathBuf,
}

impl AwsBatchExecutor {
    /// Picks the program and strips it (blocking: it may build).
    pub(super) fn local_program(&self) -> Result<Local, String> {
        let cache = self.cache_dir.as_deref().map_or_else(
            || program::default_cache_dir("awsbatch"),
            crate::ship::shell::expand_local,
        );
        std::fs::create_dir_all(&cache)
            .map_err(|e| format!("cannot create cache_dir {}: {e}", cache.display()))?;
        let settings = Settings {
            cross_build: self.cross_build,
            target: self.target.clone(),
            build_profile: self.build_profile.clone(),
            build_features: self.build_features.clone(),
            binary: self.binary.clone(),
            cache_dir: cache.clone(),
        };
        let host = al2023(&self.architecture);
        let target = target_of(&settings, Some(host))?;
        if target.arch != host.arch {
            return Err(format!(
                "`target = \"{}\"` is for {}, and the jobs run on {} (`architecture = \"{}\"`): set a target of \
                 the compute environment's architecture, or change `architecture`",
                settings.target.as_deref().unwrap_or_default(),
                target.arch.machine(),
                host.arch.machine(),
                self.architecture
            ));
        }
        let p = program::resolve(&settings, target, FOR_BATCH)?;
        stripped(&p.path, &cache)
    }

    /// Puts the program in the bucket unless it is there (one HeadObject when it is).
    pub(super) async fn upload_program(
        &self,
        clients: &Clients,
        local: &Local,
    ) -> Result<S3Ref, String> {
        let r = S3Ref {
            bucket: self.s3_bucket_name.clone(),
            key: format!("orbital/bin/{}-{}", local.build_id, self.architecture),
        };
        let head = clients
            .s3
            .head_object()
            .bucket(&r.bucket)
            .key(&r.key)
            .send()
            .await;
        match head {
            Ok(_) => {
                tracing::debug!(key = %r.key, "the program is in the bucket already");
                return Ok(r);
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {}
            Err(e) => {
                return Err(format!(
                    "cannot look for the program at s3://{}/{}: {}",
                    r.bucket,
                    r.key,
                    said(&e)
                ))
            }
        }
        let body = aws_sdk_s3::primitives::ByteStream::from_path(&local.gzip)
            .await
            .map_err(|e| format!("cannot read {}: {e}", local.gzip.display()))?;
        let t0 = std::time::Instant::now();
        clients
            .s3
            .put_object()
            .bucket(&r.bucket)
            .key(&r.key)
            .content_encoding("gzip")
            .content_type("application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot upload the program to s3://{}/{}: {}",
                    r.bucket,
                    r.key,
                    said(&e)
                )
            })?;
        tracing::info!(key = %r.key, program = %local.path.display(), secs = t0.elapsed().as_secs_f64(), "uploaded the program for Batch");
        Ok(r)
    }
}

/// The stripped copy of `path` and its build identity (that of the bytes the jobs run).
fn stripped(path: &Path, cache: &Path) -> Result<Local, String> {
    let original = std::fs::read(path)
        .map_err(|e| format!("cannot read the program {}: {e}", path.display()))?;
    let path =
        crate::ship::strip::strip_copy(path, &original, cache).unwrap_or_else(|| path.to_owned());
    let build_id = orbital_core::identity::of_file(&path)
        .map_err(|e| format!("cannot read the program {}: {e}", path.display()))?;
    let gzip = cache.join(format!("program-{build_id}.gz"));
    if !gzip.is_file() {
        let t0 = std::time::Instant::now();
        let tmp = cache.join(format!(
            ".program-{build_id}.gz.{}",
            crate::ship::strip::unique()
        ));
        let written = (|| -> std::io::Result<()> {
            let mut from = std::fs::File::open(&path)?;
            let to = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            let mut z = flate2::write::GzEncoder::new(to, flate2::Compression::new(6));
            std::io::copy(&mut from, &mut z)?;
            z.finish()?
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all()?;
            std::fs::rename(&tmp, &gzip)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "cannot compress the program into {}: {e}",
                gzip.display()
            ));
        }
        tracing::debug!(secs = t0.elapsed().as_secs_f64(), "compressed the program");
    }
    Ok(Local {
        path,
        build_id,
        gzip,
    })
}
