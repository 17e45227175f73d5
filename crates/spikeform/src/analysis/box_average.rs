//! Online box average of continuously sampled signals (`rls-training.md` §3.9).

use std::ops::Range;

/// Online accumulator of box averages of `n_signals` sampled signals around sorted bin centres.
///
/// Bin `k` has centre `c_k` and the half-open box `[c_k − h, c_k + h)`. Each sample `(t, x)` is
/// added to every bin whose box contains `t`, and
///
/// avg[k, i] = (1/N_k) Σ_{samples t ∈ [c_k − h, c_k + h)} x_i(t),
///
/// with `N_k` the number of samples bin `k` received; a bin without samples is NaN.
///
/// For the R metric of `rls-training.md` §3.9 the centres are `c_k = 1000 + 20k` ms for
/// `k = 1..=100` ([`BoxAverager::uniform`]`(1020.0, 20.0, 100, 50.0, n)`) and the caller feeds one
/// sample per ms for `t ∈ (1000, 3000]`, with `x_i = xE_i + xI_i + xP_i`. The restriction to the
/// training window is the caller's: bins at the edges then hold fewer samples (69, 89, then 100,
/// and 91, 71, 51 at the end), exactly as the reference's rolling accumulator `funRollingAvg`.
///
/// Samples may arrive in any order. The cost of [`add_sample`](Self::add_sample) is
/// O(log n_bins + bins touched × n_signals).
///
/// ```
/// use spikeform::analysis::BoxAverager;
/// let mut avg = BoxAverager::uniform(1020.0, 20.0, 100, 50.0, 1);
/// for ms in 1001..=3000 {
///     let t = ms as f64;
///     avg.add_sample(t, &[t]);
/// }
/// assert_eq!(&avg.counts()[..3], &[69, 89, 100]);
/// let x = avg.finish(); // 100 bins × 1 signal, row-major
/// assert_eq!(x[0], 1035.0); // mean of 1001..=1069
/// ```
#[derive(Debug, Clone)]
pub struct BoxAverager {
    centres_ms: Vec<f64>,
    half_width_ms: f64,
    n_signals: usize,
    sums: Vec<f64>,
    counts: Vec<usize>,
}

impl BoxAverager {
    /// An empty accumulator for bins centred at `centres_ms` (non-decreasing, finite), boxes of
    /// half width `half_width_ms`, and `n_signals` signals per sample.
    ///
    /// # Panics
    ///
    /// If a centre is not finite, the centres decrease somewhere, or `half_width_ms` is not finite
    /// and positive.
    pub fn new(centres_ms: Vec<f64>, half_width_ms: f64, n_signals: usize) -> Self {
        assert!(
            centres_ms.iter().all(|c| c.is_finite()),
            "BoxAverager: bin centres must be finite"
        );
        assert!(
            centres_ms.windows(2).all(|w| w[0] <= w[1]),
            "BoxAverager: bin centres must be sorted ascending"
        );
        assert!(
            half_width_ms.is_finite() && half_width_ms > 0.0,
            "BoxAverager: half width {half_width_ms} ms must be finite and positive"
        );
        let n_bins = centres_ms.len();
        Self {
            centres_ms,
            half_width_ms,
            n_signals,
            sums: vec![0.0; n_bins * n_signals],
            counts: vec![0; n_bins],
        }
    }

    /// Equally spaced centres `c_k = first_centre_ms + k·spacing_ms`, `k = 0..n_bins` (computed by
    /// multiplication, not accumulation); otherwise as [`new`](Self::new).
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new), and if `spacing_ms` is negative.
    pub fn uniform(
        first_centre_ms: f64,
        spacing_ms: f64,
        n_bins: usize,
        half_width_ms: f64,
        n_signals: usize,
    ) -> Self {
        let centres = (0..n_bins)
            .map(|k| first_centre_ms + k as f64 * spacing_ms)
            .collect();
        Self::new(centres, half_width_ms, n_signals)
    }

    /// Number of bins.
    pub fn n_bins(&self) -> usize {
        self.centres_ms.len()
    }

    /// Number of signals per sample.
    pub fn n_signals(&self) -> usize {
        self.n_signals
    }

    /// The bin centres, in ms.
    pub fn centres_ms(&self) -> &[f64] {
        &self.centres_ms
    }

    /// Number of samples each bin has received.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }

    /// The bins whose box contains `t_ms`: `c_k − h ≤ t < c_k + h`, i.e. `t − h < c_k ≤ t + h`.
    /// Found by binary search on the sorted centres. Empty for a non-finite `t_ms`.
    pub fn bins_containing(&self, t_ms: f64) -> Range<usize> {
        if !t_ms.is_finite() {
            return 0..0;
        }
        let h = self.half_width_ms;
        // Compare in the form of the definition so that rounding matches it exactly.
        let lo = self.centres_ms.partition_point(|&c| t_ms >= c + h);
        let hi = self.centres_ms.partition_point(|&c| c - h <= t_ms);
        lo..hi.max(lo)
    }

    /// Adds one sample taken at `t_ms` (`values[i]` = signal `i`) to every bin whose box contains
    /// `t_ms`. A sample outside every box is ignored.
    ///
    /// # Panics
    ///
    /// If `values.len() != n_signals`.
    pub fn add_sample(&mut self, t_ms: f64, values: &[f64]) {
        assert_eq!(
            values.len(),
            self.n_signals,
            "BoxAverager::add_sample: expected {} values",
            self.n_signals
        );
        let n = self.n_signals;
        for k in self.bins_containing(t_ms) {
            self.counts[k] += 1;
            for (s, &v) in self.sums[k * n..(k + 1) * n].iter_mut().zip(values) {
                *s += v;
            }
        }
    }

    /// The box averages, `n_bins × n_signals` row-major (time-major): entry `k·n_signals + i` is
    /// signal `i` averaged over bin `k`. Bins without samples are NaN. The accumulator is left
    /// unchanged.
    pub fn finish(&self) -> Vec<f64> {
        let n = self.n_signals;
        let mut out = self.sums.clone();
        for (k, &count) in self.counts.iter().enumerate() {
            let row = &mut out[k * n..(k + 1) * n];
            if count == 0 {
                row.fill(f64::NAN);
            } else {
                let c = count as f64;
                row.iter_mut().for_each(|v| *v /= c);
            }
        }
        out
    }

    /// Clears all sums and counts, keeping the bins (e.g. for the next trial).
    pub fn reset(&mut self) {
        self.sums.fill(0.0);
        self.counts.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's configuration: centres 1000 + 20k (k = 1..=100), h = 50, samples every 1 ms
    /// for t ∈ (1000, 3000].
    fn spec_averager(n_signals: usize) -> BoxAverager {
        BoxAverager::uniform(1020.0, 20.0, 100, 50.0, n_signals)
    }

    #[test]
    fn spec_sample_counts() {
        let mut avg = spec_averager(2);
        for ms in 1001..=3000 {
            avg.add_sample(ms as f64, &[0.0, 0.0]);
        }
        let counts = avg.counts();
        assert_eq!(&counts[..2], &[69, 89]);
        assert!(counts[2..97].iter().all(|&c| c == 100));
        assert_eq!(&counts[97..], &[91, 71, 51]);
    }

    #[test]
    fn matches_reference_rolling_accumulator() {
        // funRollingAvg: startInd = floor((t − 1000 − 50)/20) + 1 (1-based), bins
        // max(startInd, 1)..=min(startInd + 4, 100).
        let avg = spec_averager(0);
        for ms in 1001..=3000 {
            let t = ms as f64;
            let start = ((t - 1000.0 - 50.0) / 20.0).floor() as i64 + 1;
            let lo = start.max(1) as usize - 1;
            let hi = (start + 4).min(100) as usize;
            assert_eq!(avg.bins_containing(t), lo..hi, "t = {t}");
        }
    }

    #[test]
    fn averages_closed_form() {
        // Signal 0 = t, signal 1 = 2 (constant). Bin 1 (centre 1020) averages t = 1001..=1069:
        // 1035. Bin 3 (centre 1060) averages 1010..=1109: 1059.5. Bin 100 (centre 3000)
        // averages 2950..=3000: 2975.
        let mut avg = spec_averager(2);
        for ms in 1001..=3000 {
            let t = ms as f64;
            avg.add_sample(t, &[t, 2.0]);
        }
        let x = avg.finish();
        assert_eq!(x.len(), 200);
        assert_eq!(x[0], 1035.0);
        assert_eq!(x[2 * 2], 1059.5);
        assert_eq!(x[99 * 2], 2975.0);
        assert!(x.chunks(2).all(|row| row[1] == 2.0));
    }

    #[test]
    fn general_centres_empty_bins_and_reset() {
        let mut avg = BoxAverager::new(vec![0.0, 10.0, 10.0, 100.0], 5.0, 1);
        assert_eq!(avg.bins_containing(5.0), 1..3); // [5, 15) boxes, not [−5, 5)
        assert_eq!(avg.bins_containing(-5.0), 0..1);
        assert!(avg.bins_containing(50.0).is_empty());
        assert_eq!(avg.bins_containing(f64::NAN), 0..0);
        avg.add_sample(5.0, &[4.0]);
        avg.add_sample(9.0, &[2.0]);
        avg.add_sample(1.0, &[7.0]);
        avg.add_sample(50.0, &[1e9]); // in no box
        let x = avg.finish();
        assert_eq!(x[0], 7.0);
        assert_eq!((x[1], x[2]), (3.0, 3.0));
        assert!(x[3].is_nan());
        avg.reset();
        assert!(avg.counts().iter().all(|&c| c == 0));
        assert!(avg.finish().iter().all(|v| v.is_nan()));
    }

    #[test]
    #[should_panic(expected = "sorted ascending")]
    fn unsorted_centres_rejected() {
        BoxAverager::new(vec![1.0, 0.0], 1.0, 1);
    }

    #[test]
    #[should_panic(expected = "expected 2 values")]
    fn wrong_sample_width_rejected() {
        spec_averager(2).add_sample(1500.0, &[1.0]);
    }
}
