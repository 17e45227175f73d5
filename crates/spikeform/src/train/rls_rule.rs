//! RLS as a synapse rule: at each learning step, before integration, every trained neuron's
//! plastic weights take one recursive-least-squares update (`rls-training.md` §3.7).

use crate::network::SpikingNetwork;
use crate::plasticity::{RuleView, SynapseRule};
use crate::train::{apply_gain, dot, LearningSchedule};

thread_local! {
    /// Each thread's inputs `ρ` and gain for one row's RLS update, kept across updates so that
    /// learning does not allocate inside the time loop.
    static LEARN_SCRATCH: std::cell::RefCell<(Vec<f64>, Vec<f64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Learning during a trial: when updates happen and toward which targets.
#[derive(Debug, Clone, Copy)]
pub struct Learning<'a> {
    /// When updates happen.
    pub schedule: LearningSchedule,
    /// Targets of this trial's condition: `targets[row * n_updates + k]` is row `row`'s target
    /// at its `k`-th update (0-based).
    pub targets: &'a [f64],
    /// Updates per trial.
    pub n_updates: usize,
}

impl SynapseRule for Learning<'_> {
    /// On a learning step, every trained neuron's update, in parallel (each neuron's update is
    /// independent and sums in a fixed order, so the thread count does not matter).
    fn before_integration(&mut self, net: &mut SpikingNetwork, view: &RuleView<'_>) {
        if self.schedule.is_learning_step(view.step) {
            let k = self.schedule.update_index(view.step) as usize - 1;
            let (targets, n_updates) = (self.targets, self.n_updates);
            let decay = silent_decay(net, self.schedule.every_steps);
            learn(net, view, decay, |row| targets[row * n_updates + k]);
        }
    }
}

/// The factor by which a plastic trace with no spike shrinks between two updates: every RLS
/// input (a trained neuron's own trace `r` and a feed-forward unit's trace `s`) decays by the
/// same per-step factor (`1 − dt/τ_P` for Euler, `e^{−dt/τ_P}` for exact integration), so over
/// `every_steps` steps by its power. The deferred RLS update uses it (`ρ' = a ρ + s`).
fn silent_decay(net: &SpikingNetwork, every_steps: u64) -> f64 {
    let per_step = net.integration.trace_decay(net.dt_ms, net.tau_plastic_ms);
    per_step.powi(i32::try_from(every_steps).unwrap_or(i32::MAX))
}

/// One RLS update of every trained neuron. The error uses the virtual plastic input
/// `w·r + w_ff·s` with the current weights, plus the known offset (static input `x_E + x_I` and
/// bias), minus the target.
fn learn(
    net: &mut SpikingNetwork,
    view: &RuleView<'_>,
    decay: f64,
    target: impl Fn(usize) -> f64 + Sync,
) {
    let RuleView {
        own_traces: r,
        feedforward_traces: s,
        x_exc,
        x_inh,
        condition,
        ..
    } = *view;
    let population_of = &net.population_of;
    let populations = &net.populations;
    net.plastic.par_for_each_row_mut(|row_index, row, weights| {
        LEARN_SCRATCH.with_borrow_mut(|(rho, gain)| {
            let n_rec = row.inputs.len();
            rho.clear();
            rho.extend(row.inputs.iter().map(|&j| r[j as usize]));
            rho.extend_from_slice(s);
            gain.resize(rho.len(), 0.0);
            let w_ff = &mut row.feedforward[condition];
            let plastic = dot(weights, &rho[..n_rec]) + dot(w_ff, &rho[n_rec..]);
            let i = row.neuron;
            let offset = x_exc[i] + x_inh[i] + populations[population_of[i]].bias;
            let error = plastic + offset - target(row_index);
            row.rls.update_gain_with_decay(rho, Some(decay), gain);
            apply_gain(weights, &gain[..n_rec], error);
            apply_gain(w_ff, &gain[n_rec..], error);
        })
    });
    net.plastic.sync_feedforward(condition);
}
