//! Training a rate network with RLS so that each trained unit's recurrent input `W r` follows a
//! target (the tutorial's Part 1, `rls-training.md` §1).
//!
//! Dynamics (forward Euler, state index `n = 1..N`, index 1 the initial state `r = 0`):
//!
//! ```text
//! x[n]  = W r[n−1] + I_ext[n]
//! r[n]  = r[n−1] + (dt/τ)(−r[n−1] + φ(x[n]))
//! wr[n] = W r[n]                     the trained quantity, before any update at step n
//! learn if n is a learning step:     ρ = r[n] on unit i's plastic inputs, y = target_i(n dt)
//! ```
//!
//! Every loop is a fresh trial from `r = 0`; the stimulus amplitudes and targets are drawn once.

use std::time::Instant;

use rand::Rng as _;
use rand_distr::StandardNormal;

use crate::analysis::{mean_ignoring_nan, pearson};
use crate::error::{Observer, RunError};
use crate::neuron::rate::{euler_step, Activation};
use crate::rng;
use crate::target::SineTargets;
use crate::train::{apply_gain, dot, LearningSchedule, RlsUnit};

/// A constant pulse of random amplitude per unit, on during steps `start_step..=end_step`
/// (both ends included, as the reference's `1000 ≤ ti ≤ 1100`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pulse {
    /// First step with the pulse on.
    pub start_step: u64,
    /// Last step with the pulse on.
    pub end_step: u64,
    /// Amplitudes are drawn from `U(amplitude_min, amplitude_max)` once per unit.
    pub amplitude_min: f64,
    /// Upper end of the amplitude range.
    pub amplitude_max: f64,
}

/// A rate-network training experiment, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RateExperiment {
    /// Experiment name.
    pub name: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Steps per trial, `N` (state indices 1..=N, index 1 the initial state).
    pub trial_steps: u64,
    /// Number of units.
    pub n_units: usize,
    /// Rate time constant τ (ms).
    pub tau_ms: f64,
    /// Nonlinearity φ.
    pub activation: Activation,
    /// `W_ij = gain · N(0,1)/√(N p)` for existing connections, `W_ii = 0`.
    pub weight_gain: f64,
    /// Connection probability p (1 = fully connected).
    pub connection_prob: f64,
    /// The stimulus pulse.
    pub stimulus: Pulse,
    /// Sine target parameters (phases drawn per unit from the `"target"` stream).
    pub target_amplitude: f64,
    /// Target period (ms).
    pub target_period_ms: f64,
    /// Target offset.
    pub target_offset: f64,
    /// Number of trained units (a random subset when fewer than `n_units`).
    pub trained_units: usize,
    /// Training loops.
    pub loops: usize,
    /// Learning steps; also the scoring window `(start_step, end_step]`.
    pub schedule: LearningSchedule,
    /// Ridge penalty λ: `P(0) = I/λ`.
    pub lambda: f64,
    /// Frozen test trials.
    pub test_trials: usize,
    /// Record traces every this many steps.
    pub record_every_steps: u64,
}

/// What a rate-network run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RateRunResult {
    /// Indices of the trained units.
    pub trained: Vec<usize>,
    /// Mean Pearson r over trained units, per loop, over the training window.
    pub r_per_loop: Vec<f64>,
    /// The same, over the reference's as-coded window (from step 120; `rls-training.md` §1.7).
    pub r_reference_window_per_loop: Vec<f64>,
    /// Wall time of each loop (s).
    pub loop_seconds: Vec<f64>,
    /// Mean r of each test trial.
    pub test_r: Vec<f64>,
    /// The as-coded-window r of each test trial.
    pub test_r_reference_window: Vec<f64>,
    /// Units whose correlation was undefined (constant series) in the last test trial.
    pub test_nan_dropped: usize,
    /// Recording times (ms).
    pub time_ms: Vec<f64>,
    /// Trained quantity `W r` of trained units: test trial × time × trained unit.
    pub test_trained_quantity: Vec<f64>,
    /// Rates `r` of all units: test trial × time × unit.
    pub test_rates: Vec<f64>,
    /// Target of trained units: time × trained unit.
    pub target: Vec<f64>,
    /// Weights after training (row-major `N × N`).
    pub weights: Vec<f64>,
}

/// The network, its trainers and its scratch space.
struct RateNetwork<'a> {
    exp: &'a RateExperiment,
    w: Vec<f64>,
    stim: Vec<f64>,
    targets: SineTargets,
    trained: Vec<usize>,
    /// Plastic inputs of each trained unit (nonzero off-diagonal entries of its row).
    inputs: Vec<Vec<usize>>,
    rls: Vec<RlsUnit>,
}

/// What one trial returns.
struct Trial {
    r_mean: f64,
    r_reference_window: f64,
    nan_dropped: usize,
    trained_quantity: Vec<f64>,
    rates: Vec<f64>,
}

/// Step of the reference's as-coded scoring window start: `Int(stim_off + 1/dt)` = 120.
const REFERENCE_WINDOW_START_STEP: u64 = 120;

impl<'a> RateNetwork<'a> {
    fn build(exp: &'a RateExperiment) -> Self {
        let n = exp.n_units;
        let mut net_rng = rng::stream(exp.seed, "network");
        let scale = exp.weight_gain / ((n as f64) * exp.connection_prob).sqrt();
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let connected =
                    exp.connection_prob >= 1.0 || net_rng.random::<f64>() < exp.connection_prob;
                if connected {
                    w[i * n + j] = scale * net_rng.sample::<f64, _>(StandardNormal);
                }
            }
        }
        let mut stim_rng = rng::stream(exp.seed, "stimulus");
        let (lo, hi) = (exp.stimulus.amplitude_min, exp.stimulus.amplitude_max);
        let stim = (0..n)
            .map(|_| lo + (hi - lo) * stim_rng.random::<f64>())
            .collect();
        let mut target_rng = rng::stream(exp.seed, "target");
        let targets = SineTargets::random_phase(
            n,
            exp.target_amplitude,
            exp.target_period_ms,
            exp.target_offset,
            exp.schedule.start_step as f64 * exp.dt_ms,
            &mut target_rng,
        );
        let trained =
            rng::choose_subset(n, exp.trained_units, &mut rng::stream(exp.seed, "training"));
        let inputs: Vec<Vec<usize>> = trained
            .iter()
            .map(|&i| (0..n).filter(|&j| j != i && w[i * n + j] != 0.0).collect())
            .collect();
        let rls = inputs
            .iter()
            .map(|inp| RlsUnit::ridge(inp.len(), exp.lambda))
            .collect();
        Self {
            exp,
            w,
            stim,
            targets,
            trained,
            inputs,
            rls,
        }
    }

    /// One trial from `r = 0`; learns when `learn` is set.
    fn trial(&mut self, learn: bool, phase: &str) -> Result<Trial, RunError> {
        let exp = self.exp;
        let n = exp.n_units;
        let m = self.trained.len();
        let dt_over_tau = exp.dt_ms / exp.tau_ms;
        let sched = exp.schedule;
        let window = (sched.end_step - sched.start_step) as usize;
        let ref_window = (exp.trial_steps + 1 - REFERENCE_WINDOW_START_STEP) as usize;
        let mut r = vec![0.0; n];
        let mut r_next = vec![0.0; n];
        // Trained quantity and target over the scoring windows, time-major.
        let mut wr_window = Vec::with_capacity(window * m);
        let mut y_window = Vec::with_capacity(window * m);
        let mut wr_ref = Vec::with_capacity(ref_window * m);
        let mut y_ref = Vec::with_capacity(ref_window * m);
        let n_rec = (exp.trial_steps / exp.record_every_steps) as usize;
        let mut rec_wr = Vec::with_capacity(n_rec * m);
        let mut rec_r = Vec::with_capacity(n_rec * n);
        let mut rho = Vec::new();
        let mut gain = Vec::new();
        let mut w_row = Vec::new();
        let mut wr = vec![0.0; m];
        for step in 2..=exp.trial_steps {
            let t = step as f64 * exp.dt_ms;
            let stim_on = step >= exp.stimulus.start_step && step <= exp.stimulus.end_step;
            for i in 0..n {
                let mut x = dot(&self.w[i * n..(i + 1) * n], &r);
                if stim_on {
                    x += self.stim[i];
                }
                r_next[i] = euler_step(r[i], x, dt_over_tau, exp.activation);
                if !r_next[i].is_finite() {
                    return Err(RunError::NonFinite {
                        quantity: "rate",
                        neuron: i,
                        step,
                        time_ms: t,
                        phase: phase.to_string(),
                        value: r_next[i],
                    });
                }
            }
            std::mem::swap(&mut r, &mut r_next);
            for (k, &i) in self.trained.iter().enumerate() {
                wr[k] = dot(&self.w[i * n..(i + 1) * n], &r);
            }
            if step > sched.start_step && step <= sched.end_step {
                wr_window.extend_from_slice(&wr);
                y_window.extend(self.trained.iter().map(|&i| self.targets.value(i, t)));
            }
            if step >= REFERENCE_WINDOW_START_STEP {
                wr_ref.extend_from_slice(&wr);
                y_ref.extend(self.trained.iter().map(|&i| self.targets.value(i, t)));
            }
            if step % exp.record_every_steps == 0 {
                rec_wr.extend_from_slice(&wr);
                rec_r.extend_from_slice(&r);
            }
            if learn && sched.is_learning_step(step) {
                for (k, &i) in self.trained.iter().enumerate() {
                    let inputs = &self.inputs[k];
                    rho.clear();
                    rho.extend(inputs.iter().map(|&j| r[j]));
                    w_row.clear();
                    w_row.extend(inputs.iter().map(|&j| self.w[i * n + j]));
                    gain.resize(inputs.len(), 0.0);
                    let error = wr[k] - self.targets.value(i, t);
                    self.rls[k].update_gain(&rho, &mut gain);
                    apply_gain(&mut w_row, &gain, error);
                    for (&j, &wij) in inputs.iter().zip(&w_row) {
                        self.w[i * n + j] = wij;
                    }
                }
            }
        }
        let score = |model: &[f64], target: &[f64]| {
            let steps = model.len() / m;
            let per_unit: Vec<f64> = (0..m)
                .map(|k| {
                    let a: Vec<f64> = (0..steps).map(|s| model[s * m + k]).collect();
                    let b: Vec<f64> = (0..steps).map(|s| target[s * m + k]).collect();
                    pearson(&a, &b)
                })
                .collect();
            mean_ignoring_nan(&per_unit)
        };
        let main = score(&wr_window, &y_window);
        let reference = score(&wr_ref, &y_ref);
        Ok(Trial {
            r_mean: main.mean,
            r_reference_window: reference.mean,
            nan_dropped: main.dropped_nan,
            trained_quantity: rec_wr,
            rates: rec_r,
        })
    }
}

/// Runs a rate-network experiment: `loops` training trials, then `test_trials` frozen trials.
pub fn run(exp: &RateExperiment, observer: &mut dyn Observer) -> Result<RateRunResult, RunError> {
    let mut net = RateNetwork::build(exp);
    let mut r_per_loop = Vec::with_capacity(exp.loops);
    let mut r_ref = Vec::with_capacity(exp.loops);
    let mut loop_seconds = Vec::with_capacity(exp.loops);
    observer.phase_started("training", exp.loops);
    for l in 0..exp.loops {
        if observer.should_stop() {
            return Err(RunError::Interrupted {
                phase: format!("training loop {}", l + 1),
            });
        }
        let start = Instant::now();
        let trial = net.trial(true, &format!("training loop {}", l + 1))?;
        loop_seconds.push(start.elapsed().as_secs_f64());
        r_per_loop.push(trial.r_mean);
        r_ref.push(trial.r_reference_window);
        observer.item_done(l + 1, &format!("r = {:.4}", trial.r_mean));
    }
    observer.phase_started("test", exp.test_trials);
    let mut test_r = Vec::new();
    let mut test_r_ref = Vec::new();
    let mut tq = Vec::new();
    let mut rates = Vec::new();
    let mut nan_dropped = 0;
    for k in 0..exp.test_trials {
        let trial = net.trial(false, &format!("test trial {}", k + 1))?;
        test_r.push(trial.r_mean);
        test_r_ref.push(trial.r_reference_window);
        nan_dropped = trial.nan_dropped;
        tq.extend_from_slice(&trial.trained_quantity);
        rates.extend_from_slice(&trial.rates);
        observer.item_done(k + 1, &format!("r = {:.4}", trial.r_mean));
    }
    let n_rec = exp.trial_steps / exp.record_every_steps;
    let time_ms: Vec<f64> = (1..=n_rec)
        .map(|s| (s * exp.record_every_steps) as f64 * exp.dt_ms)
        .collect();
    let target = time_ms
        .iter()
        .flat_map(|&t| net.trained.iter().map(move |&i| (i, t)))
        .map(|(i, t)| net.targets.value(i, t))
        .collect();
    Ok(RateRunResult {
        trained: net.trained.clone(),
        r_per_loop,
        r_reference_window_per_loop: r_ref,
        loop_seconds,
        test_r,
        test_r_reference_window: test_r_ref,
        test_nan_dropped: nan_dropped,
        time_ms,
        test_trained_quantity: tq,
        test_rates: rates,
        target,
        weights: net.w,
    })
}
