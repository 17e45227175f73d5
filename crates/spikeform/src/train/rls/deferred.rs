//! The deferred low-rank update: `k = P ρ` from the columns of the inputs that spiked.
//!
//! Between two updates of one unit its filtered inputs change as
//!
//! ```text
//! ρ' = a ρ + s
//! ```
//!
//! where `a` is the decay of a silent trace over the interval (every plastic input, recurrent
//! or feed-forward, is one exponential trace with time constant `τ_P`, so `a = (1 − dt/τ_P)^m`
//! for Euler and `e^{−m dt/τ_P}` for exact integration, `m` steps between updates) and `s_j` is
//! non-zero only for inputs `j` that spiked in between. After an update `P⁺ ρ = c k` (the gain),
//! hence
//!
//! ```text
//! k' = P⁺ ρ' = a (c k) + P⁺ s,
//! P⁺ = P_fold − Σ_j c_j k_j k_jᵀ          (pending downdates, not yet folded into P)
//! P⁺ s = Σ_{i∈S} s_i P_fold[:, i] − Σ_j c_j k_j (k_j[S]ᵀ s_S)
//! ```
//!
//! which reads only the columns `S` of `P_fold` (rows, `P` being symmetric) and the pending
//! vectors. Every `block` updates the pending downdates are folded into `P` in one pass, which
//! also recomputes `k = P ρ` exactly, so rounding cannot drift for more than `block` updates.
//!
//! The support `S` is found from the inputs themselves: `s_j = ρ'_j − a ρ_j`, and input `j` is
//! silent when `|s_j| ≤ 10⁻⁹ max(|ρ'_j|, |a ρ_j|)` (an Euler trace carries a relative rounding
//! of about `m·10⁻¹⁶`; one spike adds `≥ a/τ_P`, many orders larger). Correctness never depends
//! on `a`: a wrong `a`, a trace reset at a trial start, or inputs that stop decaying put many
//! inputs in `S`, and when more than half of them are there the update folds instead (a full,
//! exact pass), which is also the cheaper choice. The first update after a flush (every loop
//! end, every checkpoint) folds too, so a run resumed from a checkpoint computes what an
//! uninterrupted run computes.

use super::storage::{Covariance, Scratch};

/// Relative size below which `ρ'_j − a ρ_j` counts as rounding, not a spike.
const SILENT: f64 = 1e-9;

/// What the deferred update remembers of the unit's previous update.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Recursion {
    /// `ρ` of the previous update.
    prev_rho: Vec<f64>,
    /// Its gain `c k = P⁺ ρ`.
    prev_gain: Vec<f64>,
    /// Whether `prev_*` describe the current `P⁺` (false at the start and after `P` is
    /// replaced).
    ready: bool,
    /// Inputs that spiked since the previous update, and their jumps `s_j`.
    support: Vec<usize>,
    jumps: Vec<f64>,
    /// Updates that took the column path and that folded (for measurements).
    pub(super) column_updates: u64,
    pub(super) fold_updates: u64,
}

impl Recursion {
    pub(super) fn new(n: usize) -> Self {
        Self {
            prev_rho: vec![0.0; n],
            prev_gain: vec![0.0; n],
            ready: false,
            support: Vec::with_capacity(n),
            jumps: Vec::with_capacity(n),
            column_updates: 0,
            fold_updates: 0,
        }
    }

    /// Forgets the previous update (after `P` was replaced).
    pub(super) fn invalidate(&mut self) {
        self.ready = false;
    }

    /// Remembers this update's `ρ` and gain `c k`.
    pub(super) fn remember(&mut self, rho: &[f64], gain: &[f64]) {
        self.prev_rho.copy_from_slice(rho);
        self.prev_gain.copy_from_slice(gain);
        self.ready = true;
    }

    /// `k = a (c k)_prev + P_fold[:, S] s_S − Σ_j c_j k_j (k_j[S]ᵀ s_S)` when the previous
    /// update is known and at most half of the inputs spiked; returns whether it did (if not,
    /// the caller folds and computes `k = P ρ` exactly).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn try_columns(
        &mut self,
        decay: f64,
        rho: &[f64],
        p: &Covariance,
        (cs, ks): (&[f64], &[f64]),
        k: &mut [f64],
        scratch: &mut Scratch,
    ) -> bool {
        let n = rho.len();
        if !self.ready || !decay.is_finite() {
            return false;
        }
        self.find_support(decay, rho);
        if 2 * self.support.len() > n {
            return false;
        }
        p.columns_product(&self.support, &self.jumps, k, scratch);
        for (j, &c) in cs.iter().enumerate() {
            let k_j = &ks[j * n..(j + 1) * n];
            let d: f64 = self
                .support
                .iter()
                .zip(&self.jumps)
                .map(|(&i, &s)| k_j[i] * s)
                .sum();
            let a = c * d;
            for (k_i, &kj_i) in k.iter_mut().zip(k_j) {
                *k_i -= a * kj_i;
            }
        }
        for (k_i, &g) in k.iter_mut().zip(&self.prev_gain) {
            *k_i += decay * g;
        }
        self.column_updates += 1;
        true
    }

    /// `S` and `s_S`: the inputs whose `ρ'_j − a ρ_j` is more than rounding.
    fn find_support(&mut self, decay: f64, rho: &[f64]) {
        self.support.clear();
        self.jumps.clear();
        for (j, (&now, &before)) in rho.iter().zip(&self.prev_rho).enumerate() {
            let decayed = decay * before;
            let s = now - decayed;
            // A NaN counts as a spike (and then forces an exact fold).
            if s.is_nan() || s.abs() > SILENT * now.abs().max(decayed.abs()) {
                self.support.push(j);
                self.jumps.push(s);
            }
        }
    }
}
