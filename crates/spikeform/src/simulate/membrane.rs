//! What the loops need of a neuron model: one step of the membrane and the spike test. The
//! loops are generic over it and dispatch on a population's model once per population.

use crate::neuron::{EifStep, LifStep};

/// One neuron model's step, as the loops see it.
pub(super) trait Membrane: Copy {
    /// The new voltage after one step with input `input` and scaled noise `noise`.
    fn integrate(&self, v: f64, input: f64, noise: f64) -> f64;
    /// One step without noise: what the vectorised loop computes when a population has neither
    /// noise nor refractoriness (for the LIF, the tutorial's `v += α(v_rest + I − v)`).
    #[inline(always)]
    fn drift(&self, v: f64, input: f64) -> f64 {
        self.integrate(v, input, 0.0)
    }
    /// Whether `v` is a spike.
    fn fires(&self, v: f64) -> bool;
    /// Whether spikes are `v > θ` (else `v ≥ θ`).
    const STRICT: bool;
    /// Threshold, reset, refractory period and noise.
    fn common(&self) -> &LifStep;
}

impl Membrane for LifStep {
    #[inline(always)]
    fn integrate(&self, v: f64, input: f64, noise: f64) -> f64 {
        LifStep::integrate(self, v, input, noise)
    }
    #[inline(always)]
    fn drift(&self, v: f64, input: f64) -> f64 {
        v + self.alpha * (self.v_rest + input - v)
    }
    #[inline(always)]
    fn fires(&self, v: f64) -> bool {
        v > self.threshold
    }
    const STRICT: bool = true;
    #[inline(always)]
    fn common(&self) -> &LifStep {
        self
    }
}

impl Membrane for EifStep {
    #[inline(always)]
    fn integrate(&self, v: f64, input: f64, noise: f64) -> f64 {
        EifStep::integrate(self, v, input, noise)
    }
    #[inline(always)]
    fn fires(&self, v: f64) -> bool {
        EifStep::fires(self, v)
    }
    const STRICT: bool = false;
    #[inline(always)]
    fn common(&self) -> &LifStep {
        &self.common
    }
}
