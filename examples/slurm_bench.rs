//! Slurm executor figures, both sides measured in the same run, on the local Slurm that
//! `harness/slurm` starts:
//!
//! - ours: a lattice of 200 independent trivial electrons (`bench_inc`) on a `slurm` executor
//!   (`poll_freq = 0.5`, `cleanup = true`, `array_size` from the command line) and one electron
//!   summing them locally, timed from `dispatch` to the stored result; the number of `sbatch`
//!   calls per dispatch is counted by an `sbatch` wrapper put first in `slurm_path`;
//! - raw, `--wait`: `sbatch --array=0-199 --wait -o /dev/null --wrap true` (`sbatch --wait`
//!   looks at the job after 2, 8, 32, 32... s, so its time is quantised);
//! - raw, polled: the same array submitted with `--parsable`, then `squeue -h -r -t all -j ID
//!   -O State` every 0.2 s until all 200 elements are in a final state;
//! - raw, polled, with a job step: the same with `--wrap 'srun true'` (each of our elements runs
//!   its task as an `srun` job step, as Covalent's job script does).
//!
//! The sides alternate (raw, then ours, `runs` times) for each array size; the first dispatch
//! on a fresh `remote_workdir` (binary copied there) is timed apart. With `--breakdown`, each
//! of our runs also watches the queue every 0.2 s (which adds load to slurmctld) and splits
//! our time into: to `sbatch`, `sbatch` to the last element's end, and that to the result.
//!
//! It prints one line per run, then min/median/max per side, the median ratios and the `sbatch`
//! calls of each dispatch. Without the harness's environment it says how to start it and exits
//! with status 2.
//!
//! `eval "$(./harness/slurm)" && cargo run --release --features slurm --example slurm_bench -- 3`
//!
//! Arguments: `[runs (3)] [array sizes (1000 50)...] [--breakdown]`.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use orbital::prelude::*;

/// Tasks per dispatch, and elements of the raw array.
const TASKS: u64 = 200;
/// Seconds between our executor's polls.
const POLL_FREQ: f64 = 0.5;
/// Seconds between the raw side's (and the breakdown watcher's) `squeue` calls.
const RAW_POLL: Duration = Duration::from_millis(200);
/// Slurm's final states: a job in one of them has ended.
const FINAL: [&str; 9] = [
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "OUT_OF_MEMORY",
    "NODE_FAIL",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
];

/// A trivial task (its Slurm job is named `orbital-bench_inc`).
#[electron]
fn bench_inc(x: u64) -> u64 {
    x + 1
}

/// Sums the outputs (locally).
#[electron(executor = "local")]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

/// `n` independent increments on the Slurm executor, then their sum.
#[lattice(executor = "bench")]
fn fan(n: u64) -> u64 {
    let nodes: Vec<Node<u64>> = (0..n).map(bench_inc).collect();
    total(nodes)
}

/// The `sbatch` calls the wrapper logged: (seconds since the epoch when it started, what
/// sbatch printed).
fn sbatch_log(path: &Path) -> Vec<(f64, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (t, out) = l.split_once(' ').unwrap_or((l, ""));
            Some((t.parse().ok()?, out.trim().to_owned()))
        })
        .collect()
}

/// A directory with an `sbatch` that logs each call (time and job id) before running the real
/// one, and links to the real `squeue` and `scancel`: the executor's `slurm_path`.
fn wrapper_dir(dir: &Path, real: &Path) -> std::io::Result<PathBuf> {
    let log = dir.join("sbatch.calls");
    let script = format!(
        "#!/bin/sh\n\
         t=$(date +%s.%N)\n\
         out=$('{sbatch}' \"$@\"); rc=$?\n\
         printf '%s %s\\n' \"$t\" \"$(printf '%s' \"$out\" | tr '\\n' ' ')\" >> '{log}'\n\
         [ -n \"$out\" ] && printf '%s\\n' \"$out\"\n\
         exit $rc\n",
        sbatch = real.join("sbatch").display(),
        log = log.display()
    );
    let wrapper = dir.join("sbatch");
    std::fs::write(&wrapper, script)?;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))?;
    for cmd in ["squeue", "scancel"] {
        std::os::unix::fs::symlink(real.join(cmd), dir.join(cmd))?;
    }
    Ok(log)
}

/// The directory on the `PATH` holding `sbatch`.
fn slurm_bin() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .find(|d| d.join("sbatch").is_file() && d.join("squeue").is_file())
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `squeue -h -r -t all -j ids -O State`: the elements' states (empty when squeue fails).
fn states(ids: &str) -> Vec<String> {
    Command::new("squeue")
        .args(["-h", "-r", "-t", "all", "-j", ids, "-O", "State"])
        .stderr(Stdio::null())
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn all_final(states: &[String], n: usize) -> bool {
    states.len() >= n && states.iter().all(|s| FINAL.contains(&s.as_str()))
}

/// Jobs in the queue (pending, running or completing) of anyone: other load on the node.
fn queue_load() -> usize {
    Command::new("squeue")
        .args(["-h", "-r", "-t", "PD,R,CG", "-O", "JobArrayID"])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().count())
        .unwrap_or(0)
}

/// The machine's 1-minute load average (other work slows Slurm's daemons down).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// `sbatch --array=0-199 --wait -o /dev/null --wrap true`, in seconds.
fn raw_wait(workdir: &Path) -> f64 {
    let t = Instant::now();
    let s = Command::new("sbatch")
        .arg(format!("--array=0-{}", TASKS - 1))
        .args(["--wait", "-o", "/dev/null", "--wrap", "true"])
        .current_dir(workdir)
        .stdout(Stdio::null())
        .status()
        .expect("sbatch runs");
    let secs = t.elapsed().as_secs_f64();
    assert!(s.success(), "sbatch --wait failed: {s}");
    secs
}

/// The same array of `command` submitted with `--parsable`, then polled until every element
/// has ended: (total seconds, of which the `sbatch` call).
fn raw_polled(workdir: &Path, command: &str) -> (f64, f64) {
    let t = Instant::now();
    let o = Command::new("sbatch")
        .arg(format!("--array=0-{}", TASKS - 1))
        .args(["-o", "/dev/null", "--wrap", command, "--parsable"])
        .current_dir(workdir)
        .output()
        .expect("sbatch runs");
    let submit = t.elapsed().as_secs_f64();
    assert!(
        o.status.success(),
        "sbatch failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let id = String::from_utf8_lossy(&o.stdout)
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    loop {
        if all_final(&states(&id), TASKS as usize) {
            return (t.elapsed().as_secs_f64(), submit);
        }
        std::thread::sleep(RAW_POLL);
    }
}

/// The breakdown watcher: polls the jobs that the wrapper logs, and notes when all their
/// `TASKS` elements have ended (seconds since the epoch).
fn watch(log: PathBuf, from: usize, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Option<f64>> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let ids: Vec<String> = sbatch_log(&log)
                .into_iter()
                .skip(from)
                .filter_map(|(_, out)| out.split(';').next().map(str::to_owned))
                .filter(|id| !id.is_empty())
                .collect();
            if !ids.is_empty() && all_final(&states(&ids.join(",")), TASKS as usize) {
                return Some(now_epoch());
            }
            std::thread::sleep(RAW_POLL);
        }
        None
    })
}

/// One of our dispatches: seconds, and the `sbatch` calls it made.
struct Ours {
    secs: f64,
    sbatch_calls: usize,
    /// With `--breakdown`: (dispatch → first sbatch, first sbatch → all elements ended, → result).
    split: Option<(f64, f64, f64)>,
}

async fn ours(rt: &orbital::Runtime, log: &Path, breakdown: bool) -> orbital::Result<Ours> {
    let before = sbatch_log(log).len();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = breakdown.then(|| watch(log.to_owned(), before, stop.clone()));
    let start_epoch = now_epoch();
    let t = Instant::now();
    let r = rt.dispatch(fan::build(TASKS)).await?.wait().await?;
    let secs = t.elapsed().as_secs_f64();
    let end_epoch = start_epoch + secs;
    assert_eq!(r.output()?, (1..=TASKS).sum::<u64>(), "the sum");
    stop.store(true, Ordering::Relaxed);
    let calls = sbatch_log(log);
    let split = match watcher.map(|w| w.join().ok().flatten()) {
        Some(Some(done)) => calls.get(before).map(|(first, _)| {
            (
                first - start_epoch,
                done - first,
                (end_epoch - done).max(0.0),
            )
        }),
        _ => None,
    };
    Ok(Ours {
        secs,
        sbatch_calls: calls.len() - before,
        split,
    })
}

fn runtime(
    workdir: &Path,
    slurm_path: &Path,
    array_size: usize,
) -> orbital::Result<orbital::Runtime> {
    let mut config = orbital::Config::load()?;
    let table: toml::Table = toml::from_str(&format!(
        "type = \"slurm\"\nremote_workdir = \"{}\"\nslurm_path = \"{}\"\npoll_freq = {POLL_FREQ}\n\
         cleanup = true\narray_size = {array_size}\n",
        workdir.display(),
        slurm_path.display()
    ))
    .expect("the executor table");
    config.executors.insert("bench".into(), table);
    orbital::Runtime::builder().config(config).build()
}

fn min_median(xs: &[f64]) -> (f64, f64) {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (v[0], median)
}

fn spread(xs: &[f64]) -> String {
    let (min, median) = min_median(xs);
    let max = xs.iter().copied().fold(f64::MIN, f64::max);
    format!("min {min:.2} median {median:.2} max {max:.2}")
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let Some(shared) = std::env::var_os("ORBITAL_TEST_SLURM_WORKDIR").map(PathBuf::from) else {
        eprintln!(
            "slurm_bench: ORBITAL_TEST_SLURM_WORKDIR is not set: start the local Slurm and run the \
             benchmark in the same shell:\n  eval \"$(./harness/slurm)\" && cargo run --release \
             --features slurm --example slurm_bench -- 3"
        );
        std::process::exit(2);
    };
    let Some(real) = slurm_bin() else {
        eprintln!("slurm_bench: sbatch and squeue are not on the PATH; start Slurm with `eval \"$(./harness/slurm)\"`");
        std::process::exit(2);
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let breakdown = args.iter().any(|a| a == "--breakdown");
    let nums: Vec<usize> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("runs and array sizes are numbers"))
        .collect();
    let runs = nums.first().copied().unwrap_or(3).max(1);
    let sizes: Vec<usize> = match &nums[..] {
        [] | [_] => vec![1000, 50],
        [_, sizes @ ..] => sizes.to_vec(),
    };

    let stamp = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let workdir = shared.join(format!("slurm-bench-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&workdir).expect("the bench's workdir");
    let wrappers = tempfile::tempdir().expect("a temporary directory");
    let log = wrapper_dir(wrappers.path(), &real).expect("the sbatch wrapper");
    println!(
        "slurm_bench: {TASKS} trivial electrons + a local sum per dispatch, poll_freq = {POLL_FREQ} s, \
         raw polling every {} s, {runs} runs per array size, remote_workdir {}",
        RAW_POLL.as_secs_f64(),
        workdir.display()
    );

    let mut summary = Vec::new();
    let mut first_dispatch = None;
    for &array_size in &sizes {
        let rt = runtime(&workdir, wrappers.path(), array_size)?;
        // Warm-up: the first dispatch of a fresh workdir also copies the binary there.
        let warm = ours(&rt, &log, false).await?;
        let label = if first_dispatch.is_none() {
            first_dispatch = Some(warm.secs);
            "first dispatch (fresh remote_workdir, binary copied)"
        } else {
            "warm-up dispatch"
        };
        println!(
            "array_size={array_size} {label}: {:.2} s, {} sbatch call(s)",
            warm.secs, warm.sbatch_calls
        );
        let (mut w, mut p, mut ps, mut o, mut calls) = (vec![], vec![], vec![], vec![], vec![]);
        for i in 0..runs {
            let load = queue_load();
            let loadavg = loadavg();
            let wait = raw_wait(&workdir);
            let (polled, submit) = raw_polled(&workdir, "true");
            let (srun, _) = raw_polled(&workdir, "srun true");
            let us = ours(&rt, &log, breakdown).await?;
            let split = match us.split {
                Some((a, b, c)) => format!(
                    " [dispatch→sbatch {a:.2} s, sbatch→all elements ended {b:.2} s, →result {c:.2} s]"
                ),
                None if breakdown => " [breakdown: the watcher saw no end before the result]".into(),
                None => String::new(),
            };
            println!(
                "array_size={array_size} run {}: raw sbatch --wait {wait:.2} s, raw polled {polled:.2} s \
                 (sbatch {submit:.2} s), raw polled srun {srun:.2} s, ours {:.2} s, {} sbatch call(s){split}, \
                 ours/raw-wait {:.2}, ours/raw-polled {:.2}, ours/raw-polled-srun {:.2}, \
                 other jobs queued at start: {load}, \
                 load average at start: {loadavg}",
                i + 1,
                us.secs,
                us.sbatch_calls,
                us.secs / wait,
                us.secs / polled,
                us.secs / srun,
            );
            std::io::stdout().flush().ok();
            w.push(wait);
            p.push(polled);
            ps.push(srun);
            o.push(us.secs);
            calls.push(us.sbatch_calls);
        }
        rt.shutdown().await?;
        let median = |xs: &[f64]| min_median(xs).1;
        let (mw, mp, mps, mo) = (median(&w), median(&p), median(&ps), median(&o));
        summary.push(format!(
            "array_size={array_size}: raw sbatch --wait {} s; raw polled {} s; raw polled srun {} s; \
             ours {} s; median ratios ours/raw-wait {:.2}, ours/raw-polled {:.2}, \
             ours/raw-polled-srun {:.2}; sbatch calls per dispatch {:?} (bound ceil({TASKS}/{array_size}) = {})",
            spread(&w),
            spread(&p),
            spread(&ps),
            spread(&o),
            mo / mw,
            mo / mp,
            mo / mps,
            calls,
            (TASKS as usize).div_ceil(array_size)
        ));
    }
    println!("--- summary (seconds) ---");
    if let Some(f) = first_dispatch {
        println!("first dispatch (binary copied into a fresh remote_workdir): {f:.2} s");
    }
    for line in summary {
        println!("{line}");
    }
    let _ = std::fs::remove_dir_all(&workdir);
    Ok(())
}
