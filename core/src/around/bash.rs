//! `deps_bash`: shell commands run in the task's working directory before the call. The first
//! one that fails fails the node, with the command, its exit status and the end of its stderr.

use std::path::Path;
use std::process::Stdio;

use crate::task::TaskError;

/// Where a command's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// To this process's stdout and stderr (a task process: they are the task's captures).
    Inherit,
    /// Collected and returned (the `local` executor, whose tasks share one process).
    Collect,
}

/// What the commands printed, when collected.
#[derive(Debug, Default)]
pub struct Printed {
    /// Their standard output.
    pub stdout: String,
    /// Their standard error.
    pub stderr: String,
}

/// The shell: `bash` (Covalent's `DepsBash` runs bash), or `sh` where there is none.
fn shell() -> &'static str {
    if Path::new("/bin/bash").exists() || Path::new("/usr/bin/bash").exists() {
        "bash"
    } else {
        "sh"
    }
}

/// The last `n` lines of `text`, trimmed.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs `commands` in `dir`, in order, stopping at the first that fails.
///
/// # Errors
/// A failed command (named, with its status and the end of its stderr), or one that could not
/// start.
pub async fn run(
    commands: &[&str],
    dir: &Path,
    electron: &str,
    output: Output,
    printed: &mut Printed,
) -> Result<(), TaskError> {
    let sh = shell();
    for (i, cmd) in commands.iter().enumerate() {
        let mut c = tokio::process::Command::new(sh);
        // `output()` pipes both streams (tokio sets them whatever was asked): what the command
        // printed is passed on below.
        c.arg("-c")
            .arg(cmd)
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = c.output().await.map_err(|e| {
            TaskError::executor(format!(
                "deps_bash command {} of `{electron}` could not start ({sh} -c {cmd:?}): {e}",
                i + 1
            ))
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match output {
            Output::Inherit => {
                use std::io::Write;
                let _ = std::io::stdout().write_all(&out.stdout);
                let _ = std::io::stdout().flush();
                let _ = std::io::stderr().write_all(&out.stderr);
            }
            Output::Collect => {
                printed.stdout.push_str(&stdout);
                printed.stderr.push_str(&stderr);
            }
        }
        if !out.status.success() {
            let status = match out.status.code() {
                Some(c) => format!("exit status {c}"),
                None => {
                    use std::os::unix::process::ExitStatusExt;
                    format!("signal {}", out.status.signal().unwrap_or(0))
                }
            };
            let said = tail(&stderr, 10);
            let said = if said.is_empty() {
                " (it printed nothing on stderr)".to_owned()
            } else {
                format!("; its stderr ends:\n{said}")
            };
            return Err(TaskError::failed(format!(
                "deps_bash command {} of `{electron}` failed with {status}: `{cmd}` (in {}){said}",
                i + 1,
                dir.display()
            )));
        }
    }
    Ok(())
}
