//! The analysis of a run driven by `[latent]`: the readout recomputed from the spikes,
//! statistics per stretch of constant κ, the single-index fits (D = 2) and the low-rank rate
//! baseline on the same protocol.

use rand_distr::{Distribution, StandardNormal};

use super::calibration::{mean_field, LatentTheory};
use super::spec::{excitatory_neurons, LatentSpec};
use super::{balance, weights};
use crate::analysis::latent::{
    constant_segments, input_kappa_squared_pearson, interaction_index, segment_stats,
    single_index_r2, SampledInput, SegmentStats,
};
use crate::input::LatentCourse;
use crate::network::Population;
use crate::rng;

/// A closed loop starts its readout at `initial`, which decays with τ_s:
/// `κ̂(t) += initial · e^{−t/τ_s}` at the end of every ms `t = k + 1` (`readout[k·D + d]`).
fn add_initial_readout(readout: &mut [f64], initial: &[f64], tau_ms: f64) {
    let d = initial.len();
    for (k, sample) in readout.chunks_exact_mut(d).enumerate() {
        let left = (-((k + 1) as f64) / tau_ms).exp();
        for (r, k0) in sample.iter_mut().zip(initial) {
            *r += k0 * left;
        }
    }
}

/// The readout κ̂ every ms, recomputed from the spikes: `κ̂(t) = 1000/(N_R τ_s) Σ_{spikes of
/// j ∈ R, t_s ≤ t} n_j e^{−(t − t_s)/τ_s}` (Hz), `[k·D + d]` at `t = k + 1` ms.
pub fn readout_from_spikes(
    spikes: &[Vec<f64>],
    readout: &[usize],
    n: &[f64],
    (dims, tau_ms, trial_ms): (usize, f64, f64),
) -> Vec<f64> {
    let samples = trial_ms.floor() as usize;
    let mut events: Vec<(f64, usize)> = readout
        .iter()
        .enumerate()
        .flat_map(|(k, &j)| spikes[j].iter().map(move |&t| (t, k)))
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let kick = 1000.0 / (readout.len().max(1) as f64 * tau_ms);
    let mut out = vec![0.0; samples * dims];
    let mut state = vec![0.0; dims];
    let mut t_state = 0.0;
    let mut e = 0;
    for (k, o) in out.chunks_exact_mut(dims).enumerate() {
        let t = (k + 1) as f64;
        while e < events.len() && events[e].0 <= t + 1e-9 {
            let (ts, j) = events[e];
            let decay = (-(ts - t_state) / tau_ms).exp();
            for (s, nj) in state.iter_mut().zip(&n[j * dims..(j + 1) * dims]) {
                *s = *s * decay + kick * nj;
            }
            t_state = ts;
            e += 1;
        }
        let decay = (-(t - t_state) / tau_ms).exp();
        for (s, o) in state.iter_mut().zip(o.iter_mut()) {
            *s *= decay;
            *o = *s;
        }
        t_state = t;
    }
    out
}

/// Single-index fits over a D = 2 grid of κ (spec §6, G5).
#[derive(Debug, Clone, PartialEq)]
pub struct SingleIndexFits {
    /// Cells fitted (mean rate at least the threshold).
    pub cells: usize,
    /// R² of each fitted cell.
    pub r2: Vec<f64>,
    /// Fraction of fitted cells with R² < 0.9.
    pub poor_fit_fraction: f64,
    /// Mean over fitted cells of their mean |interaction index|.
    pub mean_interaction_index: f64,
}

/// What a latent run shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentAnalysis {
    /// D.
    pub dims: usize,
    /// The analysed cells (the excitatory neurons).
    pub cells: Vec<usize>,
    /// Positions (in `cells`) of the untuned cells.
    pub untuned: Vec<usize>,
    /// Statistics per stretch of constant κ (open loop with steps).
    pub segments: Vec<SegmentStats>,
    /// Pearson correlation of the E population's mean net input with |κ|² in bins (NaN for a
    /// closed loop or a constant κ).
    pub input_kappa_squared_pearson: f64,
    /// κ every ms (prescribed; the readout for a closed loop), `[k·D + d]`.
    pub kappa_ms: Vec<f64>,
    /// The readout κ̂ every ms, `[k·D + d]`.
    pub readout_ms: Vec<f64>,
    /// Mean of κ̂ after the burn-in, per dimension.
    pub readout_mean: Vec<f64>,
    /// Mean of |κ̂| after the burn-in, per dimension.
    pub readout_abs_mean: Vec<f64>,
    /// D = 2 with a grid of constant κ: the single-index fits.
    pub single_index: Option<SingleIndexFits>,
    /// The mean field calibrated on the κ = 0 stretch (see [`mean_field`]).
    pub theory: Option<LatentTheory>,
    /// D = 2 grids with a calibrated mean field: the same fits of the low-rank rate baseline
    /// (see [`rate_baseline_fits`]).
    pub baseline_single_index: Option<SingleIndexFits>,
    /// The weights form: how many E synapses carry the low-rank term and how many were clipped
    /// (set by the caller, which has the network).
    pub low_rank_weights: Option<weights::LowRankWeights>,
    /// Every population per stretch and the finite-K balance residual ([`balance`]); `None`
    /// without a κ = 0 stretch or without every population's mean input and the coupling.
    pub balance: Option<balance::BalanceResidual>,
    /// `latent.readout_training`: what the readout trained during the trial did (set by the
    /// caller, which has the input's state).
    pub readout_training: Option<super::readout::ReadoutTrainingResult>,
}

impl LatentAnalysis {
    /// The first stretch with κ = 0, the reference of every change.
    pub fn reference(&self) -> Option<&SegmentStats> {
        self.segments
            .iter()
            .find(|s| s.segment.kappa.iter().all(|&k| k == 0.0))
    }

    /// `(r̄(κ) − r̄(0))/r̄(0)` of a stretch (NaN without a reference).
    pub fn rate_change(&self, s: &SegmentStats) -> f64 {
        self.reference()
            .map_or(f64::NAN, |r| (s.rate_hz - r.rate_hz) / r.rate_hz)
    }

    /// `SD(κ)/SD(0)` of the across-cell rate SD (NaN without a reference).
    pub fn sd_ratio(&self, s: &SegmentStats) -> f64 {
        self.reference()
            .map_or(f64::NAN, |r| s.rate_sd_hz / r.rate_sd_hz)
    }

    /// `μ(κ) − μ(0)` of the mean net input (NaN without a reference).
    pub fn mean_input_shift(&self, s: &SegmentStats) -> f64 {
        self.reference()
            .map_or(f64::NAN, |r| s.mean_input - r.mean_input)
    }

    /// G1: the largest |relative change| of the population rate over the stretches whose
    /// across-cell rate SD is at least `min_sd_ratio` times the reference's; NaN without any.
    pub fn max_rate_change(&self, min_sd_ratio: f64) -> f64 {
        self.segments
            .iter()
            .filter(|s| self.sd_ratio(s) >= min_sd_ratio)
            .map(|s| self.rate_change(s).abs())
            .fold(f64::NAN, f64::max)
    }

    /// The largest |μ(κ) − μ(0)| over the stretches (NaN without any).
    pub fn max_mean_input_shift(&self) -> f64 {
        self.segments
            .iter()
            .map(|s| self.mean_input_shift(s).abs())
            .fold(f64::NAN, f64::max)
    }

    /// G4: the largest `|r_u(κ) − r_u(−κ)| / r_u(0)` of the untuned cells' rate over pairs of
    /// stretches with opposite κ (NaN without any pair).
    pub fn untuned_asymmetry(&self) -> f64 {
        let Some(r0) = self.reference().map(|r| r.untuned_rate_hz) else {
            return f64::NAN;
        };
        let mut worst = f64::NAN;
        for a in &self.segments {
            let minus: Vec<f64> = a.segment.kappa.iter().map(|k| -k).collect();
            if let Some(b) = self.segments.iter().find(|b| b.segment.kappa == minus) {
                worst = worst.max((a.untuned_rate_hz - b.untuned_rate_hz).abs() / r0);
            }
        }
        worst
    }

    /// `(|κ|, mean rate, rate variance, untuned rate)` per distinct |κ|, ascending in |κ|,
    /// averaged over the stretches that share it (G3, G4).
    pub fn by_kappa_norm(&self) -> Vec<[f64; 4]> {
        let mut rows: Vec<(f64, Vec<&SegmentStats>)> = Vec::new();
        for s in &self.segments {
            let k = norm(&s.segment.kappa);
            match rows.iter_mut().find(|(q, _)| (q - k).abs() < 1e-12) {
                Some((_, v)) => v.push(s),
                None => rows.push((k, vec![s])),
            }
        }
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        rows.iter()
            .map(|(k, v)| {
                let mean = |f: &dyn Fn(&SegmentStats) -> f64| {
                    v.iter().map(|s| f(s)).sum::<f64>() / v.len() as f64
                };
                [
                    *k,
                    mean(&|s| s.rate_hz),
                    mean(&|s| s.rate_sd_hz * s.rate_sd_hz),
                    mean(&|s| s.untuned_rate_hz),
                ]
            })
            .collect()
    }
}

/// What [`analyse`] reads from a run.
#[derive(Debug, Clone, Copy)]
pub struct LatentRun<'a> {
    /// Spike times of every neuron (first trial).
    pub spikes: &'a [Vec<f64>],
    /// Populations of the network.
    pub populations: &'a [Population],
    /// The E population's mean net input every `every_ms` from `first_ms` on.
    pub mean_input: Option<SampledInput<'a>>,
    /// Seed.
    pub seed: u64,
    /// Trial length and time step (ms).
    pub trial_ms: f64,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Statistics start here (ms).
    pub burn_in_ms: f64,
    /// Every population's mean net input (sampled as `mean_input`), in network order, and the
    /// coupling `W_ab = K_ab J_ab / 1000` (input per Hz): for [`balance`].
    pub balance: Option<(&'a [SampledInput<'a>], &'a [Vec<f64>])>,
    /// κ̂ as the input fed it back, every ms (`[k·D + d]`), where the offline readout from the
    /// spikes does not apply (a readout trained during the trial).
    pub online_readout: Option<&'a [f64]>,
}

/// Analyses a run driven by `spec` (see the module documentation and [`LatentAnalysis`]).
pub fn analyse(spec: &LatentSpec, run: LatentRun<'_>) -> LatentAnalysis {
    let d = spec.dims;
    let (m, n) = spec.loadings(run.seed, run.populations);
    let cells = excitatory_neurons(run.populations);
    let untuned: Vec<usize> = cells
        .iter()
        .enumerate()
        .filter(|(_, &i)| norm(&m[i * d..(i + 1) * d]) < spec.analysis.untuned_below)
        .map(|(k, _)| k)
        .collect();
    let readout_ms = match run.online_readout {
        Some(online) => online.to_vec(),
        None => {
            let mut offline = readout_from_spikes(
                run.spikes,
                &cells,
                &n,
                (d, spec.tau_readout_ms, run.trial_ms),
            );
            if let LatentCourse::ClosedLoop { initial } = &spec.course {
                add_initial_readout(&mut offline, initial, spec.tau_readout_ms);
            }
            offline
        }
    };
    let prescribed = spec.prescribed_kappa_ms(run.trial_ms, run.dt_ms);
    let a = spec.analysis;
    let segments: Vec<SegmentStats> = match &prescribed {
        Some(kappa) => constant_segments(kappa, d, (run.burn_in_ms, a.settle_ms, a.bin_ms))
            .iter()
            .map(|s| segment_stats(run.spikes, &cells, &untuned, s, run.mean_input))
            .collect(),
        None => Vec::new(),
    };
    let input_kappa_squared_pearson = match (&prescribed, run.mean_input) {
        (Some(kappa), Some(input)) => input_kappa_squared_pearson(input, kappa, d, a.bin_ms),
        _ => f64::NAN,
    };
    let after = (run.burn_in_ms.ceil() as usize).min(readout_ms.len() / d);
    let late = &readout_ms[after * d..];
    let column_mean = |f: &dyn Fn(f64) -> f64, c: usize| {
        let v: Vec<f64> = late.iter().skip(c).step_by(d).map(|x| f(*x)).collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let sigma_m = {
        let v: Vec<f64> = cells
            .iter()
            .flat_map(|&i| m[i * d..(i + 1) * d].to_vec())
            .collect();
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
    };
    let mut analysis = LatentAnalysis {
        dims: d,
        single_index: (d == 2)
            .then(|| single_index_fits(&segments, a.fit_min_rate_hz))
            .flatten(),
        readout_mean: (0..d).map(|c| column_mean(&|x| x, c)).collect(),
        readout_abs_mean: (0..d).map(|c| column_mean(&f64::abs, c)).collect(),
        kappa_ms: prescribed.unwrap_or_else(|| readout_ms.clone()),
        readout_ms,
        cells,
        untuned,
        segments,
        input_kappa_squared_pearson,
        theory: None,
        baseline_single_index: None,
        low_rank_weights: None,
        balance: None,
        readout_training: None,
    };
    if let Some((inputs, coupling_per_hz)) = run.balance {
        let balance_run = balance::BalanceRun {
            spikes: run.spikes,
            populations: run.populations,
            inputs,
            coupling_per_hz,
            loadings: &m,
            dims: d,
        };
        let reference = analysis
            .segments
            .iter()
            .position(|s| s.segment.kappa.iter().all(|&k| k == 0.0));
        analysis.balance = balance::residual(balance_run, &analysis.segments, reference);
    }
    analysis.theory = mean_field(&analysis, run.populations, sigma_m);
    if d == 2 {
        if let Some(t) = &analysis.theory {
            let m_cells: Vec<f64> = analysis
                .cells
                .iter()
                .flat_map(|&i| m[i * 2..i * 2 + 2].to_vec())
                .collect();
            let fits = rate_baseline_fits(
                t,
                &m_cells,
                &analysis.segments,
                (run.seed, a.fit_min_rate_hz),
            );
            analysis.baseline_single_index = fits;
        }
    }
    analysis
}

/// The low-rank rate baseline on the same protocol (spec §5): `τ ẋ_i = −x_i + m_i·κ + b_i`,
/// `r_i = Φ(x_i)`, no balance, at its steady state `r_i = Φ(m_i·κ + b_i)` for every stretch of
/// constant κ, with the calibrated f–I curve Φ, `b_i ~ N(μ(0), σ_q²)` (the balanced network's
/// κ = 0 input distribution) and the same loadings; each rate is observed as a Poisson count
/// over the stretch's window, as the spiking cells are. Draws from `latent:rate-baseline`.
pub fn rate_baseline_fits(
    theory: &LatentTheory,
    m_cells: &[f64],
    segments: &[SegmentStats],
    (seed, min_rate_hz): (u64, f64),
) -> Option<SingleIndexFits> {
    use rand_distr::Poisson;
    let mut r = rng::stream(seed, "latent:rate-baseline");
    let mu0 = theory.field.mean_input(0.0).ok()?;
    let b: Vec<f64> = (0..m_cells.len() / 2)
        .map(|_| {
            let x: f64 = StandardNormal.sample(&mut r);
            mu0 + theory.sigma_q * x
        })
        .collect();
    let baseline: Vec<SegmentStats> = segments
        .iter()
        .map(|s| {
            let window_s = (s.segment.end_ms - s.segment.start_ms) / 1000.0;
            let k = &s.segment.kappa;
            let cell_rates_hz = b
                .iter()
                .zip(m_cells.chunks_exact(2))
                .map(|(bi, mi)| {
                    let rate = theory.field.transfer.rate(mi[0] * k[0] + mi[1] * k[1] + bi);
                    let count = Poisson::new(rate * window_s).map_or(0.0, |p| p.sample(&mut r));
                    count / window_s
                })
                .collect();
            SegmentStats {
                cell_rates_hz,
                ..s.clone()
            }
        })
        .collect();
    single_index_fits(&baseline, min_rate_hz)
}

pub(super) fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Single-index fits of every cell whose mean rate over the segments reaches `min_rate_hz`;
/// `None` without segments.
pub fn single_index_fits(segments: &[SegmentStats], min_rate_hz: f64) -> Option<SingleIndexFits> {
    let first = segments.first()?;
    let points: Vec<[f64; 2]> = segments
        .iter()
        .map(|s| [s.segment.kappa[0], s.segment.kappa[1]])
        .collect();
    let mut r2 = Vec::new();
    let mut interaction = Vec::new();
    for c in 0..first.cell_rates_hz.len() {
        let rates: Vec<f64> = segments.iter().map(|s| s.cell_rates_hz[c]).collect();
        if rates.iter().sum::<f64>() / (rates.len() as f64) < min_rate_hz {
            continue;
        }
        let fit = single_index_r2(&points, &rates, 90);
        if fit.is_finite() {
            r2.push(fit);
            interaction.push(interaction_index(&points, &rates));
        }
    }
    let cells = r2.len();
    let poor = r2.iter().filter(|&&x| x < 0.9).count();
    let finite: Vec<f64> = interaction.into_iter().filter(|x| x.is_finite()).collect();
    Some(SingleIndexFits {
        cells,
        poor_fit_fraction: poor as f64 / cells.max(1) as f64,
        mean_interaction_index: finite.iter().sum::<f64>() / finite.len().max(1) as f64,
        r2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Input, LatentFeedback};

    #[test]
    fn the_offline_readout_matches_the_inputs_own() {
        // A closed loop started at κ̂ = 0.7: the offline readout adds its decaying start.
        let course = LatentCourse::ClosedLoop { initial: vec![0.7] };
        let n = vec![1.0, -2.0];
        let f = LatentFeedback::new(1, (vec![0.0; 3], n.clone()), vec![0, 2], 5.0, course, 1.0);
        let spikes = vec![vec![2.0, 3.0], vec![1.0], vec![3.0]];
        let mut state = vec![0.0; 2];
        f.start_trial(&mut state);
        let mut sim = Vec::new();
        for t in 1..=6u32 {
            let spiked: Vec<u32> = (0..3u32)
                .filter(|&j| spikes[j as usize].contains(&f64::from(t)))
                .collect();
            let at = crate::input::InputStep {
                step: u64::from(t),
                condition: 0,
            };
            f.after_spikes(at, &spiked, &mut state);
            sim.push(state[0]);
        }
        let mut offline = readout_from_spikes(&spikes, &[0, 2], &n, (1, 5.0, 6.0));
        add_initial_readout(&mut offline, &[0.7], 5.0);
        for (a, b) in sim.iter().zip(&offline) {
            assert!((a - b).abs() < 1e-12, "{sim:?} {offline:?}");
        }
    }
}
