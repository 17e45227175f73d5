//! The pair rules of Akil, Rosenbaum & Josić (`../shared/spec/plasticity.md` §4), written in
//! terms of the weight's magnitude `m = |J|` so that one rule serves excitatory and inhibitory
//! projections: a rule sees `m = s·J` (s = +1 for an excitatory presynaptic population, −1 for
//! an inhibitory one) and the weight changes by `ΔJ = s·Δm`. Inhibitory weights stay negative.
//!
//! | rule | presynaptic spike of k | postsynaptic spike of j | drift (rates r, trace τ) |
//! |---|---|---|---|
//! | [`Hebbian`] | `Δm = −η·x_j` | `Δm = +η·x_k` | covariance terms only |
//! | [`SoftHebbian`] | `Δm = −η·x_j·m` | `Δm = +η·m_max·x_k` | `η τ r_j r_k (m_max − m)` |
//! | [`Kohonen`] | `Δm = +η·β·x_j` | `Δm = −η·m` | `η r_j (β τ r_k − m)` |
//! | [`Oja`] | `Δm = +γ·η·β·x_j` | `Δm = −γ·η·x_k·m` | `γ η τ r_j r_k (β − m)` |
//! | [`Homeostatic`] (multiplicative) | `Δm = d·η·m·(x_j − α)` | `Δm = d·η·m·x_k` | `d η m r_k (2τ r_j − α)` |
//! | [`Homeostatic`] (additive, Vogels 2011) | `Δm = d·η·(x_j − α)` | `Δm = d·η·x_k` | `d η r_k (2τ r_j − α)` |
//! | [`Triplet`] | `Δm = −η·x_j·v_θ·γ₁` | `Δm = +η·x_k²·γ₂` | |
//!
//! Traces jump by 1 per spike and decay with τ_STDP. For the homeostatic rules `α = 2ρτ` (ρ the
//! target postsynaptic rate) and `d` = +1 when the presynaptic population is inhibitory
//! (inhibition strengthens while the postsynaptic neuron is above target: Vogels et al. 2011,
//! iSTDP on I→E and I→I) and −1 when it is excitatory (excitation weakens: homeostatic E→I), so
//! both drive the postsynaptic rate to ρ. Every change is followed by the hard bounds.

use super::PairRule;

/// Hard bounds and the sign of a projection's weights, shared by every rule here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedBounds {
    /// +1 for an excitatory presynaptic population, −1 for an inhibitory one.
    pub sign: f64,
    /// Lower bound of the (signed) weight.
    pub w_min: f64,
    /// Upper bound of the (signed) weight.
    pub w_max: f64,
}

impl SignedBounds {
    /// The sign of `excitatory` presynaptic weights and Dale's-law bounds: `[0, ∞)` for
    /// excitatory, `(−∞, 0]` for inhibitory.
    pub fn dale(excitatory: bool) -> Self {
        if excitatory {
            Self {
                sign: 1.0,
                w_min: 0.0,
                w_max: f64::INFINITY,
            }
        } else {
            Self {
                sign: -1.0,
                w_min: f64::NEG_INFINITY,
                w_max: 0.0,
            }
        }
    }
}

/// Implements [`PairRule`] for a rule given by its magnitude updates `pre(m, x_post)` and
/// `post(m, x_pre)`.
macro_rules! magnitude_rule {
    ($rule:ty, |$s:ident, $m:ident, $x:ident| pre: $pre:expr, post: $post:expr) => {
        #[allow(unused_variables)] // a rule may ignore m or x on one side
        impl PairRule for $rule {
            fn on_pre(&self, w: f64, $x: f64) -> f64 {
                let ($s, $m) = (self, self.bounds.sign * w);
                self.bounds.sign * $pre
            }
            fn on_post(&self, w: f64, $x: f64) -> f64 {
                let ($s, $m) = (self, self.bounds.sign * w);
                self.bounds.sign * $post
            }
            fn bounds(&self) -> (f64, f64) {
                (self.bounds.w_min, self.bounds.w_max)
            }
        }
    };
}

/// Classical Hebbian with hard bounds: `Δm = −η x_j` at a presynaptic spike, `+η x_k` at a
/// postsynaptic one; the rate terms cancel, so only correlations move the weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hebbian {
    /// Learning rate η (> 0).
    pub eta: f64,
    /// Sign and bounds.
    pub bounds: SignedBounds,
}
magnitude_rule!(Hebbian, |r, _m, x| pre: -r.eta * x, post: r.eta * x);

/// Weight-dependent ("soft") Hebbian: `Δm = −η x_j m` and `+η m_max x_k`, fixed point
/// `m* = m_max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftHebbian {
    /// Learning rate η (> 0).
    pub eta: f64,
    /// The soft bound m_max (> 0, a magnitude).
    pub m_max: f64,
    /// Sign and bounds.
    pub bounds: SignedBounds,
}
magnitude_rule!(SoftHebbian, |r, m, x| pre: -r.eta * x * m, post: r.eta * r.m_max * x);

/// Kohonen's rule: `Δm = +η β x_j` and `−η m`; per synapse `m* = β τ r_k`, relaxing in
/// `1/(η r_j)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kohonen {
    /// Learning rate η (> 0).
    pub eta: f64,
    /// β (> 0, weight units per unit of trace).
    pub beta: f64,
    /// Sign and bounds.
    pub bounds: SignedBounds,
}
magnitude_rule!(Kohonen, |r, m, x| pre: r.eta * r.beta * x, post: -r.eta * m);

/// Oja-type rule: `Δm = +γ η β x_j` and `−γ η x_k m`, fixed point `m* = β`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oja {
    /// Learning rate η (> 0).
    pub eta: f64,
    /// γ (> 0).
    pub gamma: f64,
    /// β (> 0, a magnitude).
    pub beta: f64,
    /// Sign and bounds.
    pub bounds: SignedBounds,
}
magnitude_rule!(Oja, |r, m, x| pre: r.gamma * r.eta * r.beta * x, post: -r.gamma * r.eta * x * m);

/// Homeostatic STDP toward a postsynaptic target rate ρ (`α = 2ρτ`): multiplicative (Akil et
/// al.) or additive (Vogels et al. 2011). `direction` is +1 on inhibitory and −1 on excitatory
/// presynaptic populations (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homeostatic {
    /// Learning rate |η| (> 0): `|η₀/J_norm|` for the multiplicative form.
    pub eta: f64,
    /// α = 2ρτ (trace units).
    pub alpha: f64,
    /// Whether the changes are proportional to the magnitude m.
    pub multiplicative: bool,
    /// Sign and bounds.
    pub bounds: SignedBounds,
}

impl Homeostatic {
    /// `d·η·m` (multiplicative) or `d·η` (additive), with `d = −sign`.
    fn rate(&self, m: f64) -> f64 {
        let scale = if self.multiplicative { m } else { 1.0 };
        -self.bounds.sign * self.eta * scale
    }
}
magnitude_rule!(Homeostatic, |r, m, x| pre: r.rate(m) * (x - r.alpha), post: r.rate(m) * x);

/// Triplet-like rule with one trace per neuron: `Δm = −η x_j v_θ γ₁` at a presynaptic spike,
/// `+η x_k² γ₂` at a postsynaptic one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triplet {
    /// Learning rate η (> 0).
    pub eta: f64,
    /// v_θ (trace units, e.g. 10 Hz·τ_STDP = 2).
    pub v_theta: f64,
    /// γ₁ (≥ 0).
    pub gamma1: f64,
    /// γ₂ (≥ 0).
    pub gamma2: f64,
    /// Sign and bounds.
    pub bounds: SignedBounds,
}
magnitude_rule!(Triplet, |r, _m, x| pre: -r.eta * x * r.v_theta * r.gamma1, post: r.eta * x * x * r.gamma2);

#[cfg(test)]
mod tests {
    use super::*;

    const EXC: SignedBounds = SignedBounds {
        sign: 1.0,
        w_min: 0.0,
        w_max: f64::INFINITY,
    };
    const INH: SignedBounds = SignedBounds {
        sign: -1.0,
        w_min: f64::NEG_INFINITY,
        w_max: 0.0,
    };

    /// The spec's table in its own signed form: iSTDP on I→E with η = η₀/J_norm < 0 reads
    /// `ΔJ = −η(x_j − α)J` and `ΔJ = −η x_k J`; homeostatic E→I with η > 0 the same.
    #[test]
    fn homeostatic_matches_the_signed_form_of_the_spec() {
        let (eta, alpha) = (0.003, 4.0);
        let ei = Homeostatic {
            eta,
            alpha,
            multiplicative: true,
            bounds: INH,
        };
        let (j, x) = (-2.1, 5.5);
        let signed_eta = -eta; // η₀/J_norm with J_norm < 0
        assert!((ei.on_pre(j, x) - (-signed_eta * (x - alpha) * j)).abs() < 1e-15);
        assert!((ei.on_post(j, x) - (-signed_eta * x * j)).abs() < 1e-15);
        assert!(
            ei.on_pre(j, 5.0) < 0.0,
            "above target: inhibition strengthens"
        );
        assert!(ei.on_pre(j, 3.0) > 0.0, "below target: inhibition weakens");
        let ie = Homeostatic { bounds: EXC, ..ei };
        let j = 1.6;
        assert!((ie.on_pre(j, x) - (-eta * (x - alpha) * j)).abs() < 1e-15);
        assert!((ie.on_post(j, x) - (-eta * x * j)).abs() < 1e-15);
        let vogels = Homeostatic {
            multiplicative: false,
            ..ei
        };
        assert!((vogels.on_pre(-2.1, x) - -(eta * (x - alpha))).abs() < 1e-15);
        assert!((vogels.on_post(-2.1, x) - -(eta * x)).abs() < 1e-15);
    }

    /// Each rule's expected drift `E[Δ]` for independent Poisson pre and post trains at rates
    /// r_k, r_j (traces' means τr) vanishes at the fixed point the theory gives.
    #[test]
    fn drifts_vanish_at_the_theoretical_fixed_points() {
        let (tau, r_pre, r_post) = (200.0, 0.006, 0.008);
        // drift per ms: r_k·f_pre(J, τ r_j) + r_j·f_post(J, τ r_k)
        let drift = |rule: &dyn PairRule, w: f64| {
            r_pre * rule.on_pre(w, tau * r_post) + r_post * rule.on_post(w, tau * r_pre)
        };
        let k = Kohonen {
            eta: 0.01,
            beta: 2.0,
            bounds: EXC,
        };
        assert!(drift(&k, 2.0 * tau * r_pre).abs() < 1e-15);
        let soft = SoftHebbian {
            eta: 0.01,
            m_max: 30.0,
            bounds: EXC,
        };
        assert!(drift(&soft, 30.0).abs() < 1e-15);
        assert!(drift(&soft, 25.0) > 0.0);
        let oja = Oja {
            eta: 0.01,
            gamma: 1.0,
            beta: 25.0,
            bounds: EXC,
        };
        assert!(drift(&oja, 25.0).abs() < 1e-15);
        let heb = Hebbian {
            eta: 0.01,
            bounds: EXC,
        };
        assert!(drift(&heb, 1.0).abs() < 1e-15, "rate terms cancel");
        let istdp = Homeostatic {
            eta: 0.01,
            alpha: 2.0 * r_post * tau,
            multiplicative: true,
            bounds: INH,
        };
        assert!(drift(&istdp, -2.0).abs() < 1e-15);
        // Kohonen on an inhibitory projection: the magnitude goes to β τ r_k
        let k_inh = Kohonen { bounds: INH, ..k };
        assert!(drift(&k_inh, -2.0 * tau * r_pre).abs() < 1e-15);
        assert!(drift(&k_inh, -1.0) < 0.0, "magnitude grows toward 2.4");
    }
}
