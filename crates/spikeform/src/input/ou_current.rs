//! An Ornstein-Uhlenbeck current, one independent process per neuron of a population.

use rand_distr::StandardNormal;

use super::{Drive, Input, InputStep};
use crate::network::OuCurrent;
use crate::rng::Rng;
use rand::Rng as _;

/// `I ← I + (dt/τ)(mean − I) + σ √dt ξ` per neuron of `range`, started at `mean` every trial and
/// advanced by Euler-Maruyama before the membrane update (see [`OuCurrent`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OuCurrentInput {
    /// Name of the population (names the random stream).
    pub population: String,
    /// Its neurons.
    pub range: std::ops::Range<usize>,
    /// Parameters.
    pub ou: OuCurrent,
    /// Time step (ms).
    pub dt_ms: f64,
}

impl Input for OuCurrentInput {
    fn stream(&self) -> String {
        format!("ou-current:{}", self.population)
    }

    fn state_len(&self) -> usize {
        self.range.len()
    }

    fn start_trial(&self, state: &mut [f64]) {
        state.iter_mut().for_each(|x| *x = self.ou.mean);
    }

    fn step(&self, _at: InputStep, state: &mut [f64], rng: &mut Rng, drive: &mut Drive<'_>) {
        let (mean, rate) = (self.ou.mean, self.dt_ms / self.ou.tau_ms);
        let noise = self.ou.sigma * self.dt_ms.sqrt();
        for (x, c) in state.iter_mut().zip(&mut drive.current[self.range.clone()]) {
            let xi: f64 = rng.sample(StandardNormal);
            *x += rate * (mean - *x) + noise * xi;
            *c += *x;
        }
    }
}
