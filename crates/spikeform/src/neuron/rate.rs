//! Rate units: `τ dr/dt = −r + φ(x)`, with `x` the unit's total input.

/// The nonlinearity `φ` of a rate unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `φ(x) = max(0, x)` (the tutorial's Part 1).
    Relu,
    /// `φ(x) = tanh(x)`.
    Tanh,
    /// `φ(x) = x`.
    Linear,
}

impl Activation {
    /// `φ(x)`.
    #[inline]
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
            Activation::Linear => x,
        }
    }

    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Linear => "linear",
        }
    }
}

/// One forward-Euler step of a rate unit: `r ← r + (dt/τ)(−r + φ(x))`.
#[inline]
pub fn euler_step(r: f64, x: f64, dt_over_tau: f64, activation: Activation) -> f64 {
    r + dt_over_tau * (-r + activation.apply(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxes_to_phi_of_constant_input() {
        let mut r = 0.0;
        for _ in 0..2000 {
            r = euler_step(r, 0.7, 0.02, Activation::Tanh);
        }
        assert!((r - 0.7f64.tanh()).abs() < 1e-12);
        assert_eq!(Activation::Relu.apply(-1.0), 0.0);
    }
}
