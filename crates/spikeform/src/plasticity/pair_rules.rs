//! The pair rules of a network's plastic projections as one synapse rule, with their traces.

use super::{RuleView, SynapseRule};
use crate::network::SpikingNetwork;

/// Every plastic projection's rule, with one STDP trace per neuron and projection
/// (`dx/dt = −x/τ_STDP + S(t)`), zero at the start of the trial.
#[derive(Debug, Clone)]
pub struct PairRules {
    traces: Vec<Vec<f64>>,
}

impl PairRules {
    /// The rules of `net`'s projections, traces zero.
    pub fn new(net: &SpikingNetwork) -> Self {
        Self {
            traces: vec![vec![0.0; net.n_neurons()]; net.projections.len()],
        }
    }
}

impl PairRules {
    /// Saves the traces under `rules.trace.K` (K: projection index).
    pub fn snapshot(&self, out: &mut crate::snapshot::StateArrays) {
        for (k, x) in self.traces.iter().enumerate() {
            out.put(format!("rules.trace.{k}"), x.clone());
        }
    }

    /// Restores the traces saved by [`PairRules::snapshot`] for the same network.
    pub fn restore(&mut self, saved: &crate::snapshot::StateArrays) -> Result<(), String> {
        for (k, x) in self.traces.iter_mut().enumerate() {
            saved.take_into(&format!("rules.trace.{k}"), x)?;
        }
        Ok(())
    }
}

impl SynapseRule for PairRules {
    /// Each projection's update for this step's spikes with the traces before them; then the
    /// weights are recorded at recording steps; the traces take the spikes, `x[S] += 1`, and decay, `x ← d·x` (`plasticity.md` §3, 5–7).
    fn after_spikes(&mut self, net: &mut SpikingNetwork, view: &RuleView<'_>) {
        let (dt, integration) = (net.dt_ms, net.integration);
        for (projection, x) in net.projections.iter_mut().zip(&mut self.traces) {
            if projection.is_active(view.step) {
                projection.after_spikes(view.spiked, x);
            }
            projection.record_at(view.step, view.step as f64 * dt);
            for &k in view.spiked {
                x[k as usize] += 1.0;
            }
            let d = integration.trace_decay(dt, projection.tau_ms);
            x.iter_mut().for_each(|a| *a *= d);
        }
    }
}
