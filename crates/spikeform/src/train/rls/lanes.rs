//! f32 vector kernels of the RLS update, each written twice: with AVX2 intrinsics and portably.
//! Both versions do the same operations in the same order (multiply, then add or subtract; no
//! fused multiply-add), so they give the same bits; the tail of a slice shorter than a vector is
//! handled with masked loads and stores in the AVX2 version and lane by lane in the portable one.
//! `AVX2 = true` may only be used from code that runs on a CPU with AVX2 (the callers dispatch
//! once per update with `is_x86_feature_detected!`).

/// Lanes of the f32 dot product: lane `l` sums the products whose index is `l` modulo 32.
const DOT_LANES: usize = 32;

/// `Σ a_i b_i` over `a.len()` elements in f32: 32 independent accumulators over chunks of 32,
/// then chunks of 8 and the last `len % 8` products into the first 8 lanes, then the fixed
/// reduction of [`reduce_lanes`].
#[inline(always)]
pub(super) fn dot<const AVX2: bool>(a: &[f32], b: &[f32]) -> f32 {
    let b = &b[..a.len()];
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: AVX2 is only requested on CPUs that have it (module doc).
        return unsafe { dot_avx2(a, b) };
    }
    dot_portable(a, b)
}

/// `y ← y + a·x` elementwise (`x` at least as long as `y`). With `−a` it is the downdate
/// `y − a·x`, bit for bit (negation is exact and `y − z` is `y + (−z)` in IEEE arithmetic).
#[inline(always)]
pub(super) fn axpy<const AVX2: bool>(y: &mut [f32], x: &[f32], a: f32) {
    let x = &x[..y.len()];
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: as in `dot`.
        unsafe { axpy_avx2(y, x, a) };
        return;
    }
    for (y, x) in y.iter_mut().zip(x) {
        *y += x * a;
    }
}

/// `y ← y + x_s·a_s` for `s = 0, 1, ...` in order (`x_s = xs[s·stride + offset ..]`), each
/// element of `y` kept in a register across all `s`: the same arithmetic as one [`axpy`] per
/// `s`, bit for bit, with one load and one store of `y` instead of one per `s`.
#[inline(always)]
pub(super) fn axpy_many<const AVX2: bool>(
    y: &mut [f32],
    xs: &[f32],
    stride: usize,
    offset: usize,
    a: &[f32],
) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: as in `dot`; the bounds are checked inside.
        unsafe { axpy_many_avx2(y, xs, stride, offset, a) };
        return;
    }
    for (s, &a_s) in a.iter().enumerate() {
        let x = &xs[s * stride + offset..s * stride + offset + y.len()];
        for (y, x) in y.iter_mut().zip(x) {
            *y += x * a_s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn axpy_many_avx2(y: &mut [f32], xs: &[f32], stride: usize, offset: usize, a: &[f32]) {
    use std::arch::x86_64::*;
    let n = y.len();
    if let Some(last) = a.len().checked_sub(1) {
        assert!(last * stride + offset + n <= xs.len(), "x_s out of bounds");
    }
    let py = y.as_mut_ptr();
    let mut j = 0;
    // SAFETY (all accesses below): j + 8 ≤ n, or masked to the lanes below n; every x_s holds
    // n elements from offset (asserted above).
    while j + 8 <= n {
        unsafe {
            let mut v = _mm256_loadu_ps(py.add(j));
            for (s, &a_s) in a.iter().enumerate() {
                let x = _mm256_loadu_ps(xs.as_ptr().add(s * stride + offset + j));
                v = _mm256_add_ps(v, _mm256_mul_ps(x, _mm256_set1_ps(a_s)));
            }
            _mm256_storeu_ps(py.add(j), v);
        }
        j += 8;
    }
    if j < n {
        let m = tail_mask(n - j);
        unsafe {
            let mut v = _mm256_maskload_ps(py.add(j), m);
            for (s, &a_s) in a.iter().enumerate() {
                let x = _mm256_maskload_ps(xs.as_ptr().add(s * stride + offset + j), m);
                v = _mm256_add_ps(v, _mm256_mul_ps(x, _mm256_set1_ps(a_s)));
            }
            _mm256_maskstore_ps(py.add(j), m, v);
        }
    }
}

#[inline(always)]
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; DOT_LANES];
    let split32 = a.len() - a.len() % DOT_LANES;
    for (x, y) in a[..split32]
        .chunks_exact(DOT_LANES)
        .zip(b[..split32].chunks_exact(DOT_LANES))
    {
        for l in 0..DOT_LANES {
            acc[l] += x[l] * y[l];
        }
    }
    for (x, y) in a[split32..].chunks(8).zip(b[split32..].chunks(8)) {
        for l in 0..x.len() {
            acc[l] += x[l] * y[l];
        }
    }
    let mut eight = [0.0f32; 8];
    for (l, e) in eight.iter_mut().enumerate() {
        *e = (acc[l] + acc[8 + l]) + (acc[16 + l] + acc[24 + l]);
    }
    reduce_lanes(eight)
}

/// `((t0 + t4) + (t1 + t5)) + ((t2 + t6) + (t3 + t7))`.
#[inline(always)]
fn reduce_lanes(t: [f32; 8]) -> f32 {
    ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]))
}

/// The mask selecting the first `len` (< 8) lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tail_mask(len: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    const ONES_THEN_ZEROS: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
    debug_assert!(len < 8);
    // SAFETY: 8 − len ≤ 8, so the load reads 8 of the 16 entries.
    unsafe { _mm256_loadu_si256(ONES_THEN_ZEROS.as_ptr().add(8 - len).cast()) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let n = a.len();
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut j = 0;
    // SAFETY (all loads below): j + 32 ≤ n, j + 8 ≤ n, or masked to the lanes below n.
    while j + DOT_LANES <= n {
        for (v, acc_v) in acc.iter_mut().enumerate() {
            let (x, y) = unsafe {
                (
                    _mm256_loadu_ps(pa.add(j + 8 * v)),
                    _mm256_loadu_ps(pb.add(j + 8 * v)),
                )
            };
            *acc_v = _mm256_add_ps(*acc_v, _mm256_mul_ps(x, y));
        }
        j += DOT_LANES;
    }
    while j + 8 <= n {
        let (x, y) = unsafe { (_mm256_loadu_ps(pa.add(j)), _mm256_loadu_ps(pb.add(j))) };
        acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(x, y));
        j += 8;
    }
    if j < n {
        let m = tail_mask(n - j);
        let (x, y) = unsafe {
            (
                _mm256_maskload_ps(pa.add(j), m),
                _mm256_maskload_ps(pb.add(j), m),
            )
        };
        // Masked-off lanes load 0, and 0 · 0 added to a lane leaves it unchanged.
        acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(x, y));
    }
    let t = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let mut eight = [0.0f32; 8];
    // SAFETY: eight holds 8 floats.
    unsafe { _mm256_storeu_ps(eight.as_mut_ptr(), t) };
    reduce_lanes(eight)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn axpy_avx2(y: &mut [f32], x: &[f32], a: f32) {
    use std::arch::x86_64::*;
    let (py, px) = (y.as_mut_ptr(), x.as_ptr());
    let n = y.len();
    let av = _mm256_set1_ps(a);
    let mut j = 0;
    // SAFETY (all accesses below): j + 8 ≤ n, or masked to the lanes below n.
    while j + 8 <= n {
        unsafe {
            let v = _mm256_add_ps(
                _mm256_loadu_ps(py.add(j)),
                _mm256_mul_ps(_mm256_loadu_ps(px.add(j)), av),
            );
            _mm256_storeu_ps(py.add(j), v);
        }
        j += 8;
    }
    if j < n {
        let m = tail_mask(n - j);
        unsafe {
            let v = _mm256_add_ps(
                _mm256_maskload_ps(py.add(j), m),
                _mm256_mul_ps(_mm256_maskload_ps(px.add(j), m), av),
            );
            _mm256_maskstore_ps(py.add(j), m, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize, seed: usize) -> Vec<f32> {
        (0..len).map(|i| ((i * 7 + seed) as f32).sin()).collect()
    }

    /// The AVX2 and portable kernels agree bit for bit, for every length class (chunks of 32,
    /// of 8, and tails), and the dot product agrees with an f64 sum.
    #[test]
    fn avx2_and_portable_kernels_give_the_same_bits() {
        for len in [0, 1, 5, 8, 13, 32, 39, 70, 339, 340] {
            let (a, b) = (data(len, 3), data(len, 11));
            let portable = dot::<false>(&a, &b);
            let exact: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            assert!(
                (f64::from(portable) - exact).abs() < 1e-4,
                "{len}: {portable} vs {exact}"
            );
            let (mut y1, mut z1) = (data(len, 5), data(len, 5));
            axpy::<false>(&mut y1, &a, 0.37);
            // The downdate y − a·x is the axpy with −a: negation is exact, so the bits agree.
            axpy::<false>(&mut z1, &a, -0.37);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                assert_eq!(
                    dot::<true>(&a, &b).to_bits(),
                    portable.to_bits(),
                    "dot {len}"
                );
                let (mut y2, mut z2) = (data(len, 5), data(len, 5));
                axpy::<true>(&mut y2, &a, 0.37);
                axpy::<true>(&mut z2, &a, -0.37);
                assert_eq!(y1, y2, "axpy {len}");
                assert_eq!(z1, z2, "axpy with -a {len}");
            }
            // Three axpys in a row equal one axpy_many, in both builds.
            let xs: Vec<f32> = [data(len, 1), data(len, 2), data(len, 3)].concat();
            let coeffs = [0.5f32, -1.25, 0.3];
            let mut seq = data(len, 5);
            for (s, &c) in coeffs.iter().enumerate() {
                axpy::<false>(&mut seq, &xs[s * len..], c);
            }
            let mut many = data(len, 5);
            axpy_many::<false>(&mut many, &xs, len, 0, &coeffs);
            assert_eq!(seq, many, "axpy_many {len}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut many2 = data(len, 5);
                axpy_many::<true>(&mut many2, &xs, len, 0, &coeffs);
                assert_eq!(seq, many2, "axpy_many avx2 {len}");
            }
            for j in 0..len {
                assert_eq!(y1[j], data(len, 5)[j] + a[j] * 0.37);
                assert_eq!(z1[j], data(len, 5)[j] - 0.37 * a[j]);
            }
        }
    }
}
