//! An external Poisson layer whose units share a "mother" process (Akil, Rosenbaum & Josić
//! 2021, `../shared/spec/plasticity.md` §2): correlated external spike trains.

use rand::seq::index::sample;
use rand_distr::{Binomial, Distribution, Normal, Poisson};

use super::{Drive, Input, InputStep, PoissonLayer};
use crate::rng::Rng;

/// A [`PoissonLayer`] whose spikes are copies of a mother process of rate `r_x/c`: each mother
/// spike is given to each unit independently with probability `c` (`k ~ Binomial(units, c)`
/// distinct units) and each copy is jittered by a Gaussian of SD `τ_jit`. Every unit fires at
/// `r_x`, and two units' counts in windows `T_w ≫ τ_jit` have covariance `c·r_x·T_w`, so
/// their correlation is ≈ c.
///
/// The jitter is made causal by a fixed delay: a mother spike drawn in step `s` is delivered to
/// its copies in step `s + L + round(ξ/dt)` with `ξ ~ N(0, τ_jit²)` clipped to `±L`,
/// `L = ⌈5 τ_jit/dt⌉` steps (the clipping drops a fraction 6·10⁻⁷ of the Gaussian). The delay
/// shifts the whole input by `L·dt` (25 ms at τ_jit = 5 ms): no input arrives before it, a
/// transient to leave out of statistics. Pending copies are counts per (step slot, unit) in the
/// simulator's state, so they carry the layer's state like the channel does.
#[derive(Debug, Clone)]
pub struct CorrelatedPoissonLayer {
    /// The layer: units, rate, synapses and channel.
    pub layer: PoissonLayer,
    /// Probability c that a unit copies a mother spike (0 < c < 1).
    pub correlation: f64,
    /// Jitter SD τ_jit (ms).
    pub jitter_ms: f64,
    lag_steps: usize,
    mother_per_step: Poisson<f64>,
    copies: Binomial,
    jitter_steps: Normal<f64>,
}

impl CorrelatedPoissonLayer {
    /// A correlated layer with the synapses and channel of `layer`; `0 < correlation < 1`,
    /// `rate_hz > 0`, `jitter_ms ≥ 0`. `None` when the parameters are outside those ranges.
    pub fn new(layer: PoissonLayer, correlation: f64, jitter_ms: f64, dt_ms: f64) -> Option<Self> {
        if !(correlation > 0.0 && correlation < 1.0 && layer.rate_hz > 0.0 && jitter_ms >= 0.0) {
            return None;
        }
        let mother_rate_per_ms = layer.rate_hz / 1000.0 / correlation;
        Some(Self {
            lag_steps: (5.0 * jitter_ms / dt_ms).ceil() as usize,
            mother_per_step: Poisson::new(mother_rate_per_ms * dt_ms).ok()?,
            copies: Binomial::new(layer.units as u64, correlation).ok()?,
            jitter_steps: Normal::new(0.0, jitter_ms / dt_ms).ok()?,
            correlation,
            jitter_ms,
            layer,
        })
    }

    /// Number of step slots of pending copies: `2L + 1`.
    fn slots(&self) -> usize {
        2 * self.lag_steps + 1
    }

    /// Draws this step's mother spikes and schedules their copies in `pending`.
    fn schedule(&self, step: u64, pending: &mut [f64], rng: &mut Rng) {
        let (units, lag, slots) = (self.layer.units, self.lag_steps as i64, self.slots() as u64);
        for _ in 0..self.mother_per_step.sample(rng) as u64 {
            let k = self.copies.sample(rng) as usize;
            for unit in sample(rng, units, k) {
                let d = (self.jitter_steps.sample(rng).round() as i64).clamp(-lag, lag);
                let slot = ((step as i64 + lag + d) as u64 % slots) as usize;
                pending[slot * units + unit] += 1.0;
            }
        }
    }
}

impl Input for CorrelatedPoissonLayer {
    fn stream(&self) -> String {
        format!("correlated-layer:{}", self.layer.name)
    }

    /// The channel `I_x` and this step's arrivals (one each per neuron), then the pending
    /// copies (`slots × units` counts).
    fn state_len(&self) -> usize {
        2 * self.layer.n_neurons + self.slots() * self.layer.units
    }

    fn step(&self, at: InputStep, state: &mut [f64], rng: &mut Rng, drive: &mut Drive<'_>) {
        let layer = &self.layer;
        let (channel, rest) = state.split_at_mut(layer.n_neurons);
        let (arrivals, pending) = rest.split_at_mut(layer.n_neurons);
        self.schedule(at.step, pending, rng);
        let slot = (at.step % self.slots() as u64) as usize;
        let due = &mut pending[slot * layer.units..(slot + 1) * layer.units];
        for (unit, count) in due.iter_mut().enumerate() {
            for _ in 0..*count as u64 {
                layer.deliver(unit, arrivals);
            }
            *count = 0.0;
        }
        layer.filter(channel, arrivals, drive.current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::StaticSynapses;

    /// `plasticity.md` §8.9: each unit fires at r_x within 2% and the mean pairwise count
    /// correlation in 250-ms windows is c within 10% (one synapse of weight 1 from unit k onto
    /// neuron k, so the arrivals are the units' spikes).
    #[test]
    fn rates_and_count_correlations_of_the_mother_process() {
        let (units, dt, rate) = (40usize, 0.1, 10.0);
        let synapses = StaticSynapses::new(
            (0..=units).collect(),
            (0..units as u32).collect(),
            vec![1.0; units],
        );
        for c in [0.05, 0.1] {
            // τ = 1 ms and decay 0: the current of a step is that step's arrivals
            let layer = PoissonLayer::new("X", rate, 1.0, 0.0, synapses.clone(), units, dt);
            let corr = CorrelatedPoissonLayer::new(layer, c, 5.0, dt).unwrap();
            let mut state = vec![0.0; corr.state_len()];
            let mut rng = crate::rng::stream(7, "test");
            let (windows, per_window) = (1600usize, 2500u64); // 400 s
            let mut counts = vec![0.0; windows * units];
            let (mut current, mut exc) = (vec![0.0; units], vec![0.0; units]);
            for step in 1..=windows as u64 * per_window {
                current.fill(0.0);
                let mut drive = Drive {
                    current: &mut current,
                    excitatory: &mut exc,
                };
                corr.step(
                    InputStep { step, condition: 0 },
                    &mut state,
                    &mut rng,
                    &mut drive,
                );
                let w = ((step - 1) / per_window) as usize;
                for (n, &x) in counts[w * units..(w + 1) * units].iter_mut().zip(&current) {
                    *n += x;
                }
            }
            let t_s = windows as f64 * per_window as f64 * dt / 1000.0;
            let (mut var_sum, mut rates) = (0.0, Vec::new());
            let col =
                |u: usize| -> Vec<f64> { (0..windows).map(|w| counts[w * units + u]).collect() };
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let var = |v: &[f64]| {
                let m = mean(v);
                v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64
            };
            for u in 0..units {
                let v = col(u);
                rates.push(v.iter().sum::<f64>() / t_s);
                var_sum += var(&v);
            }
            let pop: Vec<f64> = (0..windows)
                .map(|w| counts[w * units..(w + 1) * units].iter().sum())
                .collect();
            let cov = (var(&pop) - var_sum) / (units * (units - 1)) as f64;
            let correlation = cov / (var_sum / units as f64);
            let mean_rate = mean(&rates);
            println!("c = {c}: rate {mean_rate:.3} Hz, count correlation {correlation:.4}");
            assert!((mean_rate / rate - 1.0).abs() < 0.02, "rate {mean_rate}");
            assert!(
                (correlation / c - 1.0).abs() < 0.10,
                "correlation {correlation} at c = {c}"
            );
        }
    }
}
