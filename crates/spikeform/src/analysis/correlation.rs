//! Pearson correlation with the project's NaN policy.

use super::matrix::check_shape;
use super::stats::{mean_ignoring_nan, MeanSummary};

/// Pearson correlation of two equally long series:
///
/// corr(x, y) = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² · Σ(y−ȳ)²)
///
/// (`rls-training.md`, Conventions item 8). Never panics. Returns NaN when the correlation is
/// undefined or the input is unusable:
///
/// - the lengths differ, or fewer than 2 points;
/// - either series is constant (all values equal, or zero sum of squared deviations);
/// - any value is NaN or infinite.
///
/// The result is clamped to [−1, 1] against rounding.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    if n != y.len() || n < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    // An exactly constant series is undefined even if its rounded mean leaves tiny deviations.
    if x.iter().all(|&v| v == x[0]) || y.iter().all(|&v| v == y[0]) {
        return f64::NAN;
    }
    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    // Deviations are scaled by their largest magnitude (r is scale invariant), so the sums of
    // squares neither overflow nor underflow for very large or very small data.
    let max_dev = |v: &[f64], m: f64| v.iter().fold(0.0f64, |acc, &a| acc.max((a - m).abs()));
    let (kx, ky) = (max_dev(x, mx), max_dev(y, my));
    if kx == 0.0 || ky == 0.0 || !kx.is_finite() || !ky.is_finite() {
        return f64::NAN;
    }
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = ((a - mx) / kx, (b - my) / ky);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    let r = sxy / (sxx.sqrt() * syy.sqrt());
    if r.is_nan() {
        r
    } else {
        r.clamp(-1.0, 1.0)
    }
}

/// Pearson correlation of matching columns of two row-major `n_points × n_series` matrices:
/// `out[j] = pearson(a[·, j], b[·, j])` (NaN where undefined, see [`pearson`]).
///
/// With time-major data (rows = time bins, columns = neurons) this is the per-neuron correlation
/// over time, e.g. target vs. model input over the 100 bins of `rls-training.md` §3.9. Reorder the
/// columns beforehand with [`gather_columns`](super::gather_columns) if the two matrices index
/// neurons differently.
///
/// # Panics
///
/// If `a.len()` or `b.len()` differs from `n_points * n_series`.
pub fn pearson_columns(a: &[f64], b: &[f64], n_points: usize, n_series: usize) -> Vec<f64> {
    check_shape(a, n_points, n_series, "pearson_columns (a)");
    check_shape(b, n_points, n_series, "pearson_columns (b)");
    let mut xa = vec![0.0; n_points];
    let mut xb = vec![0.0; n_points];
    (0..n_series)
        .map(|j| {
            for t in 0..n_points {
                xa[t] = a[t * n_series + j];
                xb[t] = b[t * n_series + j];
            }
            pearson(&xa, &xb)
        })
        .collect()
}

/// Mean over series of the per-column Pearson correlations of [`pearson_columns`], NaNs dropped
/// and counted:
///
/// R = (1/N') Σ_{j : corr_j defined} corr(a[·, j], b[·, j])
///
/// This is the R metric of `rls-training.md` §3.9 when `a` holds the targets and `b` the
/// box-averaged inputs of the trained neurons, column `k` of both belonging to trained neuron `k`.
///
/// # Panics
///
/// As [`pearson_columns`].
pub fn mean_pearson_columns(a: &[f64], b: &[f64], n_points: usize, n_series: usize) -> MeanSummary {
    mean_ignoring_nan(&pearson_columns(a, b, n_points, n_series))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_hand_computed() {
        // x̄ = 2, ȳ = 3; deviations (−1, 0, 1) and (−2, 1, 1):
        // Σdxdy = 3, Σdx² = 2, Σdy² = 6 → r = 3/√12 = √3/2.
        let r = pearson(&[1.0, 2.0, 3.0], &[1.0, 4.0, 4.0]);
        assert!((r - 3f64.sqrt() / 2.0).abs() < 1e-15, "{r}");
    }

    #[test]
    fn pearson_invariant_to_affine_maps() {
        let x = [0.3, -1.2, 4.0, 2.5, 0.0];
        let y = [1.0, 0.5, -2.0, 3.0, 7.0];
        let r = pearson(&x, &y);
        let y2: Vec<f64> = y.iter().map(|v| 3.0 * v - 17.0).collect();
        let y3: Vec<f64> = y.iter().map(|v| -0.5 * v + 1.0).collect();
        assert!((pearson(&x, &y2) - r).abs() < 1e-14);
        assert!((pearson(&x, &y3) + r).abs() < 1e-14);
        assert!((pearson(&x, &x) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn pearson_undefined_cases_are_nan() {
        assert!(pearson(&[1.0, 2.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(pearson(&[1.0], &[2.0]).is_nan());
        assert!(pearson(&[], &[]).is_nan());
        assert!(pearson(&[0.1, 0.1, 0.1], &[1.0, 2.0, 3.0]).is_nan());
        assert!(pearson(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]).is_nan());
        assert!(pearson(&[1.0, f64::NAN, 3.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(pearson(&[1.0, 2.0, 3.0], &[1.0, f64::INFINITY, 3.0]).is_nan());
    }

    #[test]
    fn pearson_extreme_magnitudes() {
        let x = [1e-200, 2e-200, 4e-200];
        let y = [1e200, 2e200, 4e200];
        // Squared deviations would underflow (1e-400) and overflow (1e400) without scaling.
        assert!((pearson(&x, &y) - 1.0).abs() < 1e-14);
        let z = [4e200, 2e200, 1e200];
        assert!((pearson(&x, &z) - pearson(&[1.0, 2.0, 4.0], &[4.0, 2.0, 1.0])).abs() < 1e-14);
    }

    #[test]
    fn columns_correlate_per_series() {
        // 4 time points × 3 series. Series 0: b = 2a (r = 1); series 1: b = −a (r = −1);
        // series 2: b constant (NaN).
        let a = [
            0.0, 1.0, 5.0, //
            1.0, 3.0, 6.0, //
            2.0, 2.0, 7.0, //
            5.0, 0.0, 1.0,
        ];
        let b = [
            0.0, -1.0, 9.0, //
            2.0, -3.0, 9.0, //
            4.0, -2.0, 9.0, //
            10.0, 0.0, 9.0,
        ];
        let r = pearson_columns(&a, &b, 4, 3);
        assert!((r[0] - 1.0).abs() < 1e-15 && (r[1] + 1.0).abs() < 1e-15 && r[2].is_nan());
        let m = mean_pearson_columns(&a, &b, 4, 3);
        assert!(m.mean.abs() < 1e-15);
        assert_eq!((m.count, m.dropped_nan), (2, 1));
    }
}
