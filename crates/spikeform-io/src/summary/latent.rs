//! `latent` in summary.json: what a run with `[latent]` shows (`../shared/spec/latent.md`, a
//! reconstruction after Gort & Renart). Changes are relative to the first stretch with κ = 0.

use serde::{Deserialize, Serialize};
use spikeform::experiment::latent::LatentAnalysis;

use super::null_is_nan;

/// `latent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentSummary {
    /// D.
    pub dims: usize,
    /// Cells analysed (the excitatory neurons).
    pub cells: usize,
    /// Untuned cells among them (‖m_i‖ below `latent.analysis.untuned_below`).
    pub untuned_cells: usize,
    /// Every stretch of constant κ, in time order.
    pub segments: Vec<LatentSegmentSummary>,
    /// G1: the largest |relative change| of the E rate where the across-cell SD at least
    /// doubled (null without such a stretch).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub max_rate_change_sd_doubled: f64,
    /// The largest SD ratio reached.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub max_sd_ratio: f64,
    /// G2: Pearson correlation of the E mean net input with |κ|² in bins.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub input_kappa_squared_pearson: f64,
    /// G2: the largest |μ(κ) − μ(0)|.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub max_mean_input_shift: f64,
    /// G3: whether the across-cell rate variance rises with |κ| (stretches averaged per |κ|).
    pub variance_rises_with_kappa: bool,
    /// G4: whether the untuned cells' rate falls with |κ|.
    pub untuned_fall_with_kappa: bool,
    /// G4: the largest |r_u(κ) − r_u(−κ)|/r_u(0).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub untuned_asymmetry: f64,
    /// Mean of the readout κ̂ after the burn-in, per dimension.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub readout_mean: Vec<f64>,
    /// Mean of |κ̂| after the burn-in, per dimension.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub readout_abs_mean: Vec<f64>,
    /// D = 2 grids: the single-index fits (G5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_index: Option<SingleIndexSummary>,
    /// D = 2 grids: the same fits of the low-rank rate baseline (G5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_single_index: Option<SingleIndexSummary>,
    /// The mean field calibrated on the κ = 0 stretch (absent where it cannot be).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<LatentTheorySummary>,
    /// `feedback = "weights"`: the E synapses carrying the low-rank term and how many of them
    /// were clipped at 0 (Dale's law).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_rank_weights: Option<LowRankWeightsSummary>,
    /// Every population per stretch and the finite-K balance residual (absent without a κ = 0
    /// stretch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<LatentBalanceSummary>,
    /// `latent.readout_training`: the readout trained by RLS during the first trial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readout_training: Option<ReadoutTrainingSummary>,
}

/// `latent.readout_training` in summary.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadoutTrainingSummary {
    /// Trained readout neurons.
    pub neurons: usize,
    /// RLS updates made in the trial.
    pub updates: u64,
    /// The learning window (ms).
    pub learn_ms: [f64; 2],
    /// Interval of the updates (ms).
    pub every_ms: f64,
    /// Ridge α (`P(0) = I/α`).
    pub alpha: f64,
    /// ‖w‖ at the start and at the end of the trial, per dimension.
    pub weight_norm_initial: Vec<f64>,
    /// ‖w‖ at the trial's end, per dimension.
    pub weight_norm_final: Vec<f64>,
    /// κ̂ against the target before, during and after the learning window.
    pub windows: Vec<ReadoutWindowSummary>,
}

/// One window of `latent.readout_training`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadoutWindowSummary {
    /// `"before"`, `"learning"` or `"after"` (the network alone with the learned weights).
    pub name: String,
    /// Start and end (ms).
    pub window_ms: [f64; 2],
    /// Pearson correlation of κ̂ with the target, per dimension.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub pearson: Vec<f64>,
    /// RMS of κ̂ − target, per dimension.
    pub rmse: Vec<f64>,
    /// SD of the target over the window, per dimension.
    pub target_sd: Vec<f64>,
    /// SD of κ̂ over the window, per dimension.
    pub readout_sd: Vec<f64>,
    /// Period (ms) of κ̂'s strongest Fourier component, per dimension (null for a flat κ̂).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub readout_period_ms: Vec<f64>,
    /// The same of the target.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub target_period_ms: Vec<f64>,
}

fn readout_training(
    t: &spikeform::experiment::latent::ReadoutTrainingResult,
    dims: usize,
) -> ReadoutTrainingSummary {
    let norms = |w: &[f64]| -> Vec<f64> {
        w.chunks_exact(t.neurons.len())
            .take(dims)
            .map(|w_d| w_d.iter().map(|x| x * x).sum::<f64>().sqrt())
            .collect()
    };
    ReadoutTrainingSummary {
        neurons: t.neurons.len(),
        updates: t.updates,
        learn_ms: t.learn_ms,
        every_ms: t.every_ms,
        alpha: t.alpha,
        weight_norm_initial: norms(&t.weights_initial),
        weight_norm_final: norms(&t.weights_final),
        windows: t
            .windows
            .iter()
            .map(|w| ReadoutWindowSummary {
                name: w.name.to_string(),
                window_ms: w.window_ms,
                pearson: w.pearson.clone(),
                rmse: w.rmse.clone(),
                target_sd: w.target_sd.clone(),
                readout_sd: w.readout_sd.clone(),
                readout_period_ms: w.readout_period_ms.clone(),
                target_period_ms: w.target_period_ms.clone(),
            })
            .collect(),
    }
}

/// `latent.low_rank_weights`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowRankWeightsSummary {
    /// E synapses given the low-rank term.
    pub synapses: usize,
    /// Of those, clipped at 0 (their sum with the random weight was negative).
    pub clipped: usize,
}

/// `latent.balance`: why the E rate drifts at finite K (`Δr = W⁻¹ Δμ`), per population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentBalanceSummary {
    /// `W_ab = K_ab J_ab / 1000`, the mean input of population a per Hz of population b.
    pub coupling_per_hz: Vec<Vec<f64>>,
    /// Every population, in network order.
    pub populations: Vec<LatentPopulationSummary>,
    /// The I loading SD that cancels the E rate change (two-population mean field), per
    /// stretch (null at κ = 0, without a root, or without the mean field).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub cancelling_i_loading_sd: Vec<f64>,
    /// The same divided by the E loading SD: the `population_scale` of I that cancels it when E's
    /// is 1.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub cancelling_i_scale: Vec<f64>,
}

/// One population of `latent.balance`; every list runs over `latent.segments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentPopulationSummary {
    /// Name.
    pub name: String,
    /// RMS of its input loadings.
    pub loading_sd: f64,
    /// Population rate (Hz).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub rate_hz: Vec<f64>,
    /// Relative change of the rate from κ = 0.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub rate_change: Vec<f64>,
    /// Across-cell rate SD (Hz).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub rate_sd_hz: Vec<f64>,
    /// Population-mean net input.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub mean_input: Vec<f64>,
    /// `(W⁻¹ Δμ)_a` from the measured mean-input shifts (Hz).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub rate_change_from_inputs_hz: Vec<f64>,
    /// The two-population mean field's rate change (Hz; null without it).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub predicted_rate_change_hz: Vec<f64>,
}

fn balance(b: &spikeform::experiment::latent::balance::BalanceResidual) -> LatentBalanceSummary {
    let segments = b.rate_change_from_inputs_hz.len();
    let reference = |v: &[f64]| v[b.reference];
    let e_sd = b.populations.first().map_or(f64::NAN, |p| p.loading_sd);
    let cancelling = b.theory.as_ref().map_or(vec![f64::NAN; segments], |t| {
        t.cancelling_loading_sd.clone()
    });
    LatentBalanceSummary {
        coupling_per_hz: b.coupling_per_hz.clone(),
        populations: b
            .populations
            .iter()
            .enumerate()
            .map(|(a, p)| {
                let r0 = reference(&p.rate_hz);
                LatentPopulationSummary {
                    name: p.name.clone(),
                    loading_sd: p.loading_sd,
                    rate_change: p.rate_hz.iter().map(|r| (r - r0) / r0).collect(),
                    rate_hz: p.rate_hz.clone(),
                    rate_sd_hz: p.rate_sd_hz.clone(),
                    mean_input: p.mean_input.clone(),
                    rate_change_from_inputs_hz: (b.rate_change_from_inputs_hz.iter())
                        .map(|v| v[a])
                        .collect(),
                    predicted_rate_change_hz: (0..segments)
                        .map(|k| {
                            b.theory
                                .as_ref()
                                .map_or(f64::NAN, |t| t.rate_change_hz[k][a])
                        })
                        .collect(),
                }
            })
            .collect(),
        cancelling_i_scale: cancelling.iter().map(|x| x / e_sd).collect(),
        cancelling_i_loading_sd: cancelling,
    }
}

/// `latent.theory`: σ and σ_q calibrated at κ = 0, then predictions per stretch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentTheorySummary {
    /// Noise of the f–I curve (mV).
    pub sigma: f64,
    /// Quenched input SD.
    pub sigma_q: f64,
    /// Balance-adjusted gain G(0) (Hz per input unit).
    pub gain0: f64,
    /// Critical overlap s_c of the closed loop (D = 1).
    pub critical_overlap: f64,
    /// Predictions per stretch, in the order of `segments`.
    pub segments: Vec<LatentTheorySegment>,
}

/// One stretch's predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentTheorySegment {
    /// κ.
    pub kappa: Vec<f64>,
    /// Predicted μ(κ) − μ(0).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub mean_input_shift: f64,
    /// Predicted across-cell rate SD (Hz).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub rate_sd_hz: f64,
    /// Predicted untuned-cell rate (Hz).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub untuned_rate_hz: f64,
    /// Kolmogorov–Smirnov distance of the predicted rate distribution from the cells' (G3).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub ks_distance: f64,
}

/// One stretch of constant κ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentSegmentSummary {
    /// κ.
    pub kappa: Vec<f64>,
    /// Start and end (ms).
    pub window_ms: [f64; 2],
    /// E population rate (Hz).
    pub rate_hz: f64,
    /// Relative change from κ = 0.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub rate_change: f64,
    /// Across-cell SD of the E rates (Hz).
    pub rate_sd_hz: f64,
    /// SD relative to κ = 0.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub sd_ratio: f64,
    /// Mean rate of the untuned cells (Hz).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub untuned_rate_hz: f64,
    /// E population-mean net input.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub mean_input: f64,
    /// Its shift from κ = 0.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub mean_input_shift: f64,
}

/// `latent.single_index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SingleIndexSummary {
    /// Cells fitted.
    pub cells: usize,
    /// Fraction with R² < 0.9.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub poor_fit_fraction: f64,
    /// Mean R².
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub mean_r2: f64,
    /// Mean |interaction index|.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub mean_interaction_index: f64,
}

/// Whether `x` rises (`sign = 1`) or falls (`sign = −1`) strictly along the list.
fn monotone(x: &[f64], sign: f64) -> bool {
    x.len() >= 2 && x.windows(2).all(|w| sign * (w[1] - w[0]) > 0.0)
}

fn single_index(f: &spikeform::experiment::latent::SingleIndexFits) -> SingleIndexSummary {
    SingleIndexSummary {
        cells: f.cells,
        poor_fit_fraction: f.poor_fit_fraction,
        mean_r2: f.r2.iter().sum::<f64>() / f.r2.len().max(1) as f64,
        mean_interaction_index: f.mean_interaction_index,
    }
}

/// The summary of a latent analysis.
pub fn latent(a: &LatentAnalysis) -> LatentSummary {
    let by_norm = a.by_kappa_norm();
    let variance: Vec<f64> = by_norm.iter().map(|r| r[2]).collect();
    let untuned: Vec<f64> = by_norm.iter().map(|r| r[3]).collect();
    LatentSummary {
        dims: a.dims,
        cells: a.cells.len(),
        untuned_cells: a.untuned.len(),
        segments: a
            .segments
            .iter()
            .map(|s| LatentSegmentSummary {
                kappa: s.segment.kappa.clone(),
                window_ms: [s.segment.start_ms, s.segment.end_ms],
                rate_hz: s.rate_hz,
                rate_change: a.rate_change(s),
                rate_sd_hz: s.rate_sd_hz,
                sd_ratio: a.sd_ratio(s),
                untuned_rate_hz: s.untuned_rate_hz,
                mean_input: s.mean_input,
                mean_input_shift: a.mean_input_shift(s),
            })
            .collect(),
        max_rate_change_sd_doubled: a.max_rate_change(2.0),
        max_sd_ratio: a
            .segments
            .iter()
            .map(|s| a.sd_ratio(s))
            .fold(f64::NAN, f64::max),
        input_kappa_squared_pearson: a.input_kappa_squared_pearson,
        max_mean_input_shift: a.max_mean_input_shift(),
        variance_rises_with_kappa: monotone(&variance, 1.0),
        untuned_fall_with_kappa: monotone(&untuned, -1.0),
        untuned_asymmetry: a.untuned_asymmetry(),
        readout_mean: a.readout_mean.clone(),
        readout_abs_mean: a.readout_abs_mean.clone(),
        single_index: a.single_index.as_ref().map(single_index),
        baseline_single_index: a.baseline_single_index.as_ref().map(single_index),
        theory: a.theory.as_ref().map(|t| LatentTheorySummary {
            sigma: t.sigma,
            sigma_q: t.sigma_q,
            gain0: t.gain0,
            critical_overlap: t.critical_overlap,
            segments: a
                .segments
                .iter()
                .zip(&t.segments)
                .map(|(s, p)| LatentTheorySegment {
                    kappa: s.segment.kappa.clone(),
                    mean_input_shift: p[0],
                    rate_sd_hz: p[1],
                    untuned_rate_hz: p[2],
                    ks_distance: p[3],
                })
                .collect(),
        }),
        low_rank_weights: a.low_rank_weights.map(|w| LowRankWeightsSummary {
            synapses: w.synapses,
            clipped: w.clipped,
        }),
        balance: a.balance.as_ref().map(balance),
        readout_training: a
            .readout_training
            .as_ref()
            .map(|t| readout_training(t, a.dims)),
    }
}
