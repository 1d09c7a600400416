//! The executor conformance suite (`tests/conformance/mod.rs`) run on the `slurm` executor,
//! against the single-node Slurm that `harness/slurm` starts (slurmctld, slurmd and munged on
//! this machine).
//!
//! Two targets of the suite: `under_test` submits with Slurm's commands on this machine (a
//! driver on the login node), and the `over_ssh::` trials go through the test sshd
//! (`harness/sshd`) as its user `orbital-ssh`, as a driver off the cluster does.
//!
//! This test binary is also the task binary: each array element runs it with
//! `--orbital-runner`, so `main` calls `orbital::init()` first.
//!
//! Without the services' environment, a plain `cargo test` says loudly that it skipped the
//! suite; under `ORBITAL_HARNESS=1` that is a failure.

mod conformance;
#[path = "support/slurm.rs"]
mod slurm;
#[path = "support/sshd.rs"]
mod sshd;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use conformance::{set_under_test, Ctx, Expect};
use libtest_mimic::{Failed, Trial};

/// What `slurm` promises: each task is the runner of the same binary in a job step; Slurm
/// kills the step's processes when it is cancelled (time limit, cancel) or ends.
const SLURM: Expect = Expect {
    many_tasks: 200,
    ..Expect::PROCESS
};

static TARGET: OnceLock<slurm::SlurmTarget> = OnceLock::new();

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let target = slurm::target();
    let workdir = target
        .as_ref()
        .map(|t| t.fresh_dir("conformance"))
        .unwrap_or_default();
    let local = conformance::Suite {
        config_toml: format!(
            "[executors.under_test]\ntype = \"slurm\"\nremote_workdir = \"{}\"\npoll_freq = 0.25\n\
             capture_limit = 262144\n",
            workdir.join("local").display()
        ),
        expect: SLURM,
        stale: stale_in_workdir,
    };
    let local = Arc::new(local);
    let mut trials = conformance::trials((*local).clone());
    trials.push(conformance::trial(
        &local,
        "around_prerun_commands_fail_the_task",
        conformance::around_remote::prerun_case,
    ));
    // The same suite with the commands and files going through SSH to the "login node".
    let ssh = sshd::target();
    if let (Some(t), Some(_)) = (&ssh, &target) {
        let over_ssh = Arc::new(conformance::Suite {
            config_toml: format!(
                "[executors.under_test]\ntype = \"slurm\"\naddress = \"{}\"\nport = {}\nusername = \"{}\"\n\
                 ssh_key_file = \"{}\"\nknown_hosts = \"{}\"\nremote_workdir = \"{}\"\npoll_freq = 0.25\n\
                 capture_limit = 262144\n",
                t.host,
                t.port,
                t.user,
                t.key.display(),
                t.known_hosts.display(),
                workdir.join("ssh").display()
            ),
            expect: SLURM,
            stale: stale_in_workdir,
        });
        for name in [
            "outputs_of_several_types",
            "an_err_fails_its_node_and_only_its_dependants",
            "capture_stdout_and_stderr",
            "time_limit",
            "cancel_while_tasks_run",
            "large_arguments_and_outputs",
            "many_concurrent_tasks",
            "stale_binary",
        ] {
            let case = conformance::case(name).expect("a case of the suite");
            trials.push(conformance::trial(
                &over_ssh,
                &format!("over_ssh::{name}"),
                case,
            ));
        }
    }
    let Some(target) = target else {
        let trials: Vec<Trial> = trials
            .into_iter()
            .map(|t| t.with_ignored_flag(true))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    };
    let _ = TARGET.set(target);
    let list = args.list;
    let conclusion = libtest_mimic::run(&args, trials);
    if !list && !conclusion.has_failed() {
        let _ = std::fs::remove_dir_all(&workdir);
    }
    conclusion.exit();
}

/// Puts a stale build (`stale`: this binary with bytes appended) where the executor looks for
/// THIS build, `<fresh remote_workdir>/bin/<this build id>`; the executor finds it there,
/// skips its own copy and the runner in it refuses the spec made for another build.
fn stale_in_workdir(ctx: &Ctx, stale: &Path) -> Result<orbital::Runtime, Failed> {
    let target = TARGET.get().ok_or("no Slurm target")?;
    let build = orbital_core::identity::current()?;
    let workdir = target.fresh_dir("stale");
    let bin = workdir.join("bin");
    std::fs::create_dir_all(&bin)?;
    std::fs::copy(stale, bin.join(&build))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o1777))?;
    std::fs::set_permissions(bin.join(&build), std::fs::Permissions::from_mode(0o755))?;
    ctx.runtime_with(|c| {
        set_under_test(
            c,
            "remote_workdir",
            toml::Value::String(workdir.display().to_string()),
        )
    })
}
