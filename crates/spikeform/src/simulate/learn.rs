//! Step 1 of the loop: the RLS update of every trained neuron on a learning step.

use super::Simulator;
use crate::network::SpikingNetwork;
use crate::train::{apply_gain, dot};

thread_local! {
    /// Each thread's inputs `ρ` and gain for one row's RLS update, kept across updates so that
    /// learning does not allocate inside the time loop.
    static LEARN_SCRATCH: std::cell::RefCell<(Vec<f64>, Vec<f64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

impl Simulator {
    /// One RLS update of every trained neuron (`rls-training.md` §3.7), in parallel. The error
    /// uses the virtual plastic input `w·r + w_ff·s` with the current weights, plus the known
    /// offset (static input `x_E + x_I` and bias), minus the target.
    pub(super) fn learn(
        &mut self,
        net: &mut SpikingNetwork,
        condition: usize,
        target: impl Fn(usize) -> f64 + Sync,
    ) {
        let r = &self.r;
        let s = &self.s;
        let x_exc = &self.x_exc;
        let x_inh = &self.x_inh;
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
                row.rls.update_gain(rho, gain);
                apply_gain(weights, &gain[..n_rec], error);
                apply_gain(w_ff, &gain[n_rec..], error);
            })
        });
        net.plastic.sync_feedforward(condition);
    }
}
