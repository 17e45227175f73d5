//! The experiment file as serde structures: defaults filled in, unknown keys rejected.
//!
//! Units are part of key names (`dt_ms`, `tau_ms`, `rate_hz`). See the README's key reference.
//!
//! A key with a fixed set of values is an enum (`integration = "euler"`); a section whose other
//! keys depend on a choice is an enum tagged by that key (`[network] kind = "spiking"`), each
//! variant's table wrapped in a [`Section`] so that errors inside it keep their key path.

use serde::{Deserialize, Serialize};

pub use super::de::Section;
pub use super::spiking::perturbation::{
    RawAmplitudeUnits, RawPerturbation, RawPerturbationStimulus,
};

/// The whole experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
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
    /// Inputs beyond the populations' own, each tagged by `kind`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<RawInput>,
    /// Plastic projections, each tagged by `rule`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plasticity: Vec<RawPlasticity>,
    /// An optogenetic-style perturbation sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<RawPerturbation>,
    /// A latent embedding (spiking networks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latent: Option<super::latent::RawLatent>,
}

fn default_dt_ms() -> f64 {
    0.1
}

/// The network, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a table with `kind = \"rate\"` or `\"spiking\"`"
)]
pub enum RawNetwork {
    /// Rate units: `τ dr/dt = −r + φ(W r + I_ext)`.
    Rate(Section<RawRateNetwork>),
    /// Leaky integrate-and-fire neurons in populations, with static and plastic synapses.
    Spiking(Section<RawSpikingNetwork>),
}

/// A spiking network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawSpikingNetwork {
    /// How the membrane equation advances one step.
    #[serde(default)]
    pub integration: RawIntegration,
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
    /// Arriving E and I spikes decay over their arrival step (Akil et al.'s order of work).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decay_on_arrival: bool,
    /// Stop the run when the mean rate of all neurons exceeds this (Hz) over 100 ms.
    #[serde(default = "default_max_rate")]
    pub max_rate_hz: f64,
    /// Populations, in neuron-index order.
    pub populations: Vec<RawPopulation>,
    /// Static connectivity.
    #[serde(default)]
    pub connectivity: RawConnectivity,
}

/// `network.integration`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawIntegration {
    /// Forward Euler, the reference's scheme.
    #[default]
    Euler,
    /// Exact for input constant over the step.
    Exponential,
}

fn default_tau_plastic() -> f64 {
    150.0
}

fn default_max_rate() -> f64 {
    500.0
}

/// One population of LIF neurons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawPopulation {
    /// Name, e.g. `E` or `I`.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Whether outgoing static synapses excite (true) or inhibit (false).
    pub excitatory: bool,
    /// Neuron model.
    #[serde(default)]
    pub model: RawNeuronModel,
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
    /// EIF: soft threshold V_T of the exponential term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_threshold: Option<f64>,
    /// EIF: slope factor Δ_T.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope: Option<f64>,
    /// EIF: membrane capacitance C (the input current is divided by it; 1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacitance: Option<f64>,
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

/// `network.populations[].model`. A new model is a variant here (its own keys optional in
/// [`RawPopulation`], required by its validation function).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawNeuronModel {
    /// Leaky integrate-and-fire.
    #[default]
    Lif,
    /// Exponential integrate-and-fire (`soft_threshold`, `slope`, `capacitance`).
    Eif,
}

/// Static connectivity, by rule (`none` when the section leaves `rule` out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "rule",
    rename_all = "snake_case",
    expecting = "a table with `rule = \"none\"`, `\"fixed_out_degree\"`, `\"fixed_in_degree\"` or `\"bernoulli\"`"
)]
pub enum RawConnectivity {
    /// No static synapses (the projections are checked, not built).
    None(Section<RawProjections>),
    /// Each neuron sends `out_degree` synapses to targets drawn from all other neurons; the
    /// weight depends on the pair of populations.
    FixedOutDegree(Section<RawOutDegree>),
    /// Each neuron of `post` receives `in_degree` synapses from `pre`, per projection.
    FixedInDegree(Section<RawProjections>),
    /// Each (pre, post) pair of a projection is connected with its `probability`.
    Bernoulli(Section<RawProjections>),
}

impl Default for RawConnectivity {
    fn default() -> Self {
        RawConnectivity::None(Section::default())
    }
}

impl RawConnectivity {
    /// The projections, whatever the rule.
    pub fn projections(&self) -> &[RawProjection] {
        match self {
            RawConnectivity::None(c)
            | RawConnectivity::FixedInDegree(c)
            | RawConnectivity::Bernoulli(c) => &c.projections,
            RawConnectivity::FixedOutDegree(c) => &c.projections,
        }
    }
}

/// The keys of `rule = "none"` and `rule = "fixed_in_degree"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawProjections {
    /// Weights (and in-degrees) by population pair.
    #[serde(default)]
    pub projections: Vec<RawProjection>,
}

/// The keys of `rule = "fixed_out_degree"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawOutDegree {
    /// Targets per neuron, drawn from all other neurons.
    pub out_degree: usize,
    /// Weights by population pair.
    #[serde(default)]
    pub projections: Vec<RawProjection>,
}

/// Synapses from population `pre` to population `post`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawProjection {
    /// Presynaptic population name.
    pub pre: String,
    /// Postsynaptic population name.
    pub post: String,
    /// Weight of every synapse.
    pub weight: f64,
    /// Inputs per `post` neuron from `pre` (`rule = "fixed_in_degree"`; other rules ignore it,
    /// so that a file can change its rule and keep its projections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_degree: Option<usize>,
    /// Connection probability of each pair (`rule = "bernoulli"`; other rules ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// A rate network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawRateNetwork {
    /// Number of units.
    pub units: usize,
    /// Rate time constant (ms).
    pub tau_ms: f64,
    /// The activation φ.
    #[serde(default)]
    pub activation: RawActivation,
    /// `W_ij = weight_gain · N(0,1)/√(N p)`.
    #[serde(default = "one")]
    pub weight_gain: f64,
    /// Connection probability p; 1 for fully connected (no self-connections either way).
    #[serde(default = "one")]
    pub connection_prob: f64,
}

/// `network.activation` of a rate network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawActivation {
    /// `max(0, x)`.
    #[default]
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `x`.
    Linear,
}

fn one() -> f64 {
    1.0
}

/// A stimulus window with a random amplitude per unit (drawn once per unit and condition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawStimulus {
    /// Window start (ms).
    pub start_ms: f64,
    /// Window end (ms).
    pub end_ms: f64,
    /// How the amplitude is drawn.
    #[serde(default)]
    pub distribution: RawDistribution,
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

/// `stimulus.distribution`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawDistribution {
    /// Between `amplitude_min` and `amplitude_max`.
    #[default]
    Uniform,
    /// Mean 0, SD `amplitude_std`.
    Normal,
}

/// What trained units reproduce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a table with `kind = \"sine\"` or `\"recorded\"`"
)]
pub enum RawTarget {
    /// `A sin(2π(t/T + φ_i)) + offset`, φ_i ~ U(0, 1).
    Sine(Section<RawSineTarget>),
    /// Recorded firing rates, one .npy file (neurons × bins, Hz) per condition.
    Recorded(Section<RawRecordedTarget>),
}

/// Recorded rates as targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawRecordedTarget {
    /// One file per condition, relative to the directory spikeform runs in.
    pub files: Vec<String>,
    /// Width of a time bin (ms); bin k is the target at the k-th learning step.
    pub bin_ms: f64,
    /// Noise intensity σ of the inverse transfer function, or `"estimate"` to estimate it from
    /// the untrained network.
    #[serde(default = "default_sigma")]
    pub sigma: RawSigma,
}

fn default_sigma() -> RawSigma {
    RawSigma::Given(0.309)
}

/// `target.sigma`: a number, or `"estimate"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawSigma {
    /// This σ.
    Given(f64),
    /// Estimated from the untrained network.
    Estimate,
}

impl Serialize for RawSigma {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawSigma::Given(sigma) => s.serialize_f64(*sigma),
            RawSigma::Estimate => s.serialize_str("estimate"),
        }
    }
}

impl<'de> Deserialize<'de> for RawSigma {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SigmaVisitor)
    }
}

struct SigmaVisitor;

impl serde::de::Visitor<'_> for SigmaVisitor {
    type Value = RawSigma;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a positive number or \"estimate\"")
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawSigma, E> {
        Ok(RawSigma::Given(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawSigma, E> {
        Ok(RawSigma::Given(v as f64))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawSigma, E> {
        Ok(RawSigma::Given(v as f64))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawSigma, E> {
        match v {
            "estimate" => Ok(RawSigma::Estimate),
            _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
        }
    }
}

/// Sine targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
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
#[serde(deny_unknown_fields, expecting = "a table")]
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
    /// Spiking: which neurons are trained (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained: Option<RawTrained>,
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
    /// Spiking: how plastic synapses are chosen (default all to all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plastic: Option<RawPlastic>,
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

/// `training.trained`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawTrained {
    /// Every neuron.
    All,
    /// `trained_count` neurons of `trained_population`, drawn at random.
    Random,
    /// One neuron of `trained_population` per recorded neuron, matched by rate.
    Match,
}

/// `training.plastic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawPlastic {
    /// From every trained neuron, initial weights N(0, `plastic_std`²).
    AllToAll,
    /// `plastic_exc_inputs` and `plastic_inh_inputs` partners per trained neuron.
    Sampled,
}

/// Storage of the RLS inverse correlation matrices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawRls {
    /// Layout of each matrix.
    #[serde(default)]
    pub storage: RawStorage,
    /// Floating-point precision of the matrices and their updates.
    #[serde(default)]
    pub precision: RawPrecision,
    /// Rank-1 downdates applied this many at a time (1 = the textbook update).
    #[serde(default = "default_block")]
    pub block: usize,
    /// How each update obtains `k = P ρ`.
    #[serde(default)]
    pub update: RawUpdate,
    /// Updates between folds of the deferred update (its default when absent).
    #[serde(default)]
    pub fold_every: Option<usize>,
}

impl Default for RawRls {
    fn default() -> Self {
        Self {
            storage: RawStorage::default(),
            precision: RawPrecision::default(),
            block: default_block(),
            update: RawUpdate::default(),
            fold_every: None,
        }
    }
}

/// `training.rls.update`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawUpdate {
    /// A pass over all of `P` at every update (the reference).
    #[default]
    Textbook,
    /// From the previous gain and the columns of the inputs that spiked; folded every
    /// `fold_every` updates.
    Deferred,
}

/// `training.rls.storage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawStorage {
    /// The full square.
    #[default]
    Dense,
    /// The upper triangle, half the memory.
    Packed,
}

/// `training.rls.precision`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawPrecision {
    /// 64-bit.
    #[default]
    F64,
    /// 32-bit.
    F32,
    /// 16-bit storage, 32-bit arithmetic.
    F16,
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
#[serde(deny_unknown_fields, expecting = "a table")]
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
    /// Spiking, untrained runs of one trial (long plastic runs): simulate in segments of this
    /// many ms of network time and save a checkpoint after each, for `--resume` (0: none).
    /// Results do not depend on it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub checkpoint_every_ms: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
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
            checkpoint_every_ms: 0.0,
        }
    }
}

fn default_trials() -> usize {
    1
}

/// What to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawRecord {
    /// Interval between recorded trace samples (ms).
    #[serde(default = "default_record_every_ms")]
    pub every_ms: f64,
    /// Spiking: neurons (0-based indices, or a neuron set as `[[inputs]]` spell it) whose
    /// voltage and inputs are recorded in the final phase's first trial (`traces.npz`).
    #[serde(default)]
    pub neurons: RawRecordNeurons,
    /// Trained spiking runs: how many test trials per condition keep their box-averaged inputs
    /// in `test.npz` (`input_trials`, the first ones). Every trial enters the scores and
    /// `input_mean` whatever this is; it only bounds the file (8 bytes × conditions × trials ×
    /// bins × neurons).
    #[serde(default = "default_record_input_trials")]
    pub input_trials: usize,
    /// Untrained runs: whether every spike time is kept (`spikes.npz`, CV and Fano factor in
    /// the summary). `false` keeps only each neuron's spike count (the rates), for timing the
    /// simulation alone. Default `true`.
    #[serde(default = "default_record_spikes", skip_serializing_if = "is_true")]
    pub spikes: bool,
}

impl Default for RawRecord {
    fn default() -> Self {
        Self {
            every_ms: default_record_every_ms(),
            neurons: RawRecordNeurons::default(),
            input_trials: default_record_input_trials(),
            spikes: default_record_spikes(),
        }
    }
}

fn default_record_spikes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn default_record_input_trials() -> usize {
    20
}

fn default_record_every_ms() -> f64 {
    1.0
}

/// One element of `[[inputs]]`, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    expecting = "a table with `kind = \"windowed_current\"`, `\"ou_stimulus\"`, \
                 `\"poisson_layer\"` or `\"correlated_poisson_layer\"`"
)]
pub enum RawInput {
    /// A current on a neuron set inside a time window.
    WindowedCurrent(Section<RawWindowedCurrent>),
    /// An Ornstein-Uhlenbeck current per neuron of a set inside a time window.
    OuStimulus(Section<RawOuStimulus>),
    /// An external layer of Poisson units with random synapses onto the populations.
    PoissonLayer(Section<RawPoissonLayer>),
    /// The same with units copying a shared mother process (correlated inputs).
    CorrelatedPoissonLayer(Section<RawCorrelatedPoissonLayer>),
}

/// `kind = "correlated_poisson_layer"`: a Poisson layer whose units copy a mother process of
/// rate `rate_hz/correlation` with probability `correlation`, each copy jittered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawCorrelatedPoissonLayer {
    /// Name (random streams, messages).
    pub name: String,
    /// Number of units.
    pub units: usize,
    /// Rate of each unit (Hz, > 0).
    pub rate_hz: f64,
    /// Time constant of its synaptic channel (ms).
    pub tau_ms: f64,
    /// Synapses onto the populations.
    pub projections: Vec<RawLayerProjection>,
    /// c: the probability that a unit copies a mother spike, in (0, 1).
    pub correlation: f64,
    /// Jitter SD of each copy (ms).
    #[serde(default = "default_jitter_ms")]
    pub jitter_ms: f64,
}

fn default_jitter_ms() -> f64 {
    5.0
}

/// `kind = "windowed_current"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawWindowedCurrent {
    /// Name (random streams, messages).
    pub name: String,
    /// Which neurons.
    pub neurons: RawNeuronSet,
    /// Gain of each neuron: a number, a list (one per selected neuron) or `{ min, max }`.
    #[serde(default = "unit_gain")]
    pub gains: RawGains,
    /// The window opens after this time (ms).
    pub start_ms: f64,
    /// The window's last time (ms).
    pub end_ms: f64,
    /// Time course.
    pub waveform: RawWaveform,
}

/// `kind = "ou_stimulus"`: `x ← x + (dt/τ)(mean − x) + σ√dt ξ` per neuron, from `mean` at
/// `start_ms`, added while `start_ms < t ≤ end_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawOuStimulus {
    /// Name (random stream, messages).
    pub name: String,
    /// Which neurons (each its own process).
    pub neurons: RawNeuronSet,
    /// The window opens after this time (ms).
    pub start_ms: f64,
    /// The window's last time (ms).
    pub end_ms: f64,
    /// τ (ms, > 0).
    pub tau_ms: f64,
    /// σ (≥ 0, per √ms).
    pub sigma: f64,
    /// Mean and starting value (default 0).
    #[serde(default)]
    pub mean: f64,
    /// The same realisation in every trial (TrainSpikingNet.jl's cue); default `true`.
    #[serde(default = "default_frozen")]
    pub frozen: bool,
}

fn default_frozen() -> bool {
    true
}

fn unit_gain() -> RawGains {
    RawGains::Uniform(1.0)
}

/// A neuron set: `"all"`, `"trained"`, `"untrained"`, `{ population = "E" }`,
/// `{ population = "E", fraction = 0.5 }` or `{ indices = [0, 5] }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "\"all\", \"trained\", \"untrained\", or a table with `population` (and \
                 optionally `fraction`) or `indices`"
)]
pub enum RawNeuronSet {
    /// `"all"`, `"trained"` or `"untrained"`.
    Named(RawNamedSet),
    /// A population, a fraction of one, or indices.
    Table(RawSetTable),
}

/// The sets named by a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawNamedSet {
    /// Every neuron.
    All,
    /// The trained neurons.
    Trained,
    /// The neurons not trained.
    Untrained,
}

/// The sets given as a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSetTable {
    /// A population's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
    /// A random fraction of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// Explicit neuron indices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indices: Option<Vec<usize>>,
}

/// Gains: one for all, one per neuron, or uniform on `[min, max)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a number, a list of numbers, or a table `{ min, max }`"
)]
pub enum RawGains {
    /// The same for every neuron.
    Uniform(f64),
    /// One per selected neuron.
    Given(Vec<f64>),
    /// Uniform on `[min, max)`.
    Random {
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
    },
}

/// A windowed current's time course, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a table with `kind = \"constant\"`, `\"ramp\"` or `\"sine\"`"
)]
pub enum RawWaveform {
    /// `a(t) = amplitude`.
    Constant {
        /// Amplitude.
        amplitude: f64,
    },
    /// From `from` to `to` over the window.
    Ramp {
        /// Value as the window opens.
        from: f64,
        /// Value at its end.
        to: f64,
    },
    /// `mean + amplitude · sin(2π t/period + phase)`.
    Sine {
        /// Amplitude.
        amplitude: f64,
        /// Period (ms).
        period_ms: f64,
        /// Phase (radians).
        #[serde(default)]
        phase: f64,
        /// Mean.
        #[serde(default)]
        mean: f64,
    },
}

/// `kind = "poisson_layer"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawPoissonLayer {
    /// Name (random streams, messages).
    pub name: String,
    /// Number of units.
    pub units: usize,
    /// Rate of each unit (Hz).
    pub rate_hz: f64,
    /// Time constant of its synaptic channel (ms).
    pub tau_ms: f64,
    /// Synapses onto the populations.
    pub projections: Vec<RawLayerProjection>,
}

/// Synapses from a Poisson layer onto population `post`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawLayerProjection {
    /// Postsynaptic population name.
    pub post: String,
    /// Weight of every synapse (≥ 0: the layer is excitatory).
    pub weight: f64,
    /// Connection probability of each (unit, neuron) pair.
    pub probability: f64,
}

/// One element of `[[plasticity]]`, by rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "rule",
    rename_all = "snake_case",
    expecting = "a table with `rule = \"additive_stdp\"`, \"hebbian\", \"soft_hebbian\", \
                 \"kohonen\", \"oja\", \"istdp\", \"vogels\", \"homeostatic\" or \"triplet\""
)]
pub enum RawPlasticity {
    /// Pair-based additive STDP with hard bounds.
    AdditiveStdp(Section<RawAdditiveStdp>),
    /// Classical Hebbian with hard bounds (`eta`).
    Hebbian(Section<RawPairRule>),
    /// Weight-dependent Hebbian (`eta`, `w_target`).
    SoftHebbian(Section<RawPairRule>),
    /// Kohonen (`eta`, `beta`).
    Kohonen(Section<RawPairRule>),
    /// Oja-type (`eta`, `beta`, `gamma`).
    Oja(Section<RawPairRule>),
    /// Multiplicative homeostatic iSTDP on an inhibitory projection (`eta`, `target_rate_hz`).
    Istdp(Section<RawPairRule>),
    /// Additive iSTDP of Vogels et al. 2011 (`eta`, `target_rate_hz`).
    Vogels(Section<RawPairRule>),
    /// Multiplicative homeostatic rule on any projection (`eta`, `target_rate_hz`).
    Homeostatic(Section<RawPairRule>),
    /// Triplet-like rule (`eta`, `v_theta`, `gamma1`, `gamma2`).
    Triplet(Section<RawPairRule>),
}

/// The rules of `plasticity.md` §4 on the synapses from `pre` to `post`; each rule uses some of
/// the optional keys and refuses the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawPairRule {
    /// Presynaptic population name.
    pub pre: String,
    /// Postsynaptic population name.
    pub post: String,
    /// Learning rate η (> 0; for iSTDP the magnitude |η₀/J_norm|).
    pub eta: f64,
    /// Trace time constant τ_STDP (ms).
    #[serde(default = "default_tau_pair_rule")]
    pub tau_ms: f64,
    /// Lower bound of the weight (default: Dale's law).
    #[serde(default)]
    pub w_min: Option<f64>,
    /// Upper bound of the weight (default: Dale's law).
    #[serde(default)]
    pub w_max: Option<f64>,
    /// Kohonen, Oja: β (weight units per trace unit).
    #[serde(default)]
    pub beta: Option<f64>,
    /// Oja: γ.
    #[serde(default)]
    pub gamma: Option<f64>,
    /// Soft Hebbian: the weight the rule drives to (J_max).
    #[serde(default)]
    pub w_target: Option<f64>,
    /// Homeostatic rules: the postsynaptic target rate ρ (Hz); α = 2ρτ.
    #[serde(default)]
    pub target_rate_hz: Option<f64>,
    /// Triplet: v_θ (trace units).
    #[serde(default)]
    pub v_theta: Option<f64>,
    /// Triplet: γ₁.
    #[serde(default)]
    pub gamma1: Option<f64>,
    /// Triplet: γ₂.
    #[serde(default)]
    pub gamma2: Option<f64>,
    /// The rule acts from this time of the trial (ms).
    #[serde(default)]
    pub start_ms: Option<f64>,
    /// The rule acts until this time (ms).
    #[serde(default)]
    pub end_ms: Option<f64>,
    /// Record the mean weight and the sampled synapses every this many ms.
    #[serde(default = "default_record_weights_ms")]
    pub record_every_ms: f64,
    /// Number of synapses whose weights are recorded.
    #[serde(default = "default_record_synapses")]
    pub record_synapses: usize,
}

fn default_tau_pair_rule() -> f64 {
    200.0
}

fn default_record_weights_ms() -> f64 {
    100.0
}

fn default_record_synapses() -> usize {
    200
}

/// `rule = "additive_stdp"` on the synapses from `pre` to `post`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawAdditiveStdp {
    /// Presynaptic population name.
    pub pre: String,
    /// Postsynaptic population name.
    pub post: String,
    /// Potentiation amplitude A₊ (≥ 0).
    pub a_plus: f64,
    /// Depression amplitude A₋ (≥ 0).
    pub a_minus: f64,
    /// Lower bound.
    pub w_min: f64,
    /// Upper bound.
    pub w_max: f64,
    /// Trace time constant τ_STDP (ms).
    #[serde(default = "default_tau_stdp")]
    pub tau_ms: f64,
}

fn default_tau_stdp() -> f64 {
    20.0
}

/// `record.neurons`: a list of indices, or a neuron set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a list of neuron indices, or a neuron set: \"all\", { population = \"E\" }, \
                 { population = \"E\", fraction = 0.1 } or { indices = [...] }"
)]
pub enum RawRecordNeurons {
    /// Neuron indices.
    Indices(Vec<usize>),
    /// A neuron set.
    Set(RawNeuronSet),
}

impl Default for RawRecordNeurons {
    fn default() -> Self {
        RawRecordNeurons::Indices(Vec::new())
    }
}

impl RawRecordNeurons {
    /// Whether it names no neuron at all (an empty list).
    pub fn is_empty(&self) -> bool {
        matches!(self, RawRecordNeurons::Indices(v) if v.is_empty())
    }
}
