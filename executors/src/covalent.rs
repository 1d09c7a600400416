//! The keys Covalent writes into each executor's table that mean nothing in orbital, declared
//! for [`orbital_core::covalent_keys`]: a copied `[executors.*]` table of a `covalent.conf`
//! loads, with one warning per such key. Covalent keys that do mean something here are real
//! settings of the executors (`workdir`, `create_unique_workdir`, `remote_workdir`,
//! `prerun_commands`, `variables`, `bashrc_path`, `use_srun`, `credentials`,
//! `lambda_role_name`...).

use orbital_core::covalent_keys::{IgnoredKey, IgnoredKeys};

const LOG_STDOUT: IgnoredKey = IgnoredKey {
    key: "log_stdout",
    why: "each task's stdout is captured into the results store (`orbital logs DISPATCH`)",
};
const LOG_STDERR: IgnoredKey = IgnoredKey {
    key: "log_stderr",
    why: "each task's stderr is captured into the results store (`orbital logs DISPATCH`)",
};
#[cfg(feature = "ssh")]
const NO_PYTHON: &str = "no Python runs: the task is this program's own binary";

orbital_core::inventory::submit! {
    IgnoredKeys {
        executor_type: "local",
        keys: &[
            LOG_STDOUT,
            LOG_STDERR,
            IgnoredKey {
                key: "cache_dir",
                why: "local tasks keep no files beside their working directory (`workdir`); results live in \
                      the results store",
            },
        ],
    }
}

#[cfg(feature = "process")]
orbital_core::inventory::submit! {
    IgnoredKeys {
        executor_type: "process",
        keys: &[LOG_STDOUT, LOG_STDERR],
    }
}

#[cfg(feature = "ssh")]
orbital_core::inventory::submit! {
    IgnoredKeys {
        executor_type: "ssh",
        keys: &[
            LOG_STDOUT,
            LOG_STDERR,
            IgnoredKey { key: "python_path", why: NO_PYTHON },
            IgnoredKey { key: "python3_path", why: NO_PYTHON },
            IgnoredKey { key: "conda_env", why: "no Python runs; put what a task needs loaded in `prerun_commands`" },
            IgnoredKey { key: "current_env_on_conda_fail", why: NO_PYTHON },
            IgnoredKey {
                key: "remote_cache",
                why: "the shipped binary is cached under `remote_dir`, by its content hash",
            },
            IgnoredKey {
                key: "run_local_on_ssh_fail",
                why: "a task whose host cannot be reached fails with the host's error; give the electron \
                      `retries` to try again",
            },
            IgnoredKey {
                key: "poll_freq",
                why: "a task over SSH is awaited on its connection, not polled",
            },
            IgnoredKey {
                key: "do_cleanup",
                why: "a task's files on the host are removed when it ends; `keep_workdir = true` keeps its \
                      working directory",
            },
            IgnoredKey {
                key: "retry_connect",
                why: "connections are retried on their own within `connect_timeout_secs`",
            },
            IgnoredKey {
                key: "max_connection_attempts",
                why: "connections are retried on their own within `connect_timeout_secs`",
            },
            IgnoredKey {
                key: "retry_wait_time",
                why: "connections are retried on their own within `connect_timeout_secs`",
            },
        ],
    }
}

#[cfg(feature = "slurm")]
orbital_core::inventory::submit! {
    IgnoredKeys {
        executor_type: "slurm",
        keys: &[
            LOG_STDOUT,
            LOG_STDERR,
            IgnoredKey {
                key: "remote_cache",
                why: "the shipped binary is cached under `remote_workdir`, by its content hash",
            },
            IgnoredKey {
                key: "sshproxy",
                why: "orbital does not run NERSC's sshproxy: run it yourself and set `ssh_key_file` and \
                      `cert_file` to the key and certificate it writes",
            },
            IgnoredKey { key: "ignore_versions", why: "no Python or Covalent versions are compared: the task is this program" },
        ],
    }
}

#[cfg(feature = "awslambda")]
orbital_core::inventory::submit! {
    IgnoredKeys {
        executor_type: "awslambda",
        keys: &[LOG_STDOUT, LOG_STDERR],
    }
}

#[cfg(test)]
mod tests {
    use orbital_core::covalent_keys::ignored;
    use serde::de::DeserializeOwned;

    /// No ignored key is also a setting of the type (it would be removed before it is read).
    fn none_is_a_setting<T: DeserializeOwned>(executor_type: &str) {
        for k in ignored(executor_type) {
            let e = toml::from_str::<T>(&format!("{} = 1", k.key))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                e.contains("unknown field"),
                "`{}` is ignored on {executor_type} but is one of its settings: {e}",
                k.key
            );
        }
    }

    #[test]
    fn ignored_keys_are_not_settings() {
        none_is_a_setting::<crate::local::LocalExecutor>("local");
        #[cfg(feature = "process")]
        none_is_a_setting::<crate::process::ProcessExecutor>("process");
        #[cfg(feature = "ssh")]
        none_is_a_setting::<crate::ssh::SshExecutor>("ssh");
        #[cfg(feature = "slurm")]
        none_is_a_setting::<crate::slurm::SlurmExecutor>("slurm");
        #[cfg(feature = "awslambda")]
        none_is_a_setting::<crate::awslambda::AwsLambdaExecutor>("awslambda");
    }

    #[test]
    fn covalents_local_keys_are_declared() {
        let keys: Vec<&str> = ignored("local").map(|k| k.key).collect();
        for k in ["log_stdout", "log_stderr", "cache_dir"] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
    }
}
