//! Spiking-network experiments: build the network, settle it, train chosen neurons with RLS,
//! test with frozen weights, and summarise what the trained and untrained neurons do.
//!
//! One procedure serves the tutorial's Part 2 (all-to-all plastic LIF network, sine targets),
//! Part 3 (balanced E–I network trained on recorded rates) and untrained simulations (the
//! balanced network, Brunel's model A).

use std::time::Instant;

use crate::analysis::{self, mean_ignoring_nan, pearson, InputBalance};
use crate::error::{Observer, RunError};
use crate::monitor::{ActivityRecorder, BoxInputRecorder, Monitor, RateGuard, TraceRecorder};
use crate::network::plastic::PenaltyWeights;
use crate::network::{Population, Projection, SpikingNetwork};
use crate::neuron::Integration;
use crate::rng;
use crate::simulate::{Learning, Simulator, Trial};
use crate::stimulus::{Amplitude, OuRates};
use crate::theory::LifTransfer;
use crate::train::{LearningSchedule, StoredP};
use rayon::prelude::*;

pub use super::build::build_network;
use super::build::build_plastic;
use super::matching::greedy_rate_match;

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
            conditions: 1,
            training: None,
            test_trials: 1,
            burn_in_ms: 0.0,
            fano_window_ms: 100.0,
            box_half_width_ms: 50.0,
            psth_smooth_bins: 7,
            max_rate_hz: 500.0,
            record_neurons: Vec::new(),
            record_every_steps: (1.0 / dt_ms).round().max(1.0) as u64,
            record_input_trials: 0,
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
}

/// Keeps no checkpoints.
#[derive(Debug, Default)]
pub struct NoCheckpoints;

impl CheckpointSink for NoCheckpoints {}

fn training_state(
    net: &mut SpikingNetwork,
    sim: &Simulator,
    loops_done: usize,
    trial_index: u64,
    r_per_loop: &[Option<f64>],
    loop_seconds: &[f64],
) -> TrainingState {
    let weights = net.plastic.weights().to_vec();
    let rows = &mut net.plastic.rows;
    TrainingState {
        loops_done,
        trial_index,
        trained: rows.iter().map(|r| r.neuron).collect(),
        weights,
        feedforward: (0..rows.first().map_or(0, |r| r.feedforward.len()))
            .flat_map(|c| {
                rows.iter()
                    .flat_map(move |r| r.feedforward[c].iter().copied())
            })
            .collect(),
        p: {
            let mut p = rows
                .first()
                .map_or(StoredP::F64(Vec::new()), |r| r.rls.empty_stored());
            for row in rows.iter_mut() {
                row.rls.append_stored(&mut p);
            }
            p
        },
        r_per_loop: r_per_loop.iter().map(|r| r.unwrap_or(f64::NAN)).collect(),
        loop_seconds: loop_seconds.to_vec(),
        simulator: sim.state(),
    }
}

fn restore(
    net: &mut SpikingNetwork,
    sim: &mut Simulator,
    state: &TrainingState,
) -> Result<(), RunError> {
    let n_rec = net.plastic.weights().len();
    let rows = &mut net.plastic.rows;
    let bad = |what: &str| {
        RunError::Invalid(format!(
            "the checkpoint does not match the experiment: {what}"
        ))
    };
    if state.trained != rows.iter().map(|r| r.neuron).collect::<Vec<_>>() {
        return Err(bad("different trained neurons"));
    }
    let n_ff: usize = rows
        .iter()
        .map(|r| r.feedforward.iter().map(Vec::len).sum::<usize>())
        .sum();
    let n_p: usize = rows.iter().map(|r| r.rls.stored_len()).sum();
    if state.weights.len() != n_rec || state.feedforward.len() != n_ff || state.p.len() != n_p {
        return Err(bad(&format!(
            "it holds {} recurrent, {} feed-forward and {} RLS values where this network has {n_rec}, {n_ff} and {n_p}",
            state.weights.len(),
            state.feedforward.len(),
            state.p.len()
        )));
    }
    let mut p = 0;
    for row in rows.iter_mut() {
        let m = row.rls.stored_len();
        row.rls.set_stored(&state.p, p..p + m);
        p += m;
    }
    let mut f = 0;
    let conditions = rows.first().map_or(0, |r| r.feedforward.len());
    for c in 0..conditions {
        for row in rows.iter_mut() {
            let k = row.feedforward[c].len();
            row.feedforward[c].copy_from_slice(&state.feedforward[f..f + k]);
            f += k;
        }
    }
    net.plastic.weights_mut().copy_from_slice(&state.weights);
    net.plastic.sync_all_feedforward();
    sim.restore(&state.simulator).map_err(|e| bad(&e))
}

/// Runs a spiking experiment, saving training states to `checkpoints` and continuing from
/// `resume` when given (a state saved by an earlier run of the same experiment).
pub fn run_with_checkpoints(
    exp: &SpikingExperiment,
    observer: &mut dyn Observer,
    checkpoints: &mut dyn CheckpointSink,
    resume: Option<&TrainingState>,
) -> Result<SpikingRunResult, RunError> {
    let mut simulated_ms = 0.0;
    let mut net = build_network(exp);
    let mut sim = Simulator::new(&net);
    sim.reset_queues = exp.network.reset_queues;
    let n = net.n_neurons();
    let trial_index = std::cell::Cell::new(0u64);
    // Wall time inside trials (simulation and learning), excluding construction and analysis.
    let trial_seconds = std::cell::Cell::new(0.0f64);
    let trial = |sim: &mut Simulator,
                 net: &mut SpikingNetwork,
                 condition: usize,
                 learning: Option<Learning<'_>>,
                 phase: &str,
                 monitors: &mut [&mut dyn Monitor]|
     -> Result<(), RunError> {
        trial_index.set(trial_index.get() + 1);
        let mut guard = rate_guard(exp, n, phase);
        let mut all: Vec<&mut dyn Monitor> = monitors
            .iter_mut()
            .map(|m| &mut **m as &mut dyn Monitor)
            .collect();
        all.push(&mut guard);
        let spec = Trial {
            steps: exp.trial_steps,
            condition,
            learning,
            seed: exp.seed,
            index: trial_index.get(),
            phase,
        };
        let t0 = Instant::now();
        let outcome = sim.run_trial(net, spec, &mut all);
        trial_seconds.set(trial_seconds.get() + t0.elapsed().as_secs_f64());
        outcome
    };

    let Some(training) = &exp.training else {
        // Untrained: simulate test_trials trials of the first condition.
        observer.phase_started("simulate", exp.test_trials);
        let mut recorders = Vec::new();
        let mut traces = None;
        for k in 0..exp.test_trials {
            let mut rec = activity_recorder(exp, &net);
            let mut tr = trace_recorder(exp, k == 0);
            trial(
                &mut sim,
                &mut net,
                0,
                None,
                &format!("simulation trial {}", k + 1),
                &mut [&mut rec, &mut tr],
            )?;
            if k == 0 {
                traces = Some(tr);
            }
            simulated_ms += exp.trial_steps as f64 * exp.dt_ms;
            recorders.push(rec);
            observer.item_done(k + 1, "");
        }
        let activity = summarise_activity(exp, &net, &recorders);
        let spikes = recorders.swap_remove(0).spikes;
        return Ok(SpikingRunResult {
            population_names: net.populations.iter().map(|p| p.name.clone()).collect(),
            trained: Vec::new(),
            recorded_of_row: Vec::new(),
            sigma: None,
            initial: None,
            r_per_loop: Vec::new(),
            loop_seconds: Vec::new(),
            simulated_ms_per_wall_second: simulated_ms / trial_seconds.get(),
            test: None,
            activity,
            targets: Vec::new(),
            n_updates: 0,
            row_sums_initial: Vec::new(),
            row_sums_final: Vec::new(),
            plastic_weights_initial: Vec::new(),
            plastic_weights_final: Vec::new(),
            pca: None,
            spikes,
            population_of: net.population_of.clone(),
            traces,
        });
    };

    // Trained neurons whose choice does not depend on the settle run get their plastic synapses
    // before it, so that the settle run sees the network that will be trained (Part 2).
    let mut trained = match &training.trained {
        TrainedSelection::All => (0..n).collect(),
        TrainedSelection::Random { population, count } => {
            let range = net.ranges()[*population].clone();
            let mut r = rng::stream(exp.seed, "trained-neurons");
            rng::choose_subset(range.len(), *count, &mut r)
                .into_iter()
                .map(|i| i + range.start)
                .collect()
        }
        TrainedSelection::MatchRecorded { .. } => Vec::new(),
    };
    if !trained.is_empty() {
        net.plastic = build_plastic(exp, training, &net, &trained);
    }

    // Settle: one untrained trial, for rates (matching), mean inputs (sine offsets) and σ.
    observer.phase_started("settle", 1);
    let mut settle_rec = activity_recorder(exp, &net);
    let mut sd = InputSdRecorder::new(
        n,
        (10.0 / exp.dt_ms).round().max(1.0) as u64,
        1000.0f64.min(exp.trial_steps as f64 * exp.dt_ms / 2.0),
    );
    trial(
        &mut sim,
        &mut net,
        0,
        None,
        "settle",
        &mut [&mut settle_rec, &mut sd],
    )?;
    simulated_ms += exp.trial_steps as f64 * exp.dt_ms;
    observer.item_done(1, "");
    let initial = summarise_activity(exp, &net, std::slice::from_ref(&settle_rec));
    let settle_rates =
        analysis::firing_rates_hz(&settle_rec.spikes, 0.0, exp.trial_steps as f64 * exp.dt_ms);

    // Targets.
    let schedule = training.schedule;
    let n_updates = schedule.updates_per_trial() as usize;
    let update_times: Vec<f64> = (1..=exp.trial_steps)
        .filter(|&s| schedule.is_learning_step(s))
        .map(|s| s as f64 * exp.dt_ms)
        .collect();
    let mut recorded_of_row = Vec::new();
    let mut sigma_used = None;
    let targets: Vec<Vec<f64>> = match &training.target {
        TargetSpec::Sine {
            amplitude,
            period_ms,
            offset,
        } => {
            let mut r = rng::stream(exp.seed, "target");
            let balance = settle_rec.input_balance();
            let rows = trained.len();
            let phases: Vec<f64> = (0..rows)
                .map(|_| rand::Rng::random::<f64>(&mut r))
                .collect();
            (0..exp.conditions)
                .map(|_| {
                    let mut t = vec![0.0; rows * n_updates];
                    for (row, &i) in trained.iter().enumerate() {
                        let c = offset.unwrap_or(balance.net[i]);
                        for (k, &tm) in update_times.iter().enumerate() {
                            t[row * n_updates + k] = amplitude
                                * (2.0 * std::f64::consts::PI * (tm / period_ms + phases[row]))
                                    .sin()
                                + c;
                        }
                    }
                    t
                })
                .collect()
        }
        TargetSpec::Recorded { conditions, sigma } => {
            let TrainedSelection::MatchRecorded { population } = training.trained else {
                return Err(RunError::Invalid(
                    "recorded targets need training.trained = \"match\"".into(),
                ));
            };
            let range = net.ranges()[population].clone();
            let n_rec = conditions[0].n_neurons;
            let n_bins = conditions[0].n_bins;
            if let PlasticSpec::Sampled { n_exc, .. } = training.plastic {
                if n_exc > 0 && n_exc >= n_rec {
                    return Err(RunError::Invalid(format!(
                        "training.plastic_exc_inputs ({n_exc}) must be smaller than the number \
                         of recorded neurons ({n_rec}), whose matches are the excitatory pool"
                    )));
                }
            }
            let recorded_mean: Vec<f64> = (0..n_rec)
                .map(|a| {
                    conditions
                        .iter()
                        .map(|c| {
                            c.rates_hz[a * n_bins..(a + 1) * n_bins].iter().sum::<f64>()
                                / n_bins as f64
                        })
                        .sum::<f64>()
                        / conditions.len() as f64
                })
                .collect();
            let (order, matched) = greedy_rate_match(&recorded_mean, &settle_rates[range.clone()]);
            trained = matched.iter().map(|&m| m + range.start).collect();
            recorded_of_row = order;
            net.plastic = build_plastic(exp, training, &net, &trained);
            let s = match sigma {
                Sigma::Given(s) => *s,
                Sigma::Estimate => sd.sigma(&range, exp.network.tau_exc_ms),
            };
            sigma_used = Some(s);
            let lif = &net.populations[population].neuron;
            let transfer = LifTransfer {
                tau_ms: lif.tau_membrane_ms,
                threshold: lif.threshold,
                reset: lif.reset,
                refractory_ms: lif.refractory_ms,
            };
            let mut out = Vec::new();
            for c in conditions {
                let mut t = vec![0.0; trained.len() * n_updates];
                for (row, &a) in recorded_of_row.iter().enumerate() {
                    for k in 0..n_updates.min(n_bins) {
                        let rate = c.rates_hz[a * n_bins + k];
                        t[row * n_updates + k] =
                            transfer.input_for_recorded_rate(rate, s).map_err(|e| {
                                RunError::Invalid(format!(
                                    "target of recorded neuron {a}, bin {k}: {e}"
                                ))
                            })?;
                    }
                }
                out.push(t);
            }
            out
        }
    };
    let row_sums_initial = net.plastic.row_sums();
    let plastic_weights_initial = net.plastic.weights().to_vec();

    // Train.
    let mut r_per_loop = Vec::with_capacity(training.loops);
    let mut loop_seconds = Vec::with_capacity(training.loops);
    let mut first_loop = 0;
    if let Some(state) = resume {
        restore(&mut net, &mut sim, state)?;
        trial_index.set(state.trial_index);
        first_loop = state.loops_done.min(training.loops);
        r_per_loop = state
            .r_per_loop
            .iter()
            .map(|r| r.is_finite().then_some(*r))
            .collect();
        loop_seconds = state.loop_seconds.clone();
        r_per_loop.truncate(first_loop);
        loop_seconds.truncate(first_loop);
    }
    observer.phase_started("training", training.loops);
    for l in first_loop..training.loops {
        if observer.should_stop() {
            return Err(RunError::Interrupted {
                phase: format!("training loop {}", l + 1),
            });
        }
        let t0 = Instant::now();
        for (c, targets_c) in targets.iter().enumerate() {
            let learning = Learning {
                schedule,
                targets: targets_c,
                n_updates,
            };
            trial(
                &mut sim,
                &mut net,
                c,
                Some(learning),
                &format!("training loop {}", l + 1),
                &mut [],
            )?;
            simulated_ms += exp.trial_steps as f64 * exp.dt_ms;
        }
        let mut r_loop = None;
        if training.eval_every > 0 && (l + 1) % training.eval_every == 0 {
            let mut boxes = box_recorder(exp, training, n, &update_times);
            trial(
                &mut sim,
                &mut net,
                0,
                None,
                &format!("evaluation after loop {}", l + 1),
                &mut [&mut boxes],
            )?;
            simulated_ms += exp.trial_steps as f64 * exp.dt_ms;
            r_loop = Some(score(
                &boxes.boxes.finish(),
                n,
                &trained,
                &targets[0],
                n_updates,
            ));
        }
        // Apply deferred RLS downdates at every loop end, so that a run resumed from a
        // checkpoint computes exactly what an uninterrupted run computes.
        net.plastic.rows.par_iter_mut().for_each(|r| r.rls.flush());
        loop_seconds.push(t0.elapsed().as_secs_f64());
        r_per_loop.push(r_loop);
        let every = checkpoints.every();
        if l + 1 == training.loops || (every > 0 && (l + 1) % every == 0) {
            let state = training_state(
                &mut net,
                &sim,
                l + 1,
                trial_index.get(),
                &r_per_loop,
                &loop_seconds,
            );
            checkpoints.save(&state).map_err(|e| {
                RunError::Invalid(format!(
                    "cannot save the checkpoint after loop {}: {e}",
                    l + 1
                ))
            })?;
        }
        let msg = r_loop.map(|r| format!("r = {r:.4}")).unwrap_or_default();
        observer.item_done(l + 1, &msg);
    }

    // Test.
    observer.phase_started("test", exp.conditions * exp.test_trials);
    // Every test trial starts from the simulator's state at the end of training, so the trials
    // are independent: they run in parallel, and their results do not depend on the number of
    // threads. Trial k of condition c keeps the index (hence the random streams) that it would
    // have in a sequential run.
    let snapshot = sim.clone();
    let first_index = trial_index.get();
    let jobs: Vec<(usize, usize)> = (0..exp.conditions)
        .flat_map(|c| (0..exp.test_trials).map(move |k| (c, k)))
        .collect();
    let mut recorders = Vec::new();
    let mut traces = None;
    let mut box_trials: Vec<Vec<Vec<f64>>> = vec![Vec::new(); exp.conditions];
    let mut spikes_by_condition: Vec<Vec<Vec<Vec<f64>>>> = vec![Vec::new(); exp.conditions];
    let mut done = 0;
    for batch in jobs.chunks(rayon::current_num_threads().max(1)) {
        if observer.should_stop() {
            return Err(RunError::Interrupted {
                phase: "test".into(),
            });
        }
        let t0 = Instant::now();
        let outcomes: Vec<_> = batch
            .par_iter()
            .map(|&(c, k)| {
                let mut sim = snapshot.clone();
                let mut rec = activity_recorder(exp, &net);
                let mut boxes = box_recorder(exp, training, n, &update_times);
                let mut tr = trace_recorder(exp, c == 0 && k == 0);
                let phase = format!("test trial {} of condition {}", k + 1, c + 1);
                let mut guard = rate_guard(exp, n, &phase);
                let index = first_index + (c * exp.test_trials + k + 1) as u64;
                let spec = exp.frozen_trial(c, index, &phase);
                sim.run_frozen_trial(&net, spec, &mut [&mut rec, &mut boxes, &mut tr, &mut guard])
                    .map(|()| (c, k, rec, boxes, tr))
            })
            .collect();
        trial_seconds.set(trial_seconds.get() + t0.elapsed().as_secs_f64());
        for outcome in outcomes {
            let (c, k, rec, boxes, tr) = outcome?;
            if c == 0 && k == 0 {
                traces = Some(tr);
            }
            simulated_ms += exp.trial_steps as f64 * exp.dt_ms;
            box_trials[c].push(boxes.boxes.finish());
            spikes_by_condition[c].push(rec.spikes.clone());
            recorders.push(rec);
            done += 1;
            observer.item_done(done, "");
        }
    }
    trial_index.set(first_index + jobs.len() as u64);
    let activity = summarise_activity(exp, &net, &recorders);
    let box_centres_ms = update_times.clone();
    let n_bins = update_times.len();
    let r_mean_by_condition: Vec<f64> = (0..exp.conditions)
        .map(|c| score(&box_trials[c][0], n, &trained, &targets[c], n_updates))
        .collect();
    let box_input_mean: Vec<Vec<f64>> = box_trials
        .iter()
        .map(|trials| {
            let mut m = vec![0.0; n_bins * n];
            for t in trials {
                for (a, b) in m.iter_mut().zip(t) {
                    *a += b / trials.len() as f64;
                }
            }
            m
        })
        .collect();
    let r_trial_avg_by_condition: Vec<f64> = (0..exp.conditions)
        .map(|c| score(&box_input_mean[c], n, &trained, &targets[c], n_updates))
        .collect();
    // PSTHs of trained neurons in the target bins, smoothed like the recorded data.
    let bin_ms = schedule.every_steps as f64 * exp.dt_ms;
    let t_first = schedule.start_step as f64 * exp.dt_ms;
    let mut psth = Vec::new();
    let mut rate_r_by_condition = Vec::new();
    let mut recorded_rate_hz = Vec::new();
    for c in 0..exp.conditions {
        let trials = &spikes_by_condition[c];
        let rows = trained.len();
        let mut p = vec![0.0; n_bins * rows];
        for (row, &i) in trained.iter().enumerate() {
            let raw = analysis::psth_hz(trials, i, t_first, bin_ms, n_bins);
            let smooth =
                analysis::moving_average(&raw, exp.psth_smooth_bins, analysis::WindowSum::Direct);
            for b in 0..n_bins {
                p[b * rows + row] = smooth[b];
            }
        }
        if let TargetSpec::Recorded { conditions, .. } = &training.target {
            let rec = &conditions[c];
            let per_row: Vec<f64> = (0..rows)
                .map(|row| {
                    let a = recorded_of_row[row];
                    let model: Vec<f64> = (0..n_bins).map(|b| p[b * rows + row]).collect();
                    pearson(
                        &model,
                        &rec.rates_hz[a * rec.n_bins..a * rec.n_bins + n_bins.min(rec.n_bins)],
                    )
                })
                .collect();
            rate_r_by_condition.push(mean_ignoring_nan(&per_row).mean);
            let mut rr = vec![0.0; n_bins * rows];
            for (row, &a) in recorded_of_row.iter().enumerate() {
                for b in 0..n_bins.min(rec.n_bins) {
                    rr[b * rows + row] = rec.rates_hz[a * rec.n_bins + b];
                }
            }
            recorded_rate_hz.push(rr);
        }
        psth.push(p);
    }
    // Group rates.
    let trained_pop = net.population_of[trained[0]];
    let is_trained = {
        let mut v = vec![false; n];
        for &i in &trained {
            v[i] = true;
        }
        v
    };
    let ranges = net.ranges();
    let rates = &activity.neuron_rates_hz;
    let mean_of = |idx: &[usize]| {
        if idx.is_empty() {
            f64::NAN
        } else {
            idx.iter().map(|&i| rates[i]).sum::<f64>() / idx.len() as f64
        }
    };
    let trained_name = net.populations[trained_pop].name.to_lowercase();
    let untrained_same: Vec<usize> = ranges[trained_pop]
        .clone()
        .filter(|&i| !is_trained[i])
        .collect();
    let mut group_rates_hz = vec![
        (format!("trained_{trained_name}"), mean_of(&trained)),
        (
            format!("untrained_{trained_name}"),
            mean_of(&untrained_same),
        ),
    ];
    for (p, r) in ranges.iter().enumerate() {
        if p != trained_pop {
            let idx: Vec<usize> = r.clone().collect();
            group_rates_hz.push((net.populations[p].name.to_lowercase(), mean_of(&idx)));
        }
    }
    // PCA of the trial-averaged input of the first condition.
    let pca = pca_comparison(
        &box_input_mean,
        n_bins,
        n,
        &trained,
        &untrained_same,
        &ranges,
        trained_pop,
    );

    Ok(SpikingRunResult {
        population_names: net.populations.iter().map(|p| p.name.clone()).collect(),
        row_sums_final: net.plastic.row_sums(),
        plastic_weights_final: net.plastic.weights().to_vec(),
        trained,
        recorded_of_row,
        sigma: sigma_used,
        initial: Some(initial),
        r_per_loop,
        loop_seconds,
        simulated_ms_per_wall_second: simulated_ms / trial_seconds.get(),
        test: Some(TestResult {
            r_mean: r_mean_by_condition[0],
            r_mean_by_condition,
            r_trial_avg_by_condition,
            rate_r_by_condition,
            recorded_rate_hz,
            group_rates_hz,
            box_input_mean,
            box_input_trials: box_trials,
            box_centres_ms,
            psth_hz: psth,
            spikes: spikes_by_condition
                .into_iter()
                .map(|mut t| t.swap_remove(0))
                .collect(),
            activity: activity.clone(),
        }),
        activity,
        targets,
        n_updates,
        row_sums_initial,
        plastic_weights_initial,
        pca,
        spikes: Vec::new(),
        population_of: net.population_of.clone(),
        traces,
    })
}

/// Mean over rows of Pearson(target row, box input of the row's neuron).
fn score(boxes: &[f64], n: usize, trained: &[usize], targets: &[f64], n_updates: usize) -> f64 {
    let n_bins = boxes.len() / n;
    let per_row: Vec<f64> = trained
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let model: Vec<f64> = (0..n_bins).map(|b| boxes[b * n + i]).collect();
            pearson(
                &model,
                &targets[row * n_updates..row * n_updates + n_bins.min(n_updates)],
            )
        })
        .collect();
    mean_ignoring_nan(&per_row).mean
}

/// The guard every trial runs with: stop when the mean rate over 100 ms exceeds
/// `exp.max_rate_hz`.
fn rate_guard(exp: &SpikingExperiment, n: usize, phase: &str) -> RateGuard {
    RateGuard::new(
        exp.max_rate_hz,
        (100.0 / exp.dt_ms).round().max(1.0) as u64,
        exp.dt_ms,
        n,
        phase,
    )
}

fn activity_recorder(exp: &SpikingExperiment, net: &SpikingNetwork) -> ActivityRecorder {
    ActivityRecorder::new(
        &net.population_of,
        (1.0 / exp.dt_ms).round().max(1.0) as u64,
        exp.burn_in_ms,
        (1.0 / exp.dt_ms).round().max(1.0) as u64,
        exp.trial_steps,
    )
}

/// Records the chosen neurons' traces in the final phase's first trial only.
fn trace_recorder(exp: &SpikingExperiment, first_trial: bool) -> TraceRecorder {
    let neurons = if first_trial {
        exp.record_neurons.clone()
    } else {
        Vec::new()
    };
    TraceRecorder::new(neurons, exp.record_every_steps)
}

fn box_recorder(
    exp: &SpikingExperiment,
    training: &SpikingTraining,
    n: usize,
    update_times: &[f64],
) -> BoxInputRecorder {
    BoxInputRecorder::new(
        update_times.to_vec(),
        exp.box_half_width_ms,
        n,
        (1.0 / exp.dt_ms).round().max(1.0) as u64,
        training.schedule.start_step as f64 * exp.dt_ms,
        training.schedule.end_step as f64 * exp.dt_ms,
    )
}

/// Per-neuron running mean and variance of the static input `x_E + x_I` after `from_ms`.
struct InputSdRecorder {
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    samples: usize,
    every: u64,
    from_ms: f64,
}

impl InputSdRecorder {
    fn new(n: usize, every: u64, from_ms: f64) -> Self {
        Self {
            sum: vec![0.0; n],
            sum_sq: vec![0.0; n],
            samples: 0,
            every,
            from_ms,
        }
    }

    /// σ = mean over `neurons` of SD_t(x_E + x_I), divided by √(1.3 τ_E) (the reference's
    /// recipe; the factor 1.3 "was calibrated manually").
    fn sigma(&self, neurons: &std::ops::Range<usize>, tau_exc_ms: f64) -> f64 {
        let k = self.samples as f64;
        let sd: f64 = neurons
            .clone()
            .map(|i| {
                let m = self.sum[i] / k;
                (self.sum_sq[i] / k - m * m).max(0.0).sqrt()
            })
            .sum::<f64>()
            / neurons.len() as f64;
        sd / (1.3 * tau_exc_ms).sqrt()
    }
}

impl Monitor for InputSdRecorder {
    fn on_step(&mut self, view: &crate::monitor::StepView<'_>) -> crate::monitor::Control {
        if view.step.is_multiple_of(self.every) && view.t_ms > self.from_ms {
            self.samples += 1;
            for i in 0..self.sum.len() {
                let x = view.input_exc[i] + view.input_inh[i];
                self.sum[i] += x;
                self.sum_sq[i] += x * x;
            }
        }
        Ok(())
    }
}

/// Statistics per population over the given trials.
fn summarise_activity(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    recorders: &[ActivityRecorder],
) -> Activity {
    let n = net.n_neurons();
    let t0 = exp.burn_in_ms;
    let t1 = exp.trial_steps as f64 * exp.dt_ms + 1e-9;
    let mut neuron_rates_hz = vec![0.0; n];
    for rec in recorders {
        for (acc, r) in
            neuron_rates_hz
                .iter_mut()
                .zip(analysis::firing_rates_hz(&rec.spikes, t0, t1))
        {
            *acc += r / recorders.len() as f64;
        }
    }
    let balances: Vec<InputBalance> = recorders.iter().map(|r| r.input_balance()).collect();
    let populations = net
        .ranges()
        .iter()
        .zip(&net.populations)
        .map(|(range, pop)| {
            let idx: Vec<usize> = range.clone().collect();
            let rate_hz =
                idx.iter().map(|&i| neuron_rates_hz[i]).sum::<f64>() / idx.len().max(1) as f64;
            let cvs: Vec<f64> = recorders
                .iter()
                .map(|r| analysis::cv_isi(&r.spikes, &idx, t0, t1, 3).mean)
                .collect();
            let fanos: Vec<f64> = recorders
                .iter()
                .map(|r| analysis::fano_factor(&r.spikes, &idx, t0, t1, exp.fano_window_ms))
                .collect();
            let means: Vec<analysis::InputMeans> =
                balances.iter().map(|b| b.population_mean(&idx)).collect();
            let k = means.len() as f64;
            let mean_input = analysis::InputMeans {
                excitatory: means.iter().map(|m| m.excitatory).sum::<f64>() / k,
                inhibitory: means.iter().map(|m| m.inhibitory).sum::<f64>() / k,
                external: means.iter().map(|m| m.external).sum::<f64>() / k,
                net: means.iter().map(|m| m.net).sum::<f64>() / k,
            };
            GroupActivity {
                name: pop.name.clone(),
                rate_hz,
                cv_isi: mean_ignoring_nan(&cvs).mean,
                fano: mean_ignoring_nan(&fanos).mean,
                mean_input,
            }
        })
        .collect();
    let bin_s = 1e-3 * (1.0 / exp.dt_ms).round().max(1.0) * exp.dt_ms;
    let population_rate_hz = recorders
        .first()
        .map(|r| {
            r.population_counts
                .iter()
                .zip(&net.populations)
                .map(|(c, p)| {
                    c.iter()
                        .map(|&k| f64::from(k) / p.size as f64 / bin_s)
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let input_timecourse = recorders
        .first()
        .map(|r| r.input_timecourse.clone())
        .unwrap_or_default();
    Activity {
        populations,
        neuron_rates_hz,
        population_rate_hz,
        input_timecourse,
    }
}

fn pca_comparison(
    box_input_mean: &[Vec<f64>],
    n_bins: usize,
    n: usize,
    trained: &[usize],
    untrained_same: &[usize],
    ranges: &[std::ops::Range<usize>],
    trained_pop: usize,
) -> Option<PcaComparison> {
    let others: Vec<usize> = ranges
        .iter()
        .enumerate()
        .filter(|(p, _)| *p != trained_pop)
        .flat_map(|(_, r)| r.clone())
        .collect();
    let k = 5.min(n_bins);
    if trained.len() < k || untrained_same.len() < k || others.len() < k || k < 2 {
        return None;
    }
    let x = &box_input_mean[0];
    debug_assert_eq!(x.len(), n_bins * n);
    let a = analysis::pca_time_courses(x, n_bins, trained, k);
    let b = analysis::pca_time_courses(x, n_bins, untrained_same, k);
    let c = analysis::pca_time_courses(x, n_bins, &others, k);
    let sel = |idx: &[usize]| -> Vec<f64> {
        if box_input_mean.len() < 2 {
            return Vec::new();
        }
        let ga = analysis::gather_columns(&box_input_mean[0], n_bins, n, idx);
        let gb = analysis::gather_columns(&box_input_mean[1], n_bins, n, idx);
        analysis::selectivity(&ga, &gb, n_bins, idx.len())
    };
    Some(PcaComparison {
        trained_e_vs_untrained_i: analysis::compare_components(&a, &c, 2),
        trained_e_vs_untrained_e: analysis::compare_components(&a, &b, 2),
        explained_variance_ratio: vec![
            ("trained".into(), a.explained_variance_ratio.clone()),
            (
                "untrained_same_population".into(),
                b.explained_variance_ratio.clone(),
            ),
            (
                "other_populations".into(),
                c.explained_variance_ratio.clone(),
            ),
        ],
        loadings: vec![
            ("trained".into(), a.loadings[..2].to_vec()),
            ("untrained_same_population".into(), b.loadings[..2].to_vec()),
            ("other_populations".into(), c.loadings[..2].to_vec()),
        ],
        selectivity: vec![
            ("trained".into(), sel(trained)),
            ("untrained_same_population".into(), sel(untrained_same)),
            ("other_populations".into(), sel(&others)),
        ],
    })
}
