//! The test sshd itself (harness/sshd, tests/support/sshd.rs): before any SSH executor test
//! can mean anything, a login with strict host key checking must work, must fail without the
//! host key, and the extra sshd the fault tests kill must start and die.
//!
//! Without the harness's environment these tests skip loudly; under `ORBITAL_HARNESS=1` they
//! fail.

#[path = "support/sshd.rs"]
mod sshd;

use std::time::Duration;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn login_with_strict_host_key_checking() {
    let Some(t) = sshd::target() else { return };
    let out = t.ssh("uname -m; echo $HOME; id -un");
    assert!(
        out.status.success(),
        "ssh to {}@{}:{} failed ({}): {}\nsshd log: {}",
        t.user,
        t.host,
        t.port,
        out.status,
        stderr(&out),
        t.log().display()
    );
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            std::env::consts::ARCH,
            &format!("/home/{}", t.user),
            t.user.as_str()
        ],
        "remote output: {text:?}"
    );
}

#[test]
fn unknown_host_key_is_refused() {
    let Some(t) = sshd::target() else { return };
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("known_hosts");
    std::fs::write(&empty, "").unwrap();
    let t = sshd::SshTarget {
        known_hosts: empty,
        ..t
    };
    let out = t.ssh("true");
    assert!(
        !out.status.success(),
        "ssh succeeded with an empty known_hosts: strict host key checking is off"
    );
    assert!(
        stderr(&out).contains("Host key verification failed"),
        "unexpected ssh error: {}",
        stderr(&out)
    );
}

#[test]
fn sessions_above_the_default_max_sessions() {
    // sshd's default MaxSessions is 10; the harness raises it for concurrent tasks over one
    // multiplexed connection. Open 16 sessions over one ControlMaster at once.
    // (Checked: against `-o MaxSessions=10` this test fails.)
    let Some(t) = sshd::target() else { return };
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let sock = dir.path().join("cm");
    let mut master = t
        .ssh_command()
        .args(["-o", "ControlMaster=yes", "-o"])
        .arg(format!("ControlPath={}", sock.display()))
        .arg("-N")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(
            master.try_wait().unwrap().is_none(),
            "the control master exited"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "no control socket after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let ctl = |extra: &[&str]| {
        let mut c = t.ssh_command();
        c.arg("-o")
            .arg(format!("ControlPath={}", sock.display()))
            .args(extra);
        c
    };
    let children: Vec<_> = (0..16)
        .map(|i| {
            ctl(&[&format!("sleep 1; echo {i}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let _ = ctl(&["-O", "exit"]).output();
    let _ = master.kill();
    let _ = master.wait();
    for (i, out) in outs.iter().enumerate() {
        assert!(
            out.status.success(),
            "session {i} over the shared connection failed: {}",
            stderr(out)
        );
        assert_eq!(stdout(out).trim(), i.to_string());
        // When the master refuses a session (MaxSessions), the ssh client says so on stderr
        // and quietly falls back to a connection of its own: success alone proves nothing.
        assert!(
            !stderr(out).contains("refused"),
            "session {i} was refused over the shared connection (MaxSessions too low?): {}",
            stderr(out)
        );
    }
}

#[test]
fn extra_sshd_starts_and_dies_on_kill() {
    let Some(t) = sshd::target() else { return };
    let mut extra = sshd::start_extra_sshd(&t, 0);
    assert_ne!(extra.port(), t.port);
    assert!(extra.is_running());

    let out = extra.target().ssh("echo extra");
    assert!(
        out.status.success(),
        "ssh to the extra sshd: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).trim(), "extra");

    // A connection open while it is killed drops too (the whole sshd tree dies).
    let mut long = extra
        .target()
        .ssh_command()
        .arg("echo started; sleep 60")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(long.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "started");
    }

    extra.kill();
    assert!(!extra.is_running());
    extra.assert_port_closed();
    let waited = std::time::Instant::now();
    let status = long.wait().unwrap();
    assert!(
        !status.success() && waited.elapsed() < Duration::from_secs(30),
        "the open session survived the kill ({status})"
    );
    let out = extra.target().ssh("true");
    assert!(!out.status.success(), "ssh still works after the kill");

    // The harness's own sshd is untouched.
    assert!(t.ssh("true").status.success());
}

#[test]
fn ssh_toml_table() {
    // No sshd needed: the table's keys and values.
    let t = sshd::SshTarget {
        host: "127.0.0.1".into(),
        port: 2222,
        user: "orbital-ssh".into(),
        key: "/tmp/orb-sshd/client_ed25519".into(),
        known_hosts: "/tmp/orb-sshd/known_hosts".into(),
        config: "/tmp/orb-sshd/sshd_config".into(),
        pidfile: "/tmp/orb-sshd/sshd.pid".into(),
    };
    let text = sshd::ssh_toml(&t, "ssh");
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    let table = doc["executors"]["ssh"].as_table().unwrap();
    assert_eq!(table["type"].as_str(), Some("ssh"));
    assert_eq!(table["hostname"].as_str(), Some("127.0.0.1"));
    assert_eq!(table["port"].as_integer(), Some(2222));
    assert_eq!(table["username"].as_str(), Some("orbital-ssh"));
    assert_eq!(
        table["ssh_key_file"].as_str(),
        Some("/tmp/orb-sshd/client_ed25519")
    );
    assert_eq!(
        table["known_hosts"].as_str(),
        Some("/tmp/orb-sshd/known_hosts")
    );
    assert_eq!(table["strict_host_key_checking"].as_bool(), Some(true));
    assert_eq!(table["remote_dir"].as_str(), Some(sshd::REMOTE_DIR));

    let text = sshd::ssh_toml_in(&t, "gpu1", "/home/orbital-ssh/x \"y\"");
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        doc["executors"]["gpu1"]["remote_dir"].as_str(),
        Some("/home/orbital-ssh/x \"y\"")
    );
}
