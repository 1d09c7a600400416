//! The executor conformance suite (`tests/conformance/mod.rs`) run on the `local` executor.
//!
//! `local` runs tasks inside the driver: it does not capture output, cannot kill a blocking
//! electron (its node fails or is cancelled while the thread runs on) and shares the driver's
//! fate on a crash. Those cases assert that documented behaviour (see [`conformance::Expect`]).

mod conformance;

fn main() {
    // First, as in any orbital program (the crash cases start this binary again).
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let suite = conformance::Suite {
        config_toml: "[executors.under_test]\ntype = \"local\"\n".into(),
        expect: conformance::Expect::LOCAL,
        stale: conformance::stale_via_program,
    };
    let suite = std::sync::Arc::new(suite);
    let mut trials = conformance::trials((*suite).clone());
    trials.push(conformance::trial(
        &suite,
        "around_rsync_and_sftp_files",
        conformance::around_remote::rsync_case,
    ));
    libtest_mimic::run(&args, trials).exit();
}
