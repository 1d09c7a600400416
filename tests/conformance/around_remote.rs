//! Around a task, with other places: HTTP from a server this test starts, S3 through moto,
//! rsync and SFTP through the harness's sshd, and a failing `prerun_commands` line.

use std::path::Path;

use libtest_mimic::Failed;
use orbital::prelude::*;

use super::around::{env, runtime, SHARED};
use super::{error_of, node, run, set_under_test, Case, Ctx};

/// The cases whose transfers' settings come from the environment this process passes on to
/// the tasks (every executor but `awslambda`, whose function has an environment of its own).
pub const NETWORK_CASES: &[(&str, Case)] = &[
    ("around_http_files", http_case),
    ("around_s3_files", s3_case),
];

// ---------------------------------------------------------------------------------------------
// HTTP (GET before, PUT after; a PUT the server refuses fails the node).

fn http(path: &str) -> String {
    format!("{}{path}", env("ORBITAL_AROUND_HTTP"))
}

#[cfg(feature = "http")]
#[electron(files = [
    from(http("/data/in.txt"), "in.txt"),
    to("out.txt", http("/results/out.txt")),
])]
pub fn over_http() -> Result<String, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(c.path("in.txt")).map_err(|e| e.to_string())?;
    std::fs::write(c.path("out.txt"), format!("{text}, and back")).map_err(|e| e.to_string())?;
    Ok(text)
}

#[cfg(feature = "http")]
#[electron(files = [to("out.txt", http("/readonly/out.txt"))])]
pub fn refused_put() -> Result<u32, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    std::fs::write(c.path("out.txt"), "x").map_err(|e| e.to_string())?;
    Ok(7)
}

#[cfg(feature = "http")]
#[electron(files = [from(http("/data/missing.txt"), "in.txt")])]
pub fn missing_get() -> u32 {
    0
}

#[cfg(feature = "http")]
#[lattice(executor = "under_test")]
pub fn http_ok() -> String {
    over_http()
}

#[cfg(feature = "http")]
#[lattice(executor = "under_test")]
pub fn http_refused() -> u32 {
    refused_put()
}

#[cfg(feature = "http")]
#[lattice(executor = "under_test")]
pub fn http_missing() -> u32 {
    missing_get()
}

#[cfg(feature = "http")]
fn http_case(ctx: &Ctx) -> Result<(), Failed> {
    let rt = runtime(ctx)?;
    let r = ctx.block_on(run(&rt, http_ok::build(), 300))?;
    assert_eq!(r.status(), DispatchStatus::Completed, "{:?}", r.error());
    assert_eq!(r.output()?, "over http");
    let put = reqwest_get(&http("/results/out.txt"))?;
    assert_eq!(put, "over http, and back", "the PUT reached the server");
    let r = ctx.block_on(run(&rt, http_refused::build(), 300))?;
    let refused = node(&r, "refused_put");
    let e = error_of(refused);
    assert!(
        e.contains("http") && e.contains("/readonly/out.txt") && e.contains("405"),
        "{e}"
    );
    assert_eq!(refused.output_as::<u32>()?, 7, "the output is kept");
    let r = ctx.block_on(run(&rt, http_missing::build(), 300))?;
    let missing = error_of(node(&r, "missing_get"));
    assert!(
        missing.contains("/data/missing.txt") && missing.contains("404"),
        "{missing}"
    );
    Ok(())
}

#[cfg(feature = "http")]
fn reqwest_get(url: &str) -> Result<String, Failed> {
    let out = std::process::Command::new("curl")
        .args(["-sf", url])
        .output()?;
    if !out.status.success() {
        return Err(format!("curl {url} failed").into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(not(feature = "http"))]
fn http_case(_ctx: &Ctx) -> Result<(), Failed> {
    skipped("http", "HTTP transfers")
}

// ---------------------------------------------------------------------------------------------
// S3, through moto.

fn s3(key: &str) -> String {
    format!("s3://{}/{key}", env("ORBITAL_AROUND_BUCKET"))
}

#[cfg(feature = "s3")]
#[electron(files = [to("made.txt", s3("around/{dispatch}/in.txt"))])]
pub fn s3_make() -> Result<u32, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    std::fs::write(c.path("made.txt"), "s3 words").map_err(|e| e.to_string())?;
    Ok(1)
}

#[cfg(feature = "s3")]
#[electron(files = [
    from(s3("around/{dispatch}/in.txt"), "in.txt"),
    to("out.txt", s3("around/{dispatch}/out.txt")),
])]
pub fn s3_shout(_after: u32) -> Result<u32, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(c.path("in.txt")).map_err(|e| e.to_string())?;
    std::fs::write(c.path("out.txt"), text.to_uppercase()).map_err(|e| e.to_string())?;
    Ok(2)
}

#[cfg(feature = "s3")]
#[electron(files = [from(s3("around/{dispatch}/out.txt"), "back.txt")])]
pub fn s3_read(_after: u32) -> Result<String, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    std::fs::read_to_string(c.path("back.txt")).map_err(|e| e.to_string())
}

#[cfg(feature = "s3")]
#[electron(files = [from(s3("around/{dispatch}/no-such-key"), "x")])]
pub fn s3_missing() -> u32 {
    0
}

#[cfg(feature = "s3")]
#[lattice(executor = "under_test")]
pub fn s3_files() -> String {
    s3_read(s3_shout(s3_make()))
}

#[cfg(feature = "s3")]
#[lattice(executor = "under_test")]
pub fn s3_gone() -> u32 {
    s3_missing()
}

#[cfg(feature = "s3")]
fn s3_case(ctx: &Ctx) -> Result<(), Failed> {
    if std::env::var("ORBITAL_AROUND_BUCKET").is_err() {
        return skipped("the AWS emulators", "S3 transfers");
    }
    let rt = runtime(ctx)?;
    let r = ctx.block_on(run(&rt, s3_files::build(), 300))?;
    assert_eq!(
        r.output().unwrap_or_default(),
        "S3 WORDS",
        "to S3, from S3 and back: {:?}",
        r.nodes()
            .iter()
            .map(|n| (n.name().to_owned(), n.error().map(str::to_owned)))
            .collect::<Vec<_>>()
    );
    let r = ctx.block_on(run(&rt, s3_gone::build(), 300))?;
    let e = error_of(node(&r, "s3_missing"));
    assert!(e.contains("s3") && e.contains("no-such-key"), "{e}");
    Ok(())
}

#[cfg(not(feature = "s3"))]
fn s3_case(_ctx: &Ctx) -> Result<(), Failed> {
    skipped("s3", "S3 transfers")
}

// ---------------------------------------------------------------------------------------------
// rsync and sftp through the harness's sshd (run by the local and process targets: the tasks
// there run as this user, who may read the sshd's client key).

fn ssh_url(scheme: &str, path: &str) -> String {
    format!("{scheme}://{}{path}", env("ORBITAL_AROUND_RSYNC"))
}

/// Writes the file the rsync case fetches, where the sshd's user can read it.
#[electron]
pub fn seed_remote() -> Result<u32, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    let dir = Path::new(SHARED).join(c.dispatch_id());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let _ = std::process::Command::new("chmod")
        .arg("1777")
        .arg(&dir)
        .status();
    std::fs::write(dir.join("remote-in.txt"), "by rsync").map_err(|e| e.to_string())?;
    Ok(1)
}

#[lattice(executor = "under_test")]
pub fn ssh_files() -> String {
    over_ssh(seed_remote())
}

#[electron(files = [
    from(ssh_url("rsync", "/tmp/orbital-around/{dispatch}/remote-in.txt"), "in.txt")
        .private_key_path(env("ORBITAL_AROUND_RSYNC_KEY"))
        .known_hosts(env("ORBITAL_AROUND_RSYNC_KNOWN_HOSTS")),
    to("out.txt", ssh_url("rsync", "/tmp/orbital-around/{dispatch}/remote-out.txt"))
        .private_key_path(env("ORBITAL_AROUND_RSYNC_KEY"))
        .known_hosts(env("ORBITAL_AROUND_RSYNC_KNOWN_HOSTS")),
    to("out.txt", ssh_url("sftp", "/tmp/orbital-around/{dispatch}/sftp-out.txt"))
        .private_key_path(env("ORBITAL_AROUND_RSYNC_KEY"))
        .known_hosts(env("ORBITAL_AROUND_RSYNC_KNOWN_HOSTS")),
])]
pub fn over_ssh(_seeded: u32) -> Result<String, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(c.path("in.txt")).map_err(|e| e.to_string())?;
    std::fs::write(c.path("out.txt"), text.to_uppercase()).map_err(|e| e.to_string())?;
    Ok(text)
}

/// rsync from and to the harness's sshd, and sftp to it.
pub fn rsync_case(ctx: &Ctx) -> Result<(), Failed> {
    if std::env::var("ORBITAL_AROUND_RSYNC").is_err() {
        return skipped("the test sshd", "rsync and sftp transfers");
    }
    let rt = runtime(ctx)?;
    let r = ctx.block_on(run(&rt, ssh_files::build(), 300))?;
    assert_eq!(r.status(), DispatchStatus::Completed, "{:?}", r.error());
    assert_eq!(r.output()?, "by rsync");
    let id = r.id().to_string();
    assert_eq!(
        std::fs::read_to_string(format!("{SHARED}/{id}/remote-out.txt"))?,
        "BY RSYNC"
    );
    assert_eq!(
        std::fs::read_to_string(format!("{SHARED}/{id}/sftp-out.txt"))?,
        "BY RSYNC"
    );
    Ok(())
}

/// Says loudly what is skipped; under the harness, a failure.
fn skipped(what: &str, case: &str) -> Result<(), Failed> {
    if std::env::var("ORBITAL_HARNESS").as_deref() == Ok("1") {
        return Err(format!(
            "ORBITAL_HARNESS=1 but {case} cannot run: this build or machine lacks {what}"
        )
        .into());
    }
    eprintln!("\n=== SKIPPED: {case} need {what}; run ./harness/run-tests ===");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// prerun_commands (ssh and slurm): a failing line fails the task, naming the line.

#[lattice(executor = "under_test")]
pub fn sum(a: u64, b: u64) -> u64 {
    super::add(a, b)
}

/// Run by the ssh and slurm targets.
pub fn prerun_case(ctx: &Ctx) -> Result<(), Failed> {
    let rt = ctx.runtime_with(|c| {
        set_under_test(
            c,
            "prerun_commands",
            toml::Value::Array(vec![
                toml::Value::String("export ORBITAL_PRERUN_SEEN=1".into()),
                toml::Value::String("echo prerun-broke >&2; exit 5".into()),
            ]),
        )
    })?;
    let r = ctx.block_on(run(&rt, sum::build(2, 3), 300))?;
    assert_eq!(r.status(), DispatchStatus::Failed);
    let e = error_of(node(&r, "add"));
    for part in [
        "prerun_commands line 2 failed with exit status 5",
        "`echo prerun-broke >&2; exit 5`",
        "prerun-broke",
    ] {
        assert!(e.contains(part), "the error names {part:?}: {e}");
    }
    let ok = ctx.runtime_with(|c| {
        set_under_test(
            c,
            "prerun_commands",
            toml::Value::Array(vec![toml::Value::String(
                "export ORBITAL_PRERUN_SEEN=1".into(),
            )]),
        )
    })?;
    let r = ctx.block_on(run(&ok, sum::build(2, 3), 300))?;
    assert_eq!(r.status(), DispatchStatus::Completed, "{:?}", r.error());
    assert_eq!(r.output()?, 5);
    Ok(())
}
