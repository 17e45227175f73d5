//! The cue that tells a trial which condition to produce.

use super::{Drive, Input, InputStep};
use crate::rng::Rng;
use crate::stimulus::Cue;

/// During steps `start < n < end` (both strict), neuron `i` receives `amplitude[c][i]` in
/// condition `c` (see [`Cue`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CueInput(pub Cue);

impl Input for CueInput {
    fn stream(&self) -> String {
        "cue".into()
    }

    fn step(&self, at: InputStep, _state: &mut [f64], _rng: &mut Rng, drive: &mut Drive<'_>) {
        if self.0.is_on(at.step) {
            for (c, a) in drive
                .current
                .iter_mut()
                .zip(&self.0.amplitude[at.condition])
            {
                *c += a;
            }
        }
    }
}
