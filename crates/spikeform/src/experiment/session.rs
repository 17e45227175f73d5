//! The working state of one spiking run, shared by its phases: the network, its simulator, the
//! trial counter that selects every trial's random streams, the time spent in trials, and where
//! progress and checkpoints go.

use std::time::Instant;

use crate::error::{Observer, RunError};
use crate::monitor::Monitor;
use crate::network::SpikingNetwork;
use crate::simulate::{Learning, Simulator, Trial};

use super::build::build_network;
use super::recorders::rate_guard;
use super::spiking::{CheckpointSink, SpikingExperiment};

/// Wall time inside trials (simulation and learning; network construction and analysis
/// excluded) and the simulated time it bought.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    /// Wall seconds inside trials.
    pub trial_seconds: f64,
    /// Simulated milliseconds of the trials that finished.
    pub simulated_ms: f64,
}

impl Timing {
    /// Simulated ms per wall second.
    pub fn ms_per_wall_second(&self) -> f64 {
        self.simulated_ms / self.trial_seconds
    }
}

/// One run's network, simulator and bookkeeping; every phase takes it by `&mut`.
pub struct Session<'a> {
    /// The experiment.
    pub exp: &'a SpikingExperiment,
    /// The network (its plastic synapses appear when the trained neurons are known).
    pub net: SpikingNetwork,
    /// The simulator: spikes in transit and the clock, carried from trial to trial.
    pub sim: Simulator,
    /// Trials simulated so far; trial `k` (from 1) draws from the random sub-streams `k`.
    pub trial_index: u64,
    /// Time spent in trials.
    pub timing: Timing,
    /// Progress and stop requests.
    pub observer: &'a mut dyn Observer,
    /// Where training states go.
    pub checkpoints: &'a mut dyn CheckpointSink,
}

impl<'a> Session<'a> {
    /// The experiment's static network (no plastic synapses yet) and a fresh simulator.
    pub fn new(
        exp: &'a SpikingExperiment,
        observer: &'a mut dyn Observer,
        checkpoints: &'a mut dyn CheckpointSink,
    ) -> Self {
        let net = build_network(exp);
        let mut sim = Simulator::new(&net);
        sim.reset_queues = exp.network.reset_queues;
        Self::with_network(exp, net, sim, 0, observer, checkpoints)
    }

    /// A session continuing with `net` and `sim` after `trial_index` trials.
    pub fn with_network(
        exp: &'a SpikingExperiment,
        net: SpikingNetwork,
        sim: Simulator,
        trial_index: u64,
        observer: &'a mut dyn Observer,
        checkpoints: &'a mut dyn CheckpointSink,
    ) -> Self {
        Self {
            exp,
            net,
            sim,
            trial_index,
            timing: Timing::default(),
            observer,
            checkpoints,
        }
    }

    /// The length of one trial (ms).
    pub fn trial_ms(&self) -> f64 {
        self.exp.trial_steps as f64 * self.exp.dt_ms
    }

    /// Runs the next trial of `condition` (learning if asked) with the network held
    /// exclusively, under the runaway-rate guard, and counts its time.
    pub fn run_trial(
        &mut self,
        condition: usize,
        learning: Option<Learning<'_>>,
        phase: &str,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        self.trial_index += 1;
        let mut guard = rate_guard(self.exp, self.net.n_neurons(), phase);
        let mut all: Vec<&mut dyn Monitor> = monitors
            .iter_mut()
            .map(|m| &mut **m as &mut dyn Monitor)
            .collect();
        all.push(&mut guard);
        let spec = Trial {
            learning,
            ..self.exp.frozen_trial(condition, self.trial_index, phase)
        };
        let t0 = Instant::now();
        let outcome = self.sim.run_trial(&mut self.net, spec, &mut all);
        self.timing.trial_seconds += t0.elapsed().as_secs_f64();
        if outcome.is_ok() {
            self.timing.simulated_ms += self.trial_ms();
        }
        outcome
    }

    /// Stops with [`RunError::Interrupted`] in `phase` when the observer asks to.
    pub fn check_stop(&mut self, phase: impl FnOnce() -> String) -> Result<(), RunError> {
        if self.observer.should_stop() {
            return Err(RunError::Interrupted { phase: phase() });
        }
        Ok(())
    }
}
