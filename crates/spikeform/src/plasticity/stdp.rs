//! Pair-based additive STDP with hard bounds (Song, Miller & Abbott 2000 in trace form).

use super::PairRule;

/// Additive STDP:
///
/// ```text
/// pre spike of k:   ΔJ_jk = −A₋ · x_j       (post before pre: depression)
/// post spike of j:  ΔJ_jk = +A₊ · x_k       (pre before post: potentiation)
/// J ← min(max(J, J_min), J_max)
/// ```
///
/// With traces that jump by 1 and decay with τ, a single pair with the presynaptic spike `Δt`
/// before the postsynaptic one changes the weight by `A₊ e^{−Δt/τ}` (exact decay; `(1 − dt/τ)`
/// per step with Euler), and by `−A₋ e^{−Δt/τ}` in the other order. The mean drift at
/// uncorrelated rates `r_pre`, `r_post` (in spikes/ms) is `(A₊ − A₋) τ r_pre r_post`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdditiveStdp {
    /// Potentiation amplitude A₊ (≥ 0).
    pub a_plus: f64,
    /// Depression amplitude A₋ (≥ 0).
    pub a_minus: f64,
    /// Lower bound J_min.
    pub w_min: f64,
    /// Upper bound J_max.
    pub w_max: f64,
}

impl PairRule for AdditiveStdp {
    fn on_pre(&self, _w: f64, x_post: f64) -> f64 {
        -self.a_minus * x_post
    }

    fn on_post(&self, _w: f64, x_pre: f64) -> f64 {
        self.a_plus * x_pre
    }

    fn bounds(&self) -> (f64, f64) {
        (self.w_min, self.w_max)
    }
}
