//! The rank-1 RLS update of one unit's inverse correlation matrix.

/// Inverse correlation matrix `P` of one trained unit, stored densely in f64 (row-major, full
/// symmetric matrix).
#[derive(Debug, Clone, PartialEq)]
pub struct RlsUnit {
    n: usize,
    p: Vec<f64>,
}

impl RlsUnit {
    /// A unit whose initial `P` is the given `n × n` matrix (row-major), normally `Π⁻¹`.
    ///
    /// # Panics
    /// If `p0.len() != n * n` (a programming error, not a user input).
    pub fn from_initial_p(n: usize, p0: Vec<f64>) -> Self {
        assert_eq!(p0.len(), n * n, "P0 must be n × n");
        Self { n, p: p0 }
    }

    /// A unit with `P(0) = I / λ` (ridge penalty `λ I`).
    pub fn ridge(n: usize, lambda: f64) -> Self {
        let mut p = vec![0.0; n * n];
        for i in 0..n {
            p[i * n + i] = 1.0 / lambda;
        }
        Self { n, p }
    }

    /// Number of plastic inputs.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the unit has no plastic inputs.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The current `P` (row-major `n × n`).
    pub fn p(&self) -> &[f64] {
        &self.p
    }

    /// Replace `P` (used when a checkpoint is loaded). Returns `false` on a size mismatch.
    pub fn set_p(&mut self, p: &[f64]) -> bool {
        if p.len() != self.p.len() {
            return false;
        }
        self.p.copy_from_slice(p);
        true
    }

    /// Updates `P ← P − c k kᵀ` with `k = P ρ`, `c = 1/(1 + ρᵀk)`, and writes the gain
    /// `c k = P_new ρ` into `gain`. Returns `c`.
    ///
    /// `rho` and `gain` have length `n`.
    pub fn update_gain(&mut self, rho: &[f64], gain: &mut [f64]) -> f64 {
        let n = self.n;
        debug_assert_eq!(rho.len(), n);
        debug_assert_eq!(gain.len(), n);
        // k = P ρ (written into gain)
        for (i, k_i) in gain.iter_mut().enumerate() {
            *k_i = dot(&self.p[i * n..(i + 1) * n], rho);
        }
        let c = 1.0 / (1.0 + dot(rho, gain));
        // P ← P − c k kᵀ
        for i in 0..n {
            let ck_i = c * gain[i];
            let row = &mut self.p[i * n..(i + 1) * n];
            for (p_ij, k_j) in row.iter_mut().zip(gain.iter()) {
                *p_ij -= ck_i * k_j;
            }
        }
        for k_i in gain.iter_mut() {
            *k_i *= c;
        }
        c
    }
}

/// `Σ a_i b_i`.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators let the compiler vectorise; the summation order is fixed, so results do
    // not depend on threads.
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        for l in 0..4 {
            acc[l] += a[4 * c + l] * b[4 * c + l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// `w ← w − e·gain`, the RLS weight step for error `e`.
#[inline]
pub fn apply_gain(weights: &mut [f64], gain: &[f64], error: f64) {
    for (w, g) in weights.iter_mut().zip(gain) {
        *w -= error * g;
    }
}

#[cfg(test)]
mod tests {
    use super::super::Penalty;
    use super::*;
    use nalgebra::{DMatrix, DVector};
    use rand::Rng as _;
    use rand_distr::StandardNormal;

    /// RLS after m updates equals the batch ridge solution with the same penalty matrix:
    /// w = w0 + (Π + Σ ρρᵀ)⁻¹ Σ ρ (y − b − w0ᵀρ).
    fn check_against_batch(penalty: &Penalty, n: usize, m: usize, seed: u64) -> f64 {
        let mut rng = crate::rng::stream(seed, "test");
        let pi = DMatrix::from_row_slice(n, n, &penalty.matrix());
        let mut unit = RlsUnit::from_initial_p(n, penalty.inverse().unwrap());
        let w0: Vec<f64> = (0..n)
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect();
        let true_w: Vec<f64> = (0..n)
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect();
        let mut w = w0.clone();
        let mut gain = vec![0.0; n];
        let mut a = pi.clone();
        let mut rhs = DVector::<f64>::zeros(n);
        for _ in 0..m {
            let rho: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let b: f64 = rng.sample(StandardNormal);
            let y = dot(&true_w, &rho) + 0.3 * rng.sample::<f64, _>(StandardNormal);
            let e = dot(&w, &rho) + b - y;
            unit.update_gain(&rho, &mut gain);
            apply_gain(&mut w, &gain, e);
            let r = DVector::from_vec(rho.clone());
            a += &r * r.transpose();
            rhs += &r * (y - b - dot(&w0, &rho));
        }
        let dw = a.cholesky().unwrap().solve(&rhs);
        (0..n)
            .map(|i| (w[i] - (w0[i] + dw[i])).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn rls_equals_batch_ridge_with_lambda_identity() {
        let err = check_against_batch(&Penalty::ridge(12, 0.5), 12, 200, 1);
        assert!(err < 1e-9, "max |w_rls − w_batch| = {err:e}");
    }

    #[test]
    fn rls_equals_batch_ridge_with_group_sum_penalty() {
        // The Part 3 structure in miniature: two groups of 5 with a penalty on each group's sum,
        // and a feed-forward block with its own ridge.
        let mut pen = Penalty::ridge(16, 0.04);
        pen.set_ridge(10..16, 1.0);
        pen.add_group_sum(0..5, 8.0);
        pen.add_group_sum(5..10, 8.0);
        let err = check_against_batch(&pen, 16, 300, 2);
        assert!(err < 1e-9, "max |w_rls − w_batch| = {err:e}");
    }

    #[test]
    fn p_stays_symmetric() {
        let mut unit = RlsUnit::ridge(7, 0.1);
        let mut gain = vec![0.0; 7];
        let mut rng = crate::rng::stream(3, "test");
        for _ in 0..50 {
            let rho: Vec<f64> = (0..7).map(|_| rng.random::<f64>()).collect();
            unit.update_gain(&rho, &mut gain);
        }
        let p = unit.p();
        for i in 0..7 {
            for j in 0..7 {
                assert!((p[i * 7 + j] - p[j * 7 + i]).abs() < 1e-12);
            }
        }
    }
}
