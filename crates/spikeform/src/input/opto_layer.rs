//! A Poisson "opto" layer that fires only inside a window: the Akil et al. optogenetic layer X2
//! (`../shared/spec/perturbation.md` §1), a [`PoissonLayer`] gated in time.

use super::{Drive, Input, InputStep, PoissonLayer};
use crate::experiment::perturbation::StepWindow;
use crate::network::StaticSynapses;
use crate::rng::Rng;

/// A [`PoissonLayer`] whose units fire only during steps `start < n ≤ end`; its channel
/// decays at every step, so the current fades out after the window as a synaptic current does.
#[derive(Debug, Clone)]
pub struct OptoLayer {
    /// The layer (synapses, rate, channel).
    pub layer: PoissonLayer,
    /// When its units fire.
    pub window: StepWindow,
}

impl OptoLayer {
    /// A layer of `synapses.n_neurons()` units at `rate_hz` onto a network of `n_neurons`,
    /// firing inside `window`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        rate_hz: f64,
        tau_ms: f64,
        decay: f64,
        synapses: StaticSynapses,
        n_neurons: usize,
        dt_ms: f64,
        window: StepWindow,
    ) -> Self {
        Self {
            layer: PoissonLayer::new(name, rate_hz, tau_ms, decay, synapses, n_neurons, dt_ms),
            window,
        }
    }
}

impl Input for OptoLayer {
    fn stream(&self) -> String {
        format!("opto-layer:{}", self.layer.name)
    }

    fn state_len(&self) -> usize {
        self.layer.state_len()
    }

    /// Inside the window the layer's step; outside it no draws, and the channel only decays
    /// and adds itself to the current.
    fn step(&self, at: InputStep, state: &mut [f64], rng: &mut Rng, drive: &mut Drive<'_>) {
        if at.step > self.window.start && at.step <= self.window.end {
            self.layer.step(at, state, rng, drive);
        } else {
            let (channel, arrivals) = state.split_at_mut(self.layer.n_neurons);
            self.layer.filter(channel, arrivals, drive.current);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spikes arrive only inside the window; the channel decays afterwards.
    #[test]
    fn the_layer_fires_only_inside_its_window() {
        let synapses = StaticSynapses::new(vec![0, 1, 2], vec![0, 0], vec![1.0, 1.0]);
        let layer = OptoLayer::new(
            "x",
            2000.0,
            5.0,
            0.98,
            synapses,
            2,
            0.1,
            StepWindow { start: 10, end: 20 },
        );
        let mut state = vec![0.0; layer.state_len()];
        let mut rng = crate::rng::stream(1, "t");
        let mut seen = Vec::new();
        for step in 1..=40 {
            let (mut current, mut exc) = (vec![0.0; 2], vec![0.0; 2]);
            let mut drive = Drive {
                current: &mut current,
                excitatory: &mut exc,
            };
            layer.step(
                InputStep { step, condition: 0 },
                &mut state,
                &mut rng,
                &mut drive,
            );
            seen.push(current[0]);
            assert_eq!(current[1], 0.0, "neuron 1 has no synapse");
        }
        assert!(seen[..10].iter().all(|&c| c == 0.0));
        assert!(seen[10..20].iter().any(|&c| c > 0.0));
        assert!(seen[21..].windows(2).all(|w| w[1] <= w[0]), "decays after");
    }
}
