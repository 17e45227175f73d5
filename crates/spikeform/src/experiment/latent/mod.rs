//! A latent embedding on a spiking network (`../shared/spec/latent.md` §2, a reconstruction
//! after Gort & Renart): the validated `[latent]` description, its loadings drawn from named
//! streams, the feedback input it builds, and the analysis of a run driven by it.
//!
//! Loadings: `m_i ~ N(0, std²)` per dimension for every neuron, centred per population (so that
//! `Σ_{i∈a} m_i = 0`, the spec's zero-mean loadings), from the `latent:input-loadings` stream;
//! the readout neurons are the excitatory ones, with `n_j = overlap·m_j + mean + std·ξ_j`
//! (`ξ` from `latent:readout-loadings`), so that `Σ_nm = overlap·std²` (§2, closed loop).

pub mod balance;
pub mod weights;

use rand_distr::{Distribution, StandardNormal};

use crate::analysis::latent::{
    constant_segments, input_kappa_squared_pearson, interaction_index, segment_stats,
    single_index_r2, SampledInput, SegmentStats,
};
use crate::input::{LatentCourse, LatentFeedback};
use crate::network::{Population, Sign};
use crate::rng;

/// Input loadings `m`.
#[derive(Debug, Clone, PartialEq)]
pub enum InputLoadings {
    /// `N(0, (std·scale_a)²)` per neuron of population `a` and dimension, centred per
    /// population.
    Normal {
        /// SD.
        std: f64,
        /// Factor `scale_a` on the SD per population (all 1: the spec's loadings).
        population_scale: Vec<f64>,
    },
    /// Given, `[i·D + d]` for every neuron.
    Given(Vec<f64>),
}

/// Readout loadings `n` of the excitatory neurons.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadoutLoadings {
    /// `n_j = overlap·m_j + mean + std·ξ_j`, ξ standard normal.
    Overlap {
        /// Overlap `s` with the input loadings.
        overlap: f64,
        /// Common part n̄.
        mean: f64,
        /// SD of the independent part.
        std: f64,
    },
    /// Given, `[k·D + d]` for the k-th excitatory neuron.
    Given(Vec<f64>),
}

/// How a latent run is analysed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatentAnalysisSpec {
    /// Time after every change of κ left out of its stretch (ms).
    pub settle_ms: f64,
    /// Bin for the mean-input–κ² correlation (ms).
    pub bin_ms: f64,
    /// Cells with `‖m_i‖` below this are untuned.
    pub untuned_below: f64,
    /// Cells below this mean rate (Hz) are left out of the single-index fits.
    pub fit_min_rate_hz: f64,
}

impl Default for LatentAnalysisSpec {
    fn default() -> Self {
        Self {
            settle_ms: 200.0,
            bin_ms: 50.0,
            untuned_below: 0.25,
            fit_min_rate_hz: 1.0,
        }
    }
}

/// How the feedback `m_i·κ̂` reaches the neurons (spec §2, Dale's law options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedbackForm {
    /// Its own input current, not sign-constrained (option (b)).
    #[default]
    Current,
    /// Low-rank weights added to the existing E→· synapses, clipped so that no weight changes
    /// sign (option (a), [`weights`]); closed loop only.
    Weights,
}

/// The validated `[latent]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentSpec {
    /// Dimension D (≥ 1).
    pub dims: usize,
    /// Input loadings.
    pub input_loadings: InputLoadings,
    /// Readout loadings.
    pub readout_loadings: ReadoutLoadings,
    /// Readout filter τ_s (ms).
    pub tau_readout_ms: f64,
    /// How the feedback reaches the neurons.
    pub feedback: FeedbackForm,
    /// How κ is given.
    pub course: LatentCourse,
    /// Analysis settings.
    pub analysis: LatentAnalysisSpec,
}

/// Indices of the neurons of excitatory populations (the readout neurons).
pub fn excitatory_neurons(populations: &[Population]) -> Vec<usize> {
    let ranges = crate::network::population_ranges(populations);
    populations
        .iter()
        .zip(ranges)
        .filter(|(p, _)| p.sign == Sign::Excitatory)
        .flat_map(|(_, r)| r)
        .collect()
}

impl LatentSpec {
    /// The input loadings of every neuron and the readout loadings of the excitatory neurons,
    /// `[i·D + d]`.
    pub fn loadings(&self, seed: u64, populations: &[Population]) -> (Vec<f64>, Vec<f64>) {
        let d = self.dims;
        let ranges = crate::network::population_ranges(populations);
        let m = match &self.input_loadings {
            InputLoadings::Given(m) => m.clone(),
            InputLoadings::Normal {
                std,
                population_scale,
            } => {
                let n = ranges.last().map_or(0, |r| r.end);
                let mut r = rng::stream(seed, "latent:input-loadings");
                let mut m: Vec<f64> = (0..n * d)
                    .map(|_| {
                        let x: f64 = StandardNormal.sample(&mut r);
                        std * x
                    })
                    .collect();
                for (a, range) in ranges.iter().enumerate() {
                    let rows = &mut m[range.start * d..range.end * d];
                    centre(rows, d);
                    match population_scale.get(a) {
                        Some(&s) if s != 1.0 => rows.iter_mut().for_each(|x| *x *= s),
                        _ => {}
                    }
                }
                m
            }
        };
        let readout = excitatory_neurons(populations);
        let n = match &self.readout_loadings {
            ReadoutLoadings::Given(n) => n.clone(),
            ReadoutLoadings::Overlap { overlap, mean, std } => {
                let mut r = rng::stream(seed, "latent:readout-loadings");
                readout
                    .iter()
                    .flat_map(|&j| m[j * d..(j + 1) * d].to_vec())
                    .map(|mj| {
                        let xi: f64 = StandardNormal.sample(&mut r);
                        overlap * mj + mean + std * xi
                    })
                    .collect()
            }
        };
        (m, n)
    }

    /// The feedback input of a network of `populations`.
    /// In the weights form the input keeps only the readout: its input loadings are zero, the
    /// weights ([`LatentSpec::add_weights`]) carry the feedback.
    pub fn build(&self, seed: u64, populations: &[Population], dt_ms: f64) -> LatentFeedback {
        let (mut m, n) = self.loadings(seed, populations);
        if self.feedback == FeedbackForm::Weights {
            m.iter_mut().for_each(|x| *x = 0.0);
        }
        LatentFeedback::new(
            self.dims,
            (m, n),
            excitatory_neurons(populations),
            self.tau_readout_ms,
            self.course.clone(),
            dt_ms,
        )
    }

    /// The weights form: adds the low-rank term to the static `synapses` of a network of
    /// `populations` (`population_of[i]` the population of neuron i; [`weights`]); `None` (and
    /// nothing changed) in the current form.
    pub fn add_weights(
        &self,
        seed: u64,
        populations: &[Population],
        population_of: &[usize],
        synapses: &mut crate::network::StaticSynapses,
    ) -> Option<weights::LowRankWeights> {
        (self.feedback == FeedbackForm::Weights).then(|| {
            let (m, n) = self.loadings(seed, populations);
            let readout = excitatory_neurons(populations);
            weights::add_low_rank_weights(synapses, (&m, &n, self.dims), &readout, population_of)
        })
    }

    /// The prescribed κ sampled at the end of every ms of a trial of `trial_ms`
    /// (`[k·D + d]` = κ at step `round((k + 1)/dt)`); `None` for a closed loop.
    pub fn prescribed_kappa_ms(&self, trial_ms: f64, dt_ms: f64) -> Option<Vec<f64>> {
        let samples = trial_ms.floor() as usize;
        let mut out = vec![0.0; samples * self.dims];
        for (k, o) in out.chunks_exact_mut(self.dims).enumerate() {
            let step = ((k + 1) as f64 / dt_ms).round() as u64;
            if !self.course.prescribed(step, dt_ms, o) {
                return None;
            }
        }
        Some(out)
    }
}

/// Subtracts the mean of each of the `d` columns of `m` (`[i·d + c]`).
fn centre(m: &mut [f64], d: usize) {
    let rows = m.len() / d;
    if rows == 0 {
        return;
    }
    for c in 0..d {
        let mean = m.iter().skip(c).step_by(d).sum::<f64>() / rows as f64;
        m.iter_mut().skip(c).step_by(d).for_each(|x| *x -= mean);
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
    let readout_ms = readout_from_spikes(
        run.spikes,
        &cells,
        &n,
        (d, spec.tau_readout_ms, run.trial_ms),
    );
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

fn norm(x: &[f64]) -> f64 {
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

/// The mean field next to a run (`theory::latent`), calibrated on its κ = 0 stretch: the
/// temporal noise σ (mV) so that the pinned mean input equals the measured one, and σ_q so that
/// the predicted rate SD equals the measured one; everything at κ ≠ 0 is then a prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentTheory {
    /// Calibrated noise of the f–I curve (mV; LIF: the model's voltage unit).
    pub sigma: f64,
    /// Calibrated quenched SD of the input.
    pub sigma_q: f64,
    /// Per stretch: predicted μ(κ) − μ(0), rate SD (Hz), untuned rate (Hz), and the
    /// Kolmogorov–Smirnov distance of the predicted rate distribution from the cells' rates.
    pub segments: Vec<[f64; 4]>,
    /// The balance-adjusted gain G(0) (Hz per input unit).
    pub gain0: f64,
    /// The critical overlap s_c = 1/(σ_m² G(0)) of the closed loop (D = 1, n = s·m).
    pub critical_overlap: f64,
    /// The mean field itself (for fixed points).
    pub field: theory::LatentMeanField,
}

use crate::theory::latent as theory;

/// The f–I curve of population `pop` as a function of its input current, at noise `sigma`,
/// tabulated on `[−span, span]`.
fn transfer(pop: &Population, sigma: f64, span: f64) -> theory::TabulatedTransfer {
    let p = &pop.neuron;
    match pop.model {
        crate::neuron::NeuronModel::Eif(e) => {
            let eif = theory::EifTransfer {
                tau_ms: p.tau_membrane_ms,
                v_rest: p.v_rest,
                soft_threshold: e.soft_threshold,
                slope: e.slope,
                threshold: p.threshold,
                reset: p.reset,
                refractory_ms: p.refractory_ms,
            };
            let scale = p.tau_membrane_ms / e.capacitance;
            theory::TabulatedTransfer::new(|i| eif.rate_hz(scale * i, sigma), -span, span, 321)
        }
        crate::neuron::NeuronModel::Lif => {
            let lif = crate::theory::LifTransfer::new(
                p.tau_membrane_ms,
                p.threshold - p.v_rest,
                p.reset - p.v_rest,
                p.refractory_ms,
            );
            theory::TabulatedTransfer::new(|i| lif.rate_hz(i, sigma), -span, span, 321)
        }
    }
}

/// Kolmogorov–Smirnov distance between the spike counts of the cells in a window of
/// `window_s` seconds (`rates · window_s`) and the counts the mean field predicts: Poisson counts
/// of mean `Φ(μ + √Δ x)·window_s`, `x ~ N(0, 1)` (the finite window makes slow cells silent).
fn ks_distance(
    t: &theory::TabulatedTransfer,
    (mu, delta): (f64, f64),
    rates: &[f64],
    window_s: f64,
) -> f64 {
    let mut counts: Vec<u64> = rates
        .iter()
        .map(|r| (r * window_s).round() as u64)
        .collect();
    counts.sort_unstable();
    let n = counts.len() as f64;
    let poisson_cdf = |c: u64, lambda: f64| {
        let (mut term, mut sum) = ((-lambda).exp(), 0.0);
        for k in 0..=c {
            if k > 0 {
                term *= lambda / k as f64;
            }
            sum += term;
        }
        sum.min(1.0)
    };
    let mut worst: f64 = 0.0;
    let mut k = 0;
    while k < counts.len() {
        let c = counts[k];
        let j = k + counts[k..].iter().take_while(|&&x| x == c).count();
        let predicted =
            theory::gaussian_average(|x| poisson_cdf(c, t.rate(mu + delta.sqrt() * x) * window_s));
        let below = if c == 0 {
            0.0
        } else {
            theory::gaussian_average(|x| {
                poisson_cdf(c - 1, t.rate(mu + delta.sqrt() * x) * window_s)
            })
        };
        worst = worst
            .max((predicted - j as f64 / n).abs())
            .max((below - k as f64 / n).abs());
        k = j;
    }
    worst
}

/// The mean field of population `pop` (loadings SD `sigma_m`) calibrated on a κ = 0 stretch with
/// population rate `rate_hz`, across-cell rate SD `sd_hz` and mean net input `mean_input`: the
/// noise σ of its f–I curve (found by Brent's method in `[0.05, 1.5]·(V_th − V_re)`) such that the
/// pinned μ(0) equals `mean_input`, with σ_q such that the rate SD is `sd_hz`. Returns σ, the
/// field and its μ(0); `None` where a calibration finds no root.
pub fn calibrate(
    pop: &Population,
    (rate_hz, sd_hz, mean_input): (f64, f64, f64),
    sigma_m: f64,
) -> Option<(f64, theory::LatentMeanField, f64)> {
    let span = 6.0;
    let calibrated = |sigma: f64| -> Option<(theory::TabulatedTransfer, f64, f64)> {
        let t = transfer(pop, sigma, span);
        let q = theory::calibrate_sigma_q(&t, rate_hz, sd_hz).ok()?;
        let field = theory::LatentMeanField {
            transfer: t.clone(),
            rate_hz,
            sigma_q: q,
            sigma_m,
        };
        Some((t, q, field.mean_input(0.0).ok()?))
    };
    let miss = |sigma: f64| calibrated(sigma).map_or(f64::NAN, |c| c.2 - mean_input);
    let scale = pop.neuron.threshold - pop.neuron.reset;
    let sigma = crate::theory::latent::find_root(miss, 0.05 * scale, 1.5 * scale)?;
    let (t, sigma_q, mu0) = calibrated(sigma)?;
    let field = theory::LatentMeanField {
        transfer: t,
        rate_hz,
        sigma_q,
        sigma_m,
    };
    Some((sigma, field, mu0))
}

/// The mean field of the first excitatory population next to `analysis` (D = 1 loadings SD
/// `sigma_m`), calibrated on its κ = 0 stretch; `None` without one, or where the calibration
/// finds no root.
pub fn mean_field(
    analysis: &LatentAnalysis,
    populations: &[Population],
    sigma_m: f64,
) -> Option<LatentTheory> {
    let reference = analysis.reference()?;
    let pop = populations.iter().find(|p| p.sign == Sign::Excitatory)?;
    let stretch = (
        reference.rate_hz,
        reference.rate_sd_hz,
        reference.mean_input,
    );
    let (sigma, field, mu0) = calibrate(pop, stretch, sigma_m)?;
    let (t, sigma_q) = (field.transfer.clone(), field.sigma_q);
    let segments = analysis
        .segments
        .iter()
        .map(|s| {
            let k = norm(&s.segment.kappa);
            let mu = field.mean_input(k).unwrap_or(f64::NAN);
            [
                mu - mu0,
                field.rate_sd(k).unwrap_or(f64::NAN),
                field.untuned_rate(k).unwrap_or(f64::NAN),
                ks_distance(
                    &t,
                    (mu, field.delta(k)),
                    &s.cell_rates_hz,
                    (s.segment.end_ms - s.segment.start_ms) / 1000.0,
                ),
            ]
        })
        .collect();
    let gain0 = field.gain(0.0).ok()?;
    Some(LatentTheory {
        sigma,
        sigma_q,
        segments,
        gain0,
        critical_overlap: field.critical_overlap().ok()?,
        field,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Input;

    #[test]
    fn the_offline_readout_matches_the_inputs_own() {
        let course = LatentCourse::ClosedLoop { initial: vec![0.0] };
        let n = vec![1.0, -2.0];
        let f = LatentFeedback::new(1, (vec![0.0; 3], n.clone()), vec![0, 2], 5.0, course, 1.0);
        let spikes = vec![vec![2.0, 3.0], vec![1.0], vec![3.0]];
        let mut state = vec![0.0; 2];
        let mut sim = Vec::new();
        for t in 1..=6u32 {
            let spiked: Vec<u32> = (0..3u32)
                .filter(|&j| spikes[j as usize].contains(&f64::from(t)))
                .collect();
            f.after_spikes(&spiked, &mut state);
            sim.push(state[0]);
        }
        let offline = readout_from_spikes(&spikes, &[0, 2], &n, (1, 5.0, 6.0));
        for (a, b) in sim.iter().zip(&offline) {
            assert!((a - b).abs() < 1e-12, "{sim:?} {offline:?}");
        }
    }

    #[test]
    fn loadings_are_centred_per_population_and_the_overlap_sets_the_readout() {
        let pop = |name: &str, size, sign| {
            Population::new(name, size, sign, crate::neuron::LifParams::tutorial(), 0.0)
        };
        let pops = [
            pop("E", 40, Sign::Excitatory),
            pop("I", 10, Sign::Inhibitory),
        ];
        let spec = LatentSpec {
            dims: 2,
            input_loadings: InputLoadings::Normal {
                std: 1.0,
                population_scale: vec![1.0, 2.0],
            },
            readout_loadings: ReadoutLoadings::Overlap {
                overlap: 2.0,
                mean: 0.5,
                std: 0.0,
            },
            tau_readout_ms: 20.0,
            feedback: FeedbackForm::Current,
            course: LatentCourse::ClosedLoop {
                initial: vec![0.0, 0.0],
            },
            analysis: LatentAnalysisSpec::default(),
        };
        let (m, n) = spec.loadings(3, &pops);
        assert_eq!((m.len(), n.len()), (100, 80));
        let e_mean: f64 = m[..80].iter().step_by(2).sum::<f64>() / 40.0;
        let i_mean: f64 = m[80..].iter().skip(1).step_by(2).sum::<f64>() / 10.0;
        assert!(e_mean.abs() < 1e-12 && i_mean.abs() < 1e-12);
        let unscaled = LatentSpec {
            input_loadings: InputLoadings::Normal {
                std: 1.0,
                population_scale: vec![1.0, 1.0],
            },
            ..spec.clone()
        };
        let (m1, _) = unscaled.loadings(3, &pops);
        assert_eq!(m[..80], m1[..80], "E loadings keep their draws");
        assert!(m[80..].iter().zip(&m1[80..]).all(|(a, b)| *a == 2.0 * b));
        assert!((n[3] - (2.0 * m[3] + 0.5)).abs() < 1e-12);
    }
}
