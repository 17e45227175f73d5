//! Test: frozen trials of every condition, `test_trials` each.
//!
//! Every test trial starts from the simulator's state at the end of training, so the trials are
//! independent: they run in parallel, and their results do not depend on the number of
//! threads. Trial k of condition c keeps the index (hence the random streams) that it would
//! have in a sequential run; the session's trial counter moves past all of them.

use std::time::Instant;

use rayon::prelude::*;

use crate::error::RunError;
use crate::monitor::{ActivityRecorder, BoxInputRecorder, TraceRecorder};
use crate::network::SpikingNetwork;
use crate::simulate::Simulator;

use super::super::recorders::{
    activity_recorder, box_recorder, rate_guard, trace_recorder, update_times,
};
use super::super::session::Session;
use super::super::spiking::{SpikingExperiment, SpikingTraining};

/// What the test trials recorded.
pub(crate) struct TestTrials {
    /// Activity of every trial, condition after condition.
    pub recorders: Vec<ActivityRecorder>,
    /// Box-averaged input of every trial: `[c][trial][bin * n + i]`.
    pub box_trials: Vec<Vec<Vec<f64>>>,
    /// Spikes of every trial: `[c][trial][neuron]`.
    pub spikes: Vec<Vec<Vec<Vec<f64>>>>,
    /// Traces of the first trial of condition 0.
    pub traces: Option<TraceRecorder>,
}

/// One finished test trial.
struct Outcome {
    condition: usize,
    trial: usize,
    activity: ActivityRecorder,
    boxes: BoxInputRecorder,
    traces: TraceRecorder,
}

impl TestTrials {
    fn new(conditions: usize) -> Self {
        Self {
            recorders: Vec::new(),
            box_trials: vec![Vec::new(); conditions],
            spikes: vec![Vec::new(); conditions],
            traces: None,
        }
    }

    fn push(&mut self, trial: Outcome) {
        let c = trial.condition;
        if c == 0 && trial.trial == 0 {
            self.traces = Some(trial.traces);
        }
        self.box_trials[c].push(trial.boxes.boxes.finish());
        self.spikes[c].push(trial.activity.spikes.clone());
        self.recorders.push(trial.activity);
    }
}

/// Runs the test trials in batches of one per thread.
pub(crate) fn test(
    session: &mut Session<'_>,
    training: &SpikingTraining,
) -> Result<TestTrials, RunError> {
    let exp = session.exp;
    session
        .observer
        .phase_started("test", exp.conditions * exp.test_trials);
    let jobs: Vec<(usize, usize)> = (0..exp.conditions)
        .flat_map(|c| (0..exp.test_trials).map(move |k| (c, k)))
        .collect();
    let plan = TestPlan {
        exp,
        training,
        update_times: update_times(exp, &training.schedule),
        first_index: session.trial_index,
    };
    let mut trials = TestTrials::new(exp.conditions);
    for batch in jobs.chunks(rayon::current_num_threads().max(1)) {
        session.check_stop(|| "test".into())?;
        let t0 = Instant::now();
        let (net, sim) = (&session.net, &session.sim);
        let outcomes: Vec<_> = batch
            .par_iter()
            .map(|&(c, k)| plan.trial(net, sim, c, k))
            .collect();
        session.timing.trial_seconds += t0.elapsed().as_secs_f64();
        for outcome in outcomes {
            trials.push(outcome?);
            session.timing.simulated_ms += session.trial_ms();
            session.observer.item_done(trials.recorders.len(), "");
        }
    }
    session.trial_index = plan.first_index + jobs.len() as u64;
    Ok(trials)
}

/// What every test trial shares.
struct TestPlan<'a> {
    exp: &'a SpikingExperiment,
    training: &'a SpikingTraining,
    update_times: Vec<f64>,
    /// The trial counter before the test.
    first_index: u64,
}

impl TestPlan<'_> {
    /// Trial `k` of condition `c`, from the simulator state `start`.
    fn trial(
        &self,
        net: &SpikingNetwork,
        start: &Simulator,
        c: usize,
        k: usize,
    ) -> Result<Outcome, RunError> {
        let exp = self.exp;
        let n = net.n_neurons();
        let mut sim = start.clone();
        let mut activity = activity_recorder(exp, net);
        let mut boxes = box_recorder(exp, self.training, n, &self.update_times);
        let mut traces = trace_recorder(exp, c == 0 && k == 0);
        let phase = format!("test trial {} of condition {}", k + 1, c + 1);
        let mut guard = rate_guard(exp, n, &phase);
        let index = self.first_index + (c * exp.test_trials + k + 1) as u64;
        let spec = exp.frozen_trial(c, index, &phase);
        sim.run_frozen_trial(
            net,
            spec,
            &mut [&mut activity, &mut boxes, &mut traces, &mut guard],
        )?;
        Ok(Outcome {
            condition: c,
            trial: k,
            activity,
            boxes,
            traces,
        })
    }
}
