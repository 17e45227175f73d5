//! A long untrained run of one trial (a plastic run of hundreds of seconds of network time),
//! simulated in segments with its whole state handed to the checkpoint sink after each one, so
//! that an interrupted run continues where it stopped (`spikeform run --resume`).
//!
//! A segment boundary changes nothing: the simulator runs the same steps with the same draws
//! ([`Simulator::continue_trial`](crate::simulate::Simulator::continue_trial)), and the saved
//! state holds the random streams where they stand. A resumed run therefore ends exactly as an
//! uninterrupted one, whatever the segment length, and with or without segments at all.
//!
//! The state ([`SimulationState`]) is: the trial counter; the simulator mid-trial (voltages,
//! synaptic, own and feed-forward traces, refractory counters, delivery queues, the inputs'
//! states and random streams, the trial's noise and feed-forward streams, the pair rules' STDP
//! traces); every plastic projection's weights and recorded trajectory so far; and the
//! recorders' data so far (spikes, population counts, input sums and time course, traces, the
//! runaway guard's window).

use std::time::Instant;

use crate::error::RunError;
use crate::monitor::{ActivityRecorder, RateGuard, TraceRecorder};
use crate::snapshot::StateArrays;

use super::super::activity::summarise_activity;
use super::super::recorders::{activity_recorder, rate_guard, trace_recorder};
use super::super::session::Session;
use super::untrained::Simulated;

/// The state of an untrained one-trial run between two segments (see the module
/// documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationState {
    /// Steps of the trial simulated.
    pub steps_done: u64,
    /// Steps of the whole trial.
    pub trial_steps: u64,
    /// Everything else, as named arrays and random streams.
    pub arrays: StateArrays,
}

/// The phase name of the run's one trial.
const PHASE: &str = "simulation trial 1";

/// The recorders of the trial.
struct Recorders {
    activity: ActivityRecorder,
    traces: TraceRecorder,
    guard: RateGuard,
}

impl Recorders {
    fn snapshot(&self, out: &mut StateArrays) {
        self.activity.snapshot("activity", out);
        self.traces.snapshot("traces", out);
        self.guard.snapshot("guard", out);
    }

    fn restore(&mut self, saved: &StateArrays) -> Result<(), String> {
        self.activity.restore("activity", saved)?;
        self.traces.restore("traces", saved)?;
        self.guard.restore("guard", saved)
    }
}

/// Simulates the experiment's one trial in segments of `every_steps` steps, from the start or
/// from `resume`, handing the state to the checkpoint sink after every segment but the last and
/// stopping (with [`RunError::Interrupted`]) at a segment's end when the observer asks to.
pub(crate) fn simulate_in_segments(
    session: &mut Session<'_>,
    every_steps: u64,
    resume: Option<&SimulationState>,
) -> Result<Simulated, RunError> {
    let exp = session.exp;
    let mut rec = Recorders {
        activity: activity_recorder(exp, &session.net),
        traces: trace_recorder(exp, true),
        guard: rate_guard(exp, session.net.n_neurons(), PHASE),
    };
    let invalid = |e: String| RunError::Invalid(format!("--resume: {e}"));
    session.trial_index = match resume {
        Some(state) => state
            .arrays
            .take_count("run.trial_index")
            .map_err(invalid)?,
        None => session.trial_index + 1,
    };
    let trial = exp.frozen_trial(0, session.trial_index, PHASE);
    let mut progress = match resume {
        None => session.sim.begin_trial(&mut session.net, &trial),
        Some(state) => {
            let saved = &state.arrays;
            let progress = session
                .sim
                .resume_trial(&mut session.net, &trial, saved)
                .map_err(invalid)?;
            for (k, p) in session.net.projections.iter_mut().enumerate() {
                p.restore(&format!("projection.{k}"), saved)
                    .map_err(invalid)?;
            }
            rec.restore(saved).map_err(invalid)?;
            progress
        }
    };
    let every = every_steps.max(1);
    let remaining = trial.steps - progress.steps_done;
    session
        .observer
        .phase_started("simulate", remaining.div_ceil(every) as usize);
    let (dt, total_s) = (exp.dt_ms, trial.steps as f64 * exp.dt_ms / 1000.0);
    let mut segments = 0;
    while progress.steps_done < trial.steps {
        let at_s = progress.steps_done as f64 * dt / 1000.0;
        session.check_stop(|| format!("{PHASE} at network time {at_s:.1} s of {total_s:.1} s"))?;
        let (from, t0) = (progress.steps_done, Instant::now());
        let until = from + every;
        let monitors: &mut [&mut dyn crate::monitor::Monitor] =
            &mut [&mut rec.activity, &mut rec.traces, &mut rec.guard];
        let outcome =
            session
                .sim
                .continue_trial(&mut session.net, &trial, &mut progress, until, monitors);
        session.timing.trial_seconds += t0.elapsed().as_secs_f64();
        outcome?;
        session.timing.simulated_ms += (progress.steps_done - from) as f64 * dt;
        if progress.steps_done < trial.steps {
            let state = snapshot(session, &progress, &rec);
            session
                .checkpoints
                .save_simulation(&state)
                .map_err(RunError::Invalid)?;
        }
        segments += 1;
        let now_s = progress.steps_done as f64 * dt / 1000.0;
        let message = format!("network time {now_s:.1} s of {total_s:.1} s");
        session.observer.item_done(segments, &message);
    }
    let activity = summarise_activity(exp, &session.net, std::slice::from_ref(&rec.activity));
    Ok(Simulated {
        activity,
        spikes: rec.activity.spikes,
        traces: Some(rec.traces),
        perturbation: None,
        latent_state: super::untrained::latent_state(session),
    })
}

/// The run's state after a segment.
fn snapshot(
    session: &Session<'_>,
    progress: &crate::simulate::TrialProgress,
    rec: &Recorders,
) -> SimulationState {
    let mut arrays = StateArrays::default();
    arrays.put_value("run.trial_index", session.trial_index as f64);
    session.sim.snapshot(progress, &mut arrays);
    for (k, p) in session.net.projections.iter().enumerate() {
        p.snapshot(&format!("projection.{k}"), &mut arrays);
    }
    rec.snapshot(&mut arrays);
    SimulationState {
        steps_done: progress.steps_done,
        trial_steps: session.exp.trial_steps,
        arrays,
    }
}
