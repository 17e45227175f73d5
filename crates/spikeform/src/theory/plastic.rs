//! Mean-field theory of a two-population (E, I) balanced network with an external layer X
//! under spike-timing-dependent plasticity (Akil, Rosenbaum & Josić 2021;
//! `../shared/spec/plasticity.md` §5).
//!
//! # Units and notation
//!
//! Rates are in kHz (spikes/ms), times in ms. The network is described by its mean couplings
//! `W_ab` (post a, pre b) and its external drive `X_a = W_x,a · r_x`, written so that the mean
//! input of population a is `√N·(W r + X)_a`. Two ways of writing them give the same rates:
//!
//! - Akil's units: `W_ab = p·q_b·j_ab`, `W_x,a = p·q_x·j_ax`, weights `j = √N·J`; then the
//!   per-synapse factor that turns a weight `j_ab` into `W_ab` is `p·q_b`;
//! - raw units: `W'_ab = K_ab·J_ab` (mean in-degree times weight) and `X'_a` the mean external
//!   current per ms; the factor is `K_ab`, and fixed points come out as raw weights `J`.
//!
//! [`TwoPopulationMeanField::scale`] holds that factor, so fixed-point weights are returned in
//! the units the weights were given in.
//!
//! # What is computed
//!
//! - balanced rates `r = −W⁻¹X` and their finite-N form `r = W⁻¹(μ/√N − X)` from measured
//!   net inputs μ (§5.1);
//! - population spike-count covariances in windows `T_w` (§5.2):
//!   `C̄ = T_w·c·r rᵀ/r_x` for input correlation c > 0 and `C̄ = T_w·r rᵀ/(N_x·r_x)` for c = 0
//!   (N_x external units);
//! - homeostatic iSTDP (§5.4): every E rate is driven to `α/(2τ + κ·c/r_x)`, `α = 2ρτ`, and
//!   the mean I→E weight follows from the balance of the E row; with II plasticity too, the I
//!   rate is driven the same way and both inhibitory weights are fixed;
//! - Kohonen on E→E: the population fixed points `j = β·τ·r_e(j)`, two roots annihilating in a
//!   saddle-node at `β_c = a²/(4bτn)` for `r_e(j) = n/(a − b·j)`;
//! - the relaxation time of the iSTDP weights (§5.5),
//!   `τ_w = 1/(η·r_i*·2τ·|∂r_e/∂ln|w_ei||)`.

use super::TheoryError;

/// A two-population balanced network: mean couplings, external drive and the per-synapse
/// factor of each coupling. Index 0 is E, 1 is I.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoPopulationMeanField {
    /// `W_ab`, post a, pre b (inhibitory columns negative).
    pub w: [[f64; 2]; 2],
    /// External drive `X_a = W_x,a·r_x` (rates come out in the unit of X/W).
    pub x: [f64; 2],
    /// `W_ab = scale_ab · weight_ab`: `p·q_b` (Akil's j units) or `K_ab` (raw weights).
    pub scale: [[f64; 2]; 2],
    /// Rate of each external unit r_x (kHz).
    pub r_x: f64,
    /// Number of external units N_x (for the c = 0 covariances).
    pub n_x: f64,
}

/// Rates (kHz) and weights at an iSTDP fixed point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IstdpFixedPoint {
    /// E rate (kHz).
    pub r_e: f64,
    /// I rate (kHz).
    pub r_i: f64,
    /// Mean I→E weight (units of the weights, e.g. j).
    pub w_ei: f64,
    /// Mean I→I weight (the static one when II is not plastic).
    pub w_ii: f64,
}

/// The two Kohonen fixed points of the mean E→E weight (stable lower, unstable upper).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KohonenFixedPoints {
    /// The stable (lower) root.
    pub stable: f64,
    /// The unstable (upper) root.
    pub unstable: f64,
    /// E and I rates (kHz) at the stable root.
    pub rates_at_stable: [f64; 2],
}

fn det(w: &[[f64; 2]; 2]) -> f64 {
    w[0][0] * w[1][1] - w[0][1] * w[1][0]
}

impl TwoPopulationMeanField {
    /// Akil et al.'s network written in j units: connection probability `p` everywhere,
    /// population fractions `q = (q_e, q_i)`, `q_x`, weights `j` (post, pre), external
    /// weights `j_x`, external rate `r_x` (kHz), `n` neurons (for N_x = q_x·N).
    pub fn akil(
        j: [[f64; 2]; 2],
        j_x: [f64; 2],
        (p, q, q_x): (f64, [f64; 2], f64),
        r_x: f64,
        n: f64,
    ) -> Self {
        let scale = [[p * q[0], p * q[1]], [p * q[0], p * q[1]]];
        let mut w = [[0.0; 2]; 2];
        for a in 0..2 {
            for b in 0..2 {
                w[a][b] = scale[a][b] * j[a][b];
            }
        }
        Self {
            w,
            x: [p * q_x * j_x[0] * r_x, p * q_x * j_x[1] * r_x],
            scale,
            r_x,
            n_x: q_x * n,
        }
    }

    /// The defaults of `plasticity.md` §1.1 (N neurons): W = [[2, −3], [9, −5]],
    /// W_x = [3.6, 2.7], r_x = 10 Hz.
    pub fn akil_default(n: f64) -> Self {
        Self::akil(
            [[25.0, -150.0], [112.5, -250.0]],
            [180.0, 135.0],
            (0.1, [0.8, 0.2], 0.2),
            0.01,
            n,
        )
    }

    /// The same network with one weight (post a, pre b) replaced.
    pub fn with_weight(&self, a: usize, b: usize, weight: f64) -> Self {
        let mut m = *self;
        m.w[a][b] = m.scale[a][b] * weight;
        m
    }

    /// The mean weight (post a, pre b) in the units the weights were given in.
    pub fn weight(&self, a: usize, b: usize) -> f64 {
        self.w[a][b] / self.scale[a][b]
    }

    /// Leading-order balanced rates `r = −W⁻¹X` (kHz).
    pub fn rates(&self) -> Result<[f64; 2], TheoryError> {
        self.solve([-self.x[0], -self.x[1]])
    }

    /// Finite-N rates from the measured mean net inputs μ (O(1)):
    /// `√N·(W r + X) = μ`, so `r = W⁻¹(μ/√N − X)` (kHz).
    pub fn finite_n_rates(&self, mu: [f64; 2], n: f64) -> Result<[f64; 2], TheoryError> {
        let s = n.sqrt();
        self.solve([mu[0] / s - self.x[0], mu[1] / s - self.x[1]])
    }

    /// The O(1) mean net inputs `μ = √N·(W r + X)` at rates `r` (kHz).
    pub fn net_inputs(&self, r: [f64; 2], n: f64) -> [f64; 2] {
        let s = n.sqrt();
        [0, 1].map(|a| s * (self.w[a][0] * r[0] + self.w[a][1] * r[1] + self.x[a]))
    }

    /// `W⁻¹ b`.
    fn solve(&self, b: [f64; 2]) -> Result<[f64; 2], TheoryError> {
        let d = det(&self.w);
        if d == 0.0 || !d.is_finite() {
            return Err(TheoryError::invalid(
                "det W",
                d,
                "the balance matrix must be invertible",
            ));
        }
        let w = &self.w;
        Ok([
            (w[1][1] * b[0] - w[0][1] * b[1]) / d,
            (-w[1][0] * b[0] + w[0][0] * b[1]) / d,
        ])
    }

    /// Population spike-count covariances `[C̄_ee, C̄_ei, C̄_ii]` (spikes²) in windows of
    /// `t_w` ms at input correlation `c`: `T_w·c·r_a r_b/r_x` for c > 0 (the balanced
    /// linear response, O(1) in N) and `T_w·r_a r_b/(N_x r_x)` for c = 0 (O(1/N)).
    pub fn covariances(&self, c: f64, t_w: f64) -> Result<[f64; 3], TheoryError> {
        let r = self.rates()?;
        let factor = if c > 0.0 {
            t_w * c / self.r_x
        } else {
            t_w / (self.n_x * self.r_x)
        };
        Ok([
            factor * r[0] * r[0],
            factor * r[0] * r[1],
            factor * r[1] * r[1],
        ])
    }

    /// The rate a homeostatic pair rule with target `rho` (kHz), trace time constant `tau`
    /// (ms) and input correlation `c` drives its postsynaptic population to:
    /// `r·(2τ·r − α) + κ·c·r²/r_x = 0` with `α = 2ρτ`, so `r = α/(2τ + κ·c/r_x)`.
    pub fn homeostatic_rate(&self, rho: f64, tau: f64, c: f64, kappa: f64) -> f64 {
        2.0 * rho * tau / (2.0 * tau + kappa * c / self.r_x)
    }

    /// The fixed point of homeostatic iSTDP on I→E only (target `rho_e` kHz): `r_e` from
    /// [`Self::homeostatic_rate`] (κ = 1), `r_i` from the I row
    /// `r_i = (W_ie r_e + X_i)/(−W_ii)`, and the I→E weight from the E row
    /// `W_ei = −(W_ee r_e + X_e)/r_i`.
    pub fn istdp_fixed_point(&self, rho_e: f64, tau: f64, c: f64) -> IstdpFixedPoint {
        let r_e = self.homeostatic_rate(rho_e, tau, c, 1.0);
        let r_i = (self.w[1][0] * r_e + self.x[1]) / -self.w[1][1];
        let w_ei = -(self.w[0][0] * r_e + self.x[0]) / r_i;
        IstdpFixedPoint {
            r_e,
            r_i,
            w_ei: w_ei / self.scale[0][1],
            w_ii: self.weight(1, 1),
        }
    }

    /// The fixed point of homeostatic iSTDP on I→E and on I→I (targets `rho_e`, `rho_i`):
    /// both rates are driven to their homeostatic values, and the two inhibitory weights
    /// follow from the rows `W_ab r_b = −(W_aE r_e + X_a)` with b = I.
    pub fn istdp_ei_ii_fixed_point(
        &self,
        (rho_e, rho_i): (f64, f64),
        tau: f64,
        c: f64,
    ) -> IstdpFixedPoint {
        let r_e = self.homeostatic_rate(rho_e, tau, c, 1.0);
        let r_i = self.homeostatic_rate(rho_i, tau, c, 1.0);
        IstdpFixedPoint {
            r_e,
            r_i,
            w_ei: -(self.w[0][0] * r_e + self.x[0]) / r_i / self.scale[0][1],
            w_ii: -(self.w[1][0] * r_e + self.x[1]) / r_i / self.scale[1][1],
        }
    }

    /// `|∂r_e/∂ln|W_ei||` (kHz) at the rates of the current couplings:
    /// `∂r_e/∂W_ei = (X_i + W_ie r_e)/det W`.
    pub fn rate_sensitivity_to_ei(&self) -> Result<f64, TheoryError> {
        let r = self.rates()?;
        Ok((self.w[0][1] * (self.x[1] + self.w[1][0] * r[0]) / det(&self.w)).abs())
    }

    /// The relaxation time (ms) of multiplicative iSTDP on I→E at learning rate `eta` (the
    /// magnitude of η per spike, `η₀/|J_norm|`), trace `tau` (ms), target `rho_e` (kHz):
    /// `τ_w = 1/(η·r_i*·2τ·|∂r_e/∂ln|W_ei||)`, linearised at the fixed point.
    pub fn istdp_relaxation_time(&self, eta: f64, tau: f64, rho_e: f64) -> f64 {
        let fp = self.istdp_fixed_point(rho_e, tau, 0.0);
        let at = self.with_weight(0, 1, fp.w_ei);
        match at.rate_sensitivity_to_ei() {
            Ok(s) => 1.0 / (eta * fp.r_i * 2.0 * tau * s),
            Err(_) => f64::NAN,
        }
    }

    /// `r_e(w_ee) = n/(a − b·w_ee)` (kHz) as E→E varies: `(n, a, b)` with
    /// `n = W_ei X_i − W_ii X_e`, `a = −W_ei W_ie`, `b = −scale_ee·W_ii`.
    pub fn kohonen_rate_law(&self) -> (f64, f64, f64) {
        let w = &self.w;
        (
            w[0][1] * self.x[1] - w[1][1] * self.x[0],
            -w[0][1] * w[1][0],
            -self.scale[0][0] * w[1][1],
        )
    }

    /// The population fixed points of Kohonen's rule on E→E, `w = β·τ·r_e(w)`:
    /// `b w² − a w + βτn = 0`; `None` beyond the saddle-node (no real root). `beta` is in
    /// the weights' units per unit of τ·r (e.g. j units, as in `β = 2`).
    pub fn kohonen_fixed_points(&self, beta: f64, tau: f64) -> Option<KohonenFixedPoints> {
        let (n, a, b) = self.kohonen_rate_law();
        let disc = a * a - 4.0 * b * beta * tau * n;
        if disc < 0.0 || b <= 0.0 {
            return None;
        }
        let (stable, unstable) = ((a - disc.sqrt()) / (2.0 * b), (a + disc.sqrt()) / (2.0 * b));
        let rates = self.with_weight(0, 0, stable).rates().ok()?;
        Some(KohonenFixedPoints {
            stable,
            unstable,
            rates_at_stable: rates,
        })
    }

    /// The saddle-node of the Kohonen fixed points: `β_c = a²/(4·b·τ·n)`.
    pub fn kohonen_saddle_node_beta(&self, tau: f64) -> f64 {
        let (n, a, b) = self.kohonen_rate_law();
        a * a / (4.0 * b * tau * n)
    }

    /// The fixed point of the weight-dependent ("soft") Hebbian rule: `J* = J_max`; of the
    /// Oja-type rule: `J* = β` (rate terms `η τ r² (bound − J)`, covariance terms neglected).
    pub fn soft_bound_fixed_point(bound: f64) -> f64 {
        bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAU: f64 = 200.0;

    fn rel(a: f64, b: f64) -> f64 {
        (a / b - 1.0).abs()
    }

    #[test]
    fn akil_balanced_rates() {
        let m = TwoPopulationMeanField::akil_default(5000.0);
        assert!((m.w[0][0] - 2.0).abs() < 1e-12 && (m.w[1][1] + 5.0).abs() < 1e-12);
        assert!((m.w[0][1] + 3.0).abs() < 1e-12 && (m.w[1][0] - 9.0).abs() < 1e-12);
        let r = m.rates().unwrap();
        assert!((r[0] * 1e3 - 99.0 / 17.0).abs() < 1e-10, "{r:?}");
        assert!((r[1] * 1e3 - 270.0 / 17.0).abs() < 1e-10, "{r:?}");
        assert!((r[0] * 1e3 - 5.8235).abs() < 5e-5 && (r[1] * 1e3 - 15.8824).abs() < 5e-5);
    }

    /// `r = W⁻¹(μ/√N − X)` inverts `μ = √N(W r + X)`, and μ = 0 is the balanced limit; a
    /// positive net input into E (as measured, μ_E ≈ 0.3) lowers r_E below the limit at
    /// finite N and the correction shrinks like 1/√N.
    #[test]
    fn finite_n_correction() {
        let m = TwoPopulationMeanField::akil_default(5000.0);
        let r = [0.006, 0.015];
        let mu = m.net_inputs(r, 5000.0);
        let back = m.finite_n_rates(mu, 5000.0).unwrap();
        assert!((back[0] - r[0]).abs() < 1e-15 && (back[1] - r[1]).abs() < 1e-15);
        assert_eq!(
            m.finite_n_rates([0.0; 2], 5000.0).unwrap(),
            m.rates().unwrap()
        );
        let limit = m.rates().unwrap();
        let d = |n: f64| (m.finite_n_rates([0.3, 0.3], n).unwrap()[0] - limit[0]).abs();
        assert!((d(1000.0) / d(4000.0) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn covariances_match_the_spec_table() {
        let at = |n: f64, c: f64| {
            TwoPopulationMeanField::akil_default(n)
                .covariances(c, 250.0)
                .unwrap()
        };
        let c0 = at(1000.0, 0.0);
        for (got, want) in c0.iter().zip([4.24e-3, 1.156e-2, 3.153e-2]) {
            assert!(rel(*got, want) < 2e-3, "{c0:?}");
        }
        let c0 = at(5000.0, 0.0);
        for (got, want) in c0.iter().zip([8.48e-4, 2.31e-3, 6.31e-3]) {
            assert!(rel(*got, want) < 2e-3, "{c0:?}");
        }
        let c1 = at(5000.0, 0.1);
        for (got, want) in c1.iter().zip([0.0848, 0.2312, 0.6306]) {
            assert!(rel(*got, want) < 1e-3, "{c1:?}");
        }
        assert_eq!(at(1000.0, 0.1), at(20000.0, 0.1), "O(1) in N for c > 0");
    }

    #[test]
    fn istdp_fixed_point_ei_only() {
        let m = TwoPopulationMeanField::akil_default(5000.0);
        let fp = m.istdp_fixed_point(0.010, TAU, 0.0);
        assert!((fp.r_e - 0.010).abs() < 1e-15);
        assert!(rel(fp.r_i, 0.0234) < 1e-12, "{fp:?}");
        assert!(rel(fp.w_ei, -119.6581) < 1e-5, "{fp:?}");
        // at the fixed point the balanced rates of the network are the target
        let r = m.with_weight(0, 1, fp.w_ei).rates().unwrap();
        assert!(rel(r[0], 0.010) < 1e-12 && rel(r[1], fp.r_i) < 1e-12);
        // with correlations (κ = 1): −120.88 (the spec's formula value)
        let fp = m.istdp_fixed_point(0.010, TAU, 0.1);
        assert!(rel(fp.w_ei, -120.88) < 1e-4, "{fp:?}");
    }

    #[test]
    fn istdp_fixed_points_ei_and_ii() {
        let m = TwoPopulationMeanField::akil_default(5000.0);
        let fp = m.istdp_ei_ii_fixed_point((0.010, 0.020), TAU, 0.0);
        assert!(
            rel(fp.w_ei, -140.0) < 1e-12 && rel(fp.w_ii, -292.5) < 1e-12,
            "{fp:?}"
        );
        let fp = m.istdp_ei_ii_fixed_point((0.010, 0.020), TAU, 0.1);
        assert!(
            rel(fp.w_ei, -142.1) < 5e-3 && rel(fp.w_ii, -294.1) < 5e-3,
            "{fp:?}"
        );
        assert!(
            rel(fp.r_e, 0.009756) < 1e-4 && rel(fp.r_i, 0.01951) < 1e-3,
            "{fp:?}"
        );
    }

    #[test]
    fn kohonen_fixed_points_and_saddle_node() {
        let m = TwoPopulationMeanField::akil_default(5000.0).with_weight(0, 1, -100.0);
        let (n, a, b) = m.kohonen_rate_law();
        assert!(rel(n, 0.126) < 1e-12 && rel(a, 18.0) < 1e-12 && rel(b, 0.4) < 1e-12);
        let fp = m.kohonen_fixed_points(2.0, TAU).unwrap();
        assert!((fp.stable - 3.000).abs() < 1e-3 && (fp.unstable - 42.0).abs() < 1e-3);
        assert!((fp.rates_at_stable[0] * 1e3 - 7.5).abs() < 1e-3);
        assert!((fp.rates_at_stable[1] * 1e3 - 18.9).abs() < 1e-3);
        for (beta, want) in [(1.0, 1.446), (3.0, 4.688), (3.8, 6.164)] {
            let j = m.kohonen_fixed_points(beta, TAU).unwrap().stable;
            assert!((j - want).abs() < 1e-3, "β = {beta}: {j}");
        }
        assert!((m.kohonen_saddle_node_beta(TAU) - 8.04).abs() < 5e-3);
        assert!(m.kohonen_fixed_points(8.1, TAU).is_none());
        assert!(m.kohonen_fixed_points(8.0, TAU).is_some());
        let m150 = TwoPopulationMeanField::akil_default(5000.0);
        assert!((m150.kohonen_saddle_node_beta(TAU) - 23.0).abs() < 0.05);
        let fp = m150.kohonen_fixed_points(2.0, TAU).unwrap();
        assert!(
            (fp.stable - 1.50).abs() < 5e-3 && (fp.rates_at_stable[0] * 1e3 - 3.75).abs() < 5e-3
        );
    }

    /// `τ_w = 1/(0.2275·η)` with `η = η₀√N/200`: 1.25 s at N = 5000, η₀ = 0.01.
    #[test]
    fn istdp_relaxation_time() {
        let m = TwoPopulationMeanField::akil_default(5000.0);
        let fp = m.istdp_fixed_point(0.010, TAU, 0.0);
        let s = m
            .with_weight(0, 1, fp.w_ei)
            .rate_sensitivity_to_ei()
            .unwrap();
        assert!((s - 0.0243).abs() < 1e-4, "{s}");
        let eta = 0.01 * 5000f64.sqrt() / 200.0;
        let tau_w = m.istdp_relaxation_time(eta, TAU, 0.010);
        assert!((tau_w * 0.2275 * eta - 1.0).abs() < 2e-3, "{tau_w}");
        assert!((tau_w / 1000.0 - 1.25).abs() < 0.01, "{tau_w}");
    }
}
