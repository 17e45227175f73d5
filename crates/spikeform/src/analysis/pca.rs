//! PCA of population activity with neurons as samples and time bins as features
//! (`rls-training.md` §3.10).

use nalgebra::{DMatrix, SymmetricEigen};

use super::correlation::pearson;

/// Principal components of a group's activity: time courses and their share of the variance.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// `n_components` loadings, each a unit-norm time course of `n_bins` values (scikit-learn's
    /// `components_` rows), ordered by decreasing variance. Sign convention: the entry of largest
    /// magnitude (the first one, on a tie) is positive.
    pub loadings: Vec<Vec<f64>>,
    /// Variance along each component: the eigenvalues of the covariance with divisor
    /// `n_samples − 1` (scikit-learn's `explained_variance_`).
    pub explained_variance: Vec<f64>,
    /// Each component's fraction of the total variance (trace of the covariance), descending;
    /// their sum is at most 1.
    pub explained_variance_ratio: Vec<f64>,
    /// Number of neurons (samples) in the group.
    pub n_samples: usize,
}

/// PCA of the time courses of a group of neurons, as `rls-training.md` §3.10 (scikit-learn with
/// neurons as samples and time bins as features).
///
/// `x` is the row-major, time-major `n_bins × n_cols` matrix (`x[t * n_cols + j]`, e.g. the 100
/// box-averaged bins × 5000 neurons from [`BoxAverager`](super::BoxAverager)); `n_cols` is
/// `x.len() / n_bins`. For the `m = neurons.len()` neurons of the group:
///
/// 1. `D[i, t] = x[t, neurons[i]] − (1/n_bins) Σ_s x[s, neurons[i]]` (each neuron's temporal mean);
/// 2. `D[i, t] ← D[i, t] − (1/m) Σ_l D[l, t]` (each time bin centred across neurons, as
///    scikit-learn does);
/// 3. C = DᵀD / (m − 1), an `n_bins × n_bins` covariance; its eigenpairs (λ_k, v_k) sorted by
///    decreasing λ give the loadings v_k, `explained_variance` λ_k and
///    `explained_variance_ratio` λ_k / tr C.
///
/// Because step 1 makes every row of D sum to zero, the all-ones vector is in the null space of C
/// and every loading with λ > 0 sums to zero; hence the sign is fixed by the largest-magnitude
/// entry (see [`Pca::loadings`]), not by the sum. Cost O(m·n_bins² + n_bins³).
///
/// If a selected value is not finite, every output value is NaN. If the total variance is 0,
/// the ratios are NaN (and the loadings arbitrary). Eigenvalues below 0 from rounding are
/// reported as 0.
///
/// # Panics
///
/// If `n_bins == 0`, `x.len()` is not a multiple of `n_bins`, a neuron index is out of range,
/// `m < 2`, or `n_components > min(m, n_bins)` (scikit-learn's limit).
pub fn pca_time_courses(x: &[f64], n_bins: usize, neurons: &[usize], n_components: usize) -> Pca {
    assert!(n_bins > 0, "pca_time_courses: n_bins must be positive");
    let n_cols = x.len() / n_bins;
    assert_eq!(
        n_cols * n_bins,
        x.len(),
        "pca_time_courses: length {} is not a multiple of n_bins = {n_bins}",
        x.len()
    );
    let m = neurons.len();
    assert!(m >= 2, "pca_time_courses: need at least 2 neurons, got {m}");
    assert!(
        n_components <= m.min(n_bins),
        "pca_time_courses: n_components = {n_components} exceeds min(neurons = {m}, bins = {n_bins})"
    );
    if let Some(&bad) = neurons.iter().find(|&&j| j >= n_cols) {
        panic!("pca_time_courses: neuron {bad} out of range for {n_cols} columns");
    }
    let nan_result = || Pca {
        loadings: vec![vec![f64::NAN; n_bins]; n_components],
        explained_variance: vec![f64::NAN; n_components],
        explained_variance_ratio: vec![f64::NAN; n_components],
        n_samples: m,
    };

    // Step 1: samples (neurons) × features (bins), each row minus its temporal mean.
    let mut d = DMatrix::<f64>::zeros(m, n_bins);
    for (i, &j) in neurons.iter().enumerate() {
        let mean = (0..n_bins).map(|t| x[t * n_cols + j]).sum::<f64>() / n_bins as f64;
        for t in 0..n_bins {
            d[(i, t)] = x[t * n_cols + j] - mean;
        }
    }
    if d.iter().any(|v| !v.is_finite()) {
        return nan_result();
    }
    // Step 2: centre each feature across samples.
    for mut col in d.column_iter_mut() {
        let mean = col.sum() / m as f64;
        col.add_scalar_mut(-mean);
    }
    // Step 3: covariance and its eigen-decomposition.
    let cov = d.tr_mul(&d) / (m - 1) as f64;
    let total = cov.trace();
    let Some(eig) = SymmetricEigen::try_new(cov, f64::EPSILON, 100_000) else {
        return nan_result();
    };
    let mut order: Vec<usize> = (0..n_bins).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));

    let mut pca = Pca {
        loadings: Vec::with_capacity(n_components),
        explained_variance: Vec::with_capacity(n_components),
        explained_variance_ratio: Vec::with_capacity(n_components),
        n_samples: m,
    };
    for &k in order.iter().take(n_components) {
        let lambda = eig.eigenvalues[k].max(0.0);
        let mut v: Vec<f64> = eig.eigenvectors.column(k).iter().copied().collect();
        orient(&mut v);
        pca.loadings.push(v);
        pca.explained_variance.push(lambda);
        pca.explained_variance_ratio.push(if total > 0.0 {
            lambda / total
        } else {
            f64::NAN
        });
    }
    pca
}

/// Flips `v` so that its largest-magnitude entry (the first one, on a tie) is positive.
fn orient(v: &mut [f64]) {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if x.abs() > v[best].abs() {
            best = i;
        }
    }
    if v.get(best).is_some_and(|&x| x < 0.0) {
        v.iter_mut().for_each(|x| *x = -*x);
    }
}

/// |Pearson| between matched loadings of two PCAs: `out[i] = |corr(a.loadings[i], b.loadings[i])|`
/// for `i < k` (`rls-training.md` §3.10; the absolute value because a PC's sign is arbitrary).
/// NaN where a correlation is undefined.
///
/// # Panics
///
/// If `k` exceeds the number of components of `a` or `b`.
pub fn compare_components(a: &Pca, b: &Pca, k: usize) -> Vec<f64> {
    assert!(
        k <= a.loadings.len() && k <= b.loadings.len(),
        "compare_components: k = {k} exceeds the components available ({}, {})",
        a.loadings.len(),
        b.loadings.len()
    );
    a.loadings
        .iter()
        .zip(&b.loadings)
        .take(k)
        .map(|(u, v)| pearson(u, v).abs())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    use rand_pcg::Pcg64;

    const N_BINS: usize = 100;

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn normalize(v: &mut [f64]) {
        let n = dot(v, v).sqrt();
        v.iter_mut().for_each(|x| *x /= n);
    }

    fn centre(v: &mut [f64]) {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter_mut().for_each(|x| *x -= m);
    }

    /// Two orthonormal, zero-mean time courses: a ramp, and a sine made orthogonal to it.
    fn latents() -> (Vec<f64>, Vec<f64>) {
        let mut f1: Vec<f64> = (0..N_BINS).map(|t| t as f64).collect();
        centre(&mut f1);
        normalize(&mut f1);
        let mut f2: Vec<f64> = (0..N_BINS)
            .map(|t| (2.0 * std::f64::consts::PI * t as f64 / N_BINS as f64 * 1.5).sin())
            .collect();
        centre(&mut f2);
        let p = dot(&f1, &f2);
        f2.iter_mut().zip(&f1).for_each(|(x, y)| *x -= p * y);
        normalize(&mut f2);
        (f1, f2)
    }

    /// Time-major N_BINS × n matrix of neurons a_j f1 + b_j f2 + offset_j + noise, with
    /// a ~ N(0, 3²), b ~ N(0, 1.5²), offsets ~ N(0, 5²) and i.i.d. noise N(0, σ²).
    fn mixtures(seed: u64, n: usize, sigma: f64) -> Vec<f64> {
        let (f1, f2) = latents();
        let mut rng = Pcg64::seed_from_u64(seed);
        let std = Normal::new(0.0, 1.0).unwrap();
        let coeffs: Vec<(f64, f64, f64)> = (0..n)
            .map(|_| {
                (
                    3.0 * std.sample(&mut rng),
                    1.5 * std.sample(&mut rng),
                    5.0 * std.sample(&mut rng),
                )
            })
            .collect();
        let mut x = vec![0.0; N_BINS * n];
        for t in 0..N_BINS {
            for (j, &(a, b, c)) in coeffs.iter().enumerate() {
                x[t * n + j] = a * f1[t] + b * f2[t] + c + sigma * std.sample(&mut rng);
            }
        }
        x
    }

    #[test]
    fn rank_one_data_give_the_time_course() {
        // x[t, j] = a_j f(t) + c_j: after both centrings D = (a − ā) f_c, so PC1 = ±f_c/|f_c|
        // with ratio 1 and the remaining variance 0.
        let n = 7;
        let f: Vec<f64> = (0..N_BINS)
            .map(|t| ((t as f64) * 0.1).cos() + 0.02 * t as f64)
            .collect();
        let a = [1.0, -2.0, 0.5, 3.0, 0.0, 1.5, -0.7];
        let mut x = vec![0.0; N_BINS * n];
        for t in 0..N_BINS {
            for j in 0..n {
                x[t * n + j] = a[j] * f[t] + j as f64;
            }
        }
        let all: Vec<usize> = (0..n).collect();
        let pca = pca_time_courses(&x, N_BINS, &all, 3);
        let mut expected = f.clone();
        centre(&mut expected);
        normalize(&mut expected);
        orient(&mut expected);
        for (u, v) in pca.loadings[0].iter().zip(&expected) {
            assert!((u - v).abs() < 1e-10, "{u} vs {v}");
        }
        assert!((pca.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
        assert!(pca.explained_variance_ratio[1].abs() < 1e-12);
        // λ_1 = Σ(a − ā)²/(m − 1) · |f_c|².
        let abar = a.iter().sum::<f64>() / n as f64;
        let var_a = a.iter().map(|v| (v - abar).powi(2)).sum::<f64>() / (n - 1) as f64;
        let mut fc = f.clone();
        centre(&mut fc);
        let lambda = var_a * dot(&fc, &fc);
        assert!((pca.explained_variance[0] - lambda).abs() < 1e-10 * lambda);
    }

    #[test]
    fn eigenpairs_of_the_brute_force_covariance() {
        // Independent computation of C with explicit loops, then C v = λ v, orthonormality,
        // ratios summing to 1 over all components, descending order and the sign convention.
        let n = 30;
        let n_bins = 12;
        let mut rng = Pcg64::seed_from_u64(5);
        let std = Normal::new(0.0, 1.0).unwrap();
        let x: Vec<f64> = (0..n_bins * 40).map(|_| std.sample(&mut rng)).collect();
        let group: Vec<usize> = (5..5 + n).collect();
        let pca = pca_time_courses(&x, n_bins, &group, n_bins);
        let mut d = vec![vec![0.0; n_bins]; n];
        for (i, &j) in group.iter().enumerate() {
            let mean: f64 = (0..n_bins).map(|t| x[t * 40 + j]).sum::<f64>() / n_bins as f64;
            for t in 0..n_bins {
                d[i][t] = x[t * 40 + j] - mean;
            }
        }
        for t in 0..n_bins {
            let mean: f64 = d.iter().map(|row| row[t]).sum::<f64>() / n as f64;
            d.iter_mut().for_each(|row| row[t] -= mean);
        }
        let c =
            |s: usize, t: usize| d.iter().map(|row| row[s] * row[t]).sum::<f64>() / (n - 1) as f64;
        let trace: f64 = (0..n_bins).map(|t| c(t, t)).sum();
        for (k, v) in pca.loadings.iter().enumerate() {
            let lambda = pca.explained_variance[k];
            for s in 0..n_bins {
                let cv: f64 = (0..n_bins).map(|t| c(s, t) * v[t]).sum();
                assert!((cv - lambda * v[s]).abs() < 1e-10, "C v ≠ λ v for PC {k}");
            }
            for (l, w) in pca.loadings.iter().enumerate() {
                let expected = if k == l { 1.0 } else { 0.0 };
                assert!((dot(v, w) - expected).abs() < 1e-10);
            }
            assert!((pca.explained_variance_ratio[k] - lambda / trace).abs() < 1e-12);
            let big = v
                .iter()
                .copied()
                .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
            assert!(big > 0.0, "sign convention");
        }
        let r = &pca.explained_variance_ratio;
        assert!(r.windows(2).all(|w| w[0] >= w[1]));
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // The all-ones direction carries no variance: the smallest component is ±1/√n_bins.
        let last = &pca.loadings[n_bins - 1];
        assert!(pca.explained_variance[n_bins - 1] < 1e-12);
        assert!(last
            .iter()
            .all(|v| (v.abs() - 1.0 / (n_bins as f64).sqrt()).abs() < 1e-8));
    }

    #[test]
    fn mixtures_recover_the_latent_subspace() {
        // 1000 neurons = a f1 + b f2 + offset + noise (σ = 0.1). Expected covariance:
        // 9 f1f1ᵀ + 2.25 f2f2ᵀ + σ²·(I − 11ᵀ/n_bins), trace 9 + 2.25 + 0.99 = 12.24, so
        // ratios ≈ 9.01/12.24 = 0.736 and 2.26/12.24 = 0.185. Sampling error of the coefficient
        // variances (relative √(2/1000) ≈ 4.5%) moves the ratios by ≈ 0.01 (1 SD): tolerance
        // 0.05. The loadings tilt out of span{f1, f2} only by noise, |sin| ≈ σ√(n_bins/m)/√λ ≈ 0.01.
        let (f1, f2) = latents();
        let x = mixtures(1, 1000, 0.1);
        let all: Vec<usize> = (0..1000).collect();
        let pca = pca_time_courses(&x, N_BINS, &all, 10);
        let r = &pca.explained_variance_ratio;
        assert_eq!(r.len(), 10);
        assert!(r.windows(2).all(|w| w[0] >= w[1]));
        assert!(r.iter().sum::<f64>() <= 1.0 + 1e-12);
        assert!((r[0] - 0.736).abs() < 0.05, "ratio PC1 {}", r[0]);
        assert!((r[1] - 0.185).abs() < 0.05, "ratio PC2 {}", r[1]);
        for v in &pca.loadings[..2] {
            let in_span = (dot(v, &f1).powi(2) + dot(v, &f2).powi(2)).sqrt();
            assert!(in_span > 0.99, "projection on the latent span {in_span}");
        }
        // Var(a) = 9 > Var(b) = 2.25, so PC1 ≈ ±f1 and PC2 ≈ ±f2.
        assert!(dot(&pca.loadings[0], &f1).abs() > 0.99);
        assert!(dot(&pca.loadings[1], &f2).abs() > 0.99);
    }

    #[test]
    fn groups_sharing_latents_have_matching_components() {
        // Two disjoint groups of the same 2000-neuron population, and an independent population,
        // all driven by the same two time courses: PC1 and PC2 agree in |corr| > 0.99.
        let n = 2000;
        let x = mixtures(2, n, 0.1);
        let a: Vec<usize> = (0..1200).collect();
        let b: Vec<usize> = (1200..n).collect();
        let pa = pca_time_courses(&x, N_BINS, &a, 5);
        let pb = pca_time_courses(&x, N_BINS, &b, 5);
        let other = pca_time_courses(
            &mixtures(3, 500, 0.1),
            N_BINS,
            &(0..500).collect::<Vec<_>>(),
            5,
        );
        for c in compare_components(&pa, &pb, 2)
            .into_iter()
            .chain(compare_components(&pa, &other, 2))
        {
            assert!(c > 0.99, "|corr| {c}");
        }
        // Components 3–5 are noise, unrelated between groups.
        let noise = compare_components(&pa, &pb, 5);
        assert!(noise[2..].iter().all(|&c| c < 0.9), "{noise:?}");
    }

    #[test]
    fn non_finite_input_gives_nan() {
        let mut x = mixtures(4, 10, 0.1);
        x[3] = f64::NAN;
        let pca = pca_time_courses(&x, N_BINS, &[0, 1, 2, 3], 2);
        assert!(pca.explained_variance_ratio.iter().all(|r| r.is_nan()));
        assert!(pca.loadings.iter().flatten().all(|v| v.is_nan()));
        // Constant neurons: zero total variance → NaN ratios.
        let flat = vec![1.0; N_BINS * 3];
        let pca = pca_time_courses(&flat, N_BINS, &[0, 1, 2], 2);
        assert!(pca.explained_variance_ratio.iter().all(|r| r.is_nan()));
    }

    #[test]
    #[should_panic(expected = "exceeds min")]
    fn too_many_components_rejected() {
        pca_time_courses(&[0.0; 12], 4, &[0, 1, 2], 4);
    }
}
