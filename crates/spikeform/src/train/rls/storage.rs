//! Storage of the inverse correlation matrix `P`: dense or packed symmetric, f64, f32 or f16
//! (stored in 16 bits, computed in f32: each row widened, used, rounded back when changed), and
//! the kernels RLS needs, the first two one pass over `P`:
//!
//! - [`Covariance::matvec`]: `k = P ρ`;
//! - [`Covariance::apply_then_matvec`]: apply pending rank-1 downdates
//!   `P ← P − Σ_s c_s k_s k_sᵀ` (in order) and compute `k = P ρ` with the updated rows, reading
//!   and writing each element once;
//! - [`Covariance::columns_product`]: `Σ_m s_m P[:, j_m]` for the deferred update, reading only
//!   the columns (rows, `P` being symmetric) of the inputs that spiked.
//!
//! Packed storage keeps the upper triangle row by row (`n(n+1)/2` entries): row `i` holds
//! `P_ii, P_i,i+1, ..., P_i,n−1`. Its matrix-vector product visits each stored element once and
//! uses it twice (`k_i += P_ij ρ_j` and `k_j += P_ij ρ_i`).
//!
//! f32 storage halves the bytes moved, and its arithmetic is done in f32 (as TrainSpikingNet.jl
//! does): the matrix-vector product in 32 independent lanes, so the work is bounded by memory
//! traffic rather than by the latency of one addition chain, and the downdates elementwise (the
//! vector kernels are in `lanes.rs`). f64 storage does all arithmetic in f64. No kernel uses
//! fused multiply-add and every summation order is fixed, so results do not depend on the
//! instruction set or the thread count.

use half::f16;
use half::slice::HalfFloatSliceExt as _;

use super::lanes;
use super::update::dot;

/// Layout of `P`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Full `n × n` row-major matrix.
    Dense,
    /// Upper triangle, `n(n+1)/2` entries.
    Packed,
}

/// Precision of the stored elements of `P`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 64-bit floats (the reference).
    F64,
    /// 32-bit floats (TrainSpikingNet.jl's default): half the memory and traffic.
    F32,
    /// 16-bit floats (IEEE binary16) stored, f32 arithmetic: each row is widened to f32, used
    /// and (when changed) rounded back to nearest. A quarter of f64's memory and traffic; 11
    /// significant bits, normal numbers from 6.1e-5 to 65504 (smaller ones lose bits).
    F16,
}

/// `P` in one of the four layouts.
#[derive(Debug, Clone, PartialEq)]
pub enum Covariance {
    /// Dense f64.
    DenseF64(Vec<f64>),
    /// Dense f32.
    DenseF32(Vec<f32>),
    /// Packed f64.
    PackedF64(Vec<f64>),
    /// Packed f32.
    PackedF32(Vec<f32>),
    /// Dense f16.
    DenseF16(Vec<f16>),
    /// Packed f16.
    PackedF16(Vec<f16>),
}

fn packed_offsets(n: usize) -> impl Iterator<Item = (usize, usize)> {
    // (row, start) pairs; row i has n − i entries.
    let mut start = 0;
    (0..n).map(move |i| {
        let s = start;
        start += n - i;
        (i, s)
    })
}

impl Covariance {
    /// Stores the dense row-major `p` (symmetric) in the chosen layout.
    pub fn from_dense(n: usize, p: &[f64], storage: Storage, precision: Precision) -> Self {
        match (storage, precision) {
            (Storage::Dense, Precision::F64) => Covariance::DenseF64(p.to_vec()),
            (Storage::Dense, Precision::F32) => {
                Covariance::DenseF32(p.iter().map(|&x| x as f32).collect())
            }
            (Storage::Dense, Precision::F16) => {
                Covariance::DenseF16(p.iter().map(|&x| f16::from_f64(x)).collect())
            }
            (Storage::Packed, prec) => {
                let mut packed = Vec::with_capacity(n * (n + 1) / 2);
                for i in 0..n {
                    packed.extend_from_slice(&p[i * n + i..(i + 1) * n]);
                }
                match prec {
                    Precision::F64 => Covariance::PackedF64(packed),
                    Precision::F32 => {
                        Covariance::PackedF32(packed.iter().map(|&x| x as f32).collect())
                    }
                    Precision::F16 => {
                        Covariance::PackedF16(packed.iter().map(|&x| f16::from_f64(x)).collect())
                    }
                }
            }
        }
    }

    /// The dense row-major matrix (symmetric).
    pub fn to_dense(&self, n: usize) -> Vec<f64> {
        fn unpack<T: Copy + Into<f64>>(n: usize, p: &[T]) -> Vec<f64> {
            let mut d = vec![0.0; n * n];
            for (i, s) in packed_offsets(n) {
                for (jj, v) in p[s..s + n - i].iter().enumerate() {
                    let j = i + jj;
                    d[i * n + j] = (*v).into();
                    d[j * n + i] = (*v).into();
                }
            }
            d
        }
        match self {
            Covariance::DenseF64(p) => p.clone(),
            Covariance::DenseF32(p) => p.iter().map(|&x| f64::from(x)).collect(),
            Covariance::PackedF64(p) => unpack(n, p),
            Covariance::PackedF32(p) => unpack(n, p),
            Covariance::DenseF16(p) => p.iter().map(|&x| f64::from(x)).collect(),
            Covariance::PackedF16(p) => unpack(n, p),
        }
    }

    /// Bytes of stored elements.
    pub fn bytes(&self) -> usize {
        match self {
            Covariance::DenseF64(p) | Covariance::PackedF64(p) => p.len() * 8,
            Covariance::DenseF32(p) | Covariance::PackedF32(p) => p.len() * 4,
            Covariance::DenseF16(p) | Covariance::PackedF16(p) => p.len() * 2,
        }
    }

    /// `k = P ρ`.
    pub fn matvec(&mut self, rho: &[f64], k: &mut [f64], scratch: &mut Scratch) {
        self.apply_then_matvec(&[], &[], rho, k, scratch);
    }

    /// `P ← P − Σ_s c_s k_s k_sᵀ` for the pending `(c_s, k_s)` (`ks` holds them back to back),
    /// then `k = P ρ`, in one pass.
    /// `scratch` must have been made by [`Scratch::new`] for this `n`.
    pub fn apply_then_matvec(
        &mut self,
        cs: &[f64],
        ks: &[f64],
        rho: &[f64],
        k: &mut [f64],
        scratch: &mut Scratch,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.apply_then_matvec_avx2(cs, ks, rho, k, scratch) };
            return;
        }
        self.apply_then_matvec_generic(cs, ks, rho, k, scratch);
    }

    /// The kernels compiled for AVX2. The arithmetic is the same (no fused multiply-add, the
    /// same summation order), so results are identical to the generic build, bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn apply_then_matvec_avx2(
        &mut self,
        cs: &[f64],
        ks: &[f64],
        rho: &[f64],
        k: &mut [f64],
        scratch: &mut Scratch,
    ) {
        self.apply_then_matvec_with::<true>(cs, ks, rho, k, scratch);
    }

    fn apply_then_matvec_generic(
        &mut self,
        cs: &[f64],
        ks: &[f64],
        rho: &[f64],
        k: &mut [f64],
        scratch: &mut Scratch,
    ) {
        self.apply_then_matvec_with::<false>(cs, ks, rho, k, scratch);
    }

    #[inline(always)]
    fn apply_then_matvec_with<const AVX2: bool>(
        &mut self,
        cs: &[f64],
        ks: &[f64],
        rho: &[f64],
        k: &mut [f64],
        scratch: &mut Scratch,
    ) {
        match self {
            Covariance::DenseF64(p) => dense(p, cs, ks, rho, k),
            Covariance::DenseF32(p) => dense_f32::<AVX2>(p, cs, ks, rho, k, scratch),
            Covariance::PackedF64(p) => packed(p, cs, ks, rho, k),
            Covariance::PackedF32(p) => packed_f32::<AVX2>(p, cs, ks, rho, k, scratch),
            Covariance::DenseF16(p) => dense_f16::<AVX2>(p, cs, ks, rho, k, scratch),
            Covariance::PackedF16(p) => packed_f16::<AVX2>(p, cs, ks, rho, k, scratch),
        }
    }
}

impl Covariance {
    /// `out = Σ_{m} s_m P[:, support_m]`: the columns of the inputs in `support` (rows, `P`
    /// being symmetric), weighted by `s`. Dense storage reads `|support|` contiguous rows;
    /// packed storage gathers each column from the rows above the diagonal (strided) and the
    /// row below it. f32 storage accumulates in f32 lanes, f64 storage in f64, each in a fixed
    /// order.
    pub fn columns_product(
        &self,
        support: &[usize],
        s: &[f64],
        out: &mut [f64],
        scratch: &mut Scratch,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.columns_product_avx2(support, s, out, scratch) };
            return;
        }
        self.columns_product_with::<false>(support, s, out, scratch);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn columns_product_avx2(
        &self,
        support: &[usize],
        s: &[f64],
        out: &mut [f64],
        scratch: &mut Scratch,
    ) {
        self.columns_product_with::<true>(support, s, out, scratch);
    }

    #[inline(always)]
    fn columns_product_with<const AVX2: bool>(
        &self,
        support: &[usize],
        s: &[f64],
        out: &mut [f64],
        scratch: &mut Scratch,
    ) {
        let n = out.len();
        match self {
            Covariance::DenseF64(p) => {
                out.iter_mut().for_each(|x| *x = 0.0);
                for (&j, &s_j) in support.iter().zip(s) {
                    for (o, &p_ij) in out.iter_mut().zip(&p[j * n..(j + 1) * n]) {
                        *o += p_ij * s_j;
                    }
                }
            }
            Covariance::DenseF32(p) => {
                let acc = &mut scratch.k;
                acc.iter_mut().for_each(|x| *x = 0.0);
                for &j in support.iter().take(PREFETCH_ROWS) {
                    prefetch(&p[j * n..(j + 1) * n]);
                }
                for (m, (&j, &s_j)) in support.iter().zip(s).enumerate() {
                    if let Some(&next) = support.get(m + PREFETCH_ROWS) {
                        prefetch(&p[next * n..(next + 1) * n]);
                    }
                    lanes::axpy::<AVX2>(acc, &p[j * n..(j + 1) * n], s_j as f32);
                }
                for (o, &a) in out.iter_mut().zip(acc.iter()) {
                    *o = f64::from(a);
                }
            }
            Covariance::PackedF64(p) => packed_columns(p, support, s, out),
            Covariance::PackedF32(p) => packed_columns(p, support, s, out),
            Covariance::DenseF16(p) => {
                let (acc, row) = (&mut scratch.k, &mut scratch.row);
                acc.iter_mut().for_each(|x| *x = 0.0);
                for &j in support.iter().take(PREFETCH_ROWS) {
                    prefetch(&p[j * n..(j + 1) * n]);
                }
                for (m, (&j, &s_j)) in support.iter().zip(s).enumerate() {
                    if let Some(&next) = support.get(m + PREFETCH_ROWS) {
                        prefetch(&p[next * n..(next + 1) * n]);
                    }
                    p[j * n..(j + 1) * n].convert_to_f32_slice(row);
                    lanes::axpy::<AVX2>(acc, row, s_j as f32);
                }
                for (o, &a) in out.iter_mut().zip(acc.iter()) {
                    *o = f64::from(a);
                }
            }
            Covariance::PackedF16(p) => packed_columns(p, support, s, out),
        }
    }
}

/// How many rows ahead the column product asks for its rows.
const PREFETCH_ROWS: usize = 4;

/// Asks the CPU to bring `row` into cache (a hint; no effect on results). The column product
/// reads rows scattered through `P`, which the hardware prefetcher does not anticipate.
#[inline(always)]
fn prefetch<T>(row: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let bytes = std::mem::size_of_val(row);
        let start = row.as_ptr().cast::<i8>();
        for offset in (0..bytes).step_by(64) {
            // SAFETY: `offset < bytes`, so the address lies inside `row`; a prefetch only
            // hints and never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// `out = Σ_m s_m P[:, j_m]` from packed storage, in f64: `P_ij` for `i < j` sits in row `i`
/// at offset `j − i`, for `i ≥ j` in row `j` at offset `i − j`.
fn packed_columns<T: Copy + Into<f64>>(p: &[T], support: &[usize], s: &[f64], out: &mut [f64]) {
    let n = out.len();
    let row_start = |i: usize| i * n - i * i.saturating_sub(1) / 2;
    out.iter_mut().for_each(|x| *x = 0.0);
    for (&j, &s_j) in support.iter().zip(s) {
        for (i, o) in out[..j].iter_mut().enumerate() {
            *o += p[row_start(i) + j - i].into() * s_j;
        }
        let row_j = &p[row_start(j)..row_start(j) + n - j];
        for (o, &p_ij) in out[j..].iter_mut().zip(row_j) {
            *o += p_ij.into() * s_j;
        }
    }
}

/// Per-unit working memory of the f32 kernels, allocated once so that the time loop does not
/// allocate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scratch {
    /// The pending `k_s` rounded to f32 (back to back).
    ks: Vec<f32>,
    /// `ρ` rounded to f32.
    rho: Vec<f32>,
    /// `k` accumulated in f32.
    k: Vec<f32>,
    /// One row of f16 storage widened to f32.
    row: Vec<f32>,
}

impl Scratch {
    /// Scratch for an `n`-input unit stored in `precision` that defers up to `block` downdates
    /// (empty for f64, which needs none).
    pub fn new(n: usize, precision: Precision, block: usize) -> Self {
        match precision {
            Precision::F64 => Self::default(),
            Precision::F32 | Precision::F16 => Self {
                ks: Vec::with_capacity(block.max(1) * n),
                rho: vec![0.0; n],
                k: vec![0.0; n],
                row: if precision == Precision::F16 {
                    vec![0.0; n]
                } else {
                    Vec::new()
                },
            },
        }
    }

    /// Rounds `ρ` and the pending `k_s` to f32.
    fn load(&mut self, rho: &[f64], ks: &[f64]) {
        for (r32, &r) in self.rho.iter_mut().zip(rho) {
            *r32 = r as f32;
        }
        self.ks.clear();
        self.ks.extend(ks.iter().map(|&x| x as f32));
    }
}

#[inline(always)]
/// Dense f64: the rows' downdates, then `k_i = Σ_j P_ij ρ_j`.
fn dense(p: &mut [f64], cs: &[f64], ks: &[f64], rho: &[f64], k: &mut [f64]) {
    let n = rho.len();
    for i in 0..n {
        let row = &mut p[i * n..(i + 1) * n];
        for (s, &c) in cs.iter().enumerate() {
            let k_s = &ks[s * n..(s + 1) * n];
            let ck_i = c * k_s[i];
            for (p_ij, k_j) in row.iter_mut().zip(k_s) {
                *p_ij -= ck_i * k_j;
            }
        }
        k[i] = dot(row, rho);
    }
}

#[inline(always)]
/// Packed f64: each stored `P_ij` (`j ≥ i`) is used for `k_i += P_ij ρ_j` and, off the
/// diagonal, `k_j += P_ij ρ_i`.
fn packed(p: &mut [f64], cs: &[f64], ks: &[f64], rho: &[f64], k: &mut [f64]) {
    let n = rho.len();
    k.iter_mut().for_each(|x| *x = 0.0);
    for (i, start) in packed_offsets(n) {
        let row = &mut p[start..start + n - i];
        for (s, &c) in cs.iter().enumerate() {
            let k_s = &ks[s * n + i..(s + 1) * n];
            let ck_i = c * k_s[0];
            for (p_ij, k_j) in row.iter_mut().zip(k_s) {
                *p_ij -= ck_i * k_j;
            }
        }
        let r_i = rho[i];
        let acc = dot(row, &rho[i..]);
        for (p_ij, k_j) in row[1..].iter().zip(&mut k[i + 1..]) {
            *k_j += p_ij * r_i;
        }
        k[i] += acc;
    }
}

/// `row_j ← row_j − a_s k_s[offset + j]` with `a_s = c_s k_s[i]`, for each pending downdate `s`
/// in order: row `i`, whose stored part starts at column `offset`, in f32 (each element kept in
/// a register across the downdates, the same arithmetic as one pass per downdate).
#[inline(always)]
fn downdate_row_f32<const AVX2: bool>(
    row: &mut [f32],
    i: usize,
    offset: usize,
    cs: &[f64],
    ks: &[f32],
    n: usize,
) {
    if let [c] = cs {
        // The textbook update's one downdate: the batching below costs its set-up (the
        // coefficient array, the chunk loop) on every row, about 20% of the kernel with one
        // term (`cargo bench -p spikeform --bench rls`); the same arithmetic.
        let a = (c * f64::from(ks[i])) as f32;
        lanes::axpy::<AVX2>(row, &ks[offset..n], -a);
        return;
    }
    const MAX_AT_ONCE: usize = 32;
    let mut minus_a = [0.0f32; MAX_AT_ONCE];
    for (first, chunk) in (0..cs.len())
        .step_by(MAX_AT_ONCE)
        .zip(cs.chunks(MAX_AT_ONCE))
    {
        for (s, (&c, m)) in chunk.iter().zip(minus_a.iter_mut()).enumerate() {
            *m = -((c * f64::from(ks[(first + s) * n + i])) as f32);
        }
        lanes::axpy_many::<AVX2>(row, &ks[first * n..], n, offset, &minus_a[..chunk.len()]);
    }
}

/// Dense f32: `k_i = Σ_j P_ij ρ_j` in f32 lanes, after the row's downdates.
#[inline(always)]
fn dense_f32<const AVX2: bool>(
    p: &mut [f32],
    cs: &[f64],
    ks: &[f64],
    rho: &[f64],
    k: &mut [f64],
    scratch: &mut Scratch,
) {
    let n = rho.len();
    scratch.load(rho, ks);
    for (i, row) in p.chunks_exact_mut(n).enumerate() {
        k[i] = f64::from(dense_row_f32::<AVX2>(row, i, cs, &scratch.ks, &scratch.rho));
    }
}

/// Row `i` of the dense f32 kernel (all `n` columns, as f32): its downdates, then
/// `k_i = Σ_j P_ij ρ_j`, returned.
#[inline(always)]
fn dense_row_f32<const AVX2: bool>(
    row: &mut [f32],
    i: usize,
    cs: &[f64],
    ks32: &[f32],
    rho32: &[f32],
) -> f32 {
    downdate_row_f32::<AVX2>(row, i, 0, cs, ks32, rho32.len());
    lanes::dot::<AVX2>(row, rho32)
}

/// Row `i` of the packed f32 kernel (its stored part, from the diagonal on, as f32): its
/// downdates, then `k_i += Σ_{j≥i} P_ij ρ_j` and `k_j += P_ij ρ_i` for `j > i`.
#[inline(always)]
fn packed_row_f32<const AVX2: bool>(
    row: &mut [f32],
    i: usize,
    cs: &[f64],
    (ks32, rho32): (&[f32], &[f32]),
    k32: &mut [f32],
) {
    downdate_row_f32::<AVX2>(row, i, i, cs, ks32, rho32.len());
    let acc = lanes::dot::<AVX2>(row, &rho32[i..]);
    lanes::axpy::<AVX2>(&mut k32[i + 1..], &row[1..], rho32[i]);
    k32[i] += acc;
}

/// Packed f32: each stored `P_ij` (`j ≥ i`) is used for `k_i += P_ij ρ_j` and, off the diagonal,
/// `k_j += P_ij ρ_i`, in f32 lanes.
#[inline(always)]
fn packed_f32<const AVX2: bool>(
    p: &mut [f32],
    cs: &[f64],
    ks: &[f64],
    rho: &[f64],
    k: &mut [f64],
    scratch: &mut Scratch,
) {
    let n = rho.len();
    scratch.load(rho, ks);
    let Scratch {
        ks: ks32,
        rho: rho32,
        k: k32,
        ..
    } = scratch;
    k32.iter_mut().for_each(|x| *x = 0.0);
    for (i, start) in packed_offsets(n) {
        let row = &mut p[start..start + n - i];
        packed_row_f32::<AVX2>(row, i, cs, (ks32, rho32), k32);
    }
    for (k_i, &k32_i) in k.iter_mut().zip(k32.iter()) {
        *k_i = f64::from(k32_i);
    }
}

/// Dense f16: each row widened to f32, through the dense f32 kernel's row step, and rounded
/// back to f16 when it changed.
#[inline(always)]
fn dense_f16<const AVX2: bool>(
    p: &mut [f16],
    cs: &[f64],
    ks: &[f64],
    rho: &[f64],
    k: &mut [f64],
    scratch: &mut Scratch,
) {
    let n = rho.len();
    scratch.load(rho, ks);
    let Scratch {
        ks: ks32,
        rho: rho32,
        row,
        ..
    } = scratch;
    for (i, stored) in p.chunks_exact_mut(n).enumerate() {
        stored.convert_to_f32_slice(row);
        k[i] = f64::from(dense_row_f32::<AVX2>(row, i, cs, ks32, rho32));
        if !cs.is_empty() {
            stored.convert_from_f32_slice(row);
        }
    }
}

/// Packed f16: each stored row widened to f32, through the packed f32 kernel's row step, and
/// rounded back to f16 when it changed.
#[inline(always)]
fn packed_f16<const AVX2: bool>(
    p: &mut [f16],
    cs: &[f64],
    ks: &[f64],
    rho: &[f64],
    k: &mut [f64],
    scratch: &mut Scratch,
) {
    let n = rho.len();
    scratch.load(rho, ks);
    let Scratch {
        ks: ks32,
        rho: rho32,
        k: k32,
        row: full_row,
    } = scratch;
    k32.iter_mut().for_each(|x| *x = 0.0);
    for (i, start) in packed_offsets(n) {
        let stored = &mut p[start..start + n - i];
        let row = &mut full_row[..n - i];
        stored.convert_to_f32_slice(row);
        packed_row_f32::<AVX2>(row, i, cs, (ks32, rho32), k32);
        if !cs.is_empty() {
            stored.convert_from_f32_slice(row);
        }
    }
    for (k_i, &k32_i) in k.iter_mut().zip(k32.iter()) {
        *k_i = f64::from(k32_i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_and_dense_agree() {
        // Longer than the 32 f32 lanes, and not a multiple of them.
        let n = 70;
        let mut p = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                p[i * n + j] = 1.0 / (1.0 + (i + j) as f64) + if i == j { 2.0 } else { 0.0 };
            }
        }
        let rho: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let ks: Vec<f64> = (0..2 * n).map(|i| (i as f64 * 0.11).cos()).collect();
        let cs = [0.3, 0.1];
        let mut reference = Covariance::from_dense(n, &p, Storage::Dense, Precision::F64);
        let mut k_ref = vec![0.0; n];
        reference.apply_then_matvec(
            &cs,
            &ks,
            &rho,
            &mut k_ref,
            &mut Scratch::new(n, Precision::F64, 2),
        );
        for (s, prec, tol) in [
            (Storage::Packed, Precision::F64, 1e-13),
            (Storage::Dense, Precision::F32, 1e-5),
            (Storage::Packed, Precision::F32, 1e-5),
            (Storage::Dense, Precision::F16, 2e-3),
            (Storage::Packed, Precision::F16, 2e-3),
        ] {
            let mut c = Covariance::from_dense(n, &p, s, prec);
            let mut k = vec![0.0; n];
            c.apply_then_matvec(&cs, &ks, &rho, &mut k, &mut Scratch::new(n, prec, 2));
            for i in 0..n {
                assert!(
                    (k[i] - k_ref[i]).abs() < tol * k_ref[i].abs().max(1.0),
                    "{s:?} {prec:?}: {} vs {}",
                    k[i],
                    k_ref[i]
                );
            }
            let d = c.to_dense(n);
            let dr = reference.to_dense(n);
            for (a, b) in d.iter().zip(&dr) {
                assert!((a - b).abs() < tol);
            }
        }
    }
}
