//! Summaries that skip undefined values, and moving averages: the one copy of each.

/// A mean over the non-NaN values of a set, with the bookkeeping TrainSpikingNet.jl reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSummary {
    /// Mean of the non-NaN values; NaN when there are none.
    pub mean: f64,
    /// Number of values that entered the mean.
    pub count: usize,
    /// Number of NaN values dropped.
    pub dropped_nan: usize,
}

/// Mean over the values that are not NaN: `mean = Σ_{v not NaN} v / count`. NaNs are dropped and
/// counted (`rls-training.md`, Conventions item 8: undefined correlations are dropped from the mean
/// and reported). Infinite values are kept. With no usable value the mean is NaN.
pub fn mean_ignoring_nan(values: &[f64]) -> MeanSummary {
    let (mut sum, mut count) = (0.0, 0usize);
    for &v in values.iter().filter(|v| !v.is_nan()) {
        sum += v;
        count += 1;
    }
    MeanSummary {
        mean: if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        },
        count,
        dropped_nan: values.len() - count,
    }
}

/// Mean and sample standard deviation of the values that are not NaN:
///
/// m = Σ v / n,  s = √( Σ (v − m)² / (n − 1) )
///
/// over the n non-NaN values (summed in order, as [`mean_ignoring_nan`]); s = 0 for one value,
/// both NaN for none. Infinite values are kept.
pub fn mean_sd_ignoring_nan(values: &[f64]) -> (f64, f64) {
    let MeanSummary { mean, count, .. } = mean_ignoring_nan(values);
    if count == 0 {
        return (f64::NAN, f64::NAN);
    }
    let var = if count > 1 {
        values
            .iter()
            .filter(|v| !v.is_nan())
            .map(|v| (v - mean).powi(2))
            .sum::<f64>()
            / (count - 1) as f64
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Mean and SD in the population form of `x` (NaN kept):
///
/// m = Σ x / n,  s = √( Σ (x − m)² / n )
///
/// summed in order; both NaN for an empty slice.
pub fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// How the window sums of [`moving_average`] are formed. Both give the same average up to
/// rounding; each caller keeps the one its numbers were made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSum {
    /// Each window summed left to right, `Σ_{j=lo}^{hi} x_j`: O(n · half), rounding as small as
    /// the window's own (PSTH smoothing over a few bins).
    Direct,
    /// Differences of running prefix sums, `S_{hi+1} − S_lo` with `S_0 = 0`,
    /// `S_{m+1} = S_m + x_m`: O(n) whatever the width (the feed-forward rate traces, ±500 steps).
    Prefix,
}

/// Centred moving average of ±`half` samples, truncated at the edges:
///
/// y_i = (1 / (hi − lo + 1)) Σ_{j=lo}^{hi} x_j,  lo = max(0, i − half),  hi = min(n − 1, i + half)
///
/// with the window sums formed as `sum` says. `half = 0` returns the values themselves (with
/// [`WindowSum::Direct`] exactly).
pub fn moving_average(x: &[f64], half: usize, sum: WindowSum) -> Vec<f64> {
    let n = x.len();
    let window = |i: usize| (i.saturating_sub(half), (i + half).min(n - 1));
    match sum {
        WindowSum::Direct => (0..n)
            .map(|i| {
                let (lo, hi) = window(i);
                x[lo..=hi].iter().sum::<f64>() / (hi + 1 - lo) as f64
            })
            .collect(),
        WindowSum::Prefix => {
            let mut prefix = vec![0.0; n + 1];
            for m in 0..n {
                prefix[m + 1] = prefix[m] + x[m];
            }
            (0..n)
                .map(|i| {
                    let (lo, hi) = window(i);
                    (prefix[hi + 1] - prefix[lo]) / (hi + 1 - lo) as f64
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_drops_and_counts_nans() {
        let s = mean_ignoring_nan(&[1.0, f64::NAN, 2.0, 6.0, f64::NAN]);
        assert_eq!(s.mean, 3.0);
        assert_eq!((s.count, s.dropped_nan), (3, 2));
        let e = mean_ignoring_nan(&[f64::NAN]);
        assert!(e.mean.is_nan());
        assert_eq!((e.count, e.dropped_nan), (0, 1));
        assert!(mean_ignoring_nan(&[]).mean.is_nan());
    }

    #[test]
    fn mean_sd_skips_nan_and_uses_n_minus_one() {
        let (m, s) = mean_sd_ignoring_nan(&[1.0, f64::NAN, 3.0]);
        assert_eq!(m, 2.0);
        assert_eq!(s, 2f64.sqrt()); // ((1−2)² + (3−2)²) / (2 − 1) = 2
        assert_eq!(mean_sd_ignoring_nan(&[5.0]), (5.0, 0.0));
        let (m, s) = mean_sd_ignoring_nan(&[f64::NAN]);
        assert!(m.is_nan() && s.is_nan());
    }

    #[test]
    fn moving_average_truncates_at_the_edges() {
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        // ±1: [1,2], [1,2,3], [2,3,4], [3,4,10], [4,10].
        let want = [1.5, 2.0, 3.0, 17.0 / 3.0, 7.0];
        for sum in [WindowSum::Direct, WindowSum::Prefix] {
            assert_eq!(moving_average(&x, 1, sum), want, "{sum:?}");
            // A window wider than the data averages everything.
            assert!(
                moving_average(&x, 9, sum).iter().all(|&y| y == 4.0),
                "{sum:?}"
            );
            assert!(moving_average(&[], 3, sum).is_empty());
        }
        assert_eq!(moving_average(&x, 0, WindowSum::Direct), x);
    }

    #[test]
    fn the_two_window_sums_agree_to_rounding() {
        let x: Vec<f64> = (0..2000)
            .map(|i| (i as f64 * 0.37).sin() * 20.0 + 5.0)
            .collect();
        for half in [0, 3, 50] {
            let d = moving_average(&x, half, WindowSum::Direct);
            let p = moving_average(&x, half, WindowSum::Prefix);
            let worst = d
                .iter()
                .zip(&p)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-9, "half {half}: {worst}");
        }
    }
}
