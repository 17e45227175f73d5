//! `[latent]`: a latent embedding on a spiking network (`../shared/spec/latent.md`, a
//! reconstruction after Gort & Renart). The section as the file spells it, and its rules:
//!
//! ```toml
//! [latent]
//! dims = 1
//! input_loadings = { std = 1.0 }                 # or { file = "m.npy" }: N × D (or N for D = 1)
//! # input_loadings = { std = 1.0, population_scale = { I = 1.6 } }   drawn SD × scale per population
//! readout_loadings = { overlap = 0.0, mean = 0.0, std = 0.0 }   # or { file = "n.npy" }: N_E × D
//! tau_readout_ms = 20.0
//! feedback = "current"       # or "weights": low-rank weights on the E synapses (closed loop only)
//! weights_bound = "sign"     # weights form: J⁰ + J^LR ≥ 0, or "magnitude": |J^LR| ≤ J⁰
//! kappa = { kind = "steps", step_ms = 1000.0, values = [0.0, 0.5, 1.0] }   # D = 2: [[0, 0], ...]
//! # kappa = { kind = "sine", amplitude = 1.0, period_ms = 2000.0 }       (optional phase, mean)
//! # kappa = { kind = "file", path = "kappa.npy", sample_ms = 1.0 }      T × D, T·sample = trial
//! # kappa = { kind = "closed_loop", initial = 0.1 }
//! analysis = { settle_ms = 200.0, bin_ms = 50.0, untuned_below = 0.25, fit_min_rate_hz = 1.0 }
//!
//! [latent.readout_training]      # closed loop only: the readout trained by RLS (FORCE)
//! neurons = 500                  # excitatory neurons whose readout weights learn
//! target = { kind = "sine", amplitude = 1.0, period_ms = 250.0 }   # any open-loop κ form
//! learn_ms = [500.0, 3000.0]     # updates for start < t ≤ end
//! every_ms = 1.0
//! alpha = 1.0                    # P(0) = I/α (Hz²)
//! ```
//!
//! Vectors of D values may be written as a number when D = 1.

use std::path::Path;

use serde::{Deserialize, Serialize};
use spikeform::experiment::latent::weights::WeightBound;
use spikeform::experiment::latent::{
    excitatory_neurons, FeedbackForm, InputLoadings, LatentAnalysisSpec, LatentSpec,
    ReadoutLoadings, ReadoutTrainingSpec,
};
use spikeform::input::LatentCourse;
use spikeform::network::Population;

use super::raw::Section;
use super::validate::{finite, non_negative, positive, Clock};
use super::ConfigError;

/// The `[latent]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawLatent {
    /// Dimension D of κ.
    pub dims: usize,
    /// Input loadings m.
    #[serde(default)]
    pub input_loadings: RawLoadings,
    /// Readout loadings n of the excitatory neurons.
    #[serde(default)]
    pub readout_loadings: RawReadoutLoadings,
    /// Readout filter τ_s (ms).
    #[serde(default = "default_tau_readout_ms")]
    pub tau_readout_ms: f64,
    /// How the feedback reaches the neurons: `"current"` (default) or `"weights"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<RawFeedback>,
    /// The weights form's bound: `"sign"` (default) or `"magnitude"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_bound: Option<RawWeightBound>,
    /// How κ is given.
    pub kappa: RawKappa,
    /// Analysis settings.
    #[serde(default)]
    pub analysis: RawLatentAnalysis,
    /// The readout trained by RLS during every trial (closed loop only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readout_training: Option<RawReadoutTraining>,
}

/// `latent.readout_training`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawReadoutTraining {
    /// Excitatory neurons whose readout weights are trained (a random set).
    #[serde(default = "default_trained_neurons")]
    pub neurons: usize,
    /// The latent dynamics to learn: an open-loop κ course.
    pub target: RawKappa,
    /// Updates happen for `start < t ≤ end` (ms).
    pub learn_ms: [f64; 2],
    /// Interval of the updates (ms).
    #[serde(default = "default_readout_every_ms")]
    pub every_ms: f64,
    /// Ridge α: `P(0) = I/α` (Hz²).
    #[serde(default = "default_readout_alpha")]
    pub alpha: f64,
}

fn default_trained_neurons() -> usize {
    500
}

fn default_readout_every_ms() -> f64 {
    1.0
}

fn default_readout_alpha() -> f64 {
    1.0
}

/// The most trained readout neurons: `P` holds their square in f64 (8000² values, 512 MB), and
/// every update reads and writes it.
pub const MAX_TRAINED_READOUT_NEURONS: usize = 8000;

fn default_tau_readout_ms() -> f64 {
    20.0
}

/// `latent.feedback`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", expecting = "\"current\" or \"weights\"")]
pub enum RawFeedback {
    /// Its own input current `m_i·κ` (spec §2 (b)).
    Current,
    /// Low-rank weights added to the existing E synapses, no sign change (spec §2 (a)).
    Weights,
}

/// `latent.weights_bound`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", expecting = "\"sign\" or \"magnitude\"")]
pub enum RawWeightBound {
    /// `J⁰ + J^LR ≥ 0`.
    Sign,
    /// `|J^LR| ≤ J⁰`.
    Magnitude,
}

/// Input loadings: drawn (`std`) or read from a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table with `std` or `file`")]
pub struct RawLoadings {
    /// SD of the normal draw (1 when neither `std` nor `file` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// A .npy file of N × D values (N values for D = 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Drawn loadings only: a factor on `std` per population name (1 for those not named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population_scale: Option<std::collections::BTreeMap<String, f64>>,
}

impl Default for RawLoadings {
    fn default() -> Self {
        Self {
            std: Some(1.0),
            file: None,
            population_scale: None,
        }
    }
}

/// Readout loadings: `n = overlap·m + mean + std·ξ`, or read from a file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table with `overlap`, `mean`, `std`, or `file`"
)]
pub struct RawReadoutLoadings {
    /// Overlap with the input loadings.
    #[serde(default)]
    pub overlap: f64,
    /// Common part.
    #[serde(default)]
    pub mean: f64,
    /// SD of the independent part.
    #[serde(default)]
    pub std: f64,
    /// A .npy file of N_E × D values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// D values, or one number when D = 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a number or an array of numbers")]
pub enum RawVector {
    /// One number.
    One(f64),
    /// Several.
    Many(Vec<f64>),
}

impl RawVector {
    fn values(&self) -> Vec<f64> {
        match self {
            RawVector::One(x) => vec![*x],
            RawVector::Many(v) => v.clone(),
        }
    }
}

/// How κ is given, by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a table with `kind = \"steps\"`, `\"sine\"`, `\"file\"` or `\"closed_loop\"`"
)]
pub enum RawKappa {
    /// Constant values, each held for `step_ms`; the last holds to the end.
    Steps(Section<RawSteps>),
    /// `mean + amplitude·sin(2π t/period + phase)`.
    Sine(Section<RawSine>),
    /// A .npy time series.
    File(Section<RawKappaFile>),
    /// κ = the network's own readout.
    ClosedLoop(Section<RawClosedLoop>),
}

/// `kind = "steps"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawSteps {
    /// Length of each step (ms).
    pub step_ms: f64,
    /// The values, one vector of D per step.
    pub values: Vec<RawVector>,
}

/// `kind = "sine"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawSine {
    /// Amplitude per dimension.
    pub amplitude: RawVector,
    /// Period (ms).
    pub period_ms: f64,
    /// Phase per dimension (radians; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<RawVector>,
    /// Mean per dimension (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<RawVector>,
}

/// `kind = "file"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawKappaFile {
    /// A .npy file of T × D values (T for D = 1).
    pub path: String,
    /// Interval of the samples (ms).
    pub sample_ms: f64,
}

/// `kind = "closed_loop"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawClosedLoop {
    /// κ̂ at the start of a trial.
    pub initial: RawVector,
}

/// `latent.analysis`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct RawLatentAnalysis {
    /// Time after each change of κ left out (ms).
    pub settle_ms: f64,
    /// Bin of the mean-input–κ² correlation (ms).
    pub bin_ms: f64,
    /// Untuned cells: ‖m_i‖ below this.
    pub untuned_below: f64,
    /// Cells below this mean rate (Hz) are not fitted.
    pub fit_min_rate_hz: f64,
}

impl Default for RawLatentAnalysis {
    fn default() -> Self {
        let d = LatentAnalysisSpec::default();
        Self {
            settle_ms: d.settle_ms,
            bin_ms: d.bin_ms,
            untuned_below: d.untuned_below,
            fit_min_rate_hz: d.fit_min_rate_hz,
        }
    }
}

/// Checks `[latent]` against the network's populations.
pub(super) fn validate(
    raw: &RawLatent,
    clock: &Clock,
    populations: &[Population],
    base_dir: &Path,
) -> Result<LatentSpec, ConfigError> {
    let d = raw.dims;
    if d == 0 {
        return Err(ConfigError::invalid(
            "latent.dims",
            "must be at least 1, got 0",
        ));
    }
    let n_e = excitatory_neurons(populations).len();
    let a = &raw.analysis;
    let feedback = match raw.feedback {
        None | Some(RawFeedback::Current) => FeedbackForm::Current,
        Some(RawFeedback::Weights) => {
            if !matches!(raw.kappa, RawKappa::ClosedLoop(_)) {
                return Err(ConfigError::invalid(
                    "latent.feedback",
                    "\"weights\" carries the network's own readout, so it needs \
                     `kappa = { kind = \"closed_loop\", ... }`",
                ));
            }
            FeedbackForm::Weights
        }
    };
    let weights_bound = match (raw.weights_bound, feedback) {
        (None | Some(RawWeightBound::Sign), _) => WeightBound::Sign,
        (Some(RawWeightBound::Magnitude), FeedbackForm::Weights) => WeightBound::Magnitude,
        (Some(_), FeedbackForm::Current) => {
            return Err(ConfigError::invalid(
                "latent.weights_bound",
                "bounds the low-rank weights, so it needs `feedback = \"weights\"`",
            ))
        }
    };
    let readout_training = raw
        .readout_training
        .as_ref()
        .map(|t| readout_training(t, raw, (clock, n_e), base_dir))
        .transpose()?;
    Ok(LatentSpec {
        readout_training,
        feedback,
        weights_bound,
        dims: d,
        input_loadings: input_loadings(&raw.input_loadings, d, populations, base_dir)?,
        readout_loadings: readout_loadings(&raw.readout_loadings, d, n_e, base_dir)?,
        tau_readout_ms: positive("latent.tau_readout_ms", raw.tau_readout_ms)?,
        course: kappa(&raw.kappa, "latent.kappa", (d, clock), base_dir)?,
        analysis: LatentAnalysisSpec {
            settle_ms: non_negative("latent.analysis.settle_ms", a.settle_ms)?,
            bin_ms: positive("latent.analysis.bin_ms", a.bin_ms)?,
            untuned_below: non_negative("latent.analysis.untuned_below", a.untuned_below)?,
            fit_min_rate_hz: non_negative("latent.analysis.fit_min_rate_hz", a.fit_min_rate_hz)?,
        },
    })
}

/// A vector of exactly `d` finite values.
fn vector(raw: &RawVector, d: usize, key: &str) -> Result<Vec<f64>, ConfigError> {
    let v = raw.values();
    if v.len() != d {
        return Err(ConfigError::invalid(
            key,
            format!("has {} values, latent.dims is {d}", v.len()),
        ));
    }
    for (k, &x) in v.iter().enumerate() {
        finite(&format!("{key}[{k}]"), x)?;
    }
    Ok(v)
}

/// A .npy of `rows × d` finite values (or `rows` values when `d = 1`); `what` names the rows.
fn matrix(
    file: &str,
    key: &str,
    (rows, d, what): (Option<usize>, usize, &str),
    base_dir: &Path,
) -> Result<(usize, Vec<f64>), ConfigError> {
    let bad = |rule: String| ConfigError::invalid(key, format!("{file}: {rule}"));
    let arr = crate::npy::read_npy_f64(base_dir.join(file)).map_err(|e| bad(e.problem))?;
    let found_rows = match (arr.shape.as_slice(), d) {
        ([r], 1) => *r,
        ([r, c], _) if *c == d => *r,
        (shape, _) => {
            return Err(bad(format!(
                "must have shape ({what}, {d}){}, found {shape:?}",
                if d == 1 {
                    format!(" or ({what},)")
                } else {
                    String::new()
                }
            )))
        }
    };
    if let Some(rows) = rows.filter(|&r| r != found_rows) {
        return Err(bad(format!(
            "has {found_rows} rows, expected {rows} ({what})"
        )));
    }
    if let Some((k, v)) = arr.data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(bad(format!(
            "holds {v} at row {}, column {}: values must be finite",
            k / d,
            k % d
        )));
    }
    Ok((found_rows, arr.data))
}

fn input_loadings(
    raw: &RawLoadings,
    d: usize,
    populations: &[Population],
    base_dir: &Path,
) -> Result<InputLoadings, ConfigError> {
    let key = "latent.input_loadings";
    let n: usize = populations.iter().map(|p| p.size).sum();
    // A table without `std` or `file` (e.g. only `population_scale`) draws with SD 1.
    let std = raw.std.or(raw.file.is_none().then_some(1.0));
    match (std, &raw.file) {
        (Some(std), None) => Ok(InputLoadings::Normal {
            std: non_negative(&format!("{key}.std"), std)?,
            population_scale: population_scale(raw.population_scale.as_ref(), populations)?,
        }),
        (None, Some(_)) if raw.population_scale.is_some() => Err(ConfigError::invalid(
            format!("{key}.population_scale"),
            "applies to drawn loadings (`std`), not to loadings from a `file`",
        )),
        (None, Some(file)) => {
            let what = "neurons of the network";
            let (_, m) = matrix(file, &format!("{key}.file"), (Some(n), d, what), base_dir)?;
            Ok(InputLoadings::Given(m))
        }
        _ => Err(ConfigError::invalid(
            key,
            "give `std` or `file`, one of them",
        )),
    }
}

/// One factor per population (1 where not named); every name must be a population's and every
/// factor finite and non-negative.
fn population_scale(
    raw: Option<&std::collections::BTreeMap<String, f64>>,
    populations: &[Population],
) -> Result<Vec<f64>, ConfigError> {
    let mut scale = vec![1.0; populations.len()];
    for (name, &factor) in raw.into_iter().flatten() {
        let key = format!("latent.input_loadings.population_scale.{name}");
        let Some(a) = populations.iter().position(|p| &p.name == name) else {
            let names: Vec<&str> = populations.iter().map(|p| p.name.as_str()).collect();
            return Err(ConfigError::invalid(
                key,
                format!("names no population (the network has {names:?})"),
            ));
        };
        scale[a] = non_negative(&key, factor)?;
    }
    Ok(scale)
}

fn readout_loadings(
    raw: &RawReadoutLoadings,
    d: usize,
    n_e: usize,
    base_dir: &Path,
) -> Result<ReadoutLoadings, ConfigError> {
    let key = "latent.readout_loadings";
    match &raw.file {
        Some(file) => {
            if raw.overlap != 0.0 || raw.mean != 0.0 || raw.std != 0.0 {
                return Err(ConfigError::invalid(
                    key,
                    "give `file` or `overlap`/`mean`/`std`, not both",
                ));
            }
            let what = "excitatory neurons";
            let (_, n) = matrix(file, &format!("{key}.file"), (Some(n_e), d, what), base_dir)?;
            Ok(ReadoutLoadings::Given(n))
        }
        None => Ok(ReadoutLoadings::Overlap {
            overlap: finite(&format!("{key}.overlap"), raw.overlap)?,
            mean: finite(&format!("{key}.mean"), raw.mean)?,
            std: non_negative(&format!("{key}.std"), raw.std)?,
        }),
    }
}

/// `latent.readout_training`: needs a closed loop with the feedback as a current; the target
/// is an open-loop course, the window inside the trial.
fn readout_training(
    t: &RawReadoutTraining,
    raw: &RawLatent,
    (clock, n_e): (&Clock, usize),
    base_dir: &Path,
) -> Result<ReadoutTrainingSpec, ConfigError> {
    let key = |f: &str| format!("latent.readout_training.{f}");
    if !matches!(raw.kappa, RawKappa::ClosedLoop(_)) {
        return Err(ConfigError::invalid(
            "latent.readout_training",
            "trains the readout that a closed loop feeds back, so it needs \
             `kappa = { kind = \"closed_loop\", ... }`",
        ));
    }
    if matches!(raw.feedback, Some(RawFeedback::Weights)) {
        return Err(ConfigError::invalid(
            "latent.readout_training",
            "needs `feedback = \"current\"`: the weights form fixes the readout in the synapses",
        ));
    }
    let most = n_e.min(MAX_TRAINED_READOUT_NEURONS);
    if t.neurons == 0 || t.neurons > most {
        return Err(ConfigError::invalid(
            key("neurons"),
            format!(
                "must be between 1 and {most} (the excitatory neurons, at most \
                 {MAX_TRAINED_READOUT_NEURONS}), got {}",
                t.neurons
            ),
        ));
    }
    if matches!(t.target, RawKappa::ClosedLoop(_)) {
        return Err(ConfigError::invalid(
            key("target"),
            "must be a prescribed course (`steps`, `sine` or `file`), not `closed_loop`",
        ));
    }
    let [start, end] = t.learn_ms;
    clock.within_trial(&key("learn_ms[0]"), start)?;
    clock.within_trial(&key("learn_ms[1]"), end)?;
    if end <= start {
        return Err(ConfigError::invalid(
            key("learn_ms"),
            format!("must be [start, end] with start < end, got [{start}, {end}]"),
        ));
    }
    Ok(ReadoutTrainingSpec {
        neurons: t.neurons,
        target: kappa(&t.target, &key("target"), (raw.dims, clock), base_dir)?,
        learn_steps: (
            clock.steps(&key("learn_ms[0]"), start)? + 1,
            clock.steps(&key("learn_ms[1]"), end)?,
        ),
        every_steps: clock.positive_steps(&key("every_ms"), t.every_ms)?,
        alpha: positive(&key("alpha"), t.alpha)?,
    })
}

/// A κ course written under `prefix` (`latent.kappa` or a readout's target).
fn kappa(
    raw: &RawKappa,
    prefix: &str,
    (d, clock): (usize, &Clock),
    base_dir: &Path,
) -> Result<LatentCourse, ConfigError> {
    let key = |f: &str| format!("{prefix}.{f}");
    Ok(match raw {
        RawKappa::Steps(s) => {
            if s.values.is_empty() {
                return Err(ConfigError::invalid(key("values"), "must not be empty"));
            }
            let mut values = Vec::with_capacity(s.values.len() * d);
            for (k, v) in s.values.iter().enumerate() {
                values.extend(vector(v, d, &key(&format!("values[{k}]")))?);
            }
            LatentCourse::Series {
                every_steps: clock.positive_steps(&key("step_ms"), s.step_ms)?,
                values,
            }
        }
        RawKappa::Sine(s) => {
            let zeros = RawVector::Many(vec![0.0; d]);
            LatentCourse::Sine {
                amplitude: vector(&s.amplitude, d, &key("amplitude"))?,
                period_ms: positive(&key("period_ms"), s.period_ms)?,
                phase: vector(s.phase.as_ref().unwrap_or(&zeros), d, &key("phase"))?,
                mean: vector(s.mean.as_ref().unwrap_or(&zeros), d, &key("mean"))?,
            }
        }
        RawKappa::File(f) => {
            let every_steps = clock.positive_steps(&key("sample_ms"), f.sample_ms)?;
            let samples = clock.trial_steps.div_ceil(every_steps) as usize;
            let what = "samples covering duration_ms";
            let (_, values) = matrix(&f.path, &key("path"), (Some(samples), d, what), base_dir)?;
            LatentCourse::Series {
                every_steps,
                values,
            }
        }
        RawKappa::ClosedLoop(c) => LatentCourse::ClosedLoop {
            initial: vector(&c.initial, d, &key("initial"))?,
        },
    })
}
