//! Progress on stderr, only when stderr is a terminal (or `SPIKEFORM_PROGRESS=1` asks for it,
//! e.g. for a batch job's log) and `--quiet` is not given.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use spikeform::Observer;

/// Prints one status line per phase item, rewritten in place.
pub struct Progress {
    enabled: bool,
    phase: String,
    items: usize,
    started: Instant,
}

impl Progress {
    /// Progress that prints only to a terminal (or when forced) and only when not `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            enabled: !quiet && (std::io::stderr().is_terminal() || forced()),
            phase: String::new(),
            items: 0,
            started: Instant::now(),
        }
    }

    /// Ends the current line.
    pub fn finish(&mut self) {
        if self.enabled && !self.phase.is_empty() {
            eprintln!();
            self.phase.clear();
        }
    }
}

/// Whether `SPIKEFORM_PROGRESS=1` asks for progress on a stderr that is not a terminal.
fn forced() -> bool {
    std::env::var_os("SPIKEFORM_PROGRESS").is_some_and(|v| v == "1")
}

impl Observer for Progress {
    fn phase_started(&mut self, name: &str, items: usize) {
        self.finish();
        self.phase = name.to_string();
        self.items = items;
        self.started = Instant::now();
        if self.enabled {
            eprint!("\r{name}: 0/{items}");
            let _ = std::io::stderr().flush();
        }
    }

    fn item_done(&mut self, done: usize, message: &str) {
        if !self.enabled {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = if done > 0 {
            elapsed / done as f64 * (self.items.saturating_sub(done)) as f64
        } else {
            0.0
        };
        eprint!(
            "\r{}: {done}/{} {message}  ({elapsed:.1} s, ETA {eta:.0} s)   ",
            self.phase, self.items
        );
        let _ = std::io::stderr().flush();
    }

    fn should_stop(&mut self) -> bool {
        crate::signals::requested().is_some()
    }
}
