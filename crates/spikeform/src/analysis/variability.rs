//! Spike-train irregularity (CV of ISIs), count variability (Fano factor) and population-averaged
//! pairwise count covariance (`balanced-theory.md` §6).

use super::rates::{check_width, check_window, debug_check_sorted, n_whole_windows, window_counts};
use super::stats::mean_ignoring_nan;

/// Population summary of the ISI coefficient of variation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvSummary {
    /// Mean over the neurons used of their CV_ISI; NaN when no neuron qualified.
    pub mean: f64,
    /// Number of neurons with enough spikes in the window.
    pub n_neurons_used: usize,
}

/// CV_ISI of each listed neuron (`out[k]` belongs to `neurons[k]`), from the spikes in
/// `[t0_ms, t1_ms)`.
///
/// With the neuron's `n` spikes in the window, `n − 1` inter-spike intervals Δ_i,
///
/// CV = σ(Δ) / mean(Δ),   σ(Δ)² = (1/(n−1)) Σ_i (Δ_i − mean(Δ))²   (population SD, ddof = 0).
///
/// Only intervals between two spikes inside the window count. NaN for a neuron with fewer than
/// `max(min_spikes, 2)` spikes in the window, or whose intervals are all zero. A regular train has
/// CV 0, a Poisson train CV ≈ 1.
///
/// # Panics
///
/// If the window is invalid or an index is out of range.
pub fn cv_isi_per_neuron(
    spikes: &[Vec<f64>],
    neurons: &[usize],
    t0_ms: f64,
    t1_ms: f64,
    min_spikes: usize,
) -> Vec<f64> {
    check_window(t0_ms, t1_ms, "cv_isi");
    let min_spikes = min_spikes.max(2);
    neurons
        .iter()
        .map(|&j| {
            let train = &spikes[j];
            debug_check_sorted(train);
            let lo = train.partition_point(|&t| t < t0_ms);
            let hi = train.partition_point(|&t| t < t1_ms);
            let inside = &train[lo..hi.max(lo)];
            if inside.len() < min_spikes {
                return f64::NAN;
            }
            let n_isi = (inside.len() - 1) as f64;
            let mean = inside.windows(2).map(|w| w[1] - w[0]).sum::<f64>() / n_isi;
            if mean <= 0.0 {
                return f64::NAN;
            }
            let var = inside
                .windows(2)
                .map(|w| {
                    let d = w[1] - w[0] - mean;
                    d * d
                })
                .sum::<f64>()
                / n_isi;
            var.sqrt() / mean
        })
        .collect()
}

/// Population CV_ISI (`balanced-theory.md` §6): the mean of [`cv_isi_per_neuron`] over the
/// neurons with at least `max(min_spikes, 2)` spikes in `[t0_ms, t1_ms)` (the spec uses
/// `min_spikes = 3`), and how many they are.
///
/// # Panics
///
/// As [`cv_isi_per_neuron`].
pub fn cv_isi(
    spikes: &[Vec<f64>],
    neurons: &[usize],
    t0_ms: f64,
    t1_ms: f64,
    min_spikes: usize,
) -> CvSummary {
    let s = mean_ignoring_nan(&cv_isi_per_neuron(
        spikes, neurons, t0_ms, t1_ms, min_spikes,
    ));
    CvSummary {
        mean: s.mean,
        n_neurons_used: s.count,
    }
}

/// Windows for count statistics: `n_w` whole windows `[t0 + k·w, t0 + (k+1)·w)` inside
/// `[t0, t1)`.
fn count_windows(t0_ms: f64, t1_ms: f64, window_ms: f64, what: &str) -> usize {
    check_window(t0_ms, t1_ms, what);
    check_width(window_ms, what);
    n_whole_windows(t0_ms, t1_ms, window_ms)
}

/// Fano factor of each listed neuron (`out[k]` belongs to `neurons[k]`).
///
/// The window `[t0_ms, t1_ms)` is cut into `n_w = ⌊(t1 − t0)/w⌋` consecutive, non-overlapping
/// count windows `[t0 + k·w, t0 + (k+1)·w)` (`w = window_ms`; a remainder shorter than `w` at the
/// end is ignored). With `c_k` the neuron's count in window `k`,
///
/// F = Var(c) / mean(c),   Var(c) = (1/n_w) Σ_k (c_k − mean(c))²   (ddof = 0).
///
/// NaN when the mean count is 0 or `n_w < 2`. A Poisson train has F ≈ 1 (the ddof-0 variance is
/// biased low by a factor (n_w − 1)/n_w); a perfectly regular train whose period divides `w` has
/// F = 0.
///
/// # Panics
///
/// If the window or `window_ms` is invalid, or an index is out of range.
pub fn fano_factor_per_neuron(
    spikes: &[Vec<f64>],
    neurons: &[usize],
    t0_ms: f64,
    t1_ms: f64,
    window_ms: f64,
) -> Vec<f64> {
    let n_w = count_windows(t0_ms, t1_ms, window_ms, "fano_factor");
    let mut counts = vec![0u64; n_w];
    neurons
        .iter()
        .map(|&j| {
            if n_w < 2 {
                return f64::NAN;
            }
            debug_check_sorted(&spikes[j]);
            window_counts(&spikes[j], t0_ms, window_ms, &mut counts);
            let total: u64 = counts.iter().sum();
            if total == 0 {
                return f64::NAN;
            }
            let mean = total as f64 / n_w as f64;
            let var = counts
                .iter()
                .map(|&c| {
                    let d = c as f64 - mean;
                    d * d
                })
                .sum::<f64>()
                / n_w as f64;
            var / mean
        })
        .collect()
}

/// Population Fano factor (`balanced-theory.md` §6): the mean of [`fano_factor_per_neuron`] over
/// the neurons with a nonzero mean count. NaN when there is none (or fewer than 2 windows).
///
/// # Panics
///
/// As [`fano_factor_per_neuron`].
pub fn fano_factor(
    spikes: &[Vec<f64>],
    neurons: &[usize],
    t0_ms: f64,
    t1_ms: f64,
    window_ms: f64,
) -> f64 {
    mean_ignoring_nan(&fano_factor_per_neuron(
        spikes, neurons, t0_ms, t1_ms, window_ms,
    ))
    .mean
}

/// For a group, the summed count `s(w) = Σ_j n_j(w)` of every window and
/// `Σ_j n_w²·Var[n_j] = Σ_j (n_w Σ_w n_j(w)² − (Σ_w n_j(w))²)`, both exact in integers.
fn group_counts(
    spikes: &[Vec<f64>],
    group: &[usize],
    t0_ms: f64,
    window_ms: f64,
    n_w: usize,
) -> (Vec<i128>, i128) {
    let mut sum = vec![0i128; n_w];
    let mut counts = vec![0u64; n_w];
    let mut scaled_var_sum = 0i128;
    for &j in group {
        debug_check_sorted(&spikes[j]);
        window_counts(&spikes[j], t0_ms, window_ms, &mut counts);
        let (mut s1, mut s2) = (0i128, 0i128);
        for (acc, &c) in sum.iter_mut().zip(&counts) {
            let c = i128::from(c);
            *acc += c;
            s1 += c;
            s2 += c * c;
        }
        scaled_var_sum += n_w as i128 * s2 - s1 * s1;
    }
    (sum, scaled_var_sum)
}

/// Population-averaged pairwise spike-count covariance without an N×N matrix
/// (`balanced-theory.md` §6, "population-covariance trick").
///
/// Counts `n_j(w)` are taken in the `n_w` whole windows `[t0 + k·w, t0 + (k+1)·w)` of
/// [`fano_factor_per_neuron`], and all (co)variances are over windows with ddof = 0. With
/// `s_A(w) = Σ_{j∈A} n_j(w)`:
///
/// - `group_b = None`: the mean over ordered pairs `j ≠ k` of A of Cov(n_j, n_k),
///   `C̄_AA = (Var[s_A] − Σ_{j∈A} Var[n_j]) / (|A|(|A|−1))`;
/// - `group_b = Some(B)`: the mean over all pairs `(j, k) ∈ A × B` of Cov(n_j, n_k),
///   `C̄_AB = Cov(s_A, s_B) / (|A||B|)` (if A and B overlap, the pairs `j = k` contribute `Var[n_j]`;
///   use `None` for the within-group mean).
///
/// Cost O((|A| + |B|)·(n_w log n + n_w)). The sums are accumulated exactly in integers, so the
/// cancellation in `Var[s_A] − Σ Var[n_j]` loses nothing; only the final division rounds.
/// Indices within a group must be distinct. NaN when `n_w < 2`, `|A| < 2` (for `None`) or a group
/// is empty.
///
/// # Panics
///
/// If the window or `window_ms` is invalid, or an index is out of range.
pub fn mean_pairwise_count_covariance(
    spikes: &[Vec<f64>],
    group_a: &[usize],
    group_b: Option<&[usize]>,
    t0_ms: f64,
    t1_ms: f64,
    window_ms: f64,
) -> f64 {
    let n_w = count_windows(t0_ms, t1_ms, window_ms, "mean_pairwise_count_covariance");
    if n_w < 2 || group_a.is_empty() {
        return f64::NAN;
    }
    let nw = n_w as i128;
    let (s_a, var_sum_a) = group_counts(spikes, group_a, t0_ms, window_ms, n_w);
    let sum_a: i128 = s_a.iter().sum();
    // Numerators are n_w² times the ddof-0 (co)variances.
    match group_b {
        None => {
            if group_a.len() < 2 {
                return f64::NAN;
            }
            let sq_a: i128 = s_a.iter().map(|s| s * s).sum();
            let num = nw * sq_a - sum_a * sum_a - var_sum_a;
            let pairs = group_a.len() as f64 * (group_a.len() - 1) as f64;
            num as f64 / (n_w as f64 * n_w as f64 * pairs)
        }
        Some(group_b) => {
            if group_b.is_empty() {
                return f64::NAN;
            }
            let (s_b, _) = group_counts(spikes, group_b, t0_ms, window_ms, n_w);
            let sum_b: i128 = s_b.iter().sum();
            let cross: i128 = s_a.iter().zip(&s_b).map(|(a, b)| a * b).sum();
            let num = nw * cross - sum_a * sum_b;
            let pairs = group_a.len() as f64 * group_b.len() as f64;
            num as f64 / (n_w as f64 * n_w as f64 * pairs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Exp};
    use rand_pcg::Pcg64;

    /// Homogeneous Poisson train of `rate_hz` on [0, t_end_ms).
    fn poisson(rng: &mut Pcg64, rate_hz: f64, t_end_ms: f64) -> Vec<f64> {
        let isi = Exp::new(rate_hz / 1000.0).unwrap();
        let mut t = 0.0;
        let mut out = Vec::new();
        loop {
            t += isi.sample(rng);
            if t >= t_end_ms {
                return out;
            }
            out.push(t);
        }
    }

    fn merge(a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut m: Vec<f64> = a.iter().chain(b).copied().collect();
        m.sort_by(f64::total_cmp);
        m
    }

    #[test]
    fn regular_train_has_cv_zero_and_fano_zero() {
        // Period 10 ms, integer times: ISIs exactly 10, every 100-ms window holds 10 spikes.
        let regular: Vec<f64> = (0..300).map(|k| 5.0 + 10.0 * k as f64).collect();
        let spikes = vec![regular];
        let cv = cv_isi(&spikes, &[0], 0.0, 3000.0, 3);
        assert_eq!((cv.mean, cv.n_neurons_used), (0.0, 1));
        assert_eq!(fano_factor(&spikes, &[0], 0.0, 3000.0, 100.0), 0.0);
    }

    #[test]
    fn cv_hand_computed() {
        // ISIs 1, 3 inside [0, 10): mean 2, ddof-0 SD 1 → CV 0.5. Spike at 10 is excluded.
        let spikes = vec![vec![1.0, 2.0, 5.0, 10.0], vec![1.0, 2.0], vec![]];
        let per = cv_isi_per_neuron(&spikes, &[0, 1, 2], 0.0, 10.0, 3);
        assert_eq!(per[0], 0.5);
        assert!(per[1].is_nan() && per[2].is_nan());
        // min_spikes below 2 is raised to 2: two spikes give one ISI, CV 0.
        assert_eq!(cv_isi_per_neuron(&spikes, &[1], 0.0, 10.0, 0), vec![0.0]);
        let s = cv_isi(&spikes, &[0, 1, 2], 0.0, 10.0, 3);
        assert_eq!((s.mean, s.n_neurons_used), (0.5, 1));
        let none = cv_isi(&spikes, &[1, 2], 0.0, 10.0, 3);
        assert!(none.mean.is_nan());
        assert_eq!(none.n_neurons_used, 0);
        // Coincident spikes only: mean ISI 0 → NaN.
        assert!(cv_isi_per_neuron(&[vec![3.0; 4]], &[0], 0.0, 10.0, 3)[0].is_nan());
    }

    #[test]
    fn fano_hand_computed() {
        // Windows of 10 ms on [0, 40): counts 2, 0, 1, 1 → mean 1, ddof-0 var 0.5 → F = 0.5.
        // Spike at 41 lies in the incomplete remainder [40, 45) and is ignored.
        let spikes = vec![vec![1.0, 9.0, 25.0, 30.0, 41.0], vec![], vec![50.0]];
        let per = fano_factor_per_neuron(&spikes, &[0, 1, 2], 0.0, 45.0, 10.0);
        assert_eq!(per[0], 0.5);
        assert!(per[1].is_nan() && per[2].is_nan());
        assert_eq!(fano_factor(&spikes, &[0, 1, 2], 0.0, 45.0, 10.0), 0.5);
        assert!(fano_factor(&spikes, &[1], 0.0, 45.0, 10.0).is_nan());
        // A single window has no variance to speak of.
        assert!(fano_factor(&spikes, &[0], 0.0, 15.0, 10.0).is_nan());
    }

    #[test]
    fn poisson_trains_have_cv_one_and_fano_one() {
        // 50 neurons × 200 s at 20 Hz: ~4000 spikes each. The per-neuron CV estimate has SD
        // ≈ 1/√n ≈ 0.016 and the Fano estimate (2000 windows of mean count 2) SD
        // ≈ √((μ + 2μ²)/n_w)/μ ≈ 0.035, so the means over 50 neurons have SD ≈ 0.002 and 0.005:
        // the tolerances 0.05 and 0.1 are > 20 SD, while the ddof-0 biases are < 0.001.
        let mut rng = Pcg64::seed_from_u64(7);
        let spikes: Vec<Vec<f64>> = (0..50)
            .map(|_| poisson(&mut rng, 20.0, 200_000.0))
            .collect();
        let all: Vec<usize> = (0..50).collect();
        let cv = cv_isi(&spikes, &all, 0.0, 200_000.0, 3);
        assert_eq!(cv.n_neurons_used, 50);
        assert!((cv.mean - 1.0).abs() < 0.05, "CV {}", cv.mean);
        let f = fano_factor(&spikes, &all, 0.0, 200_000.0, 100.0);
        assert!((f - 1.0).abs() < 0.1, "Fano {f}");
    }

    /// Brute-force mean of the N×N count covariance matrix (ddof 0) over the requested pairs.
    fn brute_force(
        spikes: &[Vec<f64>],
        a: &[usize],
        b: Option<&[usize]>,
        t0: f64,
        w: f64,
        n_w: usize,
    ) -> f64 {
        let counts = |j: usize| -> Vec<f64> {
            (0..n_w)
                .map(|k| {
                    let lo = t0 + k as f64 * w;
                    spikes[j].iter().filter(|&&t| t >= lo && t < lo + w).count() as f64
                })
                .collect()
        };
        let cov = |x: &[f64], y: &[f64]| {
            let mx = x.iter().sum::<f64>() / n_w as f64;
            let my = y.iter().sum::<f64>() / n_w as f64;
            x.iter()
                .zip(y)
                .map(|(u, v)| (u - mx) * (v - my))
                .sum::<f64>()
                / n_w as f64
        };
        let (mut total, mut pairs) = (0.0, 0usize);
        for &j in a {
            for &k in b.unwrap_or(a) {
                if b.is_none() && j == k {
                    continue;
                }
                total += cov(&counts(j), &counts(k));
                pairs += 1;
            }
        }
        total / pairs as f64
    }

    #[test]
    fn covariance_trick_matches_brute_force() {
        let mut rng = Pcg64::seed_from_u64(11);
        // Neurons share spikes of a common source with random probability, so the covariances
        // are nonzero and differ between pairs.
        let common = poisson(&mut rng, 30.0, 2000.0);
        let spikes: Vec<Vec<f64>> = (0..40)
            .map(|_| {
                let p: f64 = rng.random();
                let shared: Vec<f64> = common
                    .iter()
                    .copied()
                    .filter(|_| rng.random::<f64>() < p)
                    .collect();
                let own = poisson(&mut rng, 10.0, 2000.0);
                merge(&own, &shared)
            })
            .collect();
        let a: Vec<usize> = (0..25).collect();
        let b: Vec<usize> = (20..40).collect(); // overlaps A in 20..25
        let (t0, t1, w) = (100.0, 1950.0, 50.0); // 37 windows, remainder ignored
        let n_w = 37;
        let fast = mean_pairwise_count_covariance(&spikes, &a, None, t0, t1, w);
        let slow = brute_force(&spikes, &a, None, t0, w, n_w);
        assert!(
            slow.abs() > 0.05,
            "test needs nonzero covariance, got {slow}"
        );
        assert!((fast - slow).abs() < 1e-12, "{fast} vs {slow}");
        let fast = mean_pairwise_count_covariance(&spikes, &a, Some(&b), t0, t1, w);
        let slow = brute_force(&spikes, &a, Some(&b), t0, w, n_w);
        assert!((fast - slow).abs() < 1e-12, "{fast} vs {slow}");
    }

    #[test]
    fn covariance_hand_computed_and_edge_cases() {
        // Windows of 10 ms on [0, 30). Neuron 0 counts (2, 0, 1), neuron 1 counts (2, 0, 1):
        // Cov = Var = ((1)² + (−1)² + 0²)/3 = 2/3. Neuron 2 counts (0, 1, 2): Cov with neuron 0
        // = ((1)(−1) + (−1)(0) + (0)(1))/3 = −1/3.
        let spikes = vec![
            vec![1.0, 2.0, 25.0],
            vec![3.0, 4.0, 21.0],
            vec![15.0, 22.0, 23.0],
        ];
        let c01 = mean_pairwise_count_covariance(&spikes, &[0, 1], None, 0.0, 30.0, 10.0);
        assert!((c01 - 2.0 / 3.0).abs() < 1e-15);
        let c02 = mean_pairwise_count_covariance(&spikes, &[0], Some(&[2]), 0.0, 30.0, 10.0);
        assert!((c02 + 1.0 / 3.0).abs() < 1e-15);
        assert!(mean_pairwise_count_covariance(&spikes, &[0], None, 0.0, 30.0, 10.0).is_nan());
        assert!(mean_pairwise_count_covariance(&spikes, &[], Some(&[1]), 0.0, 30.0, 10.0).is_nan());
        assert!(mean_pairwise_count_covariance(&spikes, &[0, 1], None, 0.0, 15.0, 10.0).is_nan());
    }

    #[test]
    fn common_input_covariance_matches_closed_form() {
        // Each neuron = own Poisson (10 Hz) + every spike of one shared 10-Hz Poisson source.
        // For j ≠ k, Cov(n_j, n_k) = Var(shared count) = 10 Hz · 0.1 s = 1 in 100-ms windows;
        // a neuron of an independent group C has zero covariance with them.
        // With 10⁴ windows the estimates have SD ≈ √(Var_j Var_k)/√n_w ≈ 2/100 = 0.02
        // (an upper bound for the within-group mean, whose pair errors are correlated), so the
        // tolerance 0.1 is 5 SD.
        let mut rng = Pcg64::seed_from_u64(3);
        let t_end = 1_000_000.0;
        let shared = poisson(&mut rng, 10.0, t_end);
        let mut spikes: Vec<Vec<f64>> = (0..20)
            .map(|_| merge(&poisson(&mut rng, 10.0, t_end), &shared))
            .collect();
        spikes.extend((0..20).map(|_| poisson(&mut rng, 20.0, t_end)));
        let a: Vec<usize> = (0..10).collect();
        let b: Vec<usize> = (10..20).collect();
        let c: Vec<usize> = (20..40).collect();
        let caa = mean_pairwise_count_covariance(&spikes, &a, None, 0.0, t_end, 100.0);
        let cab = mean_pairwise_count_covariance(&spikes, &a, Some(&b), 0.0, t_end, 100.0);
        let cac = mean_pairwise_count_covariance(&spikes, &a, Some(&c), 0.0, t_end, 100.0);
        let ccc = mean_pairwise_count_covariance(&spikes, &c, None, 0.0, t_end, 100.0);
        assert!((caa - 1.0).abs() < 0.1, "C_AA {caa}");
        assert!((cab - 1.0).abs() < 0.1, "C_AB {cab}");
        assert!(cac.abs() < 0.1, "C_AC {cac}");
        assert!(ccc.abs() < 0.1, "C_CC {ccc}");
    }
}
