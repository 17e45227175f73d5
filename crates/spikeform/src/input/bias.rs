//! A constant current per population (the tutorial's μ).

use super::{Drive, Input, InputStep};
use crate::rng::Rng;

/// `I_i += μ_p` for every neuron `i` of population `p`, at every step.
#[derive(Debug, Clone, PartialEq)]
pub struct Bias {
    /// `(neuron range, μ)` per population with a non-zero bias.
    pub ranges: Vec<(std::ops::Range<usize>, f64)>,
}

impl Input for Bias {
    fn stream(&self) -> String {
        "bias".into()
    }

    fn is_constant(&self) -> bool {
        true
    }

    fn step(&self, _at: InputStep, _state: &mut [f64], _rng: &mut Rng, drive: &mut Drive<'_>) {
        for (range, mu) in &self.ranges {
            drive.current[range.clone()]
                .iter_mut()
                .for_each(|c| *c += mu);
        }
    }
}
