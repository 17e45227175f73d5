//! Errors and outcomes of running an experiment.

/// Why a run stopped before it finished. A stop is a reported outcome (the CLI exits with code 1),
/// not a crash.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// A state variable became NaN or infinite.
    #[error(
        "{quantity} of neuron {neuron} became {value} at step {step} (t = {time_ms:.1} ms) in {phase}"
    )]
    NonFinite {
        /// Which variable (`"rate"`, `"voltage"`, `"synaptic current"`, ...).
        quantity: &'static str,
        /// 0-based neuron index.
        neuron: usize,
        /// Step number within the trial.
        step: u64,
        /// Time within the trial.
        time_ms: f64,
        /// `"settle"`, `"training loop 3"`, ...
        phase: String,
        /// The offending value.
        value: f64,
    },
    /// The population rate exceeded the guard's limit.
    #[error("runaway activity in {phase}: mean rate {rate_hz:.1} Hz over the last {window_ms} ms exceeds the limit of {limit_hz} Hz (at t = {time_ms} ms)")]
    Runaway {
        /// Phase of the run.
        phase: String,
        /// Measured mean rate.
        rate_hz: f64,
        /// The limit.
        limit_hz: f64,
        /// Window over which the rate was measured.
        window_ms: f64,
        /// Time within the trial.
        time_ms: f64,
    },
    /// The caller asked to stop (e.g. Ctrl-C).
    #[error("interrupted during {phase}")]
    Interrupted {
        /// Phase of the run.
        phase: String,
    },
    /// The experiment cannot be built (inconsistent sizes discovered while building).
    #[error("{0}")]
    Invalid(String),
}

/// Receives progress of a run. Every method has a no-op default.
pub trait Observer {
    /// A phase started (`"settle"`, `"training"`, `"test"`), with its number of items.
    fn phase_started(&mut self, _name: &str, _items: usize) {}
    /// One item of the current phase finished; `message` is a short status (latest r).
    fn item_done(&mut self, _done: usize, _message: &str) {}
    /// Whether the run should stop now (checked between trials).
    fn should_stop(&mut self) -> bool {
        false
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}
