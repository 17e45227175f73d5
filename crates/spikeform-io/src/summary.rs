//! `summary.json`: the numbers a run is judged by, as typed structs. Key names are a contract
//! other tools rely on: extend them, never rename them (docs/outputs.md lists them).
//!
//! The file is serialised from [`Summary`] through a `serde_json::Value`, so its keys come out
//! sorted at every level, as they always have. Numbers that are undefined (NaN) or infinite are
//! written as `null` (JSON has no NaN) and read back as NaN. Optional blocks and keys (`initial`,
//! `analysis`, `training.checkpoint_error`, ...) are absent when they do not apply.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use spikeform::experiment::rate::{RateExperiment, RateRunResult};
use spikeform::experiment::spiking::{
    Activity, GroupActivity, SpikingExperiment, SpikingRunResult,
};

pub mod latent;

/// Readers of numbers that `summary.json` writes as `null` when undefined: `null` becomes NaN.
mod null_is_nan {
    use super::*;

    /// An f64.
    pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    /// A list of f64.
    pub fn vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v = Vec::<Option<f64>>::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }

    /// A map of f64.
    pub fn map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
        let m = BTreeMap::<String, Option<f64>>::deserialize(d)?;
        Ok(m.into_iter()
            .map(|(k, x)| (k, x.unwrap_or(f64::NAN)))
            .collect())
    }
}

/// Mean of the non-NaN values, NaN when there are none
/// ([`spikeform::analysis::mean_ignoring_nan`]).
fn mean_skipping_nan(values: &[f64]) -> f64 {
    spikeform::analysis::mean_ignoring_nan(values).mean
}

/// A run's summary: a rate-network run or a spiking run, told apart by the key `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Summary {
    /// `"kind": "rate"`.
    Rate(Box<RateSummary>),
    /// `"kind": "spiking"`.
    Spiking(Box<SpikingSummary>),
}

impl Summary {
    /// The experiment's name.
    pub fn experiment(&self) -> &str {
        match self {
            Summary::Rate(s) => &s.experiment,
            Summary::Spiking(s) => &s.experiment,
        }
    }

    /// The summary as a JSON value (keys sorted).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a summary serialises")
    }

    /// A one-line digest for the terminal: name, test r, population rates, wall time.
    pub fn one_line(&self) -> String {
        let mut parts = vec![self.experiment().to_string()];
        let (r_mean, total_seconds) = match self {
            Summary::Rate(s) => (Some(s.test.r_mean), s.timing.total_seconds),
            Summary::Spiking(s) => (
                s.test.scores.as_ref().map(|t| t.r_mean),
                s.timing.total_seconds,
            ),
        };
        if let Some(r) = r_mean.filter(|r| r.is_finite()) {
            parts.push(format!("test r_mean = {r:.4}"));
        }
        if let Summary::Spiking(s) = self {
            let rates: Vec<String> = s
                .activity
                .rate_hz
                .iter()
                .map(|(k, v)| format!("{k} {v:.2} Hz"))
                .collect();
            parts.push(rates.join(", "));
        }
        if total_seconds.is_finite() {
            parts.push(format!("{total_seconds:.1} s"));
        }
        parts.join(", ")
    }
}

// ---------------------------------------------------------------------------------------------
// Rate networks

/// The summary of a rate-network run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateSummary {
    /// The experiment's name.
    pub experiment: String,
    /// Its seed.
    pub seed: u64,
    /// Training.
    pub training: RateTraining,
    /// The test trials.
    pub test: RateTest,
    /// Wall-clock times.
    pub timing: RateTiming,
}

/// `training` of a rate-network run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateTraining {
    /// Loops run.
    pub loops: usize,
    /// Number of trained units.
    pub trained_units: usize,
    /// RLS updates per loop.
    pub updates_per_loop: u64,
    /// Wall seconds per loop.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub loop_seconds: Vec<f64>,
    /// r per loop.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub r_per_loop: Vec<f64>,
    /// r per loop over the reference implementation's window.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub r_reference_window_per_loop: Vec<f64>,
    /// The scoring window `[start, end]` (ms).
    pub window_ms: [f64; 2],
}

/// `test` of a rate-network run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateTest {
    /// Test trials.
    pub trials: usize,
    /// Mean r over the test trials.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub r_mean: f64,
    /// r of each test trial.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub r_per_trial: Vec<f64>,
    /// Mean r over the reference implementation's window.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub r_reference_window: f64,
    /// Undefined correlations dropped from the means.
    pub nan_dropped: usize,
}

/// `timing` of a rate-network run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateTiming {
    /// Wall seconds of the whole run.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub total_seconds: f64,
    /// Mean wall seconds per training loop.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub mean_loop_seconds: f64,
}

/// The summary of a rate-network run.
pub fn rate(exp: &RateExperiment, res: &RateRunResult, total_seconds: f64) -> Summary {
    Summary::Rate(Box::new(RateSummary {
        experiment: exp.name.clone(),
        seed: exp.seed,
        training: RateTraining {
            loops: exp.loops,
            trained_units: res.trained.len(),
            updates_per_loop: exp.schedule.updates_per_trial(),
            loop_seconds: res.loop_seconds.clone(),
            r_per_loop: res.r_per_loop.clone(),
            r_reference_window_per_loop: res.r_reference_window_per_loop.clone(),
            window_ms: [
                exp.schedule.start_step as f64 * exp.dt_ms,
                exp.schedule.end_step as f64 * exp.dt_ms,
            ],
        },
        test: RateTest {
            trials: exp.test_trials,
            r_mean: mean_skipping_nan(&res.test_r),
            r_per_trial: res.test_r.clone(),
            r_reference_window: mean_skipping_nan(&res.test_r_reference_window),
            nan_dropped: res.test_nan_dropped,
        },
        timing: RateTiming {
            total_seconds,
            mean_loop_seconds: mean_skipping_nan(&res.loop_seconds),
        },
    }))
}

// ---------------------------------------------------------------------------------------------
// Spiking networks

/// The summary of a spiking run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikingSummary {
    /// The experiment's name.
    pub experiment: String,
    /// Its seed.
    pub seed: u64,
    /// Size and populations.
    pub network: NetworkSummary,
    /// Activity of the final phase (test trials of a trained run, the simulation otherwise).
    pub activity: ActivitySummary,
    /// Trained runs: the same for the settle run before training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<ActivitySummary>,
    /// Mean-field predictions.
    pub theory: TheorySummary,
    /// Trained runs: the training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<SpikingTraining>,
    /// The test trials.
    pub test: SpikingTest,
    /// Trained runs with a PCA: the analysis of trained and untrained groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisSummary>,
    /// Runs with `[[plasticity]]`: each plastic projection's mean weight, keyed `PRE->POST`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub plasticity: std::collections::BTreeMap<String, ProjectionSummary>,
    /// Runs with `[perturbation]`: the sweep's rates beside the balanced-state prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<crate::perturbation_summary::PerturbationSummary>,
    /// Runs with `[latent]`: the latent analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latent: Option<latent::LatentSummary>,
    /// Wall-clock times.
    pub timing: SpikingTiming,
}

/// One plastic projection in `plasticity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectionSummary {
    /// Number of synapses.
    pub synapses: usize,
    /// Mean weight as built.
    pub mean_weight_initial: f64,
    /// Mean weight at the end of the run.
    pub mean_weight_final: f64,
    /// Final weights against the final phase's rates (`plasticity.md` §6, §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_rate: Option<WeightRateSummary>,
}

/// `plasticity.PRE->POST.weight_rate`: the final weights against the neurons' rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightRateSummary {
    /// Least-squares slope of `J_jk` on the presynaptic rate (weight per kHz; Kohonen's law
    /// predicts β·τ), over synapses whose postsynaptic rate exceeds 3 Hz.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub slope_per_khz: f64,
    /// Correlation of `J_jk` and the presynaptic rate over those synapses.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub correlation: f64,
    /// Correlation, over presynaptic neurons, of the rate and the mean outgoing weight.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub outgoing_correlation: f64,
    /// Mean rate of the postsynaptic neurons (Hz).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub post_rate_mean_hz: f64,
    /// SD of the postsynaptic neurons' rates across cells (Hz).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub post_rate_sd_hz: f64,
}

/// `theory.plasticity`: the mean field of the plastic network's fixed point
/// (`plasticity.md` §5; rates in Hz, weights in the file's units).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlasticTheorySummary {
    /// Population rates at the fixed point (Hz).
    pub fixed_point_rate_hz: BTreeMap<String, f64>,
    /// Mean weight of each plastic projection at the fixed point, keyed `PRE->POST`.
    pub fixed_point_weight: BTreeMap<String, f64>,
    /// Predicted relaxation time of the iSTDP weights (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relaxation_time_ms: Option<f64>,
    /// Kohonen on E→E: the unstable fixed point of the mean weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kohonen_unstable_weight: Option<f64>,
    /// Kohonen on E→E: the β at which the two fixed points annihilate (saddle-node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kohonen_saddle_node_beta: Option<f64>,
    /// Population spike-count covariances in 250-ms windows at the initial weights and the
    /// input correlation c of a correlated layer (c = 0 without one): `ee`, `ei`, `ii`
    /// (spikes²).
    pub count_covariance_250ms: BTreeMap<String, f64>,
    /// The same measured in the run by the population-sum method (`ee`, `ei`, `ii`; 250-ms
    /// windows after the burn-in; `null` with fewer than two windows).
    #[serde(deserialize_with = "null_is_nan::map")]
    pub simulated_count_covariance_250ms: BTreeMap<String, f64>,
    /// Rates from the measured mean net inputs μ (Hz): `r = W⁻¹(μ/√N − X)`.
    pub finite_n_rate_hz: BTreeMap<String, f64>,
}

/// `network` of a spiking run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSummary {
    /// Number of neurons.
    pub neurons: usize,
    /// Populations in index order (population k holds the next `size` indices).
    pub populations: Vec<PopulationSize>,
}

/// One population's name and size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationSize {
    /// Its name.
    pub name: String,
    /// Its number of neurons.
    pub size: usize,
}

/// `activity` (and `initial`): per population, keyed by the lower-case population name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivitySummary {
    /// Mean rate (Hz).
    #[serde(deserialize_with = "null_is_nan::map")]
    pub rate_hz: BTreeMap<String, f64>,
    /// Mean coefficient of variation of inter-spike intervals.
    #[serde(deserialize_with = "null_is_nan::map")]
    pub cv_isi: BTreeMap<String, f64>,
    /// Mean Fano factor of spike counts.
    #[serde(deserialize_with = "null_is_nan::map")]
    pub fano: BTreeMap<String, f64>,
    /// Time- and population-averaged input components.
    pub mean_input: BTreeMap<String, MeanInput>,
}

/// Mean input components of a population; `net = excitatory + inhibitory + external`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanInput {
    /// Excitatory recurrent input.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub excitatory: f64,
    /// Inhibitory recurrent input.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub inhibitory: f64,
    /// External input (bias, cue, Poisson drive, ...).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub external: f64,
    /// Their sum.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub net: f64,
}

/// `theory`: mean-field predictions next to the simulated rates (each part present where it
/// applies).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TheorySummary {
    /// Leading-order balanced rates per population (Hz), keyed by lower-case name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_map"
    )]
    pub balanced_limit_rate_hz: Option<BTreeMap<String, f64>>,
    /// Populations the semi-balanced solution silences (present with the balanced rates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silenced: Option<Vec<String>>,
    /// Brunel's model A, when the network has its form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brunel: Option<BrunelSummary>,
    /// Plastic E–I networks: the weights' fixed point and the rates there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plasticity: Option<PlasticTheorySummary>,
}

/// An optional map of numbers whose entries may be `null`.
fn optional_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, f64>>, D::Error> {
    null_is_nan::map(d).map(Some)
}

/// `theory.brunel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrunelSummary {
    /// Self-consistent rate (Hz).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub rate_hz: f64,
    /// Mean input μ (mV).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub mu_mv: f64,
    /// Input fluctuation σ (mV).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub sigma_mv: f64,
    /// Balanced limit `ν_ext/(gγ − 1)` (Hz), `null` where undefined.
    pub balanced_limit_rate_hz: Option<f64>,
    /// Size-weighted mean of the simulated population rates (Hz).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub simulated_rate_hz: f64,
    /// `simulated_rate_hz / rate_hz − 1`.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub relative_error: f64,
}

/// `training` of a trained spiking run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikingTraining {
    /// Loops run (in total, resumed ones included).
    pub loops: usize,
    /// Number of trained neurons.
    pub trained_neurons: usize,
    /// Plastic recurrent inputs per trained neuron (`null` without trained neurons).
    pub plastic_inputs_per_neuron: Option<usize>,
    /// RLS updates per loop, over all conditions.
    pub updates_per_loop: usize,
    /// Number of conditions.
    pub conditions: usize,
    /// Wall seconds per loop.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub loop_seconds: Vec<f64>,
    /// r per loop (`null` where not evaluated).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub r_per_loop: Vec<f64>,
    /// Error noise σ, `null` when unused.
    pub sigma: Option<f64>,
    /// Summed plastic E and I weights per trained neuron, before and after training.
    pub plastic_row_sums: RowSumsBeforeAfter,
    /// Resumed runs: the loop the run was resumed after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_after_loop: Option<usize>,
    /// Why a checkpoint could not be written, if one could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_error: Option<String>,
}

/// `training.plastic_row_sums`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RowSumsBeforeAfter {
    /// Before training.
    pub initial: RowSums,
    /// After training.
    #[serde(rename = "final")]
    pub after: RowSums,
}

/// Mean and SD over trained neurons of their summed plastic E and I weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RowSums {
    /// Mean of the E sums.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub e_mean: f64,
    /// SD of the E sums (population form).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub e_sd: f64,
    /// Mean of the I sums.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub i_mean: f64,
    /// SD of the I sums (population form).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub i_sd: f64,
}

impl RowSums {
    /// `mean = Σ x / k` and `sd = √(Σ (x − mean)² / k)` of the E and I sums, `k = max(1, rows)`.
    fn of(sums: &[(f64, f64)]) -> Self {
        let k = sums.len().max(1) as f64;
        let e: Vec<f64> = sums.iter().map(|p| p.0).collect();
        let i: Vec<f64> = sums.iter().map(|p| p.1).collect();
        let sd = |x: &[f64], m: f64| (x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / k).sqrt();
        let (e_mean, i_mean) = (e.iter().sum::<f64>() / k, i.iter().sum::<f64>() / k);
        RowSums {
            e_mean,
            e_sd: sd(&e, e_mean),
            i_mean,
            i_sd: sd(&i, i_mean),
        }
    }
}

/// `test` of a spiking run: the trial count, and for trained runs the scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikingTest {
    /// Test trials per condition.
    pub trials: usize,
    /// Trained runs: the scores.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<TestScores>,
}

/// The test scores of a trained spiking run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestScores {
    /// The reference's metric: mean r on the first test trial of condition 1.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub r_mean: f64,
    /// The same per condition.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub r_mean_by_condition: Vec<f64>,
    /// Mean r of the trial-averaged input, over conditions.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub r_trial_avg: f64,
    /// The same per condition.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub r_trial_avg_by_condition: Vec<f64>,
    /// Recorded targets: mean correlation of model PSTHs with recorded rates (`null` otherwise).
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub rate_r_mean: f64,
    /// The same per condition (empty without recorded targets).
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub rate_r_by_condition: Vec<f64>,
    /// Mean rate of trained, untrained and other groups on the test trials (Hz).
    #[serde(deserialize_with = "null_is_nan::map")]
    pub rate_hz: BTreeMap<String, f64>,
}

/// `analysis` of a trained spiking run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisSummary {
    /// |corr| of PC1 and PC2 time courses of trained E with the other populations.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub pc_corr_trained_e_vs_untrained_i: Vec<f64>,
    /// |corr| of PC1 and PC2 time courses of trained E with untrained E.
    #[serde(deserialize_with = "null_is_nan::vec")]
    pub pc_corr_trained_e_vs_untrained_e: Vec<f64>,
    /// First explained-variance ratios per group.
    pub explained_variance_ratio: BTreeMap<String, Vec<f64>>,
}

/// `timing` of a spiking run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikingTiming {
    /// Wall seconds of the whole run.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub total_seconds: f64,
    /// Simulated ms per wall second.
    #[serde(deserialize_with = "null_is_nan::f64")]
    pub simulated_ms_per_wall_second: f64,
    /// Trained runs: mean wall seconds per training loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_loop_seconds: Option<f64>,
}

/// `{"e": x, "i": y}`: one value per population, keyed by lower-case population name.
fn by_population<T>(activity: &Activity, f: impl Fn(&GroupActivity) -> T) -> BTreeMap<String, T> {
    activity
        .populations
        .iter()
        .map(|g| (g.name.to_lowercase(), f(g)))
        .collect()
}

/// The activity block: rates, CV of ISIs, Fano factors and mean input components per population.
pub fn activity(a: &Activity) -> ActivitySummary {
    ActivitySummary {
        rate_hz: by_population(a, |g| g.rate_hz),
        cv_isi: by_population(a, |g| g.cv_isi),
        fano: by_population(a, |g| g.fano),
        mean_input: by_population(a, |g| MeanInput {
            excitatory: g.mean_input.excitatory,
            inhibitory: g.mean_input.inhibitory,
            external: g.mean_input.external,
            net: g.mean_input.net,
        }),
    }
}

/// The summary of a spiking run. `theory` holds mean-field predictions computed by the caller.
pub fn spiking(
    exp: &SpikingExperiment,
    res: &SpikingRunResult,
    theory: TheorySummary,
    total_seconds: f64,
) -> Summary {
    let populations = &exp.network.populations;
    let mut s = SpikingSummary {
        experiment: exp.name.clone(),
        seed: exp.seed,
        network: NetworkSummary {
            neurons: populations.iter().map(|p| p.size).sum(),
            populations: populations
                .iter()
                .map(|p| PopulationSize {
                    name: p.name.clone(),
                    size: p.size,
                })
                .collect(),
        },
        activity: activity(&res.activity),
        initial: None,
        theory,
        training: None,
        test: SpikingTest {
            trials: exp.test_trials,
            scores: None,
        },
        analysis: None,
        plasticity: res
            .plastic_projections
            .iter()
            .map(|p| {
                let summary = ProjectionSummary {
                    synapses: p.synapses,
                    mean_weight_initial: p.mean_initial,
                    mean_weight_final: p.mean_final,
                    weight_rate: Some(WeightRateSummary {
                        slope_per_khz: p.weight_rate.slope_per_khz,
                        correlation: p.weight_rate.correlation,
                        outgoing_correlation: p.weight_rate.outgoing_correlation,
                        post_rate_mean_hz: p.weight_rate.post_rate_mean_hz,
                        post_rate_sd_hz: p.weight_rate.post_rate_sd_hz,
                    }),
                };
                (p.name.clone(), summary)
            })
            .collect(),
        perturbation: res
            .perturbation
            .as_ref()
            .map(crate::perturbation_summary::summary),
        latent: res.latent.as_ref().map(latent::latent),
        timing: SpikingTiming {
            total_seconds,
            simulated_ms_per_wall_second: res.simulated_ms_per_wall_second,
            mean_loop_seconds: None,
        },
    };
    if let (Some(training), Some(test)) = (&exp.training, &res.test) {
        s.initial = Some(activity(
            res.initial.as_ref().expect("trained runs settle first"),
        ));
        s.training = Some(SpikingTraining {
            loops: training.loops,
            trained_neurons: res.trained.len(),
            plastic_inputs_per_neuron: res
                .trained
                .first()
                .map(|_| res.plastic_weights_initial.len() / res.trained.len().max(1)),
            updates_per_loop: exp.conditions * res.n_updates,
            conditions: exp.conditions,
            loop_seconds: res.loop_seconds.clone(),
            r_per_loop: res
                .r_per_loop
                .iter()
                .map(|r| r.unwrap_or(f64::NAN))
                .collect(),
            sigma: res.sigma,
            plastic_row_sums: RowSumsBeforeAfter {
                initial: RowSums::of(&res.row_sums_initial),
                after: RowSums::of(&res.row_sums_final),
            },
            resumed_after_loop: None,
            checkpoint_error: None,
        });
        s.test.scores = Some(TestScores {
            r_mean: test.r_mean,
            r_mean_by_condition: test.r_mean_by_condition.clone(),
            r_trial_avg: mean_skipping_nan(&test.r_trial_avg_by_condition),
            r_trial_avg_by_condition: test.r_trial_avg_by_condition.clone(),
            rate_r_mean: mean_skipping_nan(&test.rate_r_by_condition),
            rate_r_by_condition: test.rate_r_by_condition.clone(),
            rate_hz: test.group_rates_hz.iter().cloned().collect(),
        });
        s.analysis = res.pca.as_ref().map(|p| AnalysisSummary {
            pc_corr_trained_e_vs_untrained_i: p.trained_e_vs_untrained_i.clone(),
            pc_corr_trained_e_vs_untrained_e: p.trained_e_vs_untrained_e.clone(),
            explained_variance_ratio: p.explained_variance_ratio.iter().cloned().collect(),
        });
        s.timing.mean_loop_seconds = Some(mean_skipping_nan(&res.loop_seconds));
    }
    Summary::Spiking(Box::new(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn untrained() -> Summary {
        let inputs = MeanInput {
            excitatory: 0.5,
            inhibitory: -0.9,
            external: 1.5,
            net: 1.1,
        };
        Summary::Spiking(Box::new(SpikingSummary {
            experiment: "x".into(),
            seed: 3,
            network: NetworkSummary {
                neurons: 2,
                populations: vec![PopulationSize {
                    name: "E".into(),
                    size: 2,
                }],
            },
            activity: ActivitySummary {
                rate_hz: [("e".to_string(), 5.0)].into(),
                cv_isi: [("e".to_string(), f64::NAN)].into(),
                fano: [("e".to_string(), 1.0)].into(),
                mean_input: [("e".to_string(), inputs)].into(),
            },
            initial: None,
            theory: TheorySummary::default(),
            training: None,
            test: SpikingTest {
                trials: 1,
                scores: None,
            },
            analysis: None,
            perturbation: None,
            plasticity: Default::default(),
            latent: None,
            timing: SpikingTiming {
                total_seconds: 1.5,
                simulated_ms_per_wall_second: 100.0,
                mean_loop_seconds: None,
            },
        }))
    }

    #[test]
    fn absent_blocks_stay_absent_and_nan_is_null() {
        let v = untrained().to_value();
        assert_eq!(v["kind"], "spiking");
        assert_eq!(v["test"], serde_json::json!({"trials": 1}));
        assert_eq!(v["theory"], serde_json::json!({}));
        for key in ["initial", "training", "analysis"] {
            assert!(v.get(key).is_none(), "{key} present: {v}");
        }
        assert!(v["timing"].get("mean_loop_seconds").is_none());
        assert!(v["activity"]["cv_isi"]["e"].is_null());
    }

    #[test]
    fn a_summary_reads_back_with_nan_for_null() {
        let s = untrained();
        let text = serde_json::to_string_pretty(&s.to_value()).unwrap();
        let back: Summary = serde_json::from_str(&text).unwrap();
        let Summary::Spiking(b) = &back else {
            panic!("{back:?}")
        };
        assert!(b.activity.cv_isi["e"].is_nan());
        // NaN aside, the same summary.
        let mut b = b.as_ref().clone();
        b.activity.cv_isi.insert("e".into(), 0.0);
        let Summary::Spiking(mut a) = s else {
            unreachable!()
        };
        a.activity.cv_isi.insert("e".into(), 0.0);
        assert_eq!(*a, b);
    }

    #[test]
    fn row_sums_use_the_population_sd() {
        let r = RowSums::of(&[(1.0, -1.0), (3.0, -3.0)]);
        assert_eq!((r.e_mean, r.e_sd, r.i_mean, r.i_sd), (2.0, 1.0, -2.0, 1.0));
    }
}
