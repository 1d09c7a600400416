//! The job's command: a fixed `sh` script that any image with `sh` and `curl` runs. It reads
//! its line of the manifest (by `AWS_BATCH_JOB_ARRAY_INDEX`, 0 for a single job), downloads
//! the program (gzipped in S3, inflated by `curl --compressed`) and its task's spec by
//! presigned URLs, runs the program in runner mode, and
//! uploads the outcome. No image to build, no ECR repository.
//!
//! The manifest has one line per element: `<first byte>-<last byte> <outcome URL>`, the
//! element's range in the submission's specs object (`ORBITAL_SPECS_URL`), so that a whole
//! array's specs are one upload. Its exit status is the runner's, or one of its own:
//! [`EXIT_TRANSFER`] (a download or an upload failed: Batch retries it by `evaluateOnExit`),
//! [`EXIT_EXPIRED`] (S3 refused a URL with 403: the URLs expired before the job started; the
//! executor submits it again with fresh ones) or [`EXIT_NO_LINE`].

/// A download or an upload failed (Batch retries it).
pub(crate) const EXIT_TRANSFER: i32 = 90;
/// S3 refused a presigned URL (403: expired).
pub(crate) const EXIT_EXPIRED: i32 = 91;
/// The manifest has no line for the element's index.
pub(crate) const EXIT_NO_LINE: i32 = 92;

/// The bootstrap's version: a new one is a new job definition.
pub(crate) const VERSION: u32 = 1;

/// The script (`sh -c`), POSIX `sh` and `curl` only.
pub(crate) const SCRIPT: &str = r#"set -u
i="${AWS_BATCH_JOB_ARRAY_INDEX:-0}"
d="$(mktemp -d 2>/dev/null || echo "/tmp/orbital.$$")"
mkdir -p "$d" && cd "$d" || { echo "orbital: cannot make a working directory" >&2; exit 90; }
fetch() {
  code="$(curl -sS -g --retry 4 --retry-connrefused --retry-delay 1 $3 -o "$2" -w '%{http_code}' "$1")" || {
    echo "orbital: downloading the $2 failed (curl exit $?)" >&2; exit 90; }
  case "$code" in
    2??|000) ;;
    403) echo "orbital: S3 refused the $2's URL (HTTP 403: expired)" >&2; exit 91 ;;
    *) echo "orbital: downloading the $2 failed (HTTP $code)" >&2; exit 90 ;;
  esac
}
fetch "$ORBITAL_MANIFEST_URL" manifest ""
n=0; range=""; out=""
while read -r r o; do
  if [ "$n" = "$i" ]; then range="$r"; out="$o"; break; fi
  n=$((n + 1))
done < manifest
[ -n "$range" ] || { echo "orbital: the manifest has no line $i" >&2; exit 92; }
fetch "$ORBITAL_PROGRAM_URL" program "--compressed"
chmod +x program && mkdir -p cap || { echo "orbital: cannot prepare the working directory" >&2; exit 90; }
fetch "$ORBITAL_SPECS_URL" spec "-r $range"
"$d/program" --orbital-runner --spec-file "$d/spec" --outcome-file "$d/outcome" --capture-dir "$d/cap" --capture-limit "${ORBITAL_CAPTURE_LIMIT:-1048576}"
rc=$?
if [ ! -f "$d/outcome" ]; then
  # No outcome (the runner crashed or was killed): what the task printed goes to the job's log.
  lim="${ORBITAL_CAPTURE_LIMIT:-1048576}"
  [ -f "$d/cap/stdout" ] && tail -c "$lim" "$d/cap/stdout"
  [ -f "$d/cap/stderr" ] && tail -c "$lim" "$d/cap/stderr" >&2
  cd / && rm -rf "$d"
  exit "$rc"
fi
if [ -f "$d/outcome" ]; then
  code="$(curl -sS -g --retry 4 --retry-connrefused --retry-delay 1 -X PUT -H 'Expect:' --upload-file "$d/outcome" -o /dev/null -w '%{http_code}' "$out")" || {
    echo "orbital: uploading the outcome failed (curl exit $?)" >&2; exit 90; }
  case "$code" in
    2??) ;;
    403) echo "orbital: S3 refused the outcome's URL (HTTP 403: expired)" >&2; exit 91 ;;
    *) echo "orbital: uploading the outcome failed (HTTP $code)" >&2; exit 90 ;;
  esac
fi
cd / && rm -rf "$d"
exit "$rc"
"#;

/// The job definition's command.
pub(crate) fn command() -> Vec<String> {
    vec!["sh".to_owned(), "-c".to_owned(), SCRIPT.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_posix_sh() {
        let out = std::process::Command::new("sh")
            .args(["-n", "-c", SCRIPT])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn a_missing_line_is_its_own_exit() {
        // The manifest from a file URL; index 5 of a one-line manifest.
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m");
        std::fs::write(&m, "0-9 http://127.0.0.1:9/out\n").unwrap();
        let st = std::process::Command::new("sh")
            .args(["-c", SCRIPT])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("AWS_BATCH_JOB_ARRAY_INDEX", "5")
            .env("ORBITAL_MANIFEST_URL", format!("file://{}", m.display()))
            .env("ORBITAL_PROGRAM_URL", "file:///nonexistent")
            .env("ORBITAL_SPECS_URL", "file:///nonexistent")
            .status()
            .unwrap();
        if std::process::Command::new("curl")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("=== SKIPPED: no curl on this machine ===");
            return;
        }
        assert_eq!(st.code(), Some(EXIT_NO_LINE));
    }
}
