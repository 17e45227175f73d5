//! SIGINT (Ctrl-C) and SIGTERM: the run stops at the next safe point (the end of the current
//! training loop, or between test trials) after writing a checkpoint, and the program exits
//! with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). A second signal ends the
//! program at once, with the same code.
//!
//! The handlers only set flags (`signal-hook`'s `flag` module); the run polls them through
//! [`requested`] whenever the library asks its observer whether to stop.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};

/// The signal received (0: none).
static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Installs the handlers. Without them (an error here) the signals keep their default action.
pub fn install() {
    let received = RECEIVED.get_or_init(Arc::default).clone();
    let armed = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Order matters: the shutdown is checked before the first signal arms it.
        let installed =
            signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, armed.clone())
                .and_then(|_| signal_hook::flag::register(signal, armed.clone()))
                .and_then(|_| {
                    signal_hook::flag::register_usize(signal, received.clone(), signal as usize)
                });
        if let Err(e) = installed {
            eprintln!("warning: cannot handle signal {signal}: {e}");
        }
    }
}

/// The signal that asked the run to stop, if one did.
pub fn requested() -> Option<i32> {
    let signal = RECEIVED.get()?.load(Ordering::SeqCst);
    (signal != 0).then_some(signal as i32)
}

/// The exit code of a run stopped by `signal`: 128 + its number.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(1)
}

/// The signal's name, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}
