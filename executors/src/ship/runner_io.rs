//! Talking to a task runner over its standard streams: what the `process` and `ssh` executors
//! share.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most of a runner's own stderr kept (its protocol messages; the electron's output is
/// captured elsewhere).
const RUNNER_STDERR_LIMIT: usize = 64 * 1024;

/// Writes the spec to the runner's stdin (then closes it) while reading its stdout to the end
/// and its stderr (the first [`RUNNER_STDERR_LIMIT`] bytes kept, the rest drained so that the
/// runner never blocks on a full pipe). Returns stdout and the kept stderr.
pub(crate) async fn exchange(
    stdin: Option<impl AsyncWrite + Unpin>,
    stdout: Option<impl AsyncRead + Unpin>,
    stderr: Option<impl AsyncRead + Unpin>,
    spec: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let write = async move {
        if let Some(mut s) = stdin {
            // A runner that dies early closes the pipe: its exit status tells why.
            let _ = s.write_all(spec).await;
            let _ = s.shutdown().await;
        }
    };
    let read_out = async move {
        let mut buf = Vec::new();
        if let Some(mut s) = stdout {
            let _ = s.read_to_end(&mut buf).await;
        }
        buf
    };
    let read_err = async move {
        let mut kept = Vec::new();
        if let Some(mut s) = stderr {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = s.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                let room = RUNNER_STDERR_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
        kept
    };
    let ((), out, err) = tokio::join!(write, read_out, read_err);
    (out, err)
}
