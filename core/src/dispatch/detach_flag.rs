//! `--orbital-detach`: the flag that makes a process's next dispatch a detached one.

use std::sync::atomic::{AtomicBool, Ordering};

static DETACH: AtomicBool = AtomicBool::new(false);

/// Makes this process's next [`Runtime::dispatch`](crate::Runtime::dispatch) a detached one: it is handed to a background
/// driver, its id is printed on stdout, and the process exits with 0. `orbital::init()` calls
/// this when the program was started with `--orbital-detach`.
///
/// ```
/// orbital_core::detach::request_detach();
/// assert!(orbital_core::detach::detach_requested());
/// ```
pub fn request_detach() {
    DETACH.store(true, Ordering::SeqCst);
}

/// Whether [`request_detach`] was called.
pub fn detach_requested() -> bool {
    DETACH.load(Ordering::SeqCst)
}

/// What a program run with `--orbital-detach` does once its dispatch is detached: prints the id
/// on stdout, says how to follow it on stderr, and exits with 0.
pub(super) fn announce_and_exit(id: &str) -> ! {
    println!("{id}");
    eprintln!(
        "orbital: dispatch {id} runs detached; `orbital wait {id}` waits for it, \
         `orbital logs {id} --driver` shows its driver's log"
    );
    std::process::exit(0)
}
