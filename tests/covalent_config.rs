//! Covalent's configuration, accepted (issue 14): the `[executors.*]` tables that Covalent and
//! its plugins write into `covalent.conf`, copied into `orbital.toml` as they are, load; the
//! keys that mean something here do what they do in Covalent, and the others are ignored with
//! a warning each.

mod common;

use orbital::prelude::*;

/// The executor tables of a `covalent.conf`: the local executor's as Covalent writes it at
/// install time (with the working-directory keys its LocalExecutor takes), Dask's, and the
/// SSH, Slurm and Lambda plugins' with their defaults and the seeds' examples.
fn covalent_conf(workdir: &str) -> String {
    format!(
        r#"
[executors.local]
log_stdout = "stdout.log"
log_stderr = "stderr.log"
cache_dir = "/home/voldemort/.cache/covalent"
workdir = "{workdir}"
create_unique_workdir = false

[executors.dask]
log_stdout = "stdout.log"
log_stderr = "stderr.log"
cache_dir = "/home/voldemort/.cache/covalent"

[executors.ssh]
username = "user"
hostname = "host.hostname.org"
remote_dir = "/home/user/.cache/covalent"
ssh_key_file = "/home/user/.ssh/id_rsa"
python_path = ""
conda_env = ""
remote_cache = ".cache/covalent"
run_local_on_ssh_fail = false
remote_workdir = "covalent-workdir"
create_unique_workdir = false
poll_freq = 15
do_cleanup = true

[executors.slurm]
username = "user"
address = "login.cluster.org"
ssh_key_file = "/home/user/.ssh/id_rsa"
remote_workdir = "/scratch/user"
create_unique_workdir = false
conda_env = ""
cache_dir = "/tmp/covalent"
remote_cache = ".cache/covalent"
use_srun = true
bashrc_path = "$HOME/.bashrc"
poll_freq = 5
cleanup = true

[executors.slurm.variables]
OMP_NUM_THREADS = "8"

[executors.slurm.options]
parsable = ""
nodes = 1
ntasks = 4
cpus-per-task = 8
constraint = "gpu"
gpus = 4
qos = "regular"

[executors.slurm.srun_options]
cpu_bind = "cores"
gpus = 4
gpu-bind = "single:1"

[executors.slurm.sshproxy]
hosts = [ "perlmutter-p1.nersc.gov" ]
password = "<password>"
secret = "<mfa_secret>"

[executors.awslambda]
credentials = "/home/user/.aws/credentials"
profile = "default"
region = "us-east-1"
lambda_role_name = "CovalentLambdaExecutionRole"
s3_bucket_name = "covalent-lambda-job-resources"
cache_dir = "/home/user/.cache/covalent"
poll_freq = 5
timeout = 60
memory_size = 512
cleanup = true
"#
    )
}

#[electron]
fn where_am_i() -> String {
    orbital::context()
        .map(|c| c.workdir().display().to_string())
        .unwrap_or_else(|e| e.to_string())
}

#[lattice]
fn locate() -> String {
    where_am_i()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_executor_tables_of_a_covalent_conf_load() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let workdir = dir.path().join("covalent-workdir");
    let rt = common::runtime_with(&dir, &covalent_conf(&workdir.display().to_string()))?;

    // Each executor orbital has is built from its table, Covalent's keys and all.
    let mut types = vec!["local"];
    if cfg!(feature = "ssh") {
        types.push("ssh");
    }
    if cfg!(feature = "slurm") {
        types.push("slurm");
    }
    if cfg!(feature = "awslambda") {
        types.push("awslambda");
    }
    for name in types {
        let e = rt.executor(name)?;
        assert_eq!(e.kind(), name);
    }

    // The local executor's `workdir` and `create_unique_workdir = false` mean what they mean in
    // Covalent: every task runs in that one directory.
    let result = common::within(60, "the dispatch", async {
        rt.dispatch(locate::build()).await?.wait().await
    })
    .await?;
    assert_eq!(result.output()?, workdir.display().to_string());

    // Dask is not an executor of orbital's: naming it is an error that says so, not a crash.
    let err = rt.executor("dask").unwrap_err().to_string();
    assert!(err.contains("dask"), "{err}");
    Ok(())
}

#[test]
fn the_ignored_keys_are_named_with_why() {
    let keys: Vec<&str> = orbital::covalent_keys::ignored("local")
        .map(|k| k.key)
        .collect();
    assert_eq!(keys, ["log_stdout", "log_stderr", "cache_dir"]);
    let mut table: toml::Table =
        toml::from_str("log_stdout = \"stdout.log\"\nworkdir = \"w\"").unwrap();
    let warnings = orbital::covalent_keys::strip(
        "local",
        "local",
        std::path::Path::new("orbital.toml"),
        &mut table,
    );
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("orbital.toml: [executors.local] `log_stdout`")
            && warnings[0].contains("orbital logs"),
        "{}",
        warnings[0]
    );
    assert!(table.contains_key("workdir"));
}
