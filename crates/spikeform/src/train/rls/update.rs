//! The rank-1 RLS update of one unit's inverse correlation matrix.

use super::deferred::Recursion;
use super::storage::{Covariance, Precision, Scratch, Storage};

/// The stored elements of one or more `P` matrices (dense `M²` or packed upper triangle
/// `M(M+1)/2` values each), in the precision they are kept in, so that a checkpoint of f32
/// storage takes half the bytes of f64. f16 storage is saved as f32 (exactly: every f16 is an
/// f32), so checkpoints keep their two formats.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredP {
    /// Values of f64 storage.
    F64(Vec<f64>),
    /// Values of f32 storage.
    F32(Vec<f32>),
}

impl StoredP {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            StoredP::F64(v) => v.len(),
            StoredP::F32(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How `P` is stored and updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RlsOptions {
    /// Dense or packed symmetric.
    pub storage: Storage,
    /// f64 or f32 elements.
    pub precision: Precision,
    /// Rank-1 downdates are deferred and applied `block` at a time in the pass that computes the
    /// next `k`; in between, `k = P_base ρ − Σ_s c_s k_s (k_sᵀ ρ)` (Woodbury), so most updates
    /// only read `P`. `block = 1` applies each downdate in the next pass: the textbook update,
    /// bit for bit.
    pub block: usize,
    /// How `k = P ρ` is obtained between folds: a pass over `P` (textbook) or from the
    /// previous gain and the columns of the inputs that spiked (deferred, see
    /// [`UpdateRule::Deferred`]). With the deferred rule `block` is the fold interval.
    pub update: UpdateRule,
}

/// How each update obtains `k = P ρ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateRule {
    /// A pass over all of `P` at every update (with `block > 1`, a read-only pass between
    /// folds). The reference.
    #[default]
    Textbook,
    /// `k' = a (c k) + P⁺ s` from the previous update's gain and the columns of the inputs
    /// that spiked since (`ρ' = a ρ + s`), with pending downdates folded into `P` every
    /// `block` updates, where `k = P ρ` is recomputed exactly. Needs the decay `a` (see
    /// [`RlsUnit::update_gain_with_decay`]); equations in `deferred.rs`.
    Deferred,
}

impl Default for RlsOptions {
    /// Dense f64, block 1, textbook: the reference.
    fn default() -> Self {
        Self {
            storage: Storage::Dense,
            precision: Precision::F64,
            block: 1,
            update: UpdateRule::Textbook,
        }
    }
}

/// Inverse correlation matrix `P` of one trained unit, with its deferred downdates.
#[derive(Debug, Clone, PartialEq)]
pub struct RlsUnit {
    n: usize,
    p: Covariance,
    block: usize,
    /// Pending downdates: `c_s` and `k_s` (back to back).
    pending_c: Vec<f64>,
    pending_k: Vec<f64>,
    /// Working memory of the kernels.
    scratch: Scratch,
    /// The previous update, for the deferred rule (`None` for the textbook rule).
    recursion: Option<Recursion>,
}

impl RlsUnit {
    /// A unit whose initial `P` is the given `n × n` matrix (row-major), normally `Π⁻¹`,
    /// stored dense in f64 (the reference).
    ///
    /// # Panics
    /// If `p0.len() != n * n` (a programming error, not a user input).
    pub fn from_initial_p(n: usize, p0: Vec<f64>) -> Self {
        Self::with_options(n, &p0, RlsOptions::default())
    }

    /// A unit with initial `P = p0` (dense row-major) stored as `options` say.
    pub fn with_options(n: usize, p0: &[f64], options: RlsOptions) -> Self {
        assert_eq!(p0.len(), n * n, "P0 must be n × n");
        let block = options.block.max(1);
        Self {
            n,
            p: Covariance::from_dense(n, p0, options.storage, options.precision),
            block,
            pending_c: Vec::with_capacity(block),
            pending_k: Vec::with_capacity(block * n),
            scratch: Scratch::new(n, options.precision, block),
            recursion: match options.update {
                UpdateRule::Textbook => None,
                UpdateRule::Deferred => Some(Recursion::new(n)),
            },
        }
    }

    /// Updates of the deferred rule that took the column path and that folded (zeros for the
    /// textbook rule).
    pub fn deferred_counts(&self) -> (u64, u64) {
        self.recursion
            .as_ref()
            .map_or((0, 0), |r| (r.column_updates, r.fold_updates))
    }

    /// A unit with `P(0) = I / λ` (ridge penalty `λ I`).
    pub fn ridge(n: usize, lambda: f64) -> Self {
        let mut p = vec![0.0; n * n];
        for i in 0..n {
            p[i * n + i] = 1.0 / lambda;
        }
        Self::from_initial_p(n, p)
    }

    /// Number of plastic inputs.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the unit has no plastic inputs.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Bytes of stored `P` elements.
    pub fn bytes(&self) -> usize {
        self.p.bytes()
    }

    /// Applies the pending downdates to the stored `P`. The deferred rule also forgets its
    /// previous update (its next update folds), so that what follows a flush is the same whether
    /// or not the unit was saved to a checkpoint and restored in between.
    pub fn flush(&mut self) {
        if let Some(r) = &mut self.recursion {
            r.invalidate();
        }
        if self.pending_c.is_empty() {
            return;
        }
        let mut scratch = vec![0.0; self.n];
        let zero = vec![0.0; self.n];
        self.p.apply_then_matvec(
            &self.pending_c,
            &self.pending_k,
            &zero,
            &mut scratch,
            &mut self.scratch,
        );
        self.pending_c.clear();
        self.pending_k.clear();
    }

    /// The current `P` as a dense row-major matrix (pending downdates applied).
    pub fn p(&mut self) -> Vec<f64> {
        self.flush();
        self.p.to_dense(self.n)
    }

    /// Appends the stored elements of `P` (after applying pending downdates) to `out`, in
    /// `out`'s precision (exact when it is the storage's own).
    pub fn append_stored(&mut self, out: &mut StoredP) {
        self.flush();
        match (&self.p, out) {
            (Covariance::DenseF64(p) | Covariance::PackedF64(p), StoredP::F64(v)) => {
                v.extend_from_slice(p)
            }
            (Covariance::DenseF32(p) | Covariance::PackedF32(p), StoredP::F32(v)) => {
                v.extend_from_slice(p)
            }
            (Covariance::DenseF32(p) | Covariance::PackedF32(p), StoredP::F64(v)) => {
                v.extend(p.iter().map(|&x| f64::from(x)))
            }
            (Covariance::DenseF64(p) | Covariance::PackedF64(p), StoredP::F32(v)) => {
                v.extend(p.iter().map(|&x| x as f32))
            }
            (Covariance::DenseF16(p) | Covariance::PackedF16(p), StoredP::F32(v)) => {
                v.extend(p.iter().map(|&x| f32::from(x)))
            }
            (Covariance::DenseF16(p) | Covariance::PackedF16(p), StoredP::F64(v)) => {
                v.extend(p.iter().map(|&x| f64::from(x)))
            }
        }
    }

    /// An empty [`StoredP`] in this unit's storage precision.
    pub fn empty_stored(&self) -> StoredP {
        match &self.p {
            Covariance::DenseF64(_) | Covariance::PackedF64(_) => StoredP::F64(Vec::new()),
            Covariance::DenseF32(_)
            | Covariance::PackedF32(_)
            | Covariance::DenseF16(_)
            | Covariance::PackedF16(_) => StoredP::F32(Vec::new()),
        }
    }

    /// Number of stored elements of `P`.
    pub fn stored_len(&self) -> usize {
        match &self.p {
            Covariance::DenseF64(p) | Covariance::PackedF64(p) => p.len(),
            Covariance::DenseF32(p) | Covariance::PackedF32(p) => p.len(),
            Covariance::DenseF16(p) | Covariance::PackedF16(p) => p.len(),
        }
    }

    /// Restores elements `range` of `values` (saved by [`RlsUnit::append_stored`]) as this
    /// unit's `P`. Returns `false` on a size mismatch.
    pub fn set_stored(&mut self, values: &StoredP, range: std::ops::Range<usize>) -> bool {
        if range.len() != self.stored_len() || range.end > values.len() {
            return false;
        }
        self.pending_c.clear();
        self.pending_k.clear();
        if let Some(r) = &mut self.recursion {
            r.invalidate();
        }
        match (&mut self.p, values) {
            (Covariance::DenseF64(p) | Covariance::PackedF64(p), StoredP::F64(v)) => {
                p.copy_from_slice(&v[range])
            }
            (Covariance::DenseF32(p) | Covariance::PackedF32(p), StoredP::F32(v)) => {
                p.copy_from_slice(&v[range])
            }
            (Covariance::DenseF32(p) | Covariance::PackedF32(p), StoredP::F64(v)) => {
                for (a, &b) in p.iter_mut().zip(&v[range]) {
                    *a = b as f32;
                }
            }
            (Covariance::DenseF64(p) | Covariance::PackedF64(p), StoredP::F32(v)) => {
                for (a, &b) in p.iter_mut().zip(&v[range]) {
                    *a = f64::from(b);
                }
            }
            (Covariance::DenseF16(p) | Covariance::PackedF16(p), StoredP::F32(v)) => {
                for (a, &b) in p.iter_mut().zip(&v[range]) {
                    *a = half::f16::from_f32(b);
                }
            }
            (Covariance::DenseF16(p) | Covariance::PackedF16(p), StoredP::F64(v)) => {
                for (a, &b) in p.iter_mut().zip(&v[range]) {
                    *a = half::f16::from_f64(b);
                }
            }
        }
        true
    }

    /// Replaces `P` (a checkpoint being loaded). Returns `false` on a size mismatch.
    pub fn set_p(&mut self, p: &[f64]) -> bool {
        if p.len() != self.n * self.n {
            return false;
        }
        let (storage, precision) = match self.p {
            Covariance::DenseF64(_) => (Storage::Dense, Precision::F64),
            Covariance::DenseF32(_) => (Storage::Dense, Precision::F32),
            Covariance::PackedF64(_) => (Storage::Packed, Precision::F64),
            Covariance::PackedF32(_) => (Storage::Packed, Precision::F32),
            Covariance::DenseF16(_) => (Storage::Dense, Precision::F16),
            Covariance::PackedF16(_) => (Storage::Packed, Precision::F16),
        };
        self.pending_c.clear();
        self.pending_k.clear();
        if let Some(r) = &mut self.recursion {
            r.invalidate();
        }
        self.p = Covariance::from_dense(self.n, p, storage, precision);
        true
    }

    /// Updates `P ← P − c k kᵀ` with `k = P ρ`, `c = 1/(1 + ρᵀk)`, and writes the gain
    /// `c k = P_new ρ` into `gain`. Returns `c`.
    ///
    /// `rho` and `gain` have length `n`. The downdate itself is deferred (see [`RlsOptions`]).
    /// The deferred rule, not told the decay, folds at every update.
    pub fn update_gain(&mut self, rho: &[f64], gain: &mut [f64]) -> f64 {
        self.update_gain_with_decay(rho, None, gain)
    }

    /// [`RlsUnit::update_gain`], telling the deferred rule the factor `decay` by which a silent
    /// input's trace shrank since this unit's previous update (ignored by the textbook rule).
    pub fn update_gain_with_decay(
        &mut self,
        rho: &[f64],
        decay: Option<f64>,
        gain: &mut [f64],
    ) -> f64 {
        let n = self.n;
        debug_assert_eq!(rho.len(), n);
        debug_assert_eq!(gain.len(), n);
        let from_columns = match (&mut self.recursion, decay) {
            (Some(recursion), Some(a)) if self.pending_c.len() < self.block => recursion
                .try_columns(
                    a,
                    rho,
                    &self.p,
                    (&self.pending_c, &self.pending_k),
                    gain,
                    &mut self.scratch,
                ),
            _ => false,
        };
        if !from_columns {
            if let Some(recursion) = &mut self.recursion {
                recursion.fold_updates += 1;
            }
            if self.pending_c.len() >= self.block || self.recursion.is_some() {
                // One pass: apply the pending downdates, then k = P ρ.
                self.p.apply_then_matvec(
                    &self.pending_c,
                    &self.pending_k,
                    rho,
                    gain,
                    &mut self.scratch,
                );
                self.pending_c.clear();
                self.pending_k.clear();
            } else {
                // k = P_base ρ − Σ_s c_s k_s (k_sᵀ ρ)
                self.p.matvec(rho, gain, &mut self.scratch);
                for (s, &c) in self.pending_c.iter().enumerate() {
                    let k_s = &self.pending_k[s * n..(s + 1) * n];
                    let a = c * dot(k_s, rho);
                    for (g, k) in gain.iter_mut().zip(k_s) {
                        *g -= a * k;
                    }
                }
            }
        }
        let c = 1.0 / (1.0 + dot(rho, gain));
        self.pending_c.push(c);
        self.pending_k.extend_from_slice(gain);
        for k_i in gain.iter_mut() {
            *k_i *= c;
        }
        if let Some(recursion) = &mut self.recursion {
            recursion.remember(rho, gain);
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

/// The textbook update on a dense f64 `P` (`n × n`, row-major) that the caller keeps in a
/// buffer of its own (a learner whose state lives in a simulator's input state: the trained
/// latent readout, `input/latent_readout.rs`):
///
/// ```text
/// k = P ρ,   c = 1/(1 + ρᵀk),   P ← P − c k kᵀ,   gain = c k (= P_new ρ)
/// ```
///
/// The same arithmetic as [`RlsUnit`] with dense f64 storage, block 1 and the textbook rule,
/// bit for bit (the unit applies its downdate at the start of the next update, this one at
/// once). Returns `c`.
pub fn update_dense_in_place(p: &mut [f64], rho: &[f64], gain: &mut [f64]) -> f64 {
    let n = rho.len();
    debug_assert_eq!(p.len(), n * n);
    for (row, k_i) in p.chunks_exact(n).zip(gain.iter_mut()) {
        *k_i = dot(row, rho);
    }
    let c = 1.0 / (1.0 + dot(rho, gain));
    for (row, &k_i) in p.chunks_exact_mut(n).zip(gain.iter()) {
        let ck_i = c * k_i;
        for (p_ij, k_j) in row.iter_mut().zip(gain.iter()) {
            *p_ij -= ck_i * k_j;
        }
    }
    gain.iter_mut().for_each(|k| *k *= c);
    c
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
    use super::super::storage::{Precision, Storage};
    use super::super::Penalty;
    use super::*;
    use nalgebra::{DMatrix, DVector};
    use rand::Rng as _;
    use rand_distr::StandardNormal;

    /// RLS after m updates equals the batch ridge solution with the same penalty matrix:
    /// w = w0 + (Π + Σ ρρᵀ)⁻¹ Σ ρ (y − b − w0ᵀρ).
    fn check_against_batch(penalty: &Penalty, n: usize, m: usize, seed: u64) -> f64 {
        check_with(penalty, n, m, seed, RlsOptions::default())
    }

    fn check_with(penalty: &Penalty, n: usize, m: usize, seed: u64, options: RlsOptions) -> f64 {
        let mut rng = crate::rng::stream(seed, "test");
        let pi = DMatrix::from_row_slice(n, n, &penalty.matrix());
        let mut unit = RlsUnit::with_options(n, &penalty.inverse().unwrap(), options);
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

    /// The in-place dense update gives the unit's gains and weights bit for bit.
    #[test]
    fn the_in_place_update_is_the_units_bit_for_bit() {
        let n = 9;
        let mut rng = crate::rng::stream(4, "test");
        let mut unit = RlsUnit::ridge(n, 0.7);
        let mut p = unit.p();
        let (mut g_unit, mut g_here) = (vec![0.0; n], vec![0.0; n]);
        for _ in 0..50 {
            let rho: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let c_unit = unit.update_gain(&rho, &mut g_unit);
            let c_here = update_dense_in_place(&mut p, &rho, &mut g_here);
            assert_eq!(c_unit.to_bits(), c_here.to_bits());
            assert_eq!(g_unit, g_here);
        }
        unit.flush();
        assert_eq!(unit.p(), p);
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

    /// Every storage, precision and block size reaches the same weights as the batch solution:
    /// f64 to 1e-9, f32 to the precision its P carries.
    #[test]
    fn every_layout_equals_batch_ridge() {
        for storage in [Storage::Dense, Storage::Packed] {
            for (precision, tol) in [(Precision::F64, 1e-9), (Precision::F32, 2e-3)] {
                for block in [1, 3, 8] {
                    let options = RlsOptions {
                        storage,
                        precision,
                        block,
                        ..Default::default()
                    };
                    let mut pen = Penalty::ridge(16, 0.04);
                    pen.set_ridge(10..16, 1.0);
                    pen.add_group_sum(0..5, 8.0);
                    pen.add_group_sum(5..10, 8.0);
                    let err = check_with(&pen, 16, 300, 4, options);
                    assert!(err < tol, "{options:?}: max |w_rls − w_batch| = {err:e}");
                }
            }
        }
    }

    #[test]
    fn block_one_is_the_textbook_update_bit_for_bit() {
        let mut a = RlsUnit::ridge(6, 0.5);
        let mut b = RlsUnit::with_options(6, &a.p(), RlsOptions::default());
        let mut rng = crate::rng::stream(9, "test");
        let (mut ga, mut gb) = (vec![0.0; 6], vec![0.0; 6]);
        let mut p_manual = a.p();
        for _ in 0..20 {
            let rho: Vec<f64> = (0..6).map(|_| rng.random::<f64>()).collect();
            a.update_gain(&rho, &mut ga);
            b.update_gain(&rho, &mut gb);
            // Textbook: k = P ρ, c = 1/(1 + ρᵀk), P −= c k kᵀ.
            let k: Vec<f64> = (0..6)
                .map(|i| dot(&p_manual[i * 6..(i + 1) * 6], &rho))
                .collect();
            let c = 1.0 / (1.0 + dot(&rho, &k));
            for i in 0..6 {
                for j in 0..6 {
                    p_manual[i * 6 + j] -= c * k[i] * k[j];
                }
            }
            for i in 0..6 {
                assert_eq!(ga[i], c * k[i]);
            }
        }
        assert_eq!(a.p(), p_manual);
        assert_eq!(ga, gb);
    }

    /// Inputs like filtered spike trains: each update every trace decays by `A` and about a
    /// fifth of them jump by `1/τ` (a spike), so that `ρ' = a ρ + s` with sparse `s`.
    const A: f64 = 0.875;

    fn spiking_inputs(n: usize, m: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = crate::rng::stream(seed, "test");
        let mut rho = vec![0.0; n];
        (0..m)
            .map(|_| {
                for r in rho.iter_mut() {
                    *r *= A;
                    if rng.random::<f64>() < 0.2 {
                        *r += 1.0 / 6.7;
                    }
                }
                rho.clone()
            })
            .collect()
    }

    /// Runs `m` updates of one unit with Part 3's penalty structure on spiking inputs; returns
    /// the weights, the final `P` and the unit's (column, fold) counts.
    fn run_spiking(options: RlsOptions, n: usize, m: usize) -> (Vec<f64>, Vec<f64>, (u64, u64)) {
        let mut pen = Penalty::ridge(n, 0.04);
        pen.add_group_sum(0..n / 2, 8.0);
        let mut unit = RlsUnit::with_options(n, &pen.inverse().unwrap(), options);
        let mut rng = crate::rng::stream(7, "targets");
        let mut w = vec![0.0; n];
        let mut gain = vec![0.0; n];
        for rho in spiking_inputs(n, m, 5) {
            let y = 0.5 + rng.sample::<f64, _>(StandardNormal);
            let e = dot(&w, &rho) - y;
            unit.update_gain_with_decay(&rho, Some(A), &mut gain);
            apply_gain(&mut w, &gain, e);
        }
        let counts = unit.deferred_counts();
        (w, unit.p(), counts)
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    /// Every option against the textbook update in dense f64 (the reference) on spiking
    /// inputs, 400 updates of 60 inputs (weights up to 1.5, `P` entries up to 25): the
    /// deferred update in f64 to rounding (1e-12); f32 storage, textbook or deferred, to 5e-5 on
    /// `w` and 5e-6 on `P` (measured: 1.4e-5 and 1.4e-6); f16 storage with the deferred
    /// update to 3e-2 and 6e-3 (measured: 1.2e-2, 2.8e-3), with the textbook update only to
    /// 0.25 and 5e-2 (measured: 0.125, 2.4e-2): f16 rounds `P` at every write, which the
    /// deferred update does once per fold. Most deferred updates take the column path.
    #[test]
    fn every_option_agrees_with_the_textbook_update() {
        let (n, m) = (60, 400);
        let (w64, p64, _) = run_spiking(RlsOptions::default(), n, m);
        assert!(w64.iter().any(|x| x.abs() > 0.1), "the weights moved");
        let textbook = |storage, precision| RlsOptions {
            storage,
            precision,
            ..Default::default()
        };
        let deferred = |storage, precision| RlsOptions {
            storage,
            precision,
            block: 16,
            update: UpdateRule::Deferred,
        };
        let mut cases = vec![];
        for storage in [Storage::Dense, Storage::Packed] {
            cases.extend([
                (deferred(storage, Precision::F64), 1e-12, 1e-12),
                (textbook(storage, Precision::F32), 5e-5, 5e-6),
                (deferred(storage, Precision::F32), 5e-5, 5e-6),
                (deferred(storage, Precision::F16), 3e-2, 6e-3),
                (textbook(storage, Precision::F16), 0.25, 5e-2),
            ]);
        }
        for (options, tol_w, tol_p) in cases {
            let (w, p, (columns, folds)) = run_spiking(options, n, m);
            let (dw, dp) = (max_abs_diff(&w, &w64), max_abs_diff(&p, &p64));
            assert!(
                dw < tol_w && dp < tol_p,
                "{options:?}: |Δw| = {dw:e}, |ΔP| = {dp:e}"
            );
            if options.update == UpdateRule::Deferred {
                // One fold every 16 updates (the first update folds too).
                assert_eq!(columns + folds, m as u64);
                assert!(folds <= m as u64 / 16 + 1, "{folds} folds");
            }
        }
    }

    /// Inputs that do not follow `ρ' = a ρ + s` with sparse `s` (here: dense random inputs, or
    /// no decay given) make the deferred update fold every time: still the exact solution.
    #[test]
    fn deferred_update_folds_when_most_inputs_change() {
        let options = RlsOptions {
            block: 8,
            update: UpdateRule::Deferred,
            ..Default::default()
        };
        let mut pen = Penalty::ridge(16, 0.04);
        pen.add_group_sum(0..8, 8.0);
        let err = check_with(&pen, 16, 300, 4, options);
        assert!(err < 1e-9, "max |w_rls − w_batch| = {err:e}");
        let mut unit = RlsUnit::with_options(10, &RlsUnit::ridge(10, 0.5).p(), options);
        let mut gain = vec![0.0; 10];
        let mut rng = crate::rng::stream(1, "test");
        for _ in 0..20 {
            let rho: Vec<f64> = (0..10).map(|_| rng.random::<f64>()).collect();
            unit.update_gain_with_decay(&rho, Some(0.9), &mut gain);
        }
        assert_eq!(unit.deferred_counts(), (0, 20));
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
