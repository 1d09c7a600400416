//! The `slurm` executor: electrons as Slurm jobs, the ready tasks of a dispatch packed into job
//! arrays. Its files may use `ship/`, orbital-core, and the ssh executor's connection through
//! what `ssh/mod.rs` re-exports.
//!
//! Covalent's Slurm plugin submits one `sbatch` per electron over a new SSH connection and polls
//! each job on its own. This executor takes the dispatcher's batches instead: the ready tasks of
//! one executor go out as **one job array** (one task per array index, at most `array_size` per
//! array), **one `squeue` call** reads the state of every job of the executor at each poll, and
//! the outcomes of the jobs that ended come back in one read. With `address` set, every command
//! and file goes through one multiplexed SSH connection to the login node (the SSH executor's);
//! without it, the driver is on the login node and runs the Slurm commands itself.
//!
//! The task binary is this very program: it is put in `<remote_workdir>/bin/<build id>` once
//! per build (the cluster's shared filesystem carries it to the compute nodes), and each array
//! element runs it in runner mode on its own spec:
//!
//! ```text
//! <remote_workdir>/<dispatch id>/<batch>/
//!     specs        the batch's task specs, one frame per array index
//!     job.sh       the job script (the #SBATCH preamble from `options`, then srun)
//!     out.N        element N's outcome (written by the runner, atomically)
//!     cap.N/       what element N's electron printed (stdout, stderr)
//!     log.N        element N's Slurm output (srun and the pre-/post-run commands)
//! ```
//!
//! Configuration (Covalent's keys, plus `array_size`):
//!
//! ```toml
//! [executors.slurm]
//! username = "user"
//! address = "login.cluster.org"            # unset: run sbatch on this machine
//! ssh_key_file = "/home/user/.ssh/id_rsa"
//! remote_workdir = "/scratch/user"
//! probe = "login"                        # or "compute": ask a compute node what it is (a tiny job)
//! # target = "x86_64-unknown-linux-gnu.2.28"  # instead of asking; cross_build, build_profile,
//!                                         # build_features, binary: as for ssh
//! array_size = 1000                        # tasks per job array (the default)
//! poll_freq = 2                            # seconds between squeue calls (the default)
//! cleanup = true                           # remove the dispatch's job files at its end
//!
//! [executors.slurm.options]                # → #SBATCH --key=value, in this order
//! nodes = 1
//! ntasks = 4
//! cpus-per-task = 8
//! constraint = "gpu"
//! gpus = 4
//! qos = "regular"
//!
//! [executors.slurm.srun_options]           # → srun --key=value (one-letter keys: -k value)
//! cpu_bind = "cores"
//! gpus = 4
//! gpu-bind = "single:1"
//! ```
//!
//! The same executor as a value:
//!
//! ```
//! use orbital_executors::slurm::{SlurmExecutor, SlurmOptions};
//! let gpu = SlurmExecutor::new()
//!     .remote_workdir("/scratch/user/experiment1")
//!     .options(SlurmOptions::new().set("qos", "regular").set("nodes", 1))
//!     .srun_options(SlurmOptions::new().set("n", 4).set("cpu-bind", "cores"))
//!     .srun_append("nsys profile --stats=true")
//!     .prerun_commands(["module load package/1.2.3"]);
//! # let _ = gpu;
//! ```
//!
//! A job's Slurm state becomes the node's outcome: `COMPLETED` gives the electron's own result;
//! `FAILED` (with its exit code), `TIMEOUT`, `CANCELLED`, `OUT_OF_MEMORY` and `NODE_FAIL` give
//! errors that name the state and the job (`1234_7` for element 7 of array 1234). A cancel or
//! a time limit runs `scancel` on the job or the array element; a time limit is also given to
//! Slurm as `--time` (rounded up to Slurm's one-minute unit).

mod cancel;
mod collect;
mod config;
mod executor;
mod handle;
mod options;
mod poll;
mod prepare;
mod probe;
mod queue;
mod script;
mod state;
mod submit;
mod transport;

pub use config::{Probe, SlurmExecutor};
pub use options::{OptionValue, SlurmOptions};
