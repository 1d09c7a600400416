//! The progress line a driver shows while it waits on a dispatch in a terminal.
//!
//! Shown only when standard error is a terminal and `ORBITAL_PROGRESS` is not `0`, so CI
//! logs and pipes stay clean; a dispatch that ends within a fraction of a second draws
//! nothing. Several dispatches waited on at once each get their own line.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Counts of a running dispatch, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Nodes in the graph so far (sub-lattices add theirs when they are built).
    pub total: usize,
    /// Completed nodes.
    pub completed: usize,
    /// Running nodes.
    pub running: usize,
    /// Failed, upstream-failed and cancelled nodes.
    pub failed: usize,
    /// Whether the dispatch has ended.
    pub done: bool,
}

/// The environment variable that turns the display off (`0`) in a terminal.
pub const PROGRESS_ENV: &str = "ORBITAL_PROGRESS";

/// How long a dispatch runs before its progress line appears.
const DELAY: Duration = Duration::from_millis(300);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// A progress line on screen; dropping it stops the updates and clears the line.
pub(crate) struct Display {
    task: JoinHandle<()>,
    bar: ProgressBar,
}

impl Drop for Display {
    fn drop(&mut self) {
        self.task.abort();
        self.bar.finish_and_clear();
        if let Some(multi) = MULTI.get() {
            multi.remove(&self.bar);
        }
    }
}

static MULTI: OnceLock<MultiProgress> = OnceLock::new();

/// Whether a progress display should be shown: stderr is a terminal, and `ORBITAL_PROGRESS`
/// is not `0`.
pub(crate) fn enabled() -> bool {
    enabled_with(
        std::io::stderr().is_terminal(),
        std::env::var(PROGRESS_ENV).ok().as_deref(),
    )
}

fn enabled_with(tty: bool, env: Option<&str>) -> bool {
    tty && !matches!(env.map(str::trim), Some("0" | "false" | "no" | "off"))
}

/// Starts showing the counts of dispatch `id` on standard error, if [`enabled`]; the line
/// goes away when the returned value is dropped. Needs a tokio runtime (`None` without one).
pub(crate) fn spawn_display(mut rx: watch::Receiver<Progress>, id: &str) -> Option<Display> {
    if !enabled() {
        return None;
    }
    let handle = tokio::runtime::Handle::try_current().ok()?;
    let multi = MULTI.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{wide_bar}] {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    // The line leaves the id out (the driver prints it) to fit a narrow terminal.
    tracing::debug!(dispatch = id, "showing progress on stderr");
    let shown = bar.clone();
    let multi = multi.clone();
    let task = handle.spawn(async move {
        tokio::time::sleep(DELAY).await;
        if rx.borrow().done {
            return;
        }
        let shown = multi.add(shown);
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            let p = *rx.borrow_and_update();
            shown.set_length(p.total as u64);
            shown.set_position(finished(&p) as u64);
            shown.set_message(message(&p));
            shown.tick();
            // Ended, or the dispatcher is gone: the owner clears the line.
            if p.done || rx.has_changed().is_err() {
                return;
            }
        }
    });
    Some(Display { task, bar })
}

/// Nodes that have ended, one way or another.
fn finished(p: &Progress) -> usize {
    (p.completed + p.failed).min(p.total)
}

/// The text of the progress line: `7/10 done, 2 running, 1 failed`.
pub(crate) fn message(p: &Progress) -> String {
    let mut s = format!("{}/{} done, {} running", p.completed, p.total, p.running);
    if p.failed > 0 {
        s.push_str(&format!(", {} failed", p.failed));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(total: usize, completed: usize, running: usize, failed: usize) -> Progress {
        Progress {
            total,
            completed,
            running,
            failed,
            done: false,
        }
    }

    #[test]
    fn the_message_counts_done_running_and_total() {
        assert_eq!(message(&p(10, 7, 3, 0)), "7/10 done, 3 running");
        assert_eq!(message(&p(0, 0, 0, 0)), "0/0 done, 0 running");
    }

    #[test]
    fn failures_show_only_when_there_are_some() {
        assert_eq!(message(&p(10, 6, 2, 2)), "6/10 done, 2 running, 2 failed");
        assert!(!message(&p(10, 6, 2, 0)).contains("failed"));
    }

    #[test]
    fn the_bar_counts_ended_nodes_and_never_overflows() {
        assert_eq!(finished(&p(10, 6, 2, 2)), 8);
        // Sub-lattices add nodes as they are built; counts may race ahead of the total.
        assert_eq!(finished(&p(3, 3, 0, 1)), 3);
    }

    #[test]
    fn it_shows_only_in_a_terminal_and_can_be_turned_off() {
        assert!(enabled_with(true, None));
        assert!(enabled_with(true, Some("1")));
        assert!(!enabled_with(false, None), "pipes and CI stay silent");
        assert!(!enabled_with(true, Some("0")));
        assert!(!enabled_with(true, Some("off")));
    }

    #[tokio::test]
    async fn no_display_without_a_terminal() {
        // `cargo test` captures stderr (or runs under CI): not a terminal.
        if std::io::stderr().is_terminal() {
            return;
        }
        let (_tx, rx) = watch::channel(Progress::default());
        assert!(spawn_display(rx, "x").is_none());
    }
}
