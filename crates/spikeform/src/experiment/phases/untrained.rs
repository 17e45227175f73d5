//! An untrained network: `test_trials` trials of every condition, one after the other, each
//! starting where the previous one left the spikes in transit.

use crate::error::RunError;
use crate::monitor::{ActivityRecorder, TraceRecorder};

use super::super::activity::summarise_activity;
use super::super::perturbation::{theory, PerturbationResult, PerturbationSpec};
use super::super::predictions::coupling;
use super::super::recorders::{activity_recorder, trace_recorder};
use super::super::session::Session;
use super::super::spiking::Activity;
use super::perturb::perturb;

/// What an untrained simulation gives.
pub(crate) struct Simulated {
    /// Activity over every trial of every condition.
    pub activity: Activity,
    /// Spikes of the first trial of condition 0.
    pub spikes: Vec<Vec<f64>>,
    /// Traces of that trial.
    pub traces: Option<TraceRecorder>,
    /// The perturbation sweep, if one ran instead of the plain simulation.
    pub perturbation: Option<PerturbationResult>,
    /// The latent input's state at the end of that trial (`[latent]` only): what a readout
    /// trained during the trial learned.
    pub latent_state: Option<Vec<f64>>,
}

/// The state of the network's latent input (stream `latent`) as the last trial left it.
pub(crate) fn latent_state(session: &Session<'_>) -> Option<Vec<f64>> {
    let index = session
        .net
        .inputs
        .iter()
        .position(|input| input.stream() == "latent")?;
    session.sim.input_state(index).map(<[f64]>::to_vec)
}

/// Simulates every condition, `test_trials` trials each, condition after condition; a run of
/// one trial whose checkpoint sink asks for them ([`CheckpointSink::every_ms`]) runs in
/// checkpointed segments instead.
///
/// [`CheckpointSink::every_ms`]: super::super::spiking::CheckpointSink::every_ms
pub(crate) fn simulate_untrained(session: &mut Session<'_>) -> Result<Simulated, RunError> {
    let exp = session.exp;
    let every_ms = session.checkpoints.every_ms();
    if every_ms > 0.0 && exp.conditions == 1 && exp.test_trials == 1 {
        let every = super::super::recorders::steps_of(exp, every_ms);
        return super::long_run::simulate_in_segments(session, every, None);
    }
    session
        .observer
        .phase_started("simulate", exp.conditions * exp.test_trials);
    let mut recorders: Vec<ActivityRecorder> = Vec::new();
    let (mut traces, mut latent) = (None, None);
    for c in 0..exp.conditions {
        for k in 0..exp.test_trials {
            let first = c == 0 && k == 0;
            let mut rec = activity_recorder(exp, &session.net);
            if !exp.record_spikes {
                rec = rec.counts_only(exp.burn_in_ms);
            }
            let mut tr = trace_recorder(exp, first);
            let phase = match exp.conditions {
                1 => format!("simulation trial {}", k + 1),
                _ => format!("simulation trial {} of condition {}", k + 1, c + 1),
            };
            session.check_stop(|| phase.clone())?;
            session.run_trial(c, None, &phase, &mut [&mut rec, &mut tr])?;
            if first {
                traces = Some(tr);
                latent = latent_state(session);
            }
            recorders.push(rec);
            session.observer.item_done(recorders.len(), "");
        }
    }
    let activity = summarise_activity(exp, &session.net, &recorders);
    Ok(Simulated {
        activity,
        spikes: recorders.swap_remove(0).spikes,
        traces,
        perturbation: None,
        latent_state: latent,
    })
}

/// The perturbation sweep of an untrained network instead of its plain simulation: the
/// activity block and the spikes are those of the first amplitude's trial; the sweep's result
/// carries the balanced-state prediction of every amplitude.
pub(crate) fn simulate_perturbed(
    session: &mut Session<'_>,
    spec: &PerturbationSpec,
) -> Result<Simulated, RunError> {
    let exp = session.exp;
    let (mut result, mut trials) = perturb(session, spec, None)?;
    result.theory = Some(theory(exp, spec, &coupling(exp)));
    let first = trials.swap_remove(0).swap_remove(0).activity;
    let activity = summarise_activity(exp, &session.net, std::slice::from_ref(&first));
    Ok(Simulated {
        activity,
        spikes: first.spikes,
        traces: None,
        perturbation: Some(result),
        latent_state: None,
    })
}
