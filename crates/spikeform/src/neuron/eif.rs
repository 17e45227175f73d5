//! Exponential integrate-and-fire (EIF) neurons (Fourcaud-Trocmé et al. 2003), as in Akil,
//! Rosenbaum & Josić (2021), `../shared/spec/plasticity.md` §1.2:
//!
//! ```text
//! C dV/dt = −g_L (V − E_L) + g_L Δ_T exp((V − V_T)/Δ_T) + I(t)      V ≥ V_th ⇒ spike, V ← V_re
//! ```
//!
//! With `τ_m = C/g_L`, one forward-Euler step is
//! `V ← V + (dt/τ_m)(E_L − V + Δ_T e^{(V − V_T)/Δ_T}) + (dt/C) I + noise`. The input `I` is a
//! current (µA/cm² with `C` in µF/cm², so `I/C` is in mV/ms), not a voltage as in the LIF
//! convention of [`super::lif`]. The shared parameters (τ_m, E_L as `v_rest`, V_th as
//! `threshold`, V_re as `reset`, refractory period, noise, initial voltages) are those of
//! [`super::LifParams`]; this file adds the exponential term and the capacitance.

use super::lif::LifStep;
use super::LifParams;

/// The EIF's own parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EifParams {
    /// Soft threshold V_T of the exponential term (mV).
    pub soft_threshold: f64,
    /// Slope factor Δ_T (mV).
    pub slope: f64,
    /// Membrane capacitance C (µF/cm²): the input current is divided by it.
    pub capacitance: f64,
}

impl EifParams {
    /// Akil et al.'s neurons: V_T = −55 mV, Δ_T = 1 mV, C = 1 µF/cm².
    pub fn akil() -> Self {
        Self {
            soft_threshold: -55.0,
            slope: 1.0,
            capacitance: 1.0,
        }
    }
}

/// Per-step constants of an EIF population (always forward Euler: the exponential term has no
/// exact one-step solution).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EifStep {
    /// `dt/τ_m`.
    pub dt_over_tau: f64,
    /// `dt/C`.
    pub dt_over_c: f64,
    /// E_L.
    pub v_rest: f64,
    /// V_T.
    pub soft_threshold: f64,
    /// Δ_T.
    pub slope: f64,
    /// The threshold, reset, refractory period and noise shared with the LIF.
    pub common: LifStep,
}

impl EifStep {
    /// Derives the step constants.
    pub fn new(p: &LifParams, e: &EifParams, dt_ms: f64) -> Self {
        Self {
            dt_over_tau: dt_ms / p.tau_membrane_ms,
            dt_over_c: dt_ms / e.capacitance,
            v_rest: p.v_rest,
            soft_threshold: e.soft_threshold,
            slope: e.slope,
            common: LifStep::new(p, dt_ms, super::Integration::Euler),
        }
    }

    /// One Euler step of the membrane with input current `input` and scaled noise `noise`.
    #[inline]
    pub fn integrate(&self, v: f64, input: f64, noise: f64) -> f64 {
        let spike_current = self.slope * ((v - self.soft_threshold) / self.slope).exp();
        v + self.dt_over_tau * (self.v_rest - v + spike_current) + self.dt_over_c * input + noise
    }

    /// Whether `v` is a spike: `v ≥ V_th` (not strict, as the reference).
    #[inline]
    pub fn fires(&self, v: f64) -> bool {
        v >= self.common.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without input the neuron rests just above E_L, where the leak balances the exponential
    /// term: E_L − V + Δ_T e^{(V − V_T)/Δ_T} = 0; with a large constant current it fires
    /// regularly, with the period of the integrated ODE.
    #[test]
    fn rests_at_the_fixed_point_and_fires_with_the_ode_period() {
        let step = EifStep::new(&LifParams::akil(), &EifParams::akil(), 0.01);
        let mut v = -72.0;
        for _ in 0..200_000 {
            v = step.integrate(v, 0.0, 0.0);
        }
        let residual = -72.0 - v + (v + 55.0).exp();
        assert!(residual.abs() < 1e-9 && v > -72.0 && v < -71.99, "rest {v}");
        // Period from a fine integration of dV/dt = (E_L − V + e^{V − V_T})/τ + I (I = 2 mV/ms).
        let (i, mut v, mut t, dt) = (2.0, -75.0f64, 0.0, 1e-5);
        while v < -50.0 {
            v += dt * ((-72.0 - v + (v + 55.0).exp()) / 15.0 + i);
            t += dt;
        }
        let mut spikes = 0;
        let mut v = -75.0;
        for _ in 0..100_000 {
            v = step.integrate(v, i, 0.0);
            if step.fires(v) {
                v = -75.0;
                spikes += 1;
            }
        }
        let expected = 1000.0 / t;
        assert!(
            (f64::from(spikes) - expected).abs() <= 0.02 * expected + 1.0,
            "{spikes} vs {expected}"
        );
    }
}
