//! Independent Poisson inputs onto every neuron of a population (Brunel's external drive).

use rand_distr::{Distribution, Poisson};

use super::{Drive, Input, InputStep};
use crate::network::PoissonDrive;
use crate::rng::Rng;

/// Every neuron of `range` receives, each step, `w · k` in its excitatory channel with
/// `k ~ Poisson(inputs · rate · dt)` (the superposition of `inputs` independent sources).
#[derive(Debug, Clone)]
pub struct PoissonDriveInput {
    /// Name of the population (names the random stream).
    pub population: String,
    /// Its neurons.
    pub range: std::ops::Range<usize>,
    /// Parameters.
    pub drive: PoissonDrive,
    /// Spikes per step, all sources together.
    distribution: Option<Poisson<f64>>,
}

impl PoissonDriveInput {
    /// The drive of one population at time step `dt_ms`.
    pub fn new(
        population: &str,
        range: std::ops::Range<usize>,
        d: PoissonDrive,
        dt_ms: f64,
    ) -> Self {
        let lambda = d.inputs as f64 * d.rate_hz * dt_ms / 1000.0;
        Self {
            population: population.into(),
            range,
            distribution: Poisson::new(lambda).ok(),
            drive: d,
        }
    }
}

impl Input for PoissonDriveInput {
    fn stream(&self) -> String {
        format!("poisson-drive:{}", self.population)
    }

    fn step(&self, _at: InputStep, _state: &mut [f64], rng: &mut Rng, drive: &mut Drive<'_>) {
        let Some(dist) = &self.distribution else {
            return;
        };
        for f in &mut drive.excitatory[self.range.clone()] {
            *f += self.drive.weight * dist.sample(rng);
        }
    }
}
