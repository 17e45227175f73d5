//! Spike counts, firing rates and trial-averaged PSTHs.

/// Panics unless `t0 < t1`, both finite.
pub(super) fn check_window(t0_ms: f64, t1_ms: f64, what: &str) {
    assert!(
        t0_ms.is_finite() && t1_ms.is_finite() && t1_ms > t0_ms,
        "{what}: invalid window [{t0_ms}, {t1_ms}) ms"
    );
}

/// Panics unless `width_ms` is finite and positive.
pub(super) fn check_width(width_ms: f64, what: &str) {
    assert!(
        width_ms.is_finite() && width_ms > 0.0,
        "{what}: width {width_ms} ms must be finite and positive"
    );
}

/// Debug check of the input contract: spike times sorted ascending.
pub(super) fn debug_check_sorted(train: &[f64]) {
    debug_assert!(
        train.windows(2).all(|w| w[0] <= w[1]),
        "spike times must be sorted ascending"
    );
}

/// Number of whole windows of `width_ms` in `[t0, t1)`: ⌊(t1 − t0)/width + 10⁻⁹⌋, the small
/// tolerance absorbing rounding such as 0.3/0.1 = 2.9999999999999996.
pub(super) fn n_whole_windows(t0_ms: f64, t1_ms: f64, width_ms: f64) -> usize {
    ((t1_ms - t0_ms) / width_ms + 1e-9).floor().max(0.0) as usize
}

/// Writes into `out[k]` the spike count of `train` in window `[t0 + k·w, t0 + (k+1)·w)` for
/// `k < out.len()`. Cost O(out.len() · log(train.len())).
pub(super) fn window_counts(train: &[f64], t0_ms: f64, width_ms: f64, out: &mut [u64]) {
    let mut start = train.partition_point(|&t| t < t0_ms);
    for (k, slot) in out.iter_mut().enumerate() {
        let edge = t0_ms + (k + 1) as f64 * width_ms;
        let end = start + train[start..].partition_point(|&t| t < edge);
        *slot = (end - start) as u64;
        start = end;
    }
}

/// Number of spikes of one sorted train in the half-open window `[t0_ms, t1_ms)`, by binary
/// search (O(log n)). An empty or reversed window counts 0.
pub fn spike_count(train: &[f64], t0_ms: f64, t1_ms: f64) -> usize {
    debug_check_sorted(train);
    let lo = train.partition_point(|&t| t < t0_ms);
    let hi = train.partition_point(|&t| t < t1_ms);
    hi.saturating_sub(lo)
}

/// Firing rate of every neuron in `[t_start_ms, t_end_ms)` (`balanced-theory.md` §6):
///
/// r_j = n_j([t_start, t_end)) / ((t_end − t_start) / 1000)   (Hz)
///
/// A neuron without spikes has rate 0. Discarding a burn-in is the caller's choice of `t_start_ms`.
///
/// # Panics
///
/// If the window is not finite with `t_end_ms > t_start_ms`.
pub fn firing_rates_hz(spikes: &[Vec<f64>], t_start_ms: f64, t_end_ms: f64) -> Vec<f64> {
    check_window(t_start_ms, t_end_ms, "firing_rates_hz");
    let seconds = (t_end_ms - t_start_ms) / 1000.0;
    spikes
        .iter()
        .map(|train| spike_count(train, t_start_ms, t_end_ms) as f64 / seconds)
        .collect()
}

/// Population-mean firing rate of the neurons `neuron_indices` in `[t0_ms, t1_ms)`:
///
/// r̄ = Σ_{j∈A} n_j / (|A| · (t1 − t0)/1000)   (Hz)
///
/// NaN when `neuron_indices` is empty.
///
/// # Panics
///
/// If the window is invalid (see [`firing_rates_hz`]) or an index is out of range.
pub fn mean_rate_hz(spikes: &[Vec<f64>], neuron_indices: &[usize], t0_ms: f64, t1_ms: f64) -> f64 {
    check_window(t0_ms, t1_ms, "mean_rate_hz");
    if neuron_indices.is_empty() {
        return f64::NAN;
    }
    let total: usize = neuron_indices
        .iter()
        .map(|&j| spike_count(&spikes[j], t0_ms, t1_ms))
        .sum();
    total as f64 / (neuron_indices.len() as f64 * (t1_ms - t0_ms) / 1000.0)
}

/// Trial-averaged peri-stimulus time histogram of one neuron, in Hz.
///
/// `trials[m][neuron]` are the neuron's spike times in trial `m` (trial-relative ms). Bin `k`
/// (`k < n_bins`) is `[t0 + k·Δ, t0 + (k+1)·Δ)` with Δ = `bin_ms`, and
///
/// PSTH_k = Σ_m n_m(bin k) / (M · Δ/1000)   (Hz),   M = number of trials.
///
/// `trials` can be `&[Vec<Vec<f64>>]` or `&[&[Vec<f64>]]`. With no trials every bin is NaN.
///
/// # Panics
///
/// If `bin_ms` is not finite and positive, `t0_ms` is not finite, or `neuron` is out of range
/// in a trial.
pub fn psth_hz<T: AsRef<[Vec<f64>]>>(
    trials: &[T],
    neuron: usize,
    t0_ms: f64,
    bin_ms: f64,
    n_bins: usize,
) -> Vec<f64> {
    check_width(bin_ms, "psth_hz");
    assert!(t0_ms.is_finite(), "psth_hz: t0 {t0_ms} ms must be finite");
    let mut total = vec![0u64; n_bins];
    let mut counts = vec![0u64; n_bins];
    for trial in trials {
        let train = &trial.as_ref()[neuron];
        debug_check_sorted(train);
        window_counts(train, t0_ms, bin_ms, &mut counts);
        for (s, c) in total.iter_mut().zip(&counts) {
            *s += c;
        }
    }
    let scale = trials.len() as f64 * bin_ms / 1000.0;
    total.iter().map(|&c| c as f64 / scale).collect()
}

/// Trial-averaged rate of one neuron in boxes centred on given times, in Hz.
///
/// Box `k` is `[c_k − h, c_k + h)` with `c_k = centres_ms[k]`, `h = half_width_ms`, and
///
/// rate_k = Σ_m n_m(box k) / (M · 2h/1000)   (Hz).
///
/// Boxes may overlap. A box reaching outside the recorded trial is **not** truncated: it is
/// still divided by its full width, so keep centres at least `h` inside the recording. `trials`
/// as in [`psth_hz`]; with no trials every value is NaN.
///
/// # Panics
///
/// If `half_width_ms` is not finite and positive, or `neuron` is out of range in a trial.
pub fn box_rate_hz<T: AsRef<[Vec<f64>]>>(
    trials: &[T],
    neuron: usize,
    centres_ms: &[f64],
    half_width_ms: f64,
) -> Vec<f64> {
    check_width(half_width_ms, "box_rate_hz");
    let mut total = vec![0usize; centres_ms.len()];
    for trial in trials {
        let train = &trial.as_ref()[neuron];
        for (s, &c) in total.iter_mut().zip(centres_ms) {
            *s += spike_count(train, c - half_width_ms, c + half_width_ms);
        }
    }
    let scale = trials.len() as f64 * 2.0 * half_width_ms / 1000.0;
    total.iter().map(|&c| c as f64 / scale).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_half_open() {
        let train = [1.0, 2.0, 2.0, 5.0, 9.0];
        assert_eq!(spike_count(&train, 2.0, 5.0), 2);
        assert_eq!(spike_count(&train, 2.0, 5.000001), 3);
        assert_eq!(spike_count(&train, 0.0, 100.0), 5);
        assert_eq!(spike_count(&train, 9.0, 9.0), 0);
        assert_eq!(spike_count(&train, 9.0, 1.0), 0);
        assert_eq!(spike_count(&[], 0.0, 1.0), 0);
    }

    #[test]
    fn rates_exact_for_known_counts() {
        // Window [100, 600) = 0.5 s.
        let spikes = vec![
            vec![50.0, 100.0, 200.0, 599.9, 600.0], // 3 in window → 6 Hz
            vec![],                                 // 0 Hz
            vec![300.0],                            // 2 Hz
        ];
        assert_eq!(firing_rates_hz(&spikes, 100.0, 600.0), vec![6.0, 0.0, 2.0]);
        // 4 spikes over 2 neurons × 0.5 s.
        assert_eq!(mean_rate_hz(&spikes, &[0, 2], 100.0, 600.0), 4.0);
        assert_eq!(mean_rate_hz(&spikes, &[1], 100.0, 600.0), 0.0);
        assert!(mean_rate_hz(&spikes, &[], 100.0, 600.0).is_nan());
        assert!(firing_rates_hz(&[], 0.0, 1.0).is_empty());
    }

    #[test]
    #[should_panic(expected = "invalid window")]
    fn empty_window_panics() {
        firing_rates_hz(&[vec![1.0]], 5.0, 5.0);
    }

    #[test]
    fn window_counts_partition_every_spike() {
        let train = [0.0, 0.1, 0.2, 0.3, 0.30000000000000004, 0.7];
        let mut out = [0u64; 4];
        window_counts(&train, 0.0, 0.1, &mut out);
        // Edges 0, 0.1, 0.2, 0.30000000000000004, 0.4: 0.3 < third edge.
        assert_eq!(out, [1, 1, 2, 1]);
        assert_eq!(n_whole_windows(0.0, 0.3, 0.1), 3);
        assert_eq!(n_whole_windows(1000.0, 3000.0, 100.0), 20);
        assert_eq!(n_whole_windows(0.0, 99.9, 100.0), 0);
    }

    #[test]
    fn psth_hand_computed() {
        // Two trials, neuron 0; 10-ms bins from 0: counts per bin summed over trials [3, 1, 1],
        // divided by 2 trials × 0.01 s → [150, 50, 50] Hz. Spikes at 30 and −1 lie outside.
        let trial1 = vec![vec![1.0, 2.0, 15.0, 30.0], vec![4.0]];
        let trial2 = vec![vec![-1.0, 5.0, 25.0], vec![]];
        let trials = vec![trial1, trial2];
        assert_eq!(psth_hz(&trials, 0, 0.0, 10.0, 3), vec![150.0, 50.0, 50.0]);
        // Slices of neurons work as well.
        let views: Vec<&[Vec<f64>]> = trials.iter().map(|t| t.as_slice()).collect();
        assert_eq!(psth_hz(&views, 1, 0.0, 10.0, 2), vec![50.0, 0.0]);
        let none: [Vec<Vec<f64>>; 0] = [];
        assert!(psth_hz(&none, 0, 0.0, 10.0, 2).iter().all(|r| r.is_nan()));
    }

    #[test]
    fn box_rate_hand_computed() {
        let trials = vec![
            vec![vec![10.0, 40.0, 49.0, 50.0, 95.0]],
            vec![vec![0.0, 55.0]],
        ];
        // Centre 50, h = 25: [25, 75) holds 40, 49, 50 and 55 → 4 / (2 · 0.05 s) = 40 Hz.
        // Centre 20, h = 25: [−5, 45) holds 10, 40 and 0 → 30 Hz.
        assert_eq!(
            box_rate_hz(&trials, 0, &[50.0, 20.0], 25.0),
            vec![40.0, 30.0]
        );
    }

    #[test]
    fn psth_matches_box_rate_on_abutting_boxes() {
        let trials = vec![vec![vec![0.5, 3.0, 4.0, 7.5, 9.9, 10.0, 13.0]]];
        let psth = psth_hz(&trials, 0, 0.0, 2.0, 7);
        let centres: Vec<f64> = (0..7).map(|k| 1.0 + 2.0 * k as f64).collect();
        assert_eq!(psth, box_rate_hz(&trials, 0, &centres, 1.0));
    }
}
