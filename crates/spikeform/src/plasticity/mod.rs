//! Spike-timing-dependent synapse rules on chosen projections.
//!
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

mod projection;
mod stdp;

pub use projection::PlasticProjection;
pub use stdp::AdditiveStdp;

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
