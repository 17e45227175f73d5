//! A current on a chosen set of neurons inside a time window: constant, ramped or sinusoidal,
//! each neuron with its own gain (an optogenetic stimulus with per-cell expression levels).

use super::{Drive, Input, InputStep};
use crate::rng::Rng;

/// The time course `a(t)` of a windowed current, `t` in ms since the window opened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Waveform {
    /// `a(t) = amplitude`.
    Constant {
        /// Amplitude.
        amplitude: f64,
    },
    /// `a(t) = from + (to − from)·t/T` over a window of length `T`: `to` at the last step.
    Ramp {
        /// Value as the window opens.
        from: f64,
        /// Value at the window's last step.
        to: f64,
    },
    /// `a(t) = mean + amplitude · sin(2π t/period + phase)`.
    Sine {
        /// Amplitude.
        amplitude: f64,
        /// Period (ms).
        period_ms: f64,
        /// Phase at the window's start (radians).
        phase: f64,
        /// Mean.
        mean: f64,
    },
}

impl Waveform {
    /// `a(t)` at `t_ms` into a window of length `length_ms`.
    pub fn value(&self, t_ms: f64, length_ms: f64) -> f64 {
        match *self {
            Waveform::Constant { amplitude } => amplitude,
            Waveform::Ramp { from, to } => from + (to - from) * t_ms / length_ms,
            Waveform::Sine {
                amplitude,
                period_ms,
                phase,
                mean,
            } => mean + amplitude * (std::f64::consts::TAU * t_ms / period_ms + phase).sin(),
        }
    }
}

/// During steps `start_step < n ≤ end_step` (the window `start < t ≤ end`), neuron
/// `neurons[k]` receives `gains[k] · a(t)`, `t = (n − start_step)·dt`; nothing outside.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowedCurrent {
    /// Name (names the random stream; for messages).
    pub name: String,
    /// Neurons that receive it.
    pub neurons: Vec<usize>,
    /// Gain of each (its expression level), aligned with `neurons`.
    pub gains: Vec<f64>,
    /// The window opens after this step.
    pub start_step: u64,
    /// The window's last step.
    pub end_step: u64,
    /// Time course.
    pub waveform: Waveform,
    /// Time step (ms).
    pub dt_ms: f64,
}

impl WindowedCurrent {
    /// Whether step `n` is inside the window.
    #[inline]
    pub fn is_on(&self, n: u64) -> bool {
        n > self.start_step && n <= self.end_step
    }
}

impl Input for WindowedCurrent {
    fn stream(&self) -> String {
        format!("windowed-current:{}", self.name)
    }

    fn step(&self, at: InputStep, _state: &mut [f64], _rng: &mut Rng, drive: &mut Drive<'_>) {
        if !self.is_on(at.step) {
            return;
        }
        let t = (at.step - self.start_step) as f64 * self.dt_ms;
        let length = (self.end_step - self.start_step) as f64 * self.dt_ms;
        let a = self.waveform.value(t, length);
        for (&i, &g) in self.neurons.iter().zip(&self.gains) {
            drive.current[i] += g * a;
        }
    }
}
