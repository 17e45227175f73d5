//! An external layer of Poisson neurons with its own random synapses onto the network and its
//! own filtered channel (the "X" population of Akil, Rosenbaum & Josić 2021,
//! `../shared/spec/plasticity.md` §1–§3).

use rand::Rng as _;
use rand_distr::{Distribution, Poisson};

use super::{Drive, Input, InputStep};
use crate::network::StaticSynapses;
use crate::rng::Rng;

/// `units` independent Poisson neurons firing at `rate_hz`. A spike of unit `k` adds `J_ik/τ_x`
/// to the channel `I_x,i` of each of its targets, which decays with `τ_x`:
///
/// ```text
/// I_x ← d·I_x + F/τ_x,   d = 1 − dt/τ_x (Euler) or e^{−dt/τ_x}
/// ```
///
/// and `I_x` is added to the external current of the same step (the reference delivers
/// external spikes at the start of the step, before the membrane update). The layer's spikes
/// in one step are drawn as their total count `k ~ Poisson(units · rate · dt)` and a uniformly
/// random unit for each: the superposition of independent Poisson processes.
#[derive(Debug, Clone)]
pub struct PoissonLayer {
    /// Name (names the random stream).
    pub name: String,
    /// Number of units.
    pub units: usize,
    /// Rate of each unit (Hz).
    pub rate_hz: f64,
    /// Channel time constant τ_x (ms).
    pub tau_ms: f64,
    /// Decay per step of the channel.
    pub decay: f64,
    /// Synapses from each unit (presynaptic index = unit) onto the network's neurons.
    pub synapses: StaticSynapses,
    /// Neurons of the network.
    pub n_neurons: usize,
    spikes_per_step: Option<Poisson<f64>>,
}

impl PoissonLayer {
    /// A layer with the given synapses (`synapses.n_neurons() == units`).
    pub fn new(
        name: &str,
        rate_hz: f64,
        tau_ms: f64,
        decay: f64,
        synapses: StaticSynapses,
        n_neurons: usize,
        dt_ms: f64,
    ) -> Self {
        let units = synapses.n_neurons();
        Self {
            name: name.into(),
            units,
            rate_hz,
            tau_ms,
            decay,
            spikes_per_step: Poisson::new(units as f64 * rate_hz * dt_ms / 1000.0).ok(),
            synapses,
            n_neurons,
        }
    }

    /// Adds one spike of `unit` to the arrivals F of the neurons it projects to.
    pub(crate) fn deliver(&self, unit: usize, arrivals: &mut [f64]) {
        self.synapses.for_each_run(unit, |targets, w| {
            for &t in targets {
                arrivals[t as usize] += w;
            }
        });
    }

    /// The channel's step, `I_x ← d·I_x + F/τ_x`, then F cleared and I_x added to `current`.
    pub(crate) fn filter(&self, channel: &mut [f64], arrivals: &mut [f64], current: &mut [f64]) {
        for ((x, f), c) in channel.iter_mut().zip(arrivals.iter_mut()).zip(current) {
            *x = *x * self.decay + *f / self.tau_ms;
            *f = 0.0;
            *c += *x;
        }
    }
}

impl Input for PoissonLayer {
    fn stream(&self) -> String {
        format!("poisson-layer:{}", self.name)
    }

    /// The channel `I_x` and this step's arrivals `F`, one each per neuron.
    fn state_len(&self) -> usize {
        2 * self.n_neurons
    }

    fn step(&self, _at: InputStep, state: &mut [f64], rng: &mut Rng, drive: &mut Drive<'_>) {
        let (channel, arrivals) = state.split_at_mut(self.n_neurons);
        if let Some(count) = &self.spikes_per_step {
            for _ in 0..count.sample(rng) as u64 {
                self.deliver(rng.random_range(0..self.units), arrivals);
            }
        }
        self.filter(channel, arrivals, drive.current);
    }
}
