//! Progress and Ctrl-C while a run holds no GIL.
//!
//! The library asks its observer between trials whether to stop; that is the safe point where
//! this observer takes the GIL back for a moment, runs Python's signal handlers
//! (`check_signals`: Ctrl-C raises `KeyboardInterrupt` there) and calls the progress callback.
//! An exception from either stops the run cleanly and is raised again when `run` returns.

use pyo3::prelude::*;
use spikeform::Observer;

/// Forwards progress to an optional Python callable `progress(phase, done, total, message)` and
/// stops the run on a pending signal or an exception in the callback.
pub struct PyObserver {
    callback: Option<Py<PyAny>>,
    phase: String,
    items: usize,
    /// The first exception raised by the callback or a signal handler.
    pub error: Option<PyErr>,
}

impl PyObserver {
    /// An observer calling `callback` (if any) on every phase start and finished item.
    pub fn new(callback: Option<Py<PyAny>>) -> Self {
        Self {
            callback,
            phase: String::new(),
            items: 0,
            error: None,
        }
    }

    fn report(&mut self, done: usize, message: &str) {
        if self.error.is_some() {
            return;
        }
        let Some(cb) = &self.callback else { return };
        let outcome = Python::attach(|py| {
            cb.call1(py, (self.phase.as_str(), done, self.items, message))
                .map(|_| ())
        });
        if let Err(e) = outcome {
            self.error = Some(e);
        }
    }
}

impl Observer for PyObserver {
    fn phase_started(&mut self, name: &str, items: usize) {
        self.phase = name.to_string();
        self.items = items;
        self.report(0, "");
    }

    fn item_done(&mut self, done: usize, message: &str) {
        self.report(done, message);
    }

    fn should_stop(&mut self) -> bool {
        if self.error.is_none() {
            if let Err(e) = Python::attach(|py| py.check_signals()) {
                self.error = Some(e);
            }
        }
        self.error.is_some()
    }
}
