//! Spiking-network experiments: build the network, settle it, train chosen neurons with RLS,
//! test with frozen weights, and summarise what the trained and untrained neurons do.
//!
//! One procedure serves the tutorial's Part 2 (all-to-all plastic LIF network, sine targets),
//! Part 3 (balanced E–I network trained on recorded rates) and untrained simulations (the
//! balanced network, Brunel's model A).

use crate::analysis;
use crate::error::{Observer, RunError};
use crate::network::plastic::PenaltyWeights;
use crate::network::{Population, Projection};
use crate::neuron::Integration;
use crate::simulate::Trial;
use crate::stimulus::{Amplitude, OuRates};
use crate::train::{LearningSchedule, StoredP};

pub use super::build::build_network;
use super::phases::analyse::{analyse, Analysis};
use super::phases::long_run::simulate_in_segments;
pub use super::phases::long_run::SimulationState;
use super::phases::perturb::perturb;
use super::phases::perturb_trained::analyse_trained;
use super::phases::restore::restore;
use super::phases::settle::settle;
use super::phases::targets::targets;
use super::phases::test::test;
use super::phases::train::train;
use super::phases::untrained::{simulate_perturbed, simulate_untrained};
use super::session::Session;
pub use super::trained::{History, Settled, Setup, TrainedNetwork};

/// Static connectivity rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Connectivity {
    /// No static synapses.
    None,
    /// Every neuron projects to `out_degree` others drawn from all neurons;
    /// `weight[pre][post]` by population.
    FixedOutDegree {
        /// Targets per neuron.
        out_degree: usize,
        /// Weight by (pre population, post population).
        weight: Vec<Vec<f64>>,
    },
    /// Every neuron of `post` receives `in_degree` inputs from `pre`, per projection.
    FixedInDegree {
        /// The projections.
        projections: Vec<Projection>,
    },
    /// Every (pre, post) pair of a projection is connected with its probability (Erdős–Rényi,
    /// Akil et al.).
    Bernoulli {
        /// The projections.
        projections: Vec<crate::network::ProbabilityProjection>,
    },
}

/// The network part of an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// Integration scheme.
    pub integration: Integration,
    /// Populations.
    pub populations: Vec<Population>,
    /// Static connectivity.
    pub connectivity: Connectivity,
    /// Excitatory channel time constant (ms), 0 for voltage jumps.
    pub tau_exc_ms: f64,
    /// Inhibitory channel time constant (ms), 0 for voltage jumps.
    pub tau_inh_ms: f64,
    /// Plastic channel and presynaptic trace time constant (ms).
    pub tau_plastic_ms: f64,
    /// Transmission delay (steps, ≥ 1).
    pub delay_steps: usize,
    /// Clear delivery queues between trials (the reference carries them over).
    pub reset_queues: bool,
    /// Arriving E and I spikes decay over their arrival step (Akil et al.'s step order; see
    /// [`SpikingNetwork::decay_on_arrival`]).
    pub decay_on_arrival: bool,
}

impl NetworkSpec {
    /// `populations` wired by `connectivity`, with the tutorial's synapses: Euler integration,
    /// 3-ms excitatory and inhibitory and 150-ms plastic time constants, a one-step delay, and
    /// delivery queues cleared between trials.
    pub fn new(populations: Vec<Population>, connectivity: Connectivity) -> Self {
        Self {
            integration: Integration::Euler,
            populations,
            connectivity,
            tau_exc_ms: 3.0,
            tau_inh_ms: 3.0,
            tau_plastic_ms: 150.0,
            delay_steps: 1,
            reset_queues: true,
            decay_on_arrival: false,
        }
    }
}

/// The cue that starts each condition's pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct CueSpec {
    /// Exclusive start step.
    pub start_step: u64,
    /// Exclusive end step.
    pub end_step: u64,
    /// Amplitude distribution (drawn per neuron and condition).
    pub amplitude: Amplitude,
}

/// Which neurons are trained.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainedSelection {
    /// Every neuron.
    All,
    /// `count` neurons of population `population`, drawn at random.
    Random {
        /// Population index.
        population: usize,
        /// How many.
        count: usize,
    },
    /// One neuron of `population` per recorded neuron, matched by mean rate.
    MatchRecorded {
        /// Population index.
        population: usize,
    },
}

/// How plastic synapses are laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum PlasticSpec {
    /// From every other neuron, initial weights `N(0, std²)` (Part 2).
    AllToAll {
        /// SD of the initial weights.
        std: f64,
    },
    /// `n_exc` partners from the trained neurons of excitatory populations (Dale's law) and
    /// `n_inh` from population `inh_population` (Part 3).
    Sampled {
        /// Excitatory partners per trained neuron.
        n_exc: usize,
        /// Inhibitory partners per trained neuron.
        n_inh: usize,
        /// Initial excitatory weight.
        w_exc: f64,
        /// Initial inhibitory weight.
        w_inh: f64,
        /// Population the inhibitory partners come from.
        inh_population: usize,
    },
}

/// Recorded firing rates of one condition: `rates_hz[a * n_bins + b]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRates {
    /// Condition name (from the file name).
    pub name: String,
    /// Recorded neurons.
    pub n_neurons: usize,
    /// Time bins.
    pub n_bins: usize,
    /// Rates (Hz), neuron-major.
    pub rates_hz: Vec<f64>,
}

/// The noise intensity σ used to turn rates into target inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sigma {
    /// Given.
    Given(f64),
    /// Estimated from the settle run: σ = SD_t(x_E + x_I) / √(1.3 τ_E), averaged over
    /// excitatory neurons (the reference's recipe).
    Estimate,
}

/// What trained neurons reproduce.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSpec {
    /// `A sin(2π(t/T + φ_i)) + c_i` with `c_i` the neuron's mean total input in the settle run
    /// (when `offset` is `None`) or the given offset.
    Sine {
        /// Amplitude.
        amplitude: f64,
        /// Period (ms).
        period_ms: f64,
        /// Offset; `None` = settle-run mean input.
        offset: Option<f64>,
    },
    /// Recorded rates per condition, turned into target inputs by the inverse Siegert
    /// function.
    Recorded {
        /// One entry per condition.
        conditions: Vec<RecordedRates>,
        /// Noise intensity for the inverse transfer function.
        sigma: Sigma,
    },
}

/// RLS training of a spiking network.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikingTraining {
    /// Loops (each runs every condition once).
    pub loops: usize,
    /// Learning steps.
    pub schedule: LearningSchedule,
    /// Penalty matrix weights.
    pub penalty: PenaltyWeights,
    /// Storage, precision and blocking of the RLS matrices.
    pub rls: crate::train::RlsOptions,
    /// Trained neurons.
    pub trained: TrainedSelection,
    /// Plastic synapses.
    pub plastic: PlasticSpec,
    /// Feed-forward units: count and OU rates.
    pub feedforward: Option<(usize, OuRates)>,
    /// Targets.
    pub target: TargetSpec,
    /// Evaluate r with a frozen trial of the first condition every this many loops (0: never).
    pub eval_every: usize,
}

/// A spiking experiment, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikingExperiment {
    /// Name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Steps per trial.
    pub trial_steps: u64,
    /// Network.
    pub network: NetworkSpec,
    /// Cue.
    pub cue: Option<CueSpec>,
    /// Inputs beyond the populations' own (`[[inputs]]`).
    pub inputs: Vec<super::components::InputSpec>,
    /// Plastic projections (`[[plasticity]]`).
    pub plasticity: Vec<super::components::PlasticitySpec>,
    /// An optogenetic-style perturbation sweep (`[perturbation]`), run instead of the plain
    /// simulation of an untrained network or after loading a trained one.
    pub perturbation: Option<super::perturbation::PerturbationSpec>,
    /// A latent embedding (`[latent]`).
    pub latent: Option<super::latent::LatentSpec>,
    /// Number of conditions.
    pub conditions: usize,
    /// Training.
    pub training: Option<SpikingTraining>,
    /// Frozen test trials per condition (simulation trials when untrained).
    pub test_trials: usize,
    /// Activity statistics ignore spikes before this time (ms).
    pub burn_in_ms: f64,
    /// Window for the Fano factor (ms).
    pub fano_window_ms: f64,
    /// Half width of the box average around target times (ms).
    pub box_half_width_ms: f64,
    /// Boxcar half width (bins) for smoothing PSTHs before comparing them with recorded rates.
    pub psth_smooth_bins: usize,
    /// Stop when the mean rate exceeds this (Hz).
    pub max_rate_hz: f64,
    /// Neurons whose voltage and inputs are recorded in the final phase's first trial.
    pub record_neurons: Vec<usize>,
    /// Interval of those recordings (steps).
    pub record_every_steps: u64,
    /// Test trials per condition whose box-averaged inputs are kept for output (the first
    /// ones); every trial is scored.
    pub record_input_trials: usize,
    /// Untrained runs: keep every spike time (`true`), or only each neuron's spike count after
    /// the burn-in (`false`: rates only; no spike trains, CV or Fano factor).
    pub record_spikes: bool,
}

impl SpikingExperiment {
    /// An untrained experiment: one condition, no cue, one trial, and the experiment files'
    /// defaults for the rest (no burn-in, a 100-ms Fano window, 50-ms boxes, ±7-bin PSTH
    /// smoothing, a stop above 500 Hz, no traces). What benchmarks and tests build by hand.
    pub fn untrained(
        name: &str,
        seed: u64,
        dt_ms: f64,
        trial_steps: u64,
        network: NetworkSpec,
    ) -> Self {
        Self {
            name: name.into(),
            seed,
            dt_ms,
            trial_steps,
            network,
            cue: None,
            inputs: Vec::new(),
            plasticity: Vec::new(),
            perturbation: None,
            latent: None,
            conditions: 1,
            training: None,
            test_trials: 1,
            burn_in_ms: 0.0,
            fano_window_ms: 100.0,
            box_half_width_ms: 50.0,
            psth_smooth_bins: 7,
            max_rate_hz: 500.0,
            record_neurons: Vec::new(),
            record_every_steps: crate::time::at_least_one_step(1.0, dt_ms),
            record_input_trials: 0,
            record_spikes: true,
        }
    }

    /// A trial of `condition` with frozen weights: the experiment's length and seed, the random
    /// sub-streams of trial `index`, `phase` naming it in messages.
    pub fn frozen_trial<'a>(&self, condition: usize, index: u64, phase: &'a str) -> Trial<'a> {
        Trial {
            steps: self.trial_steps,
            condition,
            learning: None,
            seed: self.seed,
            index,
            phase,
        }
    }
}

/// Activity statistics of a group of neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupActivity {
    /// Group name.
    pub name: String,
    /// Mean rate (Hz).
    pub rate_hz: f64,
    /// Mean CV of inter-spike intervals.
    pub cv_isi: f64,
    /// Mean Fano factor.
    pub fano: f64,
    /// Mean input components.
    pub mean_input: analysis::InputMeans,
}

/// Activity of one phase (per population).
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// One entry per population.
    pub populations: Vec<GroupActivity>,
    /// Per-neuron rates (Hz), averaged over the phase's trials.
    pub neuron_rates_hz: Vec<f64>,
    /// Population rate time series (Hz) in 1-ms bins, first trial: `[population][bin]`.
    pub population_rate_hz: Vec<Vec<f64>>,
    /// Population-mean input components over time (1-ms samples after the burn-in), first
    /// trial: `[population][excitatory, inhibitory, external, net][sample]`.
    pub input_timecourse: Vec<[Vec<f64>; 4]>,
}

/// Results of testing a trained network.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// The reference metric: first trial of the first condition.
    pub r_mean: f64,
    /// The same per condition.
    pub r_mean_by_condition: Vec<f64>,
    /// r on the input averaged over test trials, per condition.
    pub r_trial_avg_by_condition: Vec<f64>,
    /// PSTH-vs-target-rate correlation per condition (recorded targets), else empty.
    pub rate_r_by_condition: Vec<f64>,
    /// Recorded rates of each row's recorded neuron: `[c][bin * rows + row]` (recorded targets).
    pub recorded_rate_hz: Vec<Vec<f64>>,
    /// Rates of trained E, untrained neurons of the trained population, and other populations.
    pub group_rates_hz: Vec<(String, f64)>,
    /// Trial-averaged box input per condition: `[c][bin * n + i]`.
    pub box_input_mean: Vec<Vec<f64>>,
    /// Box input of every trial: `[c][trial][bin * n + i]`.
    pub box_input_trials: Vec<Vec<Vec<f64>>>,
    /// Box centres (ms).
    pub box_centres_ms: Vec<f64>,
    /// Smoothed PSTHs of trained neurons per condition: `[c][bin * rows + row]`.
    pub psth_hz: Vec<Vec<f64>>,
    /// Spikes of the first test trial of each condition.
    pub spikes: Vec<Vec<Vec<f64>>>,
    /// Activity over the test trials of all conditions.
    pub activity: Activity,
}

/// PCA comparison of trained and untrained groups.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaComparison {
    /// |corr| of PC1, PC2 time courses: trained E vs untrained I.
    pub trained_e_vs_untrained_i: Vec<f64>,
    /// The same: trained E vs untrained E.
    pub trained_e_vs_untrained_e: Vec<f64>,
    /// Explained-variance ratios (first 5) per group: trained E, untrained E, I.
    pub explained_variance_ratio: Vec<(String, Vec<f64>)>,
    /// PC time courses (first 2) per group.
    pub loadings: Vec<(String, Vec<Vec<f64>>)>,
    /// Selectivity (condition 0 − condition 1 mean input) per group.
    pub selectivity: Vec<(String, Vec<f64>)>,
}

/// Everything a spiking run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikingRunResult {
    /// Population ranges.
    pub population_names: Vec<String>,
    /// Trained neurons (model indices), row order.
    pub trained: Vec<usize>,
    /// For recorded targets: recorded neuron of each row.
    pub recorded_of_row: Vec<usize>,
    /// σ used for the inverse transfer function, if any.
    pub sigma: Option<f64>,
    /// Activity of the untrained settle run (training only).
    pub initial: Option<Activity>,
    /// r per evaluated loop (`None` where not evaluated).
    pub r_per_loop: Vec<Option<f64>>,
    /// Wall time per loop (s).
    pub loop_seconds: Vec<f64>,
    /// Simulated ms per wall second of the trials (their simulation and learning; network
    /// construction and analysis excluded).
    pub simulated_ms_per_wall_second: f64,
    /// Test results (training only).
    pub test: Option<TestResult>,
    /// Activity of the final phase.
    pub activity: Activity,
    /// Targets per condition: `[c][row * n_updates + k]`.
    pub targets: Vec<Vec<f64>>,
    /// Updates per trial.
    pub n_updates: usize,
    /// Plastic row sums (E, I) before and after training.
    pub row_sums_initial: Vec<(f64, f64)>,
    /// After training.
    pub row_sums_final: Vec<(f64, f64)>,
    /// Plastic weights before and after training (flattened recurrent weights).
    pub plastic_weights_initial: Vec<f64>,
    /// After training.
    pub plastic_weights_final: Vec<f64>,
    /// PCA of trained vs untrained groups (training only).
    pub pca: Option<PcaComparison>,
    /// Spikes of the final phase's first trial (untrained runs).
    pub spikes: Vec<Vec<f64>>,
    /// Population index of every neuron.
    pub population_of: Vec<usize>,
    /// Traces of the chosen neurons in the final phase's first trial.
    pub traces: Option<crate::monitor::TraceRecorder>,
    /// Mean weight of each plastic projection (`[[plasticity]]`) before and after the run.
    pub plastic_projections: Vec<ProjectionWeights>,
    /// The perturbation sweep, when the experiment has one.
    pub perturbation: Option<super::perturbation::PerturbationResult>,
    /// Untrained runs with `[latent]`: its analysis (first trial).
    pub latent: Option<super::latent::LatentAnalysis>,
}

/// The mean weight of a plastic projection before and after a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionWeights {
    /// `PRE->POST`.
    pub name: String,
    /// Number of synapses.
    pub synapses: usize,
    /// Mean weight as built.
    pub mean_initial: f64,
    /// Mean weight at the end of the run.
    pub mean_final: f64,
    /// The mean and sampled weights over the run.
    pub record: crate::plasticity::WeightRecord,
    /// Every synapse's weight at the end of the run (outgoing order).
    pub weights_final: Vec<f64>,
    /// Presynaptic neuron of every synapse.
    pub pre: Vec<u32>,
    /// Postsynaptic neuron of every synapse.
    pub post: Vec<u32>,
    /// Final weights against the final phase's rates (regression over synapses whose
    /// postsynaptic rate exceeds 3 Hz, `plasticity.md` §8.5).
    pub weight_rate: crate::analysis::WeightRateStats,
}

/// The plastic projections' mean weights, as built and now, and their final weights against
/// the per-neuron rates `rates_hz`.
fn projection_weights(
    net: &crate::network::SpikingNetwork,
    rates_hz: &[f64],
) -> Vec<ProjectionWeights> {
    net.projections
        .iter()
        .map(|p| ProjectionWeights {
            name: p.name.clone(),
            synapses: p.n_synapses(),
            mean_initial: p.initial_mean,
            mean_final: p.mean_weight(),
            record: p.record.clone(),
            weights_final: p.weights().to_vec(),
            pre: p.pre_of().to_vec(),
            post: p.post_of().to_vec(),
            weight_rate: crate::analysis::weight_rate_stats(
                p.weights(),
                p.pre_of(),
                p.post_of(),
                rates_hz,
                3.0,
            ),
        })
        .collect()
}

/// Runs a spiking experiment.
pub fn run(
    exp: &SpikingExperiment,
    observer: &mut dyn Observer,
) -> Result<SpikingRunResult, RunError> {
    run_with_checkpoints(exp, observer, &mut NoCheckpoints, None)
}

/// The state of training at the end of a loop: enough to continue exactly as an uninterrupted
/// run would (weights, RLS matrices, spikes in transit, and the trial counter that selects the
/// random streams).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingState {
    /// Loops completed.
    pub loops_done: usize,
    /// Trials simulated so far (settle, training and evaluation trials).
    pub trial_index: u64,
    /// Trained neurons, row order (checked against the rebuilt network on resume).
    pub trained: Vec<usize>,
    /// Recurrent plastic weights, `rows × inputs`.
    pub weights: Vec<f64>,
    /// Feed-forward weights, `conditions × rows × units`.
    pub feedforward: Vec<f64>,
    /// RLS matrices of every row in their stored layout (dense `M²` or packed `M(M+1)/2`
    /// values, see `training.rls`) and precision, row after row.
    pub p: StoredP,
    /// r after each completed loop (NaN where not evaluated).
    pub r_per_loop: Vec<f64>,
    /// Seconds of each completed loop.
    pub loop_seconds: Vec<f64>,
    /// Simulator state between trials.
    pub simulator: crate::simulate::SimulatorState,
    /// What settling and matching decided (`None` in checkpoints written before it was saved:
    /// restoring such a state settles and matches again).
    pub settled: Option<Settled>,
    /// Weights of the plastic projections (`[[plasticity]]`), projection after projection in
    /// outgoing order; empty without them.
    pub projection_weights: Vec<f64>,
}

/// Where training states go at checkpoints.
pub trait CheckpointSink {
    /// Save every this many loops (0: only at the end of training).
    fn every(&self) -> usize {
        0
    }
    /// Saves a state. An error stops the run.
    fn save(&mut self, _state: &TrainingState) -> Result<(), String> {
        Ok(())
    }
    /// Untrained runs of one trial: run in segments of this many ms of network time and save
    /// the state after each (0: one piece, no checkpoints).
    fn every_ms(&self) -> f64 {
        0.0
    }
    /// Saves the state of an untrained run between segments. An error stops the run.
    fn save_simulation(&mut self, _state: &SimulationState) -> Result<(), String> {
        Ok(())
    }
}

/// Keeps no checkpoints.
#[derive(Debug, Default)]
pub struct NoCheckpoints;

impl CheckpointSink for NoCheckpoints {}

/// Runs a spiking experiment, saving training states to `checkpoints` and continuing from
/// `resume` when given (a state saved by an earlier run of the same experiment):
/// settle → targets → train → test → analyse, or only a simulation when nothing is trained.
pub fn run_with_checkpoints(
    exp: &SpikingExperiment,
    observer: &mut dyn Observer,
    checkpoints: &mut dyn CheckpointSink,
    resume: Option<&TrainingState>,
) -> Result<SpikingRunResult, RunError> {
    let mut session = Session::new(exp, observer, checkpoints);
    let Some(training) = &exp.training else {
        let simulated = match &exp.perturbation {
            Some(spec) => simulate_perturbed(&mut session, spec)?,
            None => simulate_untrained(&mut session)?,
        };
        return Ok(untrained_result(&session, simulated));
    };
    let (setup, mut history) = match resume {
        Some(state) => restore(&mut session, training, state)?,
        None => {
            let (trained, settle_run) = settle(&mut session, training)?;
            let setup = targets(&mut session, training, trained, settle_run)?;
            (setup, History::default())
        }
    };
    train(&mut session, training, &setup, &mut history)?;
    test_and_analyse(session, training, setup, history)
}

/// Continues an untrained one-trial run from a state saved between two of its segments (see
/// [`CheckpointSink::every_ms`]), ending as the uninterrupted run would.
pub fn resume_simulation(
    exp: &SpikingExperiment,
    observer: &mut dyn Observer,
    checkpoints: &mut dyn CheckpointSink,
    state: &SimulationState,
) -> Result<SpikingRunResult, RunError> {
    let every_ms = checkpoints.every_ms();
    let mut session = Session::new(exp, observer, checkpoints);
    let every = match every_ms {
        ms if ms > 0.0 => super::recorders::steps_of(exp, ms),
        _ => exp.trial_steps,
    };
    let simulated = simulate_in_segments(&mut session, every, Some(state))?;
    Ok(untrained_result(&session, simulated))
}

/// Tests a trained network (loaded with [`TrainedNetwork::from_state`], or as training left it)
/// with `exp.test_trials` frozen trials per condition, and analyses them, as the end of a run
/// would. The network is consumed; clone it to test it again.
pub fn test_trained(
    exp: &SpikingExperiment,
    trained: TrainedNetwork,
    observer: &mut dyn Observer,
) -> Result<SpikingRunResult, RunError> {
    let training = exp.training.as_ref().ok_or_else(|| {
        RunError::Invalid(format!(
            "{}: an untrained experiment has nothing to test",
            exp.name
        ))
    })?;
    let mut sink = NoCheckpoints;
    let session = Session::with_network(
        exp,
        trained.network,
        trained.simulator,
        trained.trial_index,
        observer,
        &mut sink,
    );
    test_and_analyse(session, training, trained.setup, trained.history)
}

fn test_and_analyse(
    mut session: Session<'_>,
    training: &SpikingTraining,
    setup: Setup,
    history: History,
) -> Result<SpikingRunResult, RunError> {
    let trials = test(&mut session, training)?;
    let analysis = analyse(session.exp, &session.net, training, &setup, trials);
    let perturbation = match &session.exp.perturbation {
        Some(spec) => Some(perturb_trained(&mut session, spec, training, &setup)?),
        None => None,
    };
    let mut result = trained_result(&session, training, setup, history, analysis);
    result.perturbation = perturbation;
    Ok(result)
}

/// The perturbation sweep of a trained network, after its test: rates, theory (of the static
/// network), and what the trained neurons do.
fn perturb_trained(
    session: &mut Session<'_>,
    spec: &super::perturbation::PerturbationSpec,
    training: &SpikingTraining,
    setup: &Setup,
) -> Result<super::perturbation::PerturbationResult, RunError> {
    let exp = session.exp;
    let (mut result, trials) = perturb(session, spec, Some((training, setup)))?;
    result.theory = Some(super::perturbation::theory(
        exp,
        spec,
        &super::predictions::coupling(exp),
    ));
    result.trained = Some(analyse_trained(
        exp,
        &session.net,
        (training, setup),
        &result,
        &trials,
    ));
    Ok(result)
}

/// The result of a trained run.
fn trained_result(
    session: &Session<'_>,
    training: &SpikingTraining,
    setup: Setup,
    history: History,
    analysis: Analysis,
) -> SpikingRunResult {
    let net = &session.net;
    let settled = setup.settled;
    let plastic_projections = projection_weights(net, &analysis.activity.neuron_rates_hz);
    SpikingRunResult {
        population_names: net.populations.iter().map(|p| p.name.clone()).collect(),
        trained: setup.trained,
        recorded_of_row: settled.recorded_of_row,
        sigma: settled.sigma,
        initial: Some(settled.initial),
        r_per_loop: history.r_per_loop,
        loop_seconds: history.loop_seconds,
        simulated_ms_per_wall_second: session.timing.ms_per_wall_second(),
        test: Some(analysis.test),
        activity: analysis.activity,
        targets: settled.targets,
        n_updates: training.schedule.updates_per_trial() as usize,
        row_sums_initial: setup.row_sums_initial,
        row_sums_final: net.plastic.row_sums(),
        plastic_weights_initial: setup.plastic_weights_initial,
        plastic_weights_final: net.plastic.weights().to_vec(),
        pca: analysis.pca,
        spikes: Vec::new(),
        population_of: net.population_of.clone(),
        traces: analysis.traces,
        plastic_projections,
        perturbation: None,
        latent: None,
    }
}

/// The result of an untrained simulation.
fn untrained_result(
    session: &Session<'_>,
    simulated: super::phases::untrained::Simulated,
) -> SpikingRunResult {
    let net = &session.net;
    let plastic_projections = projection_weights(net, &simulated.activity.neuron_rates_hz);
    let latent = session
        .exp
        .latent
        .as_ref()
        .map(|spec| latent_analysis(session.exp, spec, &simulated));
    SpikingRunResult {
        population_names: net.populations.iter().map(|p| p.name.clone()).collect(),
        trained: Vec::new(),
        recorded_of_row: Vec::new(),
        sigma: None,
        initial: None,
        r_per_loop: Vec::new(),
        loop_seconds: Vec::new(),
        simulated_ms_per_wall_second: session.timing.ms_per_wall_second(),
        test: None,
        activity: simulated.activity,
        targets: Vec::new(),
        n_updates: 0,
        row_sums_initial: Vec::new(),
        row_sums_final: Vec::new(),
        plastic_weights_initial: Vec::new(),
        plastic_weights_final: Vec::new(),
        pca: None,
        latent,
        spikes: simulated.spikes,
        population_of: net.population_of.clone(),
        traces: simulated.traces,
        plastic_projections,
        perturbation: simulated.perturbation,
    }
}

/// The latent analysis of an untrained run's first trial: spikes, and the first excitatory
/// population's mean net input (1-ms samples after the burn-in).
fn latent_analysis(
    exp: &SpikingExperiment,
    spec: &super::latent::LatentSpec,
    simulated: &super::phases::untrained::Simulated,
) -> super::latent::LatentAnalysis {
    let pops = &exp.network.populations;
    let every = super::recorders::steps_of(exp, 1.0);
    let first_step = ((exp.burn_in_ms / exp.dt_ms).round() as u64 / every + 1) * every;
    let e = pops
        .iter()
        .position(|p| p.sign == crate::network::Sign::Excitatory);
    let timecourse = &simulated.activity.input_timecourse;
    let inputs: Vec<_> = timecourse
        .iter()
        .map(|c| analysis::latent::SampledInput {
            values: &c[3],
            first_ms: first_step as f64 * exp.dt_ms,
            every_ms: every as f64 * exp.dt_ms,
        })
        .collect();
    let mean_input = e.and_then(|e| inputs.get(e).copied());
    let trained = simulated.latent_state.as_ref().and_then(|state| {
        let clock = (exp.dt_ms, exp.trial_steps, exp.burn_in_ms);
        super::latent::readout_training(spec, (exp.seed, pops), clock, state)
    });
    let coupling = super::predictions::coupling(exp);
    let per_hz: Vec<Vec<f64>> = (coupling.weight.iter().zip(&coupling.in_degree))
        .map(|(j, k)| j.iter().zip(k).map(|(j, k)| j * k / 1000.0).collect())
        .collect();
    let mut analysis = super::latent::analyse(
        spec,
        super::latent::LatentRun {
            spikes: &simulated.spikes,
            populations: pops,
            mean_input,
            seed: exp.seed,
            trial_ms: exp.trial_steps as f64 * exp.dt_ms,
            dt_ms: exp.dt_ms,
            burn_in_ms: exp.burn_in_ms,
            balance: (inputs.len() == pops.len()).then_some((&inputs[..], &per_hz[..])),
            online_readout: trained.as_ref().map(|t| &t.readout_ms[..]),
        },
    );
    analysis.low_rank_weights = super::build::latent_weights(exp);
    analysis.readout_training = trained;
    analysis
}
