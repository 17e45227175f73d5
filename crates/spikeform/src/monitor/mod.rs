//! Monitors see the network at the end of every step and record what they need; guards are
//! monitors that can stop a run. Monitors hold plain data in memory; the io crate writes it.

use crate::error::RunError;

/// What a monitor sees at the end of a step.
#[derive(Debug)]
pub struct StepView<'a> {
    /// Step within the trial (1-based).
    pub step: u64,
    /// `step · dt` (ms).
    pub t_ms: f64,
    /// Neurons that spiked in this step.
    pub spiked: &'a [u32],
    /// Membrane potentials.
    pub v: &'a [f64],
    /// Excitatory input this step (filtered current, or voltage jumps × τ_m/dt).
    pub input_exc: &'a [f64],
    /// Inhibitory input this step.
    pub input_inh: &'a [f64],
    /// Plastic input `x_P` (recurrent plastic + feed-forward).
    pub input_plastic: &'a [f64],
    /// External input: bias, cue, Ornstein-Uhlenbeck current and Poisson drive.
    pub input_ext: &'a [f64],
}

/// A monitor's answer: go on, or stop the run with an outcome.
pub type Control = Result<(), RunError>;

/// Something that observes a simulation step by step. All methods have no-op defaults.
pub trait Monitor {
    /// Called at the end of every step.
    fn on_step(&mut self, _view: &StepView<'_>) -> Control {
        Ok(())
    }
}

pub mod recorders;

pub use recorders::{ActivityRecorder, BoxInputRecorder, RateGuard, TraceRecorder};
