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
