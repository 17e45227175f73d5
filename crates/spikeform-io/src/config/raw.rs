//! The experiment file as serde structures: defaults filled in, unknown keys rejected.
//!
//! Units are part of key names (`dt_ms`, `tau_ms`, `rate_hz`). See the README's key reference.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The whole experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    /// File format version; must be 1.
    pub version: u32,
    /// Experiment name (used for the default run directory).
    pub name: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Time step (ms).
    #[serde(default = "default_dt_ms")]
    pub dt_ms: f64,
    /// Length of one trial (ms).
    pub duration_ms: f64,
    /// The network.
    pub network: RawNetwork,
    /// The stimulus (pulse or cue) that starts each trial's pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stimulus: Option<RawStimulus>,
    /// What trained units must reproduce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RawTarget>,
    /// RLS training; absent for a plain simulation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<RawTraining>,
    /// Frozen test trials.
    #[serde(default)]
    pub test: RawTest,
    /// What to record.
    #[serde(default)]
    pub record: RawRecord,
}

fn default_dt_ms() -> f64 {
    0.1
}

/// The network, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawNetwork {
    /// Rate units: `τ dr/dt = −r + φ(W r + I_ext)`.
    Rate(RawRateNetwork),
    /// Leaky integrate-and-fire neurons in populations, with static and plastic synapses.
    Spiking(RawSpikingNetwork),
}

/// A spiking network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpikingNetwork {
    /// `euler` (the reference's scheme) or `exponential` (exact for constant input).
    #[serde(default = "default_integration")]
    pub integration: String,
    /// Excitatory static synaptic time constant (ms); 0 for instantaneous voltage jumps.
    pub tau_exc_ms: f64,
    /// Inhibitory static synaptic time constant (ms); 0 for voltage jumps.
    pub tau_inh_ms: f64,
    /// Plastic and feed-forward synaptic time constant, also of the traces RLS sees (ms).
    #[serde(default = "default_tau_plastic")]
    pub tau_plastic_ms: f64,
    /// Spike transmission delay (ms); at least one step.
    #[serde(default = "default_dt_ms")]
    pub delay_ms: f64,
    /// Clear spikes in transit at the start of each trial (the reference carries the last
    /// step's spikes into the next trial).
    #[serde(default)]
    pub reset_spikes_between_trials: bool,
    /// Stop the run when the mean rate of all neurons exceeds this (Hz) over 100 ms.
    #[serde(default = "default_max_rate")]
    pub max_rate_hz: f64,
    /// Populations, in neuron-index order.
    pub populations: Vec<RawPopulation>,
    /// Static connectivity.
    #[serde(default)]
    pub connectivity: RawConnectivity,
}

fn default_integration() -> String {
    "euler".into()
}

fn default_tau_plastic() -> f64 {
    150.0
}

fn default_max_rate() -> f64 {
    500.0
}

/// One population of LIF neurons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    /// Name, e.g. `E` or `I`.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Whether outgoing static synapses excite (true) or inhibit (false).
    pub excitatory: bool,
    /// Neuron model; only `lif` for now.
    #[serde(default = "default_model")]
    pub model: String,
    /// Membrane time constant (ms).
    pub tau_membrane_ms: f64,
    /// Spike threshold.
    #[serde(default = "one")]
    pub threshold: f64,
    /// Reset potential.
    #[serde(default)]
    pub reset: f64,
    /// Resting potential.
    #[serde(default)]
    pub v_rest: f64,
    /// Refractory period (ms).
    #[serde(default)]
    pub refractory_ms: f64,
    /// Voltage noise intensity σ: `v += σ √(dt/τ) ξ` per step.
    #[serde(default)]
    pub noise_sigma: f64,
    /// Initial voltages are drawn from `U(initial_v_min, initial_v_max)` each trial.
    #[serde(default)]
    pub initial_v_min: f64,
    /// Upper end of the initial voltage range.
    #[serde(default = "one")]
    pub initial_v_max: f64,
    /// Constant external input.
    #[serde(default)]
    pub bias: f64,
    /// External Poisson drive: sources per neuron.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poisson_inputs: Option<usize>,
    /// Rate of each Poisson source (Hz).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poisson_rate_hz: Option<f64>,
    /// Weight of each Poisson spike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poisson_weight: Option<f64>,
    /// Ornstein-Uhlenbeck current per neuron: its noise amplitude σ (per √ms); 0 or absent for
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_current_sigma: Option<f64>,
    /// Time constant of the OU current (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_current_tau_ms: Option<f64>,
    /// Mean of the OU current (0 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_current_mean: Option<f64>,
}

fn default_model() -> String {
    "lif".into()
}

/// Static connectivity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConnectivity {
    /// `none`, `fixed_out_degree` or `fixed_in_degree`.
    #[serde(default = "default_rule")]
    pub rule: String,
    /// Targets per neuron (fixed out-degree), drawn from all other neurons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_degree: Option<usize>,
    /// Weights (and in-degrees) by population pair.
    #[serde(default)]
    pub projections: Vec<RawProjection>,
}

impl Default for RawConnectivity {
    fn default() -> Self {
        Self {
            rule: default_rule(),
            out_degree: None,
            projections: Vec::new(),
        }
    }
}

fn default_rule() -> String {
    "none".into()
}

/// Synapses from population `pre` to population `post`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProjection {
    /// Presynaptic population name.
    pub pre: String,
    /// Postsynaptic population name.
    pub post: String,
    /// Weight of every synapse.
    pub weight: f64,
    /// Inputs per `post` neuron from `pre` (fixed in-degree only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_degree: Option<usize>,
}

/// A rate network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateNetwork {
    /// Number of units.
    pub units: usize,
    /// Rate time constant (ms).
    pub tau_ms: f64,
    /// `relu`, `tanh` or `linear`.
    #[serde(default = "default_activation")]
    pub activation: String,
    /// `W_ij = weight_gain · N(0,1)/√(N p)`.
    #[serde(default = "one")]
    pub weight_gain: f64,
    /// Connection probability p; 1 for fully connected (no self-connections either way).
    #[serde(default = "one")]
    pub connection_prob: f64,
}

fn default_activation() -> String {
    "relu".into()
}

fn one() -> f64 {
    1.0
}

/// A stimulus window with a random amplitude per unit (drawn once per unit and condition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStimulus {
    /// Window start (ms).
    pub start_ms: f64,
    /// Window end (ms).
    pub end_ms: f64,
    /// `uniform` (between `amplitude_min` and `amplitude_max`) or `normal` (mean 0,
    /// SD `amplitude_std`).
    #[serde(default = "default_distribution")]
    pub distribution: String,
    /// Lower end of a uniform amplitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplitude_min: Option<f64>,
    /// Upper end of a uniform amplitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplitude_max: Option<f64>,
    /// SD of a normal amplitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplitude_std: Option<f64>,
}

fn default_distribution() -> String {
    "uniform".into()
}

/// What trained units reproduce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawTarget {
    /// `A sin(2π(t/T + φ_i)) + offset`, φ_i ~ U(0, 1).
    Sine(RawSineTarget),
    /// Recorded firing rates, one .npy file (neurons × bins, Hz) per condition.
    Recorded(RawRecordedTarget),
}

/// Recorded rates as targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecordedTarget {
    /// One file per condition, relative to the directory spikeform runs in.
    pub files: Vec<String>,
    /// Width of a time bin (ms); bin k is the target at the k-th learning step.
    pub bin_ms: f64,
    /// Noise intensity σ of the inverse transfer function, or `"estimate"` to estimate it from
    /// the untrained network.
    #[serde(default = "default_sigma")]
    pub sigma: toml::Value,
}

fn default_sigma() -> toml::Value {
    toml::Value::Float(0.309)
}

/// Sine targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSineTarget {
    /// Amplitude A.
    pub amplitude: f64,
    /// Period T (ms).
    pub period_ms: f64,
    /// Constant offset (rate networks; for spiking networks, omit it to use each neuron's mean
    /// input in the untrained settle run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<f64>,
}

/// RLS training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraining {
    /// Training loops (each a fresh trial per condition).
    pub loops: usize,
    /// Interval between RLS updates (ms); a multiple of `dt_ms`.
    pub learn_every_ms: f64,
    /// Learning happens for `start_ms < t <= end_ms`; default: the stimulus end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<f64>,
    /// End of the learning window; default: the trial end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<f64>,
    /// Ridge penalty λ on each plastic weight: `P(0) = I/λ` without other penalties.
    pub penalty_lambda: f64,
    /// Number of trained units; default all (rate networks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_units: Option<usize>,
    /// Spiking: which neurons are trained: `all`, `random` (`trained_count` of
    /// `trained_population`) or `match` (one per recorded neuron, matched by rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained: Option<String>,
    /// Spiking: the population trained neurons come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_population: Option<String>,
    /// Spiking: how many neurons are trained with `trained = "random"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_count: Option<usize>,
    /// Spiking: penalty μ on the sum of the E and the sum of the I plastic weights.
    #[serde(default)]
    pub penalty_mu: f64,
    /// Spiking: ridge on feed-forward weights.
    #[serde(default = "one")]
    pub penalty_ff: f64,
    /// Spiking: plastic synapses: `all_to_all` or `sampled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic: Option<String>,
    /// Spiking, all_to_all: SD of the initial plastic weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic_std: Option<f64>,
    /// Spiking, sampled: E partners per trained neuron (from the trained neurons of excitatory
    /// populations, the neuron itself excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic_exc_inputs: Option<usize>,
    /// Spiking, sampled: I partners per trained neuron.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic_inh_inputs: Option<usize>,
    /// Spiking, sampled: initial E plastic weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic_exc_weight: Option<f64>,
    /// Spiking, sampled: initial I plastic weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic_inh_weight: Option<f64>,
    /// Spiking, sampled: the population I partners come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic_inh_population: Option<String>,
    /// Spiking: feed-forward Poisson units with OU rates (0 for none).
    #[serde(default)]
    pub feedforward_units: usize,
    /// Feed-forward OU rate: mean (Hz).
    #[serde(default = "default_ff_mean")]
    pub feedforward_mean_hz: f64,
    /// Feed-forward OU rate: time constant (ms).
    #[serde(default = "default_ff_tau")]
    pub feedforward_tau_ms: f64,
    /// Feed-forward OU rate: noise σ.
    #[serde(default = "default_ff_sigma")]
    pub feedforward_sigma: f64,
    /// Feed-forward OU rate: half width of the smoothing window (ms).
    #[serde(default = "default_ff_smooth")]
    pub feedforward_smooth_ms: f64,
    /// Spiking: evaluate r with a frozen trial every this many loops (0 = never).
    #[serde(default = "default_eval_every")]
    pub eval_every: usize,
    /// How the RLS matrices are stored and updated.
    #[serde(default)]
    pub rls: RawRls,
    /// Spiking: save a checkpoint every this many loops (0: only at the end of training).
    #[serde(default)]
    pub checkpoint_every: usize,
}

/// Storage of the RLS inverse correlation matrices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRls {
    /// `dense` or `packed` (upper triangle, half the memory).
    #[serde(default = "default_storage")]
    pub storage: String,
    /// `f64` or `f32`.
    #[serde(default = "default_precision")]
    pub precision: String,
    /// Rank-1 downdates applied this many at a time (1 = the textbook update).
    #[serde(default = "default_block")]
    pub block: usize,
}

impl Default for RawRls {
    fn default() -> Self {
        Self {
            storage: default_storage(),
            precision: default_precision(),
            block: default_block(),
        }
    }
}

fn default_storage() -> String {
    "dense".into()
}
fn default_precision() -> String {
    "f64".into()
}
fn default_block() -> usize {
    1
}

fn default_ff_mean() -> f64 {
    5.0
}
fn default_ff_tau() -> f64 {
    400.0
}
fn default_ff_sigma() -> f64 {
    0.2
}
fn default_ff_smooth() -> f64 {
    50.0
}
fn default_eval_every() -> usize {
    1
}

/// Frozen test trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTest {
    /// Number of test trials (per condition).
    #[serde(default = "default_trials")]
    pub trials: usize,
    /// Spiking: activity statistics ignore spikes before this time (ms).
    #[serde(default)]
    pub burn_in_ms: f64,
    /// Spiking: window of the Fano factor (ms).
    #[serde(default = "default_fano")]
    pub fano_window_ms: f64,
    /// Spiking: half width of the box average of the model input around target times (ms).
    #[serde(default = "default_box")]
    pub box_half_width_ms: f64,
    /// Spiking: PSTHs are smoothed by a centred boxcar of ± this many bins before they are
    /// compared with recorded rates (the shipped ALM rates were smoothed by ±7 bins).
    #[serde(default = "default_smooth_bins")]
    pub psth_smooth_bins: usize,
}

fn default_fano() -> f64 {
    100.0
}
fn default_box() -> f64 {
    50.0
}
fn default_smooth_bins() -> usize {
    7
}

impl Default for RawTest {
    fn default() -> Self {
        Self {
            trials: default_trials(),
            burn_in_ms: 0.0,
            fano_window_ms: default_fano(),
            box_half_width_ms: default_box(),
            psth_smooth_bins: default_smooth_bins(),
        }
    }
}

fn default_trials() -> usize {
    1
}

/// What to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    /// Interval between recorded trace samples (ms).
    #[serde(default = "default_record_every_ms")]
    pub every_ms: f64,
    /// Spiking: neurons (0-based) whose voltage and inputs are recorded in the final phase's
    /// first trial (`traces.npz`).
    #[serde(default)]
    pub neurons: Vec<usize>,
    /// Trained spiking runs: how many test trials per condition keep their box-averaged inputs
    /// in `test.npz` (`input_trials`, the first ones). Every trial enters the scores and
    /// `input_mean` whatever this is; it only bounds the file (8 bytes × conditions × trials ×
    /// bins × neurons).
    #[serde(default = "default_record_input_trials")]
    pub input_trials: usize,
}

impl Default for RawRecord {
    fn default() -> Self {
        Self {
            every_ms: default_record_every_ms(),
            neurons: Vec::new(),
            input_trials: default_record_input_trials(),
        }
    }
}

fn default_record_input_trials() -> usize {
    20
}

fn default_record_every_ms() -> f64 {
    1.0
}

/// Deserialises `value` as `T`, naming the key path (under `prefix`) of any error.
fn deserialize_at<T: serde::de::DeserializeOwned>(
    value: toml::Value,
    prefix: &str,
    origin: &Path,
) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // toml appends "in `key`" lines; the path already says where.
        let inner = inner.lines().next().unwrap_or("").trim().to_string();
        let full = match (prefix.is_empty(), path == "." || path.is_empty()) {
            (true, true) => String::new(),
            (true, false) => path,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{path}"),
        };
        ConfigError::Syntax {
            path: origin.to_path_buf(),
            message: if full.is_empty() {
                inner
            } else {
                format!("{full}: {inner}")
            },
        }
    })
}

/// Checks a `kind`-tagged section on its own first, so that errors inside it name the full
/// key path (serde loses the path inside internally tagged enums).
fn check_tagged_section<T: serde::de::DeserializeOwned>(
    table: &toml::Table,
    section: &str,
    origin: &Path,
) -> Result<(), ConfigError> {
    if let Some(toml::Value::Table(t)) = table.get(section) {
        let mut inner = t.clone();
        if inner.remove("kind").is_some() {
            deserialize_at::<T>(toml::Value::Table(inner), section, origin)?;
        }
    }
    Ok(())
}

/// Deserialises the table, naming the key path of any error.
pub fn parse(table: toml::Table, origin: &Path) -> Result<RawExperiment, ConfigError> {
    let kind = |section: &str| -> Option<String> {
        table
            .get(section)?
            .get("kind")?
            .as_str()
            .map(str::to_string)
    };
    match kind("network").as_deref() {
        Some("rate") => check_tagged_section::<RawRateNetwork>(&table, "network", origin)?,
        Some("spiking") => check_tagged_section::<RawSpikingNetwork>(&table, "network", origin)?,
        _ => {}
    }
    match kind("target").as_deref() {
        Some("sine") => check_tagged_section::<RawSineTarget>(&table, "target", origin)?,
        Some("recorded") => check_tagged_section::<RawRecordedTarget>(&table, "target", origin)?,
        _ => {}
    }
    deserialize_at(toml::Value::Table(table), "", origin)
}
