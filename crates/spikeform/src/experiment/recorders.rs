//! The monitors the phases attach to trials, configured from the experiment.

use crate::monitor::{ActivityRecorder, BoxInputRecorder, RateGuard, TraceRecorder};
use crate::network::SpikingNetwork;
use crate::train::LearningSchedule;

use super::spiking::{SpikingExperiment, SpikingTraining};

/// `ms` in steps of the experiment, at least one ([`crate::time::at_least_one_step`]).
pub(crate) fn steps_of(exp: &SpikingExperiment, ms: f64) -> u64 {
    crate::time::at_least_one_step(ms, exp.dt_ms)
}

/// Times (ms) of the learning steps of a trial: the target times, one per update.
pub(crate) fn update_times(exp: &SpikingExperiment, schedule: &LearningSchedule) -> Vec<f64> {
    (1..=exp.trial_steps)
        .filter(|&s| schedule.is_learning_step(s))
        .map(|s| s as f64 * exp.dt_ms)
        .collect()
}

/// The guard every trial runs with: stop when the mean rate over 100 ms exceeds
/// `exp.max_rate_hz`.
pub(crate) fn rate_guard(exp: &SpikingExperiment, n: usize, phase: &str) -> RateGuard {
    RateGuard::new(exp.max_rate_hz, steps_of(exp, 100.0), exp.dt_ms, n, phase)
}

/// Spikes, mean input components (1-ms samples after the burn-in) and population counts in
/// 1-ms bins.
pub(crate) fn activity_recorder(exp: &SpikingExperiment, net: &SpikingNetwork) -> ActivityRecorder {
    ActivityRecorder::new(
        &net.population_of,
        steps_of(exp, 1.0),
        exp.burn_in_ms,
        steps_of(exp, 1.0),
        exp.trial_steps,
    )
}

/// Records the chosen neurons' traces in the final phase's first trial only.
pub(crate) fn trace_recorder(exp: &SpikingExperiment, first_trial: bool) -> TraceRecorder {
    let neurons = if first_trial {
        exp.record_neurons.clone()
    } else {
        Vec::new()
    };
    TraceRecorder::new(neurons, exp.record_every_steps)
}

/// Box averages (1-ms samples) of every neuron's input around the target times, inside the
/// learning window.
pub(crate) fn box_recorder(
    exp: &SpikingExperiment,
    training: &SpikingTraining,
    n: usize,
    update_times: &[f64],
) -> BoxInputRecorder {
    BoxInputRecorder::new(
        update_times.to_vec(),
        exp.box_half_width_ms,
        n,
        steps_of(exp, 1.0),
        training.schedule.start_step as f64 * exp.dt_ms,
        training.schedule.end_step as f64 * exp.dt_ms,
    )
}
