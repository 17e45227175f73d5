//! Inputs from outside the network: the cue that tells a trial which condition to produce, and
//! feed-forward Poisson units with frozen, smoothed Ornstein–Uhlenbeck rates.

use rand::Rng as _;
use rand_distr::StandardNormal;

use crate::analysis::{moving_average, WindowSum};
use crate::rng::Rng;

/// A cue: during steps `start_step < n < end_step` (both strict, as the reference's
/// `800 < t < 1000`), neuron `i` receives `amplitude[c][i]` in condition `c`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// Exclusive first step.
    pub start_step: u64,
    /// Exclusive last step.
    pub end_step: u64,
    /// Amplitude per condition and neuron.
    pub amplitude: Vec<Vec<f64>>,
}

impl Cue {
    /// Whether the cue is on at step `n`.
    #[inline]
    pub fn is_on(&self, n: u64) -> bool {
        n > self.start_step && n < self.end_step
    }
}

/// How a random amplitude is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amplitude {
    /// Uniform on `[min, max)`.
    Uniform {
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
    },
    /// Normal with mean 0 and this SD.
    Normal {
        /// Standard deviation.
        std: f64,
    },
}

impl Amplitude {
    /// One draw.
    pub fn draw(self, rng: &mut Rng) -> f64 {
        match self {
            Amplitude::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Amplitude::Normal { std } => std * rng.sample::<f64, _>(StandardNormal),
        }
    }
}

/// Feed-forward Poisson units (`rls-training.md` §3.4): `n_units` units whose rates follow
/// frozen traces, one set per condition, active for `start_step < n <= start_step + len`.
/// `probability[c][m * n_units + k]` is the spike probability `λ dt / 1000` of unit `k` at
/// step `start_step + 1 + m`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedForward {
    /// Number of units.
    pub n_units: usize,
    /// Units are silent at and before this step.
    pub start_step: u64,
    /// Number of active steps.
    pub len: usize,
    /// Spike probability per step, per condition (time-major).
    pub probability: Vec<Vec<f32>>,
}

/// Parameters of the feed-forward rate traces: an OU process
/// `λ_{m+1} = λ_m + (μ − λ_m) dt/τ + σ √dt ξ`, `λ_0 = μ`, smoothed by a centred moving average of
/// ±`smooth_ms` (truncated at the edges), clipped at 0. Reference: μ = 5 Hz, τ = 400 ms,
/// σ = 0.2, ±50 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OuRates {
    /// Mean rate μ (Hz).
    pub mean_hz: f64,
    /// Time constant τ (ms).
    pub tau_ms: f64,
    /// Noise σ (Hz/√ms).
    pub sigma: f64,
    /// Half width of the smoothing window (ms).
    pub smooth_ms: f64,
}

impl FeedForward {
    /// Generates one frozen set of traces per condition.
    pub fn ou(
        n_units: usize,
        start_step: u64,
        len: usize,
        conditions: usize,
        ou: OuRates,
        dt_ms: f64,
        rng: &mut Rng,
    ) -> Self {
        let half = (ou.smooth_ms / dt_ms).round() as usize;
        let mut probability = Vec::with_capacity(conditions);
        for _ in 0..conditions {
            let mut p = vec![0.0f32; len * n_units];
            let mut trace = vec![0.0; len];
            for k in 0..n_units {
                let mut lam = ou.mean_hz;
                for x in trace.iter_mut() {
                    lam += (ou.mean_hz - lam) * dt_ms / ou.tau_ms
                        + ou.sigma * dt_ms.sqrt() * rng.sample::<f64, _>(StandardNormal);
                    *x = lam;
                }
                let smooth = moving_average(&trace, half, WindowSum::Prefix);
                for (m, mean) in smooth.iter().enumerate() {
                    p[m * n_units + k] = (mean.max(0.0) * dt_ms / 1000.0) as f32;
                }
            }
            probability.push(p);
        }
        Self {
            n_units,
            start_step,
            len,
            probability,
        }
    }

    /// Whether the units are active at step `n`.
    #[inline]
    pub fn is_on(&self, n: u64) -> bool {
        n > self.start_step && n <= self.start_step + self.len as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ou_rates_stay_near_their_mean_and_are_smooth() {
        let ou = OuRates {
            mean_hz: 5.0,
            tau_ms: 400.0,
            sigma: 0.2,
            smooth_ms: 50.0,
        };
        let ff = FeedForward::ou(
            50,
            10_000,
            20_000,
            2,
            ou,
            0.1,
            &mut crate::rng::stream(1, "ff"),
        );
        let p = &ff.probability[0];
        let mean: f64 = p.iter().map(|&x| f64::from(x)).sum::<f64>() / p.len() as f64;
        // Stationary SD of the OU is σ√(τ/2) ≈ 2.8 Hz; the mean over 50 units stays near 5 Hz.
        assert!(
            (mean * 1e4 - 5.0).abs() < 1.0,
            "mean rate {} Hz",
            mean * 1e4
        );
        assert!(p.iter().all(|&x| x >= 0.0));
        // Smoothed over ±50 ms: consecutive steps differ by far less than the raw noise
        // (0.2·√0.1 ≈ 0.063 Hz per step).
        let max_jump = (1..ff.len)
            .map(|m| (p[m * 50] - p[(m - 1) * 50]).abs() * 1e4)
            .fold(0.0, f32::max);
        assert!(max_jump < 0.05, "max jump {max_jump} Hz");
        assert_ne!(ff.probability[0], ff.probability[1]);
    }
}
