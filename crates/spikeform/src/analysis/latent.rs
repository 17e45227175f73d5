//! Analyses of a network driven by latent variables κ(t) (`../shared/spec/latent.md` §3–§6, a
//! reconstruction after Gort & Renart): statistics per stretch of constant κ (population rate,
//! across-cell rate SD, untuned cells' rate, population-mean net input), the coherence of the
//! mean input with κ², and single-index fits with the interaction index for D = 2.
//!
//! κ is given sampled every millisecond: `kappa_ms[k·D + d]` is κ_d on `(k, k + 1]` ms.

use super::{firing_rates_hz, mean_sd, pearson};

/// A stretch `[start_ms, end_ms)` of constant κ (after its settling time).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// κ in the stretch.
    pub kappa: Vec<f64>,
    /// Start (ms).
    pub start_ms: f64,
    /// End (ms).
    pub end_ms: f64,
}

/// The stretches of constant κ in `kappa_ms` (D = `dims`) that end after `from_ms`, each cut to
/// start `settle_ms` after κ changed (and not before `from_ms`); stretches shorter than
/// `min_ms` after the cut are dropped. A smoothly varying κ has none.
pub fn constant_segments(
    kappa_ms: &[f64],
    dims: usize,
    (from_ms, settle_ms, min_ms): (f64, f64, f64),
) -> Vec<Segment> {
    let samples: Vec<&[f64]> = kappa_ms.chunks_exact(dims).collect();
    let mut segments = Vec::new();
    let mut start = 0;
    for k in 1..=samples.len() {
        if k < samples.len() && samples[k] == samples[start] {
            continue;
        }
        let t0 = (start as f64 + settle_ms).max(from_ms);
        let t1 = k as f64;
        if t1 - t0 >= min_ms {
            segments.push(Segment {
                kappa: samples[start].to_vec(),
                start_ms: t0,
                end_ms: t1,
            });
        }
        start = k;
    }
    segments
}

/// What the cells do in one stretch of constant κ.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentStats {
    /// The stretch.
    pub segment: Segment,
    /// Rate of every analysed cell (Hz), aligned with the cells.
    pub cell_rates_hz: Vec<f64>,
    /// Mean rate over the cells (Hz).
    pub rate_hz: f64,
    /// SD of the rates across cells (Hz, population form).
    pub rate_sd_hz: f64,
    /// Mean rate of the untuned cells (Hz; NaN without any).
    pub untuned_rate_hz: f64,
    /// Population-mean net input averaged over the stretch (NaN where not sampled).
    pub mean_input: f64,
}

/// A population-mean input sampled every `every_ms` from `first_ms` on.
#[derive(Debug, Clone, Copy)]
pub struct SampledInput<'a> {
    /// Samples.
    pub values: &'a [f64],
    /// Time of the first sample (ms).
    pub first_ms: f64,
    /// Interval (ms).
    pub every_ms: f64,
}

impl SampledInput<'_> {
    /// Mean of the samples with `t0 ≤ t < t1` (NaN without any).
    pub fn mean_in(&self, t0: f64, t1: f64) -> f64 {
        let inside: Vec<f64> = self
            .values
            .iter()
            .enumerate()
            .filter(|(k, _)| {
                let t = self.first_ms + *k as f64 * self.every_ms;
                t >= t0 && t < t1
            })
            .map(|(_, v)| *v)
            .collect();
        if inside.is_empty() {
            f64::NAN
        } else {
            mean_sd(&inside).0
        }
    }
}

/// Statistics of `cells` (indices into `spikes`) in `segment`; `untuned` are positions in
/// `cells`.
pub fn segment_stats(
    spikes: &[Vec<f64>],
    cells: &[usize],
    untuned: &[usize],
    segment: &Segment,
    input: Option<SampledInput<'_>>,
) -> SegmentStats {
    let all = firing_rates_hz(spikes, segment.start_ms, segment.end_ms);
    let cell_rates_hz: Vec<f64> = cells.iter().map(|&i| all[i]).collect();
    let (rate_hz, rate_sd_hz) = mean_sd(&cell_rates_hz);
    let untuned_rates: Vec<f64> = untuned.iter().map(|&k| cell_rates_hz[k]).collect();
    SegmentStats {
        segment: segment.clone(),
        rate_hz,
        rate_sd_hz,
        untuned_rate_hz: mean_sd(&untuned_rates).0,
        mean_input: input.map_or(f64::NAN, |x| x.mean_in(segment.start_ms, segment.end_ms)),
        cell_rates_hz,
    }
}

/// Pearson correlation between the mean input and |κ|², both averaged in bins of `bin_ms`
/// starting at the input's first sample (bins the input does not fill are dropped).
pub fn input_kappa_squared_pearson(
    input: SampledInput<'_>,
    kappa_ms: &[f64],
    dims: usize,
    bin_ms: f64,
) -> f64 {
    let per_bin = (bin_ms / input.every_ms).round().max(1.0) as usize;
    let (mut mu, mut k2) = (Vec::new(), Vec::new());
    for (b, chunk) in input.values.chunks_exact(per_bin).enumerate() {
        let t0 = input.first_ms + (b * per_bin) as f64 * input.every_ms;
        let squares: Vec<f64> = (0..per_bin)
            .filter_map(|j| {
                let t = t0 + j as f64 * input.every_ms;
                let k = (t.ceil() as usize).checked_sub(1)?;
                let kappa = kappa_ms.get(k * dims..(k + 1) * dims)?;
                Some(kappa.iter().map(|x| x * x).sum())
            })
            .collect();
        if squares.len() == per_bin {
            mu.push(mean_sd(chunk).0);
            k2.push(mean_sd(&squares).0);
        }
    }
    pearson(&mu, &k2)
}

/// Isotonic (non-decreasing) least-squares fit of `y` (already ordered by the regressor), by
/// pool-adjacent-violators; returns the fitted values.
pub fn isotonic_fit(y: &[f64]) -> Vec<f64> {
    // Blocks of (sum, count).
    let mut blocks: Vec<(f64, usize)> = Vec::with_capacity(y.len());
    for &v in y {
        blocks.push((v, 1));
        while blocks.len() > 1 {
            let (s1, c1) = blocks[blocks.len() - 1];
            let (s0, c0) = blocks[blocks.len() - 2];
            if s0 / c0 as f64 <= s1 / c1 as f64 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (s0 + s1, c0 + c1);
        }
    }
    blocks
        .iter()
        .flat_map(|&(s, c)| std::iter::repeat_n(s / c as f64, c))
        .collect()
}

/// R² of the best single-index model `r ≈ g(cos θ·κ₁ + sin θ·κ₂)` with `g` monotone (isotonic
/// regression), over `angles` directions θ ∈ [0, π) and both monotone directions. Ties in the
/// projection are broken by the order of the points. NaN when the rates do not vary.
pub fn single_index_r2(points: &[[f64; 2]], rates: &[f64], angles: usize) -> f64 {
    let sd = mean_sd(rates).1;
    let sst = sd * sd * rates.len() as f64;
    if sst <= 0.0 {
        return f64::NAN;
    }
    let mut best_sse = f64::INFINITY;
    for a in 0..angles {
        let theta = std::f64::consts::PI * a as f64 / angles as f64;
        let (c, s) = (theta.cos(), theta.sin());
        let mut order: Vec<usize> = (0..points.len()).collect();
        let proj = |i: usize| c * points[i][0] + s * points[i][1];
        order.sort_by(|&i, &j| proj(i).total_cmp(&proj(j)));
        let y: Vec<f64> = order.iter().map(|&i| rates[i]).collect();
        let up = isotonic_fit(&y);
        let neg: Vec<f64> = y.iter().map(|v| -v).collect();
        let down = isotonic_fit(&neg);
        let sse = |fit: &[f64], sign: f64| -> f64 {
            y.iter().zip(fit).map(|(v, f)| (v - sign * f).powi(2)).sum()
        };
        best_sse = best_sse.min(sse(&up, 1.0)).min(sse(&down, -1.0));
    }
    1.0 - best_sse / sst
}

/// Mean |interaction index| of a cell over a grid: for every grid point with κ₁ ≠ 0 and κ₂ ≠ 0,
/// `I = [r(κ₁, κ₂) − r(κ₁, 0) − r(0, κ₂) + r(0, 0)] / SD(r)`. `points` must contain the axes
/// (κ₁, 0), (0, κ₂) and the origin; NaN when they are missing or the rates do not vary.
pub fn interaction_index(points: &[[f64; 2]], rates: &[f64]) -> f64 {
    let sd = mean_sd(rates).1;
    let at = |p: [f64; 2]| points.iter().position(|q| *q == p).map(|k| rates[k]);
    let Some(r00) = at([0.0, 0.0]) else {
        return f64::NAN;
    };
    let mut values = Vec::new();
    for (p, &r) in points.iter().zip(rates) {
        if p[0] == 0.0 || p[1] == 0.0 {
            continue;
        }
        match (at([p[0], 0.0]), at([0.0, p[1]])) {
            (Some(r10), Some(r01)) => values.push(((r - r10 - r01 + r00) / sd).abs()),
            _ => return f64::NAN,
        }
    }
    if values.is_empty() || sd <= 0.0 {
        f64::NAN
    } else {
        mean_sd(&values).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_changes_of_kappa_and_skip_the_settling_time() {
        let kappa = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let s = constant_segments(&kappa, 1, (1.0, 2.0, 1.0));
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].start_ms, s[0].end_ms), (2.0, 4.0));
        assert_eq!(
            (s[1].kappa.clone(), s[1].start_ms, s[1].end_ms),
            (vec![1.0], 6.0, 10.0)
        );
        let sine: Vec<f64> = (0..100).map(|k| (k as f64 * 0.1).sin()).collect();
        assert!(constant_segments(&sine, 1, (0.0, 5.0, 10.0)).is_empty());
    }

    #[test]
    fn isotonic_fit_pools_violators() {
        assert_eq!(
            isotonic_fit(&[1.0, 3.0, 2.0, 4.0]),
            vec![1.0, 2.5, 2.5, 4.0]
        );
        assert_eq!(isotonic_fit(&[3.0, 2.0, 1.0]), vec![2.0, 2.0, 2.0]);
    }

    fn grid() -> Vec<[f64; 2]> {
        let v = [-1.0, -0.5, 0.0, 0.5, 1.0];
        v.iter()
            .flat_map(|&a| v.iter().map(move |&b| [a, b]))
            .collect()
    }

    #[test]
    fn a_single_index_cell_fits_and_has_no_interaction_while_an_even_term_does_not() {
        let g = grid();
        let single: Vec<f64> = g.iter().map(|p| (0.8 * p[0] - 0.6 * p[1]).exp()).collect();
        assert!(single_index_r2(&g, &single, 180) > 0.999);
        let additive: Vec<f64> = g.iter().map(|p| p[0] + 2.0 * p[1]).collect();
        assert!(interaction_index(&g, &additive) < 1e-12);
        // A common even term −|κ|² on top of a tuned cell: not a function of one projection.
        let mixed: Vec<f64> = g
            .iter()
            .map(|p| p[0] - 2.0 * (p[0] * p[0] + p[1] * p[1]))
            .collect();
        assert!(single_index_r2(&g, &mixed, 180) < 0.9);
        let product: Vec<f64> = g.iter().map(|p| p[0] * p[1]).collect();
        assert!(interaction_index(&g, &product) > 0.5);
    }

    #[test]
    fn mean_input_correlates_with_kappa_squared_in_bins() {
        let kappa: Vec<f64> = (0..1000).map(|k| (k as f64 / 100.0).sin()).collect();
        let mu: Vec<f64> = kappa.iter().map(|k| 1.0 - k * k).collect();
        let input = SampledInput {
            values: &mu,
            first_ms: 1.0,
            every_ms: 1.0,
        };
        let r = input_kappa_squared_pearson(input, &kappa, 1, 20.0);
        assert!(r < -0.99, "{r}");
    }
}
