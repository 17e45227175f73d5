//! Synapse rules: what changes weights, called by the time loop at two fixed places of the
//! step ([`SynapseRule`]): before integration (RLS, [`crate::train::Learning`]) and after the
//! step's spikes (the spike-timing rules of plastic projections, [`PairRules`]).
//!
//! Spike-timing-dependent rules act on chosen projections.
//! A projection declared plastic keeps its weights per synapse, with an outgoing index (for
//! delivery, which reads the current weights) and an incoming index (for updates at
//! postsynaptic spikes): [`PlasticProjection`]. Its rule is a pair rule in the form of Akil,
//! Rosenbaum & Josić (`../shared/spec/plasticity.md` §4): one update at each presynaptic spike
//! of `k` and one at each postsynaptic spike of `j`,
//!
//! ```text
//! pre spike of k:   J_jk ← J_jk + f_pre(J_jk, x_j)
//! post spike of j:  J_jk ← J_jk + f_post(J_jk, x_k)
//! ```
//!
//! with traces `dx/dt = −x/τ_STDP + S(t)`. The simulator calls [`PlasticProjection::after_spikes`]
//! after the step's spikes are known and delivered (so delivery used the weights before the
//! update), with the traces before this step's spikes are added, then advances the traces:
//! `x[S] += 1`, `x ← d·x` (the reference's order, §3 steps 4–7). Rules act only in trials
//! that hold the network exclusively (training and untrained simulation), never in frozen test
//! trials.

mod pair_rules;
mod projection;
pub mod rules;
mod stdp;

pub use pair_rules::PairRules;
pub use projection::{PlasticProjection, WeightRecord};
pub use rules::{Hebbian, Homeostatic, Kohonen, Oja, SignedBounds, SoftHebbian, Triplet};
pub use stdp::AdditiveStdp;

use crate::network::SpikingNetwork;

/// What a synapse rule sees of the simulator's state at its hook.
#[derive(Debug, Clone, Copy)]
pub struct RuleView<'a> {
    /// Step within the trial (1-based).
    pub step: u64,
    /// Condition of the trial.
    pub condition: usize,
    /// Neurons that spiked in this step (empty before integration).
    pub spiked: &'a [u32],
    /// Every neuron's own filtered spike train `r` (the presynaptic traces RLS sees).
    pub own_traces: &'a [f64],
    /// The feed-forward units' traces `s`.
    pub feedforward_traces: &'a [f64],
    /// Excitatory static input `x_E`.
    pub x_exc: &'a [f64],
    /// Inhibitory static input `x_I`.
    pub x_inh: &'a [f64],
}

/// Something that changes the network's weights during a trial that holds it exclusively. The
/// loop calls every rule of the trial at two fixed places (`simulate` steps 1 and 5); both
/// hooks do nothing by default.
pub trait SynapseRule {
    /// Step 1: before the neurons integrate, from the state at the end of the previous step.
    fn before_integration(&mut self, _net: &mut SpikingNetwork, _view: &RuleView<'_>) {}
    /// Step 5: after this step's spikes were delivered.
    fn after_spikes(&mut self, _net: &mut SpikingNetwork, _view: &RuleView<'_>) {}
}

/// A pair rule: the weight change of one synapse at a presynaptic and at a postsynaptic spike.
pub trait PairRule: Send + Sync + std::fmt::Debug {
    /// `f_pre(J, x_post)`: the change at a presynaptic spike, given the weight and the
    /// postsynaptic trace.
    fn on_pre(&self, w: f64, x_post: f64) -> f64;
    /// `f_post(J, x_pre)`: the change at a postsynaptic spike.
    fn on_post(&self, w: f64, x_pre: f64) -> f64;
    /// Hard bounds `[min, max]` the weight is kept in after every change.
    fn bounds(&self) -> (f64, f64) {
        (f64::NEG_INFINITY, f64::INFINITY)
    }
}
