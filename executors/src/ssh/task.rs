//! One task on a host: the runner started over the shared connection, its spec on stdin and
//! its outcome on stdout; the remote process group killed if the task is dropped.

use std::sync::Arc;
use std::time::SystemTime;

use openssh::{Session, Stdio};
use orbital_core::{protocol, runner, Task, TaskError, TaskOutcome};

use super::config::SshExecutor;
use super::connection::Host;
use crate::ship::shell::{chain, quote};

/// Exit code of the task script when its directory cannot be made.
const EXIT_NO_DIR: i32 = 90;

/// Kills the task's process group on the host (and removes its directory) unless disarmed:
/// a time limit or a cancel drops the task's future, and with it this guard.
struct KillRemote {
    session: Arc<Session>,
    dir: String,
    armed: bool,
}

impl Drop for KillRemote {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (session, dir) = (self.session.clone(), self.dir.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let d = quote(&dir);
                // `kill -KILL -PID`, not `kill -KILL -- -PID`: dash (Debian's `sh`) refuses the
                // `--` ("Illegal number"), and nothing would be killed.
                let script = format!(
                    "pid=$(cat {d}/pid 2>/dev/null) && kill -KILL -\"$pid\" 2>/dev/null; rm -rf {d}"
                );
                if let Err(e) = session.command("sh").arg("-c").arg(&script).status().await {
                    tracing::warn!(error = %chain(&e), %dir, "could not kill a task on its host");
                }
            });
        }
    }
}

fn script(cfg: &SshExecutor, bin: &str, dir: &str) -> String {
    let d = quote(dir);
    let mut s = format!("D={d}\nmkdir -p \"$D\" && cd \"$D\" || exit {EXIT_NO_DIR}\n");
    s.push_str(&crate::ship::shell::prerun(&cfg.prerun_commands));
    s.push_str("env");
    for (k, v) in &cfg.env {
        s.push_str(&format!(" {}", quote(&format!("{k}={v}"))));
    }
    s.push_str(&format!(
        " ORBITAL_PROGRESS=0 {} {} --capture-dir \"$D\" --capture-limit {} --pid-file \"$D/pid\"\nrc=$?\n\
         # Nothing the task started outlives it (no `--`: dash's kill refuses it).\n\
         pid=$(cat \"$D/pid\" 2>/dev/null) && kill -KILL -\"$pid\" 2>/dev/null\n",
        quote(bin),
        runner::RUNNER_ARG,
        cfg.capture_limit
    ));
    if !cfg.postrun_commands.is_empty() {
        s.push_str("{\n");
        for line in &cfg.postrun_commands {
            s.push_str(line);
            s.push('\n');
        }
        s.push_str("} 1>&2\n");
    }
    s.push_str("if [ \"$rc\" -eq 0 ]; then cd / && rm -rf \"$D\"; fi\nexit \"$rc\"\n");
    s
}

/// Runs `task` on the host of `cfg`. A task that fails is an `Ok` outcome; an `Err` says it
/// could not be started, lost its connection, or left no readable outcome.
pub(super) async fn run(cfg: &SshExecutor, mut task: Task) -> Result<TaskOutcome, TaskError> {
    let started = SystemTime::now();
    let on_host = |e: String| TaskError::executor(format!("ssh {}: {e}", cfg.destination()));
    let host = Host::get(cfg).await.map_err(on_host)?;
    let shipped = host.binary(cfg).await.map_err(on_host)?;
    let bin = shipped.path;
    let rd = host.remote_dir(cfg).await.map_err(on_host)?;
    let session = host.session(cfg).await.map_err(on_host)?;
    // The shipped program's identity: a runner of any other build refuses the spec.
    task.spec.build_id = shipped.build_id;
    let nanos = started
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = format!(
        "{rd}/tasks/{}-{}-{}-{nanos}",
        task.spec.dispatch_id, task.spec.node_id, task.spec.attempt
    );
    let mut spec = Vec::new();
    protocol::write_spec(&mut spec, &task.spec).map_err(|e| TaskError::codec(e.to_string()))?;

    let mut child = match Session::to_command(session.clone(), "sh")
        .arg("-c")
        .arg(script(cfg, &bin, &dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .await
    {
        Ok(c) => c,
        Err(e) => {
            let said = chain(&e);
            if !Host::alive(&session).await {
                host.drop_session(&session).await;
            }
            return Err(on_host(format!("cannot start the task: {said}")));
        }
    };
    let mut guard = KillRemote {
        session: session.clone(),
        dir: dir.clone(),
        armed: true,
    };
    let (stdin, stdout, stderr) = (
        child.stdin().take(),
        child.stdout().take(),
        child.stderr().take(),
    );
    let (out, err) = crate::ship::runner_io::exchange(stdin, stdout, stderr, &spec).await;
    let status = child.wait().await;
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            // The connection dropped under the task: whether it still runs is unknown.
            let said = chain(&e);
            if !Host::alive(&session).await {
                host.drop_session(&session).await;
                guard.armed = false; // nothing to reach the host with
            }
            return Err(on_host(format!(
                "the connection failed during the task: {said}"
            )));
        }
    };
    let said = String::from_utf8_lossy(&err).trim().to_owned();
    if status.success() {
        guard.armed = false;
        let mut outcome = protocol::read_outcome(&mut out.as_slice())
            .map_err(|e| on_host(format!("the task's outcome could not be read: {e}")))?;
        outcome.exit_code = Some(0);
        return Ok(outcome);
    }
    let code = status.code();
    if code == Some(EXIT_NO_DIR) {
        return Err(on_host(format!(
            "cannot create the task directory {dir}: {said}; set `remote_dir` to a directory the user may write"
        )));
    }
    {
        if let Some(why) = crate::ship::shell::prerun_failure(&cfg.prerun_commands, &said) {
            let _ = fetch_captures(&session, &dir, cfg.capture_limit).await;
            guard.armed = false;
            return Ok(TaskOutcome {
                stderr: Some(said.clone()),
                exit_code: code,
                ..TaskOutcome::new(
                    Err(orbital_core::TaskError::failed(format!(
                        "on {}: {why}",
                        cfg.destination()
                    ))),
                    SystemTime::now(),
                )
            });
        }
    }
    // No outcome: keep what the task printed, then clean up, then say why.
    let (stdout_text, stderr_text) = fetch_captures(&session, &dir, cfg.capture_limit).await;
    guard.armed = false;
    let (code, signal) = match code {
        Some(c) if c > 128 && c < 128 + 65 => (None, Some(c - 128)),
        other => (other, None),
    };
    let subject = format!("the task on {}", cfg.destination());
    Ok(TaskOutcome {
        result: Err(runner::exit_error(code, signal, &said, &subject)),
        stdout: stdout_text,
        stderr: stderr_text,
        started,
        ended: SystemTime::now(),
        exit_code: code,
        signal,
        kept_output: None,
    })
}

/// What a task that died without an outcome had printed; removes its directory.
async fn fetch_captures(
    session: &Session,
    dir: &str,
    limit: u64,
) -> (Option<String>, Option<String>) {
    let d = quote(dir);
    let read = |name: &str| format!("head -c {limit} {d}/{name} 2>/dev/null");
    let get = |cmd: String| async move {
        match session.command("sh").arg("-c").arg(&cmd).output().await {
            Ok(o) => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
            Err(_) => None,
        }
    };
    let out = get(read("stdout")).await;
    let err = get(read("stderr")).await;
    let _ = session.command("rm").arg("-rf").arg(dir).status().await;
    (out, err)
}
