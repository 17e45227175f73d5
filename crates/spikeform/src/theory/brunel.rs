//! Brunel (2000) model A: the self-consistent mean-field rate of a sparsely connected network of
//! identical excitatory and inhibitory LIF neurons (`balanced-theory.md` §4).
//!
//! Each neuron receives C_E excitatory inputs of weight J, C_I = γ·C_E inhibitory inputs of
//! weight −gJ and C_E external Poisson inputs of weight J at rate ν_ext = η·ν_thr, where
//! ν_thr = θ/(J·C_E·τ) is the external rate that brings the mean free membrane potential to
//! threshold. With every neuron firing at ν (all rates in spikes/ms, τ in ms, potentials in mV):
//!
//! - μ(ν) = C_E·J·τ·[ν_ext + ν(1 − gγ)]
//! - σ²(ν) = J²·C_E·τ·[ν_ext + ν(1 + g²γ)]
//! - ν = F(ν) = [τ_rp + τ√π∫_{(V_r−μ)/σ}^{(θ−μ)/σ} e^{u²}(1 + erf u) du]⁻¹ (the Siegert
//!   function, [`LifTransfer`]).
//!
//! The fixed point is found with Brent's method on F(ν) − ν over (0, 1/τ_rp): F(0) ≥ 0 and
//! F(1/τ_rp) < 1/τ_rp, so the bracket always holds a root (the smallest-bracket root Brent
//! converges to; for g > 4 the fixed point is unique in practice).
//!
//! Balanced limit: for C_E → ∞ with J ∝ 1/√C_E and ν_ext fixed, ν → ν_ext/(gγ − 1), which
//! requires gγ > 1; the deficit shrinks like C_E^{−1/2}.
//!
//! The synaptic delay D does not enter the stationary rate and is not a parameter here.

use super::roots::brent;
use super::siegert::LifTransfer;
use super::TheoryError;

/// Brunel's model A parameters. Rates are in Hz in the public methods, times in ms and
/// potentials in mV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrunelModelA {
    /// Number of excitatory inputs per neuron, C_E (Brunel: 1000).
    pub c_e: f64,
    /// γ = C_I/C_E (Brunel: 0.25).
    pub gamma: f64,
    /// Excitatory PSP amplitude J (mV).
    pub j_mv: f64,
    /// Relative strength of inhibition g (inhibitory PSP = −gJ).
    pub g: f64,
    /// External drive relative to threshold, η = ν_ext/ν_thr.
    pub eta: f64,
    /// Threshold θ (mV; Brunel: 20).
    pub theta_mv: f64,
    /// Reset V_r (mV; Brunel: 10).
    pub reset_mv: f64,
    /// Membrane time constant τ (ms; Brunel: 20).
    pub tau_ms: f64,
    /// Refractory period τ_rp (ms; Brunel: 2).
    pub refractory_ms: f64,
}

/// The self-consistent state of [`BrunelModelA`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrunelState {
    /// Population rate ν (Hz).
    pub rate_hz: f64,
    /// Mean input μ(ν) (mV).
    pub mu_mv: f64,
    /// Input noise σ(ν) (mV).
    pub sigma_mv: f64,
}

impl BrunelModelA {
    /// Brunel's network (C_E = 1000, γ = 0.25, θ = 20 mV, V_r = 10 mV, τ = 20 ms, τ_rp = 2 ms)
    /// with the given J (mV), g and η.
    pub const fn new(j_mv: f64, g: f64, eta: f64) -> Self {
        BrunelModelA {
            c_e: 1000.0,
            gamma: 0.25,
            j_mv,
            g,
            eta,
            theta_mv: 20.0,
            reset_mv: 10.0,
            tau_ms: 20.0,
            refractory_ms: 2.0,
        }
    }

    /// The same model with η chosen so that the external rate is `nu_ext_hz`:
    /// η = ν_ext/ν_thr (ν_thr depends on J, C_E, τ and θ).
    pub fn with_external_rate_hz(mut self, nu_ext_hz: f64) -> Self {
        self.eta = nu_ext_hz / self.nu_thr_hz();
        self
    }

    /// Checks that every parameter is finite and in its domain (C_E, J, τ > 0; γ, g, η,
    /// τ_rp ≥ 0; V_r < θ).
    pub fn validate(&self) -> Result<(), TheoryError> {
        let positive = [
            ("c_e", self.c_e),
            ("j_mv", self.j_mv),
            ("tau_ms", self.tau_ms),
        ];
        for (name, v) in positive {
            if !(v > 0.0 && v.is_finite()) {
                return Err(TheoryError::invalid(name, v, "must be positive and finite"));
            }
        }
        let non_negative = [
            ("gamma", self.gamma),
            ("g", self.g),
            ("eta", self.eta),
            ("refractory_ms", self.refractory_ms),
        ];
        for (name, v) in non_negative {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(TheoryError::invalid(
                    name,
                    v,
                    "must be non-negative and finite",
                ));
            }
        }
        self.transfer().validate()
    }

    /// The single-neuron transfer function (τ, θ, V_r, τ_rp of the model).
    pub fn transfer(&self) -> LifTransfer {
        LifTransfer::new(
            self.tau_ms,
            self.theta_mv,
            self.reset_mv,
            self.refractory_ms,
        )
    }

    /// ν_thr = θ/(J·C_E·τ), in Hz (10 Hz for J = 0.1 mV in Brunel's network).
    pub fn nu_thr_hz(&self) -> f64 {
        1000.0 * self.theta_mv / (self.j_mv * self.c_e * self.tau_ms)
    }

    /// ν_ext = η·ν_thr, in Hz.
    pub fn nu_ext_hz(&self) -> f64 {
        self.eta * self.nu_thr_hz()
    }

    /// μ(ν) = C_E·J·τ·[ν_ext + ν(1 − gγ)] in mV, for a population rate `nu_hz`.
    pub fn mu_mv(&self, nu_hz: f64) -> f64 {
        let nu_ext = self.nu_ext_hz() / 1000.0;
        let nu = nu_hz / 1000.0;
        self.c_e * self.j_mv * self.tau_ms * (nu_ext + nu * (1.0 - self.g * self.gamma))
    }

    /// σ(ν) = J·√(C_E·τ·[ν_ext + ν(1 + g²γ)]) in mV, for a population rate `nu_hz`.
    pub fn sigma_mv(&self, nu_hz: f64) -> f64 {
        let nu_ext = self.nu_ext_hz() / 1000.0;
        let nu = nu_hz / 1000.0;
        let var = self.j_mv
            * self.j_mv
            * self.c_e
            * self.tau_ms
            * (nu_ext + nu * (1.0 + self.g * self.g * self.gamma));
        var.sqrt()
    }

    /// F(ν): the rate (Hz) of a neuron whose input is μ(ν), σ(ν).
    pub fn output_rate_hz(&self, nu_hz: f64) -> f64 {
        self.transfer()
            .rate_hz(self.mu_mv(nu_hz), self.sigma_mv(nu_hz))
    }

    /// The self-consistent rate ν = F(ν) in Hz.
    pub fn self_consistent_rate_hz(&self) -> Result<f64, TheoryError> {
        self.self_consistent_state().map(|s| s.rate_hz)
    }

    /// The self-consistent rate with its μ and σ.
    pub fn self_consistent_state(&self) -> Result<BrunelState, TheoryError> {
        const WHAT: &str = "Brunel model A self-consistent rate";
        self.validate()?;
        let h = |nu: f64| self.output_rate_hz(nu) - nu;
        let state = |nu: f64| BrunelState {
            rate_hz: nu,
            mu_mv: self.mu_mv(nu),
            sigma_mv: self.sigma_mv(nu),
        };
        let h0 = h(0.0);
        if h0 == 0.0 {
            return Ok(state(0.0));
        }
        let hi = if self.refractory_ms > 0.0 {
            1000.0 / self.refractory_ms
        } else {
            // No refractory period: the rate is unbounded; expand until F(ν) < ν.
            let mut hi = 100.0;
            let mut found = false;
            for _ in 0..60 {
                if h(hi) < 0.0 {
                    found = true;
                    break;
                }
                hi *= 2.0;
            }
            if !found {
                return Err(TheoryError::NoBracket {
                    what: WHAT,
                    detail: format!("F(nu) > nu up to nu = {hi} Hz (runaway excitation)"),
                });
            }
            hi
        };
        let nu = brent(WHAT, h, 0.0, hi, 1e-12, 4.0 * f64::EPSILON, 200)?;
        Ok(state(nu))
    }

    /// The balanced-limit rate ν_ext/(gγ − 1) in Hz (C_E → ∞ with J ∝ 1/√C_E at fixed
    /// ν_ext). Errors if gγ ≤ 1, where no balanced state exists.
    pub fn balanced_limit_rate_hz(&self) -> Result<f64, TheoryError> {
        let gg = self.g * self.gamma;
        if gg.is_nan() || gg <= 1.0 {
            return Err(TheoryError::invalid(
                "g*gamma",
                gg,
                "the balanced limit needs inhibition to dominate, g*gamma > 1",
            ));
        }
        Ok(self.nu_ext_hz() / (gg - 1.0))
    }
}

#[cfg(test)]
// Reference values are quoted with all the digits mpmath gave.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    #[test]
    fn theory_brunel_reference_state() {
        let m = BrunelModelA::new(0.1, 5.0, 2.0);
        assert!((m.nu_thr_hz() - 10.0).abs() < 1e-12);
        assert!((m.nu_ext_hz() - 20.0).abs() < 1e-12);
        let s = m.self_consistent_state().unwrap();
        println!("Brunel (0.1 mV, g 5, eta 2): {s:?}");
        // balanced-theory.md §5: 37.950 Hz, μ = 21.025 mV, σ = 7.683 mV
        assert!((s.rate_hz - 37.95).abs() < 0.005, "{s:?}");
        assert!((s.mu_mv - 21.025).abs() < 1e-3, "{s:?}");
        assert!((s.sigma_mv - 7.683).abs() < 1e-3, "{s:?}");
        // it is a fixed point
        assert!((m.output_rate_hz(s.rate_hz) - s.rate_hz).abs() < 1e-10);
    }

    /// balanced-theory.md §4.3: (J mV, g, η), the table's MF rate, μ and σ, and the fixed
    /// point computed with mpmath (30 digits: rate Hz, μ mV, σ mV).
    #[allow(clippy::type_complexity)]
    const BRUNEL_TABLE: [((f64, f64, f64), (f64, f64, f64), (f64, f64, f64)); 7] = [
        (
            (0.1, 5.0, 2.0),
            (37.95, 21.03, 7.68),
            (37.949_697_085_763_363, 21.025_151_457_1, 7.682_907_052_3),
        ),
        (
            (0.1, 6.0, 4.0),
            (55.84, 24.16, 10.94),
            (55.841_262_376_204_38, 24.158_737_623_8, 10.939_950_856_9),
        ),
        (
            (0.1, 8.0, 2.0),
            (12.99, 14.03, 6.94),
            (12.987_524_621_288_258, 14.024_950_757_4, 6.939_566_536_35),
        ),
        (
            (0.1, 4.5, 0.9),
            (6.52, 16.37, 3.12),
            (6.516_702_268_415_075, 16.370_824_432_9, 3.114_723_342_52),
        ),
        (
            (0.2, 5.0, 2.0),
            (26.92, 13.08, 12.81),
            (26.920_587_267_419_32, 13.079_412_732_6, 12.811_690_214_4),
        ),
        (
            (0.2, 6.0, 4.0),
            (34.15, 11.71, 17.01),
            (34.145_765_072_440_57, 11.708_469_855_1, 17.004_885_197_5),
        ),
        (
            (0.2, 4.5, 0.9),
            (10.94, 12.53, 7.53),
            (10.936_138_904_383_294, 12.531_930_547_8, 7.525_973_271_69),
        ),
    ];

    #[test]
    fn theory_brunel_mean_field_table() {
        for ((j, g, eta), (rate, mu, sigma), (x_rate, x_mu, x_sigma)) in BRUNEL_TABLE {
            let s = BrunelModelA::new(j, g, eta)
                .self_consistent_state()
                .unwrap();
            println!("J {j} g {g} eta {eta}: {s:?}");
            assert!((s.rate_hz - x_rate).abs() < 1e-9, "{s:?} vs {x_rate}");
            assert!((s.mu_mv - x_mu).abs() < 1e-9, "{s:?} vs {x_mu}");
            assert!((s.sigma_mv - x_sigma).abs() < 1e-9, "{s:?} vs {x_sigma}");
            // The printed rates are correctly rounded to 0.01 Hz.
            assert!((s.rate_hz - rate).abs() <= 0.005, "{s:?} vs table {rate}");
            // Three printed μ/σ entries (14.03, 3.12, 17.01) are off by up to 0.0053 mV from
            // the correctly rounded values (14.02, 3.11, 17.00); all are within one unit of
            // the last printed digit.
            assert!((s.mu_mv - mu).abs() < 0.01, "{s:?} vs table mu {mu}");
            assert!(
                (s.sigma_mv - sigma).abs() < 0.01,
                "{s:?} vs table sigma {sigma}"
            );
        }
    }

    #[test]
    fn theory_brunel_approach_to_balanced_limit() {
        // balanced-theory.md §4.4: J = 0.1·√(1000/C_E) mV, ν_ext = 20 Hz, γ = 0.25; the
        // table's rates and μ, then mpmath fixed points (rate Hz, μ mV).
        let c_values: [f64; 5] = [1e3, 4e3, 1.6e4, 6.4e4, 2.56e5];
        #[allow(clippy::type_complexity)]
        let rows: [(f64, f64, [f64; 5], [f64; 5], [(f64, f64); 5]); 2] = [
            (
                8.0,
                20.0,
                [12.99, 16.40, 18.17, 19.08, 19.54],
                [14.02, 14.40, 14.63, 14.75, 14.82],
                [
                    (12.987_524_621_288_258, 14.024_950_757_4),
                    (16.400_877_253_049_6, 14.396_490_987_8),
                    (18.171_821_527_611_263, 14.625_427_779_1),
                    (19.078_100_186_231_184, 14.750_397_020_3),
                    (19.537_015_053_503_494, 14.815_518_287_9),
                ],
            ),
            (
                6.0,
                40.0,
                [22.85, 30.69, 35.12, 37.49, 38.73],
                [17.15, 18.63, 19.54, 20.04, 20.31],
                [
                    (22.849_792_966_980_913, 17.150_207_033_0),
                    (30.685_005_964_619_907, 18.629_988_070_8),
                    (35.115_785_392_371_65, 19.536_858_430_5),
                    (37.494_844_107_283_85, 20.041_247_141_7),
                    (38.730_765_812_637_8, 20.307_746_997_8),
                ],
            ),
        ];
        for (g, limit, rates, mus, exact) in rows {
            let mut deficits = Vec::new();
            for (k, &c_e) in c_values.iter().enumerate() {
                let mut m = BrunelModelA::new(0.1 * (1000.0 / c_e).sqrt(), g, 0.0);
                m.c_e = c_e;
                let m = m.with_external_rate_hz(20.0);
                assert!((m.nu_ext_hz() - 20.0).abs() < 1e-12);
                assert!((m.balanced_limit_rate_hz().unwrap() - limit).abs() < 1e-12);
                let s = m.self_consistent_state().unwrap();
                println!("g {g} C_E {c_e}: {s:?}");
                assert!(
                    (s.rate_hz - exact[k].0).abs() < 1e-9,
                    "{s:?} vs {:?}",
                    exact[k]
                );
                assert!(
                    (s.mu_mv - exact[k].1).abs() < 1e-9,
                    "{s:?} vs {:?}",
                    exact[k]
                );
                assert!(
                    (s.rate_hz - rates[k]).abs() <= 0.005,
                    "{s:?} vs {}",
                    rates[k]
                );
                assert!((s.mu_mv - mus[k]).abs() <= 0.005, "{s:?} vs {}", mus[k]);
                deficits.push(limit - s.rate_hz);
            }
            // the deficit roughly halves each time C_E quadruples (error ∝ C^{-1/2})
            for w in deficits.windows(2) {
                let ratio = w[1] / w[0];
                assert!(ratio > 0.4 && ratio < 0.65, "deficit ratio {ratio}");
            }
        }
    }

    #[test]
    fn theory_brunel_errors_and_edge_cases() {
        assert!(BrunelModelA::new(0.1, 4.0, 2.0)
            .balanced_limit_rate_hz()
            .is_err());
        assert!(BrunelModelA::new(-0.1, 5.0, 2.0)
            .self_consistent_rate_hz()
            .is_err());
        // no external drive: the network stays silent
        let s = BrunelModelA::new(0.1, 5.0, 0.0)
            .self_consistent_rate_hz()
            .unwrap();
        assert_eq!(s, 0.0);
        // without a refractory period the bracket is expanded
        let mut m = BrunelModelA::new(0.1, 5.0, 2.0);
        m.refractory_ms = 0.0;
        let nu = m.self_consistent_rate_hz().unwrap();
        assert!((m.output_rate_hz(nu) - nu).abs() < 1e-9 * nu);
    }
}
