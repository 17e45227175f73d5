//! Training: loop after loop, one learning trial per condition, an evaluation every
//! `eval_every` loops, deferred RLS downdates applied, and a checkpoint where due.

use std::time::Instant;

use rayon::prelude::*;

use crate::error::RunError;
use crate::simulate::Learning;

use super::super::recorders::{box_recorder, update_times};
use super::super::session::Session;
use super::super::spiking::SpikingTraining;
use super::super::trained::{History, Setup};
use super::analyse::score;
use super::restore::training_state;

/// Trains from the loop after `history`'s last to `training.loops`, extending `history`.
pub(crate) fn train(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    setup: &Setup,
    history: &mut History,
) -> Result<(), RunError> {
    session.observer.phase_started("training", training.loops);
    for l in history.loops_done()..training.loops {
        if let Err(stop) = session.check_stop(|| format!("training loop {}", l + 1)) {
            // A stop asked for (Ctrl-C) ends the run at this safe point: the loops done so
            // far are saved, unless the last loop's checkpoint already holds them.
            if history.loops_done() > 0 && !checkpoint_due(session, training, history) {
                save(session, setup, history)?;
            }
            return Err(stop);
        }
        let t0 = Instant::now();
        learn(session, training, setup, l)?;
        let r = evaluate(session, training, setup, l)?;
        // Apply deferred RLS downdates at every loop end, so that a run resumed from a
        // checkpoint computes exactly what an uninterrupted run computes.
        session
            .net
            .plastic
            .rows
            .par_iter_mut()
            .for_each(|r| r.rls.flush());
        history.loop_seconds.push(t0.elapsed().as_secs_f64());
        history.r_per_loop.push(r);
        save_checkpoint(session, training, setup, history)?;
        let msg = r.map(|r| format!("r = {r:.4}")).unwrap_or_default();
        session.observer.item_done(l + 1, &msg);
    }
    Ok(())
}

/// Loop `l`: one learning trial of every condition.
fn learn(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    setup: &Setup,
    l: usize,
) -> Result<(), RunError> {
    let n_updates = training.schedule.updates_per_trial() as usize;
    for (c, targets) in setup.settled.targets.iter().enumerate() {
        let learning = Learning {
            schedule: training.schedule,
            targets,
            n_updates,
        };
        let phase = format!("training loop {}", l + 1);
        session.run_trial(c, Some(learning), &phase, &mut [])?;
    }
    Ok(())
}

/// r of a frozen trial of condition 0 after loop `l`, when an evaluation is due.
fn evaluate(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    setup: &Setup,
    l: usize,
) -> Result<Option<f64>, RunError> {
    if training.eval_every == 0 || !(l + 1).is_multiple_of(training.eval_every) {
        return Ok(None);
    }
    let exp = session.exp;
    let n = session.net.n_neurons();
    let mut boxes = box_recorder(exp, training, n, &update_times(exp, &training.schedule));
    let phase = format!("evaluation after loop {}", l + 1);
    session.run_trial(0, None, &phase, &mut [&mut boxes])?;
    Ok(Some(score(
        &boxes.boxes.finish(),
        n,
        &setup.trained,
        &setup.settled.targets[0],
        training.schedule.updates_per_trial() as usize,
    )))
}

/// Hands the state to the checkpoint sink at the end of training and every
/// `checkpoints.every()` loops.
fn save_checkpoint(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    setup: &Setup,
    history: &History,
) -> Result<(), RunError> {
    match checkpoint_due(session, training, history) {
        true => save(session, setup, history),
        false => Ok(()),
    }
}

/// Whether a checkpoint is due after the last loop of `history`: at the end of training and
/// every `checkpoints.every()` loops.
fn checkpoint_due(session: &Session<'_>, training: &SpikingTraining, history: &History) -> bool {
    let (done, every) = (history.loops_done(), session.checkpoints.every());
    done == training.loops || (every > 0 && done.is_multiple_of(every))
}

/// Hands the state after the last loop of `history` to the checkpoint sink.
fn save(session: &mut Session<'_>, setup: &Setup, history: &History) -> Result<(), RunError> {
    let done = history.loops_done();
    let state = training_state(session, setup, history);
    session.checkpoints.save(&state).map_err(|e| {
        RunError::Invalid(format!("cannot save the checkpoint after loop {done}: {e}"))
    })
}
