//! Condition selectivity of neurons and histograms of per-neuron values.

use super::matrix::check_shape;

/// Condition selectivity of every neuron (Kim et al. 2023; `rls-training.md` §3.10):
///
/// sel_j = mean_t (rate_A[t, j] − rate_B[t, j]) = (1/n_bins) Σ_t (rate_A[t, j] − rate_B[t, j]),
///
/// e.g. A = lick right, B = lick left. `rate_a` and `rate_b` are row-major, time-major
/// `n_bins × n_neurons` matrices (PSTHs in Hz, or any other per-bin activity). NaN entries
/// propagate to their neuron; with `n_bins == 0` every value is NaN.
///
/// # Panics
///
/// If a slice length differs from `n_bins * n_neurons`.
pub fn selectivity(rate_a: &[f64], rate_b: &[f64], n_bins: usize, n_neurons: usize) -> Vec<f64> {
    check_shape(rate_a, n_bins, n_neurons, "selectivity (rate_a)");
    check_shape(rate_b, n_bins, n_neurons, "selectivity (rate_b)");
    let mut sums = vec![0.0; n_neurons];
    for t in 0..n_bins {
        let row = t * n_neurons..(t + 1) * n_neurons;
        for ((s, a), b) in sums.iter_mut().zip(&rate_a[row.clone()]).zip(&rate_b[row]) {
            *s += a - b;
        }
    }
    sums.iter().map(|s| s / n_bins as f64).collect()
}

/// A histogram with equal-width bins over a closed range.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// `n_bins + 1` bin edges, `edges[i] = lo + i·(hi − lo)/n_bins` and `edges[n_bins] = hi`.
    pub edges: Vec<f64>,
    /// Values per bin: bin `i` is `[edges[i], edges[i+1])`, the last bin `[edges[n−1], hi]`.
    pub counts: Vec<usize>,
    /// Values below `lo` (not in any bin).
    pub below: usize,
    /// Values above `hi` (not in any bin).
    pub above: usize,
    /// NaN values (not in any bin).
    pub nan: usize,
}

impl Histogram {
    /// Bin centres, `(edges[i] + edges[i+1]) / 2`.
    pub fn centres(&self) -> Vec<f64> {
        self.edges.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect()
    }
}

/// Histogram of `values` in `n_bins` equal bins over `range = (lo, hi)`, with NumPy's
/// conventions: bins are half-open `[e_i, e_{i+1})` except the last, which includes `hi`. The bin
/// of a value agrees with the stored edges even where `(v − lo)/(hi − lo)·n_bins` rounds across an
/// edge. Values outside the range and NaNs are counted separately, never binned.
///
/// # Panics
///
/// If `n_bins == 0` or the range is not finite with `lo < hi`.
pub fn histogram(values: &[f64], n_bins: usize, range: (f64, f64)) -> Histogram {
    let (lo, hi) = range;
    assert!(n_bins > 0, "histogram: n_bins must be positive");
    assert!(
        lo.is_finite() && hi.is_finite() && lo < hi,
        "histogram: invalid range ({lo}, {hi})"
    );
    let width = (hi - lo) / n_bins as f64;
    let mut edges: Vec<f64> = (0..n_bins).map(|i| lo + i as f64 * width).collect();
    edges.push(hi);
    let mut h = Histogram {
        counts: vec![0; n_bins],
        edges,
        below: 0,
        above: 0,
        nan: 0,
    };
    for &v in values {
        if v.is_nan() {
            h.nan += 1;
        } else if v < lo {
            h.below += 1;
        } else if v > hi {
            h.above += 1;
        } else {
            let mut i = (((v - lo) / (hi - lo)) * n_bins as f64).floor() as usize;
            i = i.min(n_bins - 1);
            while i > 0 && v < h.edges[i] {
                i -= 1;
            }
            while i < n_bins - 1 && v >= h.edges[i + 1] {
                i += 1;
            }
            h.counts[i] += 1;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectivity_is_mean_difference() {
        // 2 bins × 3 neurons.
        let a = [10.0, 0.0, 5.0, 20.0, 0.0, 5.0];
        let b = [4.0, 6.0, 5.0, 6.0, 2.0, 5.0];
        // Neuron 0: ((10−4) + (20−6))/2 = 10; neuron 1: (−6 − 2)/2 = −4; neuron 2: 0.
        assert_eq!(selectivity(&a, &b, 2, 3), vec![10.0, -4.0, 0.0]);
        assert!(selectivity(&[], &[], 0, 2).iter().all(|s| s.is_nan()));
    }

    #[test]
    fn histogram_hand_counted() {
        let v = [0.0, 0.1, 0.25, 0.5, 0.99, 1.0, -0.1, 1.5, f64::NAN, 0.75];
        let h = histogram(&v, 4, (0.0, 1.0));
        assert_eq!(h.edges, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        // [0, .25): 0, 0.1; [.25, .5): 0.25; [.5, .75): 0.5; [.75, 1]: 0.99, 1.0, 0.75.
        assert_eq!(h.counts, vec![2, 1, 1, 3]);
        assert_eq!((h.below, h.above, h.nan), (1, 1, 1));
        assert_eq!(h.centres(), vec![0.125, 0.375, 0.625, 0.875]);
    }

    #[test]
    fn histogram_bins_agree_with_edges() {
        // With 10 bins on [0, 1) the edges are i·0.1; a value equal to an edge must land in the
        // bin starting at it, whatever (v − lo)/(hi − lo)·n rounds to.
        let h = histogram(&[], 10, (0.0, 1.0));
        let edges = h.edges.clone();
        let h = histogram(&edges[..10], 10, (0.0, 1.0));
        assert_eq!(h.counts, vec![1; 10]);
        let h = histogram(&[0.3, 0.7, 0.6], 10, (0.0, 1.0));
        for (i, &c) in h.counts.iter().enumerate() {
            let expected = [0.3, 0.7, 0.6]
                .iter()
                .filter(|&&v| v >= h.edges[i] && v < h.edges[i + 1])
                .count();
            assert_eq!(c, expected, "bin {i}");
        }
    }

    #[test]
    #[should_panic(expected = "invalid range")]
    fn histogram_rejects_empty_range() {
        histogram(&[1.0], 3, (1.0, 1.0));
    }
}
