//! A latent readout whose weights are trained by recursive least squares while the network runs
//! (`latent.readout_training`; FORCE learning, Sussillo & Abbott 2009, on a spiking network as
//! in Nicola & Clopath 2017), so that the closed loop `m_i·κ̂` makes a balanced network produce
//! a chosen latent dynamics κ*(t).
//!
//! ```text
//! κ̂_d(t) = Σ_{k ∈ T} w_kd s̃_k(t)         s̃_k ← e^{−dt/τ_s} s̃_k + 1000/τ_s per spike (Hz)
//!
//! at every learning step n (every `every_steps` steps inside the learning window),
//! after the step's spikes:
//!   e_d = κ̂_d(t_n) − κ*_d(t_n)              (a-priori error, weights before the update)
//!   k = P s̃,  c = 1/(1 + s̃ᵀk),  P ← P − c k kᵀ,  w_d ← w_d − e_d c k,   P(0) = I/α
//!   κ̂ recomputed with the new weights (the next step's feedback uses them)
//! ```
//!
//! `T` is a set of excitatory neurons, `w(0)` the fixed readout's loadings `n_k/N_T`. The
//! update is the one of the recorded-data fits (`train::rls`, dense f64, textbook), on a `P`
//! kept in the input's per-simulator state, so every trial trains from `w(0)` and `P(0)` again
//! and a long run's checkpoint holds the learner mid-trial. Outside the learning window the
//! weights stay as they are, so the stretch after it shows what the network does alone.
//!
//! The state holds, in order: `s̃` (N_T), `w` (D·N_T, dimension after dimension), `P` (N_T²),
//! the update's scratch (gain N_T, error D), the number of updates, and κ̂ at the end of every
//! `record_every_steps` steps (the online readout, what was fed back).

use super::latent::LatentCourse;
use crate::train::rls::{apply_gain, dot, update_dense_in_place};

/// The learning part of a trained latent readout (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedReadout {
    /// Trained readout neurons (ascending).
    pub neurons: Vec<usize>,
    /// `w(0)`, dimension after dimension: `[d·N_T + k]`.
    pub initial_weights: Vec<f64>,
    /// D.
    pub dims: usize,
    /// The target κ*(t) (an open-loop course).
    pub target: LatentCourse,
    /// First and last step of the learning window (inclusive).
    pub learn_steps: (u64, u64),
    /// Steps between updates.
    pub every_steps: u64,
    /// Ridge α: `P(0) = I/α`.
    pub alpha: f64,
    /// κ̂ is recorded at the end of every this many steps.
    pub record_every_steps: u64,
    /// Recorded samples per trial.
    pub records: usize,
    /// Time step (ms), for the target.
    pub dt_ms: f64,
    /// `1000/τ_s`: what a spike adds to its trace (Hz).
    kick: f64,
    /// `e^{−dt/τ_s}`.
    decay: f64,
    /// Position of each neuron in `neurons` (`usize::MAX` for others).
    position: Vec<usize>,
}

/// Where a trained readout's schedule puts it: the learning window (first and last step), the
/// steps between updates, the steps between records of κ̂, the trial's steps, `dt` and the
/// readout filter's τ_s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadoutClock {
    /// First and last step of the learning window (inclusive).
    pub learn_steps: (u64, u64),
    /// Steps between updates (≥ 1).
    pub every_steps: u64,
    /// Steps between records of κ̂ (≥ 1).
    pub record_every_steps: u64,
    /// Steps per trial.
    pub trial_steps: u64,
    /// Time step (ms).
    pub dt_ms: f64,
    /// The readout filter's time constant τ_s (ms).
    pub tau_readout_ms: f64,
}

/// The parts of a trained readout's state, borrowed.
#[derive(Debug)]
pub struct ReadoutParts<'a> {
    /// `s̃` per trained neuron.
    pub traces: &'a [f64],
    /// `w`, `[d·N_T + k]`.
    pub weights: &'a [f64],
    /// RLS updates done in the trial so far.
    pub updates: u64,
    /// κ̂ at the end of every `record_every_steps` steps, `[k·D + d]`.
    pub recorded: &'a [f64],
}

/// The same parts, mutable, with the scratch of an update (gain and error).
struct ReadoutPartsMut<'a> {
    traces: &'a mut [f64],
    weights: &'a mut [f64],
    p: &'a mut [f64],
    gain: &'a mut [f64],
    error: &'a mut [f64],
    updates: &'a mut f64,
    recorded: &'a mut [f64],
}

impl TrainedReadout {
    /// A learner of an `n_neurons` network: `neurons` are the trained ones (ascending),
    /// `initial_weights` their `w(0)` as `[k·D + d]` (the readout loadings' layout).
    ///
    /// # Panics
    /// If `neurons` is empty or `initial_weights` is not `neurons.len()·D` long for some D ≥ 1
    /// (validated experiments never are).
    pub fn new(
        n_neurons: usize,
        (neurons, initial_weights): (Vec<usize>, Vec<f64>),
        target: LatentCourse,
        alpha: f64,
        clock: ReadoutClock,
    ) -> Self {
        let n = neurons.len();
        assert!(n > 0 && !initial_weights.is_empty() && initial_weights.len() % n == 0);
        let dims = initial_weights.len() / n;
        let by_dimension = (0..dims)
            .flat_map(|c| (0..n).map(move |k| (k, c)))
            .map(|(k, c)| initial_weights[k * dims + c])
            .collect();
        let mut position = vec![usize::MAX; n_neurons];
        for (k, &j) in neurons.iter().enumerate() {
            position[j] = k;
        }
        let record_every_steps = clock.record_every_steps.max(1);
        Self {
            neurons,
            initial_weights: by_dimension,
            dims,
            target,
            learn_steps: clock.learn_steps,
            every_steps: clock.every_steps.max(1),
            alpha,
            record_every_steps,
            records: (clock.trial_steps / record_every_steps) as usize,
            dt_ms: clock.dt_ms,
            kick: 1000.0 / clock.tau_readout_ms,
            decay: (-clock.dt_ms / clock.tau_readout_ms).exp(),
            position,
        }
    }

    /// Offsets of the state's parts: traces, weights, P, gain, error, update count, records,
    /// end.
    fn offsets(&self) -> [usize; 8] {
        let (n, d) = (self.neurons.len(), self.dims);
        let weights = n;
        let p = weights + n * d;
        let gain = p + n * n;
        let error = gain + n;
        let count = error + d;
        let records = count + 1;
        [
            0,
            weights,
            p,
            gain,
            error,
            count,
            records,
            records + self.records * d,
        ]
    }

    /// Length of the state.
    pub fn state_len(&self) -> usize {
        self.offsets()[7]
    }

    /// Zero traces, `w(0)`, `P(0) = I/α`, no updates, nothing recorded.
    pub fn start_trial(&self, state: &mut [f64]) {
        state.iter_mut().for_each(|x| *x = 0.0);
        let parts = self.parts_mut(state);
        parts.weights.copy_from_slice(&self.initial_weights);
        let n = self.neurons.len();
        for i in 0..n {
            parts.p[i * n + i] = 1.0 / self.alpha;
        }
    }

    /// The parts of `state`.
    pub fn parts<'a>(&self, state: &'a [f64]) -> ReadoutParts<'a> {
        let [t, w, p, _, _, count, records, end] = self.offsets();
        ReadoutParts {
            traces: &state[t..w],
            weights: &state[w..p],
            updates: state[count] as u64,
            recorded: &state[records..end],
        }
    }

    fn parts_mut<'a>(&self, state: &'a mut [f64]) -> ReadoutPartsMut<'a> {
        let [_, w, p, gain, error, count, records, end] = self.offsets();
        let (traces, rest) = state.split_at_mut(w);
        let (weights, rest) = rest.split_at_mut(p - w);
        let (p, rest) = rest.split_at_mut(gain - p);
        let (gain, rest) = rest.split_at_mut(error - gain);
        let (error, rest) = rest.split_at_mut(count - error);
        let (updates, rest) = rest.split_at_mut(records - count);
        ReadoutPartsMut {
            traces,
            weights,
            p,
            gain,
            error,
            updates: &mut updates[0],
            recorded: &mut rest[..end - records],
        }
    }

    /// After step `step`'s spikes (`spiked`): the traces decay and take the spikes, an RLS
    /// update on a learning step, then κ̂ into `readout` and its record (see the module
    /// documentation).
    pub fn after_spikes(&self, step: u64, spiked: &[u32], state: &mut [f64], readout: &mut [f64]) {
        let parts = self.parts_mut(state);
        parts.traces.iter_mut().for_each(|s| *s *= self.decay);
        for &j in spiked {
            if let Some(&k) = self.position.get(j as usize).filter(|&&k| k != usize::MAX) {
                parts.traces[k] += self.kick;
            }
        }
        self.read_out(parts.traces, parts.weights, readout);
        if self.is_learning_step(step) {
            self.target.prescribed(step, self.dt_ms, parts.error);
            for (e, r) in parts.error.iter_mut().zip(&*readout) {
                *e = r - *e;
            }
            update_dense_in_place(parts.p, parts.traces, parts.gain);
            let n = self.neurons.len();
            for (w_d, &e) in parts.weights.chunks_exact_mut(n).zip(&*parts.error) {
                apply_gain(w_d, parts.gain, e);
            }
            *parts.updates += 1.0;
            self.read_out(parts.traces, parts.weights, readout);
        }
        if step.is_multiple_of(self.record_every_steps) {
            let k = (step / self.record_every_steps) as usize - 1;
            if let Some(slot) = parts.recorded.chunks_exact_mut(self.dims).nth(k) {
                slot.copy_from_slice(readout);
            }
        }
    }

    fn is_learning_step(&self, step: u64) -> bool {
        let (first, last) = self.learn_steps;
        (first..=last).contains(&step) && (step - first).is_multiple_of(self.every_steps)
    }

    /// `κ̂_d = Σ_k w_kd s̃_k`.
    fn read_out(&self, traces: &[f64], weights: &[f64], readout: &mut [f64]) {
        for (r, w_d) in readout.iter_mut().zip(weights.chunks_exact(traces.len())) {
            *r = dot(w_d, traces);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learner(target: f64, alpha: f64) -> TrainedReadout {
        TrainedReadout::new(
            4,
            (vec![1, 3], vec![0.0, 0.0]),
            LatentCourse::Series {
                every_steps: 1,
                values: vec![target],
            },
            alpha,
            ReadoutClock {
                learn_steps: (1, 50),
                every_steps: 1,
                record_every_steps: 10,
                trial_steps: 100,
                dt_ms: 0.1,
                tau_readout_ms: 10.0,
            },
        )
    }

    /// After the window's updates the weights are the ridge solution
    /// `w = (αI + Σ_t s̃_t s̃_tᵀ)⁻¹ Σ_t s̃_t κ*_t` over the learning steps (RLS's defining
    /// property, `train::rls`), updates happen only inside the window, and κ̂ is recorded every
    /// 10 steps.
    #[test]
    fn the_learned_weights_are_the_ridge_solution_over_the_window() {
        let alpha = 0.5;
        let (decay, kick) = ((-0.1f64 / 10.0).exp(), 1000.0 / 10.0);
        let f = learner(2.0, alpha);
        let mut state = vec![0.0; f.state_len()];
        f.start_trial(&mut state);
        let mut readout = [0.0];
        let (mut gram, mut rhs) = (
            nalgebra::Matrix2::<f64>::identity() * alpha,
            nalgebra::Vector2::zeros(),
        );
        let mut traces = nalgebra::Vector2::<f64>::zeros();
        for step in 1..=100u64 {
            let mut spiked = vec![0u32];
            traces *= decay;
            if step % 5 == 0 {
                spiked.push(1);
                traces[0] += kick;
            }
            if step % 7 == 0 {
                spiked.push(3);
                traces[1] += kick;
            }
            f.after_spikes(step, &spiked, &mut state, &mut readout);
            if step <= 50 {
                gram += traces * traces.transpose();
                rhs += traces * 2.0;
            }
        }
        let ridge = gram.lu().solve(&rhs).unwrap();
        let parts = f.parts(&state);
        assert_eq!(parts.updates, 50, "one update per step of the window");
        for (w, r) in parts.weights.iter().zip(ridge.iter()) {
            assert!((w - r).abs() < 1e-10 * r.abs().max(1.0), "{w} against {r}");
        }
        assert_eq!(parts.recorded.len(), 10);
        assert_eq!(
            parts.recorded[9], readout[0],
            "the last record is the last κ̂"
        );
        let expected = parts.weights[0] * parts.traces[0] + parts.weights[1] * parts.traces[1];
        assert!((readout[0] - expected).abs() < 1e-12, "κ̂ = Σ w s̃");
    }

    /// A learner that never reaches a learning step keeps w(0).
    #[test]
    fn outside_the_window_the_weights_stay() {
        let f = learner(2.0, 1e-3);
        let mut state = vec![0.0; f.state_len()];
        f.start_trial(&mut state);
        let mut readout = [0.0];
        f.after_spikes(60, &[1], &mut state, &mut readout);
        assert_eq!(f.parts(&state).updates, 0);
        assert_eq!(f.parts(&state).weights, &[0.0, 0.0]);
    }
}
