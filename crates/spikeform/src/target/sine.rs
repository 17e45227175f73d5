//! Sinusoidal targets with a random phase per unit.

use rand::Rng as _;

/// `y_i(t) = A sin(2π(t/T + φ_i)) + c_i` for `t > zero_until_ms`, and 0 before (the tutorial's
/// Part 1 sets the target to 0 until the stimulus ends).
///
/// The tutorial's Part 1 writes `A sin(2π(n − n1_i)/T) + 1` in steps with `n1_i ~ U(0, T)`,
/// which is this form with `φ_i = −n1_i/T`, equally uniform on a period. Part 2 writes
/// `0.5 sin(2π(t_k/2000 + φ_i)) + ū_i` with `t_k` shifted from network time by a constant, again
/// absorbed by the uniform phase.
#[derive(Debug, Clone, PartialEq)]
pub struct SineTargets {
    /// Amplitude A.
    pub amplitude: f64,
    /// Period T (ms).
    pub period_ms: f64,
    /// Phase φ_i of each unit, as a fraction of a period.
    pub phase: Vec<f64>,
    /// Offset c_i of each unit.
    pub offset: Vec<f64>,
    /// The target is 0 at and before this time.
    pub zero_until_ms: f64,
}

impl SineTargets {
    /// Targets for `n` units with phases drawn uniformly from `[0, 1)` and a common offset.
    pub fn random_phase(
        n: usize,
        amplitude: f64,
        period_ms: f64,
        offset: f64,
        zero_until_ms: f64,
        rng: &mut crate::rng::Rng,
    ) -> Self {
        Self {
            amplitude,
            period_ms,
            phase: (0..n).map(|_| rng.random::<f64>()).collect(),
            offset: vec![offset; n],
            zero_until_ms,
        }
    }

    /// The target of unit `i` at time `t_ms`.
    #[inline]
    pub fn value(&self, i: usize, t_ms: f64) -> f64 {
        if t_ms <= self.zero_until_ms {
            return 0.0;
        }
        self.amplitude
            * (2.0 * std::f64::consts::PI * (t_ms / self.period_ms + self.phase[i])).sin()
            + self.offset[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_has_its_period_and_zero_start() {
        let mut rng = crate::rng::stream(1, "target");
        let s = SineTargets::random_phase(3, 1.0, 100.0, 1.0, 110.0, &mut rng);
        assert_eq!(s.value(0, 100.0), 0.0);
        assert!((s.value(1, 150.0) - s.value(1, 250.0)).abs() < 1e-12);
        assert!((s.value(2, 150.0) + s.value(2, 200.0) - 2.0).abs() < 1e-12);
    }
}
