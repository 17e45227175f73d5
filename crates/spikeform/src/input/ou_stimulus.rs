//! An Ornstein-Uhlenbeck stimulus: an independent OU current per neuron of a set, on only inside
//! a time window (TrainSpikingNet.jl's cue, `rls-training.md` §7.1).

use rand::Rng as _;
use rand_distr::StandardNormal;

use super::{Drive, Input, InputStep};
use crate::rng::Rng;

/// During steps `start_step < n ≤ end_step` (the window `start < t ≤ end`), neuron
/// `neurons[k]` receives `x_k(n)`, advanced by Euler-Maruyama before it is added:
///
/// ```text
/// x_k(n) = x_k(n−1) + (dt/τ)(μ − x_k(n−1)) + σ √dt ξ_k(n),   ξ ~ N(0, 1),   x_k(start_step) = μ
/// ```
///
/// Stationary, `x` has mean μ, variance `σ² dt / (1 − a²)` with `a = 1 − dt/τ` (≈ σ²τ/2), and
/// lag-`m` autocorrelation `a^m`. Nothing is added outside the window. The draws come from the
/// stream `ou-stimulus:NAME`; with `frozen_seed` every trial replays the same realisation (the
/// stream of trial 0 of that seed), otherwise each trial draws its own.
#[derive(Debug, Clone, PartialEq)]
pub struct OuStimulus {
    /// Name (names the random stream; for messages).
    pub name: String,
    /// Neurons that receive it, one process each.
    pub neurons: Vec<usize>,
    /// The window opens after this step.
    pub start_step: u64,
    /// The window's last step.
    pub end_step: u64,
    /// τ (ms).
    pub tau_ms: f64,
    /// σ (current per √ms).
    pub sigma: f64,
    /// μ, the mean and the starting value.
    pub mean: f64,
    /// `Some(seed)`: the same realisation in every trial (drawn from trial 0's stream).
    pub frozen_seed: Option<u64>,
    /// Time step (ms).
    pub dt_ms: f64,
}

impl Input for OuStimulus {
    fn stream(&self) -> String {
        format!("ou-stimulus:{}", self.name)
    }

    fn state_len(&self) -> usize {
        self.neurons.len()
    }

    fn start_trial(&self, state: &mut [f64]) {
        state.iter_mut().for_each(|x| *x = self.mean);
    }

    fn step(&self, at: InputStep, state: &mut [f64], rng: &mut Rng, drive: &mut Drive<'_>) {
        if at.step <= self.start_step || at.step > self.end_step {
            return;
        }
        if at.step == self.start_step + 1 {
            if let Some(seed) = self.frozen_seed {
                *rng = crate::rng::substream(seed, &self.stream(), 0);
            }
        }
        let (mean, rate) = (self.mean, self.dt_ms / self.tau_ms);
        let noise = self.sigma * self.dt_ms.sqrt();
        for (x, &i) in state.iter_mut().zip(&self.neurons) {
            let xi: f64 = rng.sample(StandardNormal);
            *x += rate * (mean - *x) + noise * xi;
            drive.current[i] += *x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The currents the stimulus adds at every step `1..=steps` of trial `trial`.
    fn currents(ou: &OuStimulus, n: usize, steps: u64, trial: u64) -> Vec<Vec<f64>> {
        let mut state = vec![0.0; ou.state_len()];
        ou.start_trial(&mut state);
        let mut rng = crate::rng::substream(7, &ou.stream(), trial);
        let mut excitatory = vec![0.0; n];
        (1..=steps)
            .map(|step| {
                let mut current = vec![0.0; n];
                let mut drive = Drive {
                    current: &mut current,
                    excitatory: &mut excitatory,
                };
                ou.step(
                    InputStep { step, condition: 0 },
                    &mut state,
                    &mut rng,
                    &mut drive,
                );
                current
            })
            .collect()
    }

    fn stimulus(neurons: Vec<usize>, start_step: u64, end_step: u64) -> OuStimulus {
        OuStimulus {
            name: "cue".into(),
            neurons,
            start_step,
            end_step,
            tau_ms: 20.0,
            sigma: 0.2,
            mean: 0.3,
            frozen_seed: None,
            dt_ms: 0.1,
        }
    }

    #[test]
    fn stationary_mean_variance_and_autocorrelation_are_the_processes() {
        // 200 processes, 20000 steps (2 s = 100 τ); the first 2000 steps (10 τ) discarded.
        let (n, steps, skip) = (200, 20_000u64, 2_000usize);
        let ou = stimulus((0..n).collect(), 0, steps);
        let x = currents(&ou, n, steps, 1);
        let a: f64 = 1.0 - 0.1 / 20.0;
        let var_exact = 0.2f64.powi(2) * 0.1 / (1.0 - a * a);
        let samples = &x[skip..];
        let count = (samples.len() * n) as f64;
        let mean = samples.iter().flatten().sum::<f64>() / count;
        let var = samples
            .iter()
            .flatten()
            .map(|v| (v - mean).powi(2))
            .sum::<f64>()
            / count;
        // Independent samples ≈ n · steps / (2τ/dt) = 200 · 18000 / 400 = 9000: SE of the mean
        // ≈ √(var/9000) ≈ 0.0067, of the variance ≈ var·√(2/9000) ≈ 1.5 %.
        assert!((mean - 0.3).abs() < 0.03, "mean {mean}");
        assert!(
            (var / var_exact - 1.0).abs() < 0.08,
            "variance {var} vs {var_exact}"
        );
        for lag in [10usize, 200, 400] {
            let cov = samples[lag..]
                .iter()
                .zip(samples)
                .flat_map(|(later, earlier)| later.iter().zip(earlier))
                .map(|(p, q)| (p - mean) * (q - mean))
                .sum::<f64>()
                / ((samples.len() - lag) * n) as f64;
            let (measured, exact) = (cov / var, a.powi(lag as i32));
            assert!(
                (measured - exact).abs() < 0.05,
                "lag {lag}: autocorrelation {measured} vs {exact}"
            );
        }
    }

    #[test]
    fn it_acts_only_inside_its_window_and_only_on_its_neurons() {
        let ou = stimulus(vec![1, 3], 5, 8);
        let x = currents(&ou, 4, 12, 1);
        for (k, c) in x.iter().enumerate() {
            let step = k as u64 + 1;
            let on = step > 5 && step <= 8;
            assert_eq!(c[0], 0.0);
            assert_eq!(c[2], 0.0);
            assert_eq!(c[1] != 0.0, on, "step {step}");
            assert_eq!(c[3] != 0.0, on, "step {step}");
        }
    }

    #[test]
    fn a_frozen_stimulus_replays_one_realisation_and_a_free_one_does_not() {
        let mut ou = stimulus(vec![0, 1, 2], 10, 50);
        assert_ne!(currents(&ou, 3, 60, 1), currents(&ou, 3, 60, 2));
        ou.frozen_seed = Some(3);
        assert_eq!(currents(&ou, 3, 60, 1), currents(&ou, 3, 60, 2));
    }
}
