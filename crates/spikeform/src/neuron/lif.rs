//! Leaky integrate-and-fire (LIF) neurons.
//!
//! ```text
//! τ_m dv/dt = −(v − v_rest) + I(t)          v > θ  ⇒  spike, v ← v_reset, held for t_ref
//! ```
//!
//! `I` is the sum of the bias, the filtered synaptic currents and any external current. With
//! voltage noise of intensity `σ` (Brunel's convention, `τ dv = (μ − v)dt + σ√τ dW`), one
//! forward-Euler step is `v ← v + (dt/τ)(μ − v) + σ√(dt/τ) ξ`, so that simulations agree with the
//! Siegert transfer function of [`crate::theory`].

/// How the membrane equation is integrated over one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// `v ← v + (dt/τ)(I − v)`: the reference's scheme; use it to reproduce reference numbers.
    Euler,
    /// `v ← I + (v − I) e^{−dt/τ}`: exact for input held constant over the step.
    Exponential,
}

impl Integration {
    /// The factor a filtered trace keeps over one step, `x ← d·x + F/τ`: `d = 1 − dt/τ` (Euler, as
    /// the reference) or `e^{−dt/τ}` (exact).
    pub fn trace_decay(self, dt_ms: f64, tau_ms: f64) -> f64 {
        match self {
            Integration::Euler => 1.0 - dt_ms / tau_ms,
            Integration::Exponential => (-dt_ms / tau_ms).exp(),
        }
    }
}

/// Parameters of one population's LIF neurons. Voltages are dimensionless in the tutorial's
/// networks (threshold 1, reset 0) and in mV in Brunel's.
#[derive(Debug, Clone, PartialEq)]
pub struct LifParams {
    /// Membrane time constant τ_m (ms).
    pub tau_membrane_ms: f64,
    /// Resting potential (the leak's target without input).
    pub v_rest: f64,
    /// Spike threshold θ: a spike is emitted when `v > θ` (strict, as in the reference).
    pub threshold: f64,
    /// Reset potential after a spike.
    pub reset: f64,
    /// Absolute refractory period (ms): `v` is held at the reset and ignores input.
    pub refractory_ms: f64,
    /// Voltage noise intensity σ (same units as v), Brunel's convention; 0 for none.
    pub noise_sigma: f64,
    /// Initial voltage drawn uniformly from `[initial_v_min, initial_v_max)` at each trial start.
    pub initial_v_min: f64,
    /// Upper end of the initial voltage range.
    pub initial_v_max: f64,
}

impl LifParams {
    /// The tutorial's neurons: τ_m = 10 ms, θ = 1, reset 0, no refractory period, no noise,
    /// v(0) ~ U(0, 1).
    pub fn tutorial() -> Self {
        Self {
            tau_membrane_ms: 10.0,
            v_rest: 0.0,
            threshold: 1.0,
            reset: 0.0,
            refractory_ms: 0.0,
            noise_sigma: 0.0,
            initial_v_min: 0.0,
            initial_v_max: 1.0,
        }
    }
}

impl LifParams {
    /// The shared parameters of Akil et al.'s EIF neurons (`plasticity.md` §1.2; with
    /// [`super::EifParams::akil`]): τ_m = C/g_L = 15 ms, E_L = −72 mV, spike at V_th = −50 mV,
    /// reset −75 mV, no refractory period, no noise, V(0) ~ U(V_re, V_T) = U(−75, −55) mV.
    pub fn akil() -> Self {
        Self {
            tau_membrane_ms: 15.0,
            v_rest: -72.0,
            threshold: -50.0,
            reset: -75.0,
            refractory_ms: 0.0,
            noise_sigma: 0.0,
            initial_v_min: -75.0,
            initial_v_max: -55.0,
        }
    }
}

/// Per-step constants of a population, derived once from [`LifParams`] and `dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifStep {
    /// `dt/τ_m` (Euler) or `1 − e^{−dt/τ_m}` (exponential): the fraction of the way to the
    /// input-determined equilibrium covered in one step.
    pub alpha: f64,
    /// Noise added per step: `σ √(dt/τ_m)`.
    pub noise_per_step: f64,
    /// Refractory period in steps.
    pub refractory_steps: u32,
    /// Threshold.
    pub threshold: f64,
    /// Reset.
    pub reset: f64,
    /// Resting potential.
    pub v_rest: f64,
}

impl LifStep {
    /// Derives the step constants.
    pub fn new(p: &LifParams, dt_ms: f64, integration: Integration) -> Self {
        let x = dt_ms / p.tau_membrane_ms;
        Self {
            alpha: match integration {
                Integration::Euler => x,
                Integration::Exponential => -(-x).exp_m1(),
            },
            noise_per_step: p.noise_sigma * x.sqrt(),
            refractory_steps: (p.refractory_ms / dt_ms).round() as u32,
            threshold: p.threshold,
            reset: p.reset,
            v_rest: p.v_rest,
        }
    }

    /// One step of the membrane: `v ← v + α(v_rest + input − v) + noise`, where `noise` is
    /// already scaled (`noise_per_step · ξ`). Returns the new voltage (the caller tests the
    /// threshold).
    #[inline]
    pub fn integrate(&self, v: f64, input: f64, noise: f64) -> f64 {
        v + self.alpha * (self.v_rest + input - v) + noise
    }

    /// This step's voltage noise `noise_per_step · ξ` with ξ ~ N(0, 1) drawn from `rng`; 0,
    /// without a draw, when the population has no noise.
    #[inline]
    pub fn draw_noise<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if self.noise_per_step > 0.0 {
            self.noise_per_step * rng.sample::<f64, _>(rand_distr::StandardNormal)
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A noiseless LIF neuron with constant suprathreshold input I fires with period
    /// T = τ ln(I/(I − θ)) (reset 0, rest 0); check the exponential integrator against it.
    #[test]
    fn f_i_curve_matches_closed_form() {
        let p = LifParams {
            refractory_ms: 0.0,
            ..LifParams::tutorial()
        };
        let dt = 0.001;
        let step = LifStep::new(&p, dt, Integration::Exponential);
        let input = 1.5;
        let mut v = 0.0;
        let mut spikes = 0u32;
        let n_steps = (1000.0 / dt) as usize;
        for _ in 0..n_steps {
            v = step.integrate(v, input, 0.0);
            if v > step.threshold {
                v = step.reset;
                spikes += 1;
            }
        }
        let period = 10.0 * (input / (input - 1.0f64)).ln();
        let expected = 1000.0 / period;
        assert!(
            (f64::from(spikes) - expected).abs() <= 1.0,
            "{spikes} spikes, expected {expected:.2}"
        );
    }

    #[test]
    fn euler_alpha_is_dt_over_tau() {
        let s = LifStep::new(&LifParams::tutorial(), 0.1, Integration::Euler);
        assert!((s.alpha - 0.01).abs() < 1e-15);
        let s = LifStep::new(
            &LifParams {
                noise_sigma: 0.2,
                ..LifParams::tutorial()
            },
            0.1,
            Integration::Euler,
        );
        // Part 2's noise: (dt/τ)·2ξ = 0.02ξ equals σ√(dt/τ)ξ with σ = 0.2.
        assert!((s.noise_per_step - 0.02).abs() < 1e-15);
    }
}
