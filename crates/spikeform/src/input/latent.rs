//! The feedback current of a latent embedding (`../shared/spec/latent.md` §2, a reconstruction
//! after Gort & Renart): every neuron `i` receives `m_i · κ(t)`, with `m_i ∈ ℝ^D` its input
//! loadings and `κ(t) ∈ ℝ^D` the latent state, either prescribed (open loop) or read out from
//! the network's own filtered spike trains (closed loop).
//!
//! The readout runs in both cases (it is what a closed loop feeds back, and what an open loop
//! can be compared with):
//!
//! ```text
//! κ̂(t) = (1/N_R) Σ_{j ∈ R} n_j s̃_j(t),   s̃_j ← e^{−dt/τ_s} s̃_j + 1000/τ_s per spike  (Hz)
//! ```
//!
//! with `R` the readout neurons (the excitatory ones), `n_j` their readout loadings and `s̃_j` a
//! spike train filtered with unit area, in Hz. A spike of step `n` enters κ̂ at the end of step
//! `n`, so the feedback of step `n + 1` sees it (the network's one-step delivery).
//!
//! With `latent.readout_training` the readout is instead `κ̂ = Σ_k w_k s̃_k` over a set of E
//! neurons whose weights RLS trains during the trial (`latent_readout.rs`).

use super::latent_readout::TrainedReadout;
use super::{Drive, Input, InputStep};
use crate::rng::Rng;

/// How κ(t) is given.
#[derive(Debug, Clone, PartialEq)]
pub enum LatentCourse {
    /// Samples `values[k·D + d]`, each held for `every_steps` steps: sample `k` applies to steps
    /// `k·every_steps < n ≤ (k + 1)·every_steps`; the last sample holds after the series ends.
    Series {
        /// Steps per sample (≥ 1).
        every_steps: u64,
        /// Samples, sample-major (`len = samples · D`).
        values: Vec<f64>,
    },
    /// `κ_d(t) = mean_d + amplitude_d · sin(2π t/period + phase_d)`, `t = n·dt`.
    Sine {
        /// Amplitude per dimension.
        amplitude: Vec<f64>,
        /// Period (ms), shared by all dimensions.
        period_ms: f64,
        /// Phase per dimension (radians).
        phase: Vec<f64>,
        /// Mean per dimension.
        mean: Vec<f64>,
    },
    /// Closed loop: κ = κ̂, the network's own readout, starting from `initial` at every trial.
    ClosedLoop {
        /// κ̂ at the start of a trial.
        initial: Vec<f64>,
    },
}

impl LatentCourse {
    /// The prescribed κ at step `n` (open loop) into `out`; `false` for a closed loop.
    pub fn prescribed(&self, n: u64, dt_ms: f64, out: &mut [f64]) -> bool {
        match self {
            LatentCourse::Series {
                every_steps,
                values,
            } => {
                let d = out.len();
                let samples = (values.len() / d) as u64;
                let k = (n.saturating_sub(1) / every_steps).min(samples - 1) as usize;
                out.copy_from_slice(&values[k * d..(k + 1) * d]);
                true
            }
            LatentCourse::Sine {
                amplitude,
                period_ms,
                phase,
                mean,
            } => {
                let arg = std::f64::consts::TAU * n as f64 * dt_ms / period_ms;
                for (d, o) in out.iter_mut().enumerate() {
                    *o = mean[d] + amplitude[d] * (arg + phase[d]).sin();
                }
                true
            }
            LatentCourse::ClosedLoop { .. } => false,
        }
    }
}

/// The feedback input `m_i · κ(t)` and the readout κ̂ (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct LatentFeedback {
    /// Dimension D of κ (≥ 1).
    pub dims: usize,
    /// Input loadings `m[i·D + d]`, every neuron of the network.
    pub input_loadings: Vec<f64>,
    /// Readout loadings `n[k·D + d]` of the readout neurons, aligned with `readout_neurons`.
    pub readout_loadings: Vec<f64>,
    /// Readout neurons (ascending).
    pub readout_neurons: Vec<usize>,
    /// `1000/(N_R τ_s)`: what one spike adds to κ̂ per unit loading (Hz).
    pub readout_kick: f64,
    /// `e^{−dt/τ_s}`.
    pub readout_decay: f64,
    /// How κ is given.
    pub course: LatentCourse,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Position of each neuron among the readout neurons (`usize::MAX` for others).
    readout_position: Vec<usize>,
    /// A readout trained by RLS during the trial (`latent.readout_training`), which replaces
    /// the fixed one: κ̂ = Σ_k w_k s̃_k over its neurons.
    pub trained: Option<TrainedReadout>,
}

impl LatentFeedback {
    /// The feedback of `n_neurons` neurons; `tau_readout_ms` is the readout filter's τ_s.
    ///
    /// # Panics
    /// If the loadings do not have `n_neurons · dims` (input) and
    /// `readout_neurons.len() · dims` (readout) entries; validated experiments always do.
    pub fn new(
        dims: usize,
        (input_loadings, readout_loadings): (Vec<f64>, Vec<f64>),
        readout_neurons: Vec<usize>,
        tau_readout_ms: f64,
        course: LatentCourse,
        dt_ms: f64,
    ) -> Self {
        let n_neurons = input_loadings.len() / dims;
        assert_eq!(input_loadings.len(), n_neurons * dims);
        assert_eq!(readout_loadings.len(), readout_neurons.len() * dims);
        let mut readout_position = vec![usize::MAX; n_neurons];
        for (k, &j) in readout_neurons.iter().enumerate() {
            readout_position[j] = k;
        }
        Self {
            dims,
            input_loadings,
            readout_loadings,
            readout_kick: 1000.0 / (readout_neurons.len().max(1) as f64 * tau_readout_ms),
            readout_neurons,
            readout_decay: (-dt_ms / tau_readout_ms).exp(),
            course,
            dt_ms,
            readout_position,
            trained: None,
        }
    }

    /// The same feedback with its readout trained by RLS during every trial.
    pub fn with_trained_readout(mut self, trained: TrainedReadout) -> Self {
        self.trained = Some(trained);
        self
    }
}

impl Input for LatentFeedback {
    fn stream(&self) -> String {
        "latent".into()
    }

    /// κ̂ (D values), this step's κ (D values), then a trained readout's state.
    fn state_len(&self) -> usize {
        2 * self.dims + self.trained.as_ref().map_or(0, TrainedReadout::state_len)
    }

    fn start_trial(&self, state: &mut [f64]) {
        if let LatentCourse::ClosedLoop { initial } = &self.course {
            state[..self.dims].copy_from_slice(initial);
        }
        if let Some(trained) = &self.trained {
            trained.start_trial(&mut state[2 * self.dims..]);
        }
    }

    fn reads_spikes(&self) -> bool {
        true
    }

    /// `current_i += m_i · κ(t_n)`.
    fn step(&self, at: InputStep, state: &mut [f64], _rng: &mut Rng, drive: &mut Drive<'_>) {
        let d = self.dims;
        let (readout, rest) = state.split_at_mut(d);
        let kappa = &mut rest[..d];
        if !self.course.prescribed(at.step, self.dt_ms, kappa) {
            kappa.copy_from_slice(readout);
        }
        for (current, m) in drive
            .current
            .iter_mut()
            .zip(self.input_loadings.chunks_exact(d))
        {
            *current += m.iter().zip(&*kappa).map(|(a, b)| a * b).sum::<f64>();
        }
    }

    /// `κ̂ ← e^{−dt/τ_s} κ̂ + 1000/(N_R τ_s) Σ_{j spiked} n_j`; with a trained readout,
    /// `κ̂ = Σ_k w_k s̃_k` and its RLS update (`latent_readout.rs`).
    fn after_spikes(&self, at: InputStep, spiked: &[u32], state: &mut [f64]) {
        let d = self.dims;
        if let Some(trained) = &self.trained {
            let (readout, rest) = state.split_at_mut(d);
            trained.after_spikes(at.step, spiked, &mut rest[d..], readout);
            return;
        }
        let readout = &mut state[..d];
        readout.iter_mut().for_each(|k| *k *= self.readout_decay);
        for &j in spiked {
            let k = self.readout_position[j as usize];
            if k != usize::MAX {
                let n = &self.readout_loadings[k * d..(k + 1) * d];
                for (r, nj) in readout.iter_mut().zip(n) {
                    *r += self.readout_kick * nj;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(f: &LatentFeedback, n: u64, state: &mut [f64]) -> Vec<f64> {
        let mut current = vec![0.0; f.input_loadings.len() / f.dims];
        let mut exc = vec![0.0; current.len()];
        let mut drive = Drive {
            current: &mut current,
            excitatory: &mut exc,
        };
        let at = InputStep {
            step: n,
            condition: 0,
        };
        f.step(at, state, &mut crate::rng::stream(1, "x"), &mut drive);
        current
    }

    #[test]
    fn open_loop_series_holds_each_sample_for_its_steps() {
        let course = LatentCourse::Series {
            every_steps: 2,
            values: vec![1.0, 0.0, 0.0, 2.0],
        };
        let f = LatentFeedback::new(
            2,
            (vec![1.0, 10.0, -1.0, 0.5], vec![]),
            vec![],
            10.0,
            course,
            0.1,
        );
        let mut s = vec![0.0; 4];
        assert_eq!(step(&f, 1, &mut s), vec![1.0, -1.0]);
        assert_eq!(step(&f, 2, &mut s), vec![1.0, -1.0]);
        assert_eq!(step(&f, 3, &mut s), vec![20.0, 1.0]);
        assert_eq!(
            step(&f, 99, &mut s),
            vec![20.0, 1.0],
            "the last sample holds"
        );
    }

    #[test]
    fn closed_loop_feeds_back_the_filtered_readout() {
        let course = LatentCourse::ClosedLoop { initial: vec![0.5] };
        let f = LatentFeedback::new(1, (vec![2.0, 1.0], vec![3.0]), vec![1], 10.0, course, 1.0);
        let mut s = vec![0.0; 2];
        f.start_trial(&mut s);
        assert_eq!(step(&f, 1, &mut s), vec![1.0, 0.5]);
        let at = InputStep {
            step: 1,
            condition: 0,
        };
        f.after_spikes(at, &[0, 1], &mut s);
        let expected = 0.5 * (-0.1f64).exp() + 1000.0 / 10.0 * 3.0;
        assert!((s[0] - expected).abs() < 1e-12, "only neuron 1 is read out");
        assert_eq!(step(&f, 2, &mut s), vec![2.0 * expected, expected]);
    }
}
