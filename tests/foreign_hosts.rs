//! The one binary on hosts unlike the driver (issue 12), started by `harness/foreign`:
//!
//! - `old`: Debian bullseye (glibc 2.31) with its own sshd. This test program, built here, needs
//!   a newer glibc, so the SSH executor builds it again with `cargo zigbuild` for glibc 2.17,
//!   ships that build, and the conformance suite's core cases run on it (values, failures, a
//!   panic, captured output, a time limit, cancel).
//! - `arm`: Debian bookworm arm64 under qemu-user with its own sshd. The executor builds for
//!   `aarch64-unknown-linux-gnu.2.17`; the seed workflow, a failing and a cancelled task run
//!   there (emulated, so few).
//! - the harness's Slurm, with `target = "x86_64-unknown-linux-musl"`: that build is the job
//!   array's program; and with `probe = "compute"`, the cluster is asked in a tiny job.
//!
//! Both roots share `ORBITAL_TEST_FOREIGN_SHARE` with the driver at the same path, so this
//! program makes its temporary directories there (`TMPDIR`), where the cases' electrons write
//! their files. All builds share one target directory (`target/tmp/cross-build`, the Lambda
//! cross-build test's too), so a second run only checks that nothing changed.
//!
//! This test program is the task program (built again for each host), so `main` calls
//! `orbital::init()` first.

mod conformance;
#[path = "support/foreign.rs"]
mod foreign;
#[path = "support/slurm.rs"]
mod slurm;
#[path = "support/sshd.rs"]
mod sshd;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use conformance::Expect;
use libtest_mimic::{Failed, Trial};
use orbital::prelude::*;
use orbital_executors::{Shipped, SshExecutor};

/// The profile of the builds for the hosts: `dev` without debug information.
const PROFILE: &str = "lambda-test";

/// Where the executor keeps its files on each host.
const REMOTE_DIR: &str = "~/.cache/orbital-foreign";

/// The conformance cases run on the old-glibc host.
const OLD_CASES: &[&str] = &[
    "outputs_of_several_types",
    "an_err_fails_its_node_and_only_its_dependants",
    "a_panic_fails_its_node_with_its_message",
    "capture_stdout_and_stderr",
    "time_limit",
    "cancel_while_tasks_run",
];

/// The same on the emulated ARM host: a failing and a cancelled task.
const ARM_CASES: &[&str] = &[
    "an_err_fails_its_node_and_only_its_dependants",
    "cancel_while_tasks_run",
];

/// What each host's first ship did (made before the trials, as a dispatch's setup would).
static SHIPPED: OnceLock<Vec<(&'static str, Result<Shipped, String>)>> = OnceLock::new();

/// The shared target directory of the builds for other hosts.
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cross-build")
}

/// The `[executors.NAME]` table of the SSH executor for `host`, building for it.
fn ssh_toml(host: &foreign::ForeignHost, name: &str) -> String {
    format!(
        "{}cross_build = \"auto\"\nbuild_profile = \"{PROFILE}\"\nbuild_features = [\"slurm\"]\n\
         cache_dir = \"{}\"\nmax_concurrency = 8\n",
        sshd::ssh_toml_in(&host.ssh, name, REMOTE_DIR),
        cache_dir().display()
    )
}

fn executor(host: &foreign::ForeignHost) -> Result<SshExecutor, String> {
    let text = ssh_toml(host, "x");
    let table: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let mut x = table["executors"]["x"]
        .as_table()
        .cloned()
        .unwrap_or_default();
    x.remove("type");
    toml::Value::Table(x).try_into().map_err(|e| format!("{e}"))
}

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let (old, arm) = (foreign::old_glibc(), foreign::arm());
    let cluster = slurm::target();
    if let Some(share) = old.as_ref().or(arm.as_ref()).map(|h| h.share.clone()) {
        // Before any thread: the cases' directories must be where the hosts see them.
        std::env::set_var("TMPDIR", &share);
    }
    let mut trials = Vec::new();
    let suite = |host: &Option<foreign::ForeignHost>, many| {
        let config_toml = match host {
            Some(h) => ssh_toml(h, conformance::UNDER_TEST),
            None => "[executors.under_test]\ntype = \"ssh\"\nhostname = \"skipped\"\n".into(),
        };
        Arc::new(conformance::Suite {
            config_toml,
            expect: Expect {
                many_tasks: many,
                ..Expect::PROCESS
            },
            stale: conformance::stale_via_program,
        })
    };
    let (old_suite, arm_suite) = (suite(&old, 20), suite(&arm, 4));
    for (tag, host, s, cases) in [
        ("old_glibc", &old, &old_suite, OLD_CASES),
        ("arm", &arm, &arm_suite, ARM_CASES),
    ] {
        let h = host.clone();
        trials.push(Trial::test(
            format!("{tag}::ships_a_build_for_the_host"),
            move || ships_a_build(h.as_ref()),
        ));
        for name in cases {
            let case = conformance::case(name).expect("a case of the suite");
            trials.push(conformance::trial(s, &format!("{tag}::{name}"), case));
        }
    }
    let h = arm.clone();
    trials.push(Trial::test("arm::seed_workflow", move || {
        seed_on(h.as_ref())
    }));
    let h = old.clone();
    trials.push(Trial::test(
        "old_glibc::a_failed_build_fails_only_that_executors_nodes",
        move || failed_build(h.as_ref()),
    ));
    let c = cluster.clone();
    trials.push(Trial::test(
        "slurm::musl_target_is_the_array_program",
        move || slurm_musl(c.as_ref()),
    ));
    let c = cluster.clone();
    trials.push(Trial::test("slurm::probe_on_a_compute_node", move || {
        slurm_probe_compute(c.as_ref())
    }));
    if old.is_none() || arm.is_none() || cluster.is_none() {
        let trials: Vec<Trial> = trials
            .into_iter()
            .map(|t| t.with_ignored_flag(true))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    }
    if !args.list {
        // The cold builds take minutes (cargo's progress shows on stderr): made here, before
        // the trials and their hang guards, as one dispatch's setup would make them.
        let tokio = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let mut shipped = Vec::new();
        for host in [old.as_ref(), arm.as_ref()].into_iter().flatten() {
            let r = executor(host).map(|x| tokio.block_on(x.ship()).map_err(|e| e.to_string()));
            let r = r.and_then(|r| r);
            if let Ok(s) = &r {
                eprintln!(
                    "foreign_hosts: {} ({}): {} for {}; probe {:.2} s, build {:?}, upload {:?}",
                    host.name,
                    host.ssh.port,
                    s.origin,
                    s.target,
                    s.probe.as_secs_f64(),
                    s.build,
                    s.upload
                );
            }
            shipped.push((host.name, r));
        }
        let _ = SHIPPED.set(shipped);
    }
    let conclusion = libtest_mimic::run(&args, trials);
    close_connections();
    conclusion.exit();
}

/// The host's program is a build for it, not this executable, and needs what the host has.
fn ships_a_build(host: Option<&foreign::ForeignHost>) -> Result<(), Failed> {
    let host = host.ok_or("no foreign host")?;
    let shipped = SHIPPED
        .get()
        .and_then(|all| all.iter().find(|(n, _)| *n == host.name))
        .map(|(_, r)| r.clone())
        .ok_or("the host was not shipped to before the trials")??;
    assert!(shipped.origin.starts_with("built: "), "{shipped:?}");
    assert_ne!(shipped.build_id, orbital_core::identity::current()?);
    assert!(shipped.build.is_some(), "{shipped:?}");
    let (machine, glibc) = match host.name {
        "old" => ("x86_64", "glibc 2.31"),
        _ => ("aarch64", "glibc 2.36"),
    };
    assert_eq!(shipped.target, format!("Linux on {machine} with {glibc}"));
    // The file on the host (seen through its root) is that build: the host's machine, and
    // glibc 2.17 at most.
    let on_host = host.in_root(&shipped.path);
    let bytes = std::fs::read(&on_host)?;
    assert_eq!(orbital_core::identity::of_bytes(&bytes), shipped.build_id);
    let elf_machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    assert_eq!(elf_machine, if machine == "x86_64" { 62 } else { 183 });
    let newest = newest_glibc(&on_host)?;
    assert!(newest <= (2, 17), "the build needs glibc {newest:?}");
    // A second ship in this process reports the same build and uploads nothing more.
    let tokio = tokio::runtime::Runtime::new()?;
    let again = tokio.block_on(executor(host)?.ship())?;
    assert_eq!(again, shipped);
    Ok(())
}

/// The newest `GLIBC_2.x` in the version needs of an ELF file (`readelf -V`).
fn newest_glibc(path: &Path) -> Result<(u32, u32), Failed> {
    let out = std::process::Command::new("readelf")
        .arg("-V")
        .arg(path)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text
        .split("GLIBC_2.")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok().map(|m| (2, m))
        })
        .max()
        .ok_or("readelf named no GLIBC_2.x version")?;
    Ok(v)
}

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron(executor = "far")]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[electron(executor = "far")]
fn machine() -> String {
    std::env::consts::ARCH.to_owned()
}

#[electron]
fn both(said: String, arch: String) -> (String, String) {
    (said, arch)
}

#[lattice]
fn seed(a: String, b: String) -> (String, String) {
    let phrase = join_words(a, b);
    both(excitement(phrase), machine())
}

/// The seed workflow with `excitement` on the emulated ARM host.
fn seed_on(host: Option<&foreign::ForeignHost>) -> Result<(), Failed> {
    let host = host.ok_or("no foreign host")?;
    let dir = tempfile::tempdir()?;
    let result = dispatch_on(
        &ssh_toml(host, "far"),
        dir.path(),
        seed::build("Hello".into(), "World".into()),
    )?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(
        result.output()?,
        ("Hello, World!".to_owned(), "aarch64".to_owned())
    );
    Ok(())
}

/// A build that fails (a feature the package does not have): the node on that executor fails
/// with cargo's own words and the command to rerun; the node that ran here keeps its result.
fn failed_build(host: Option<&foreign::ForeignHost>) -> Result<(), Failed> {
    let host = host.ok_or("no foreign host")?;
    let dir = tempfile::tempdir()?;
    let config = ssh_toml(host, "far").replace(
        "build_features = [\"slurm\"]",
        "build_features = [\"slurm\", \"no-such-feature\"]",
    );
    let result = dispatch_on(
        &config,
        dir.path(),
        seed::build("Hello".into(), "World".into()),
    )?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let joined = result
        .nodes_named("join_words")
        .next()
        .ok_or("no join_words node")?;
    assert_eq!(joined.status(), NodeStatus::Completed);
    assert_eq!(joined.output_as::<String>()?, "Hello, World");
    let failed = result
        .nodes_named("excitement")
        .next()
        .ok_or("no excitement node")?;
    let e = failed.error().unwrap_or_default();
    assert!(
        e.contains("building this program for the SSH host failed")
            && e.contains("no-such-feature")
            && e.contains("Rerun it by hand with `cargo zigbuild"),
        "{e}"
    );
    Ok(())
}

#[lattice(executor = "far")]
fn on_cluster(a: String, b: String) -> (String, String) {
    both(excitement(join_words(a, b)), machine())
}

fn slurm_toml(cluster: &slurm::SlurmTarget, extra: &str) -> String {
    format!(
        "[executors.far]\ntype = \"slurm\"\nremote_workdir = \"{}\"\npoll_freq = 0.25\n\
         build_profile = \"{PROFILE}\"\nbuild_features = [\"slurm\"]\ncache_dir = \"{}\"\n{extra}",
        cluster.fresh_dir("foreign").display(),
        cache_dir().display()
    )
}

/// With `target = "x86_64-unknown-linux-musl"`, the job array runs a static musl build.
fn slurm_musl(cluster: Option<&slurm::SlurmTarget>) -> Result<(), Failed> {
    let cluster = cluster.ok_or("no Slurm")?;
    let text = slurm_toml(cluster, "target = \"x86_64-unknown-linux-musl\"\n");
    let x: orbital_executors::SlurmExecutor = toml_table(&text)?;
    let tokio = tokio::runtime::Runtime::new()?;
    let shipped = tokio.block_on(x.ship())?;
    assert!(shipped.origin.starts_with("built: "), "{shipped:?}");
    assert_eq!(shipped.target, "Linux on x86_64 with musl");
    let headers = std::process::Command::new("readelf")
        .arg("-l")
        .arg(&shipped.path)
        .output()?;
    let headers = String::from_utf8_lossy(&headers.stdout);
    assert!(
        headers.contains("LOAD") && !headers.contains("program interpreter"),
        "the musl build is not static: {headers}"
    );
    let dir = tempfile::tempdir()?;
    let result = dispatch_on(
        &text,
        dir.path(),
        on_cluster::build("Hello".into(), "World".into()),
    )?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?.0, "Hello, World!");
    Ok(())
}

/// With `probe = "compute"`, a tiny job says what the compute node is (this machine: the
/// running executable fits, and is shipped as it is).
fn slurm_probe_compute(cluster: Option<&slurm::SlurmTarget>) -> Result<(), Failed> {
    let cluster = cluster.ok_or("no Slurm")?;
    let text = slurm_toml(cluster, "probe = \"compute\"\n");
    let x: orbital_executors::SlurmExecutor = toml_table(&text)?;
    let tokio = tokio::runtime::Runtime::new()?;
    let shipped = tokio.block_on(x.ship())?;
    assert_eq!(shipped.origin, "this executable", "{shipped:?}");
    assert!(
        shipped.target.starts_with("Linux on x86_64 with glibc 2."),
        "{shipped:?}"
    );
    assert!(shipped.probe > Duration::ZERO);
    assert_eq!(shipped.build_id, orbital_core::identity::current()?);
    Ok(())
}

fn toml_table<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Failed> {
    let table: toml::Table = text.parse()?;
    let mut far = table["executors"]["far"]
        .as_table()
        .cloned()
        .unwrap_or_default();
    far.remove("type");
    Ok(toml::Value::Table(far).try_into()?)
}

/// Dispatches `wf` on a runtime of `config` (a store in `dir`) and waits (hang guard 300 s).
fn dispatch_on<T: orbital::Data>(
    config: &str,
    dir: &Path,
    wf: orbital::Workflow<T>,
) -> Result<orbital::DispatchResult<T>, Failed> {
    let tokio = tokio::runtime::Runtime::new()?;
    let rt = {
        let _g = tokio.enter();
        orbital::Runtime::builder()
            .store_path(dir.join("store.db"))
            .config(orbital::Config::parse(
                config,
                Path::new("foreign_hosts.toml"),
            )?)
            .build()?
    };
    let r = tokio.block_on(async {
        let d = rt.dispatch(wf).await?;
        match tokio::time::timeout(Duration::from_secs(300), d.wait()).await {
            Ok(r) => Ok::<_, Failed>(r?),
            Err(_) => Err("the dispatch did not end within 300 s (hang guard)".into()),
        }
    });
    tokio.shutdown_timeout(Duration::from_secs(5));
    r
}

/// Closes the executor's connections (their ControlMasters would otherwise idle on).
fn close_connections() {
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        rt.block_on(orbital_executors::ssh::close_all());
    }
}
