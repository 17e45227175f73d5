//! Penalty matrices `Π`, whose inverse is the initial `P` of RLS.

use std::ops::Range;

/// A penalty matrix `Π = diag(λ) + Σ_g μ_g 1_g 1_gᵀ`: a ridge `λ_j` on each weight and a penalty
/// `μ_g` on the sum of the weights of each group `g`.
///
/// RLS started from `P(0) = Π⁻¹` minimises `Σ e² + Δwᵀ Π Δw`, where `Δw` is the change from the
/// initial weights. In the tutorial's Part 3 network, `λ_EE = 0.04` on the 40 recurrent weights,
/// `μ = 8` on the sum of the 20 E and on the sum of the 20 I weights (so the plastic input stays
/// balanced), and `λ_FF = 1` on the 300 feed-forward weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Penalty {
    ridge: Vec<f64>,
    groups: Vec<(Range<usize>, f64)>,
}

impl Penalty {
    /// `Π = λ I` on `n` weights.
    pub fn ridge(n: usize, lambda: f64) -> Self {
        Self {
            ridge: vec![lambda; n],
            groups: Vec::new(),
        }
    }

    /// Number of weights.
    pub fn len(&self) -> usize {
        self.ridge.len()
    }

    /// Whether the penalty covers no weights.
    pub fn is_empty(&self) -> bool {
        self.ridge.is_empty()
    }

    /// Sets the ridge of the weights in `range` to `lambda`.
    pub fn set_ridge(&mut self, range: Range<usize>, lambda: f64) {
        for l in &mut self.ridge[range] {
            *l = lambda;
        }
    }

    /// Adds `μ (Σ_{j∈range} Δw_j)²` to the penalty.
    pub fn add_group_sum(&mut self, range: Range<usize>, mu: f64) {
        if mu != 0.0 && !range.is_empty() {
            self.groups.push((range, mu));
        }
    }

    /// The dense `n × n` matrix `Π` (row-major).
    pub fn matrix(&self) -> Vec<f64> {
        let n = self.len();
        let mut m = vec![0.0; n * n];
        for (j, l) in self.ridge.iter().enumerate() {
            m[j * n + j] = *l;
        }
        for (range, mu) in &self.groups {
            for a in range.clone() {
                for b in range.clone() {
                    m[a * n + b] += mu;
                }
            }
        }
        m
    }

    /// `Π⁻¹` (row-major), by Cholesky factorisation. `None` if `Π` is not positive definite
    /// (a non-positive ridge).
    pub fn inverse(&self) -> Option<Vec<f64>> {
        let n = self.len();
        let m = nalgebra::DMatrix::from_row_slice(n, n, &self.matrix());
        let inv = m.cholesky()?.inverse();
        // Symmetrise exactly so that P starts symmetric to the last bit.
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = 0.5 * (inv[(i, j)] + inv[(j, i)]);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rls-training.md §3.7 and reference #16: P(0) diagonal 23.7503, within-group off-diagonal
    /// −1.24969, between groups 0, feed-forward block identity.
    #[test]
    fn part3_initial_p_matches_reference() {
        let mut pen = Penalty::ridge(340, 0.04);
        pen.set_ridge(40..340, 1.0);
        pen.add_group_sum(0..20, 8.0);
        pen.add_group_sum(20..40, 8.0);
        let p = pen.inverse().unwrap();
        let at = |i: usize, j: usize| p[i * 340 + j];
        // closed form: (1/λ)(I − μ/(λ + μL) 1 1ᵀ)
        let diag = (1.0 / 0.04) * (1.0 - 8.0 / (0.04 + 160.0));
        let off = -(1.0 / 0.04) * 8.0 / (0.04 + 160.0);
        assert!((at(0, 0) - diag).abs() < 1e-9);
        assert!((at(0, 0) - 23.7503).abs() < 1e-4);
        assert!((at(3, 7) - off).abs() < 1e-9);
        assert!((at(3, 7) + 1.24969).abs() < 1e-5);
        assert!((at(25, 31) - off).abs() < 1e-9);
        assert!(at(3, 25).abs() < 1e-9);
        assert!((at(100, 100) - 1.0).abs() < 1e-9);
        assert!(at(100, 101).abs() < 1e-9);
        assert!(at(5, 200).abs() < 1e-9);
    }

    #[test]
    fn non_positive_ridge_is_rejected() {
        assert!(Penalty::ridge(3, 0.0).inverse().is_none());
    }
}
