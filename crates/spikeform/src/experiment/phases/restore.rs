//! Training states: taken at checkpoints, and restored into a freshly built network, so that a
//! resumed run, a test or an analysis continues exactly where training stopped.
//!
//! A state that carries [`Settled`] is restored without a settle trial: the network is rebuilt
//! from the seed, the saved trained neurons get their plastic synapses (drawn from the
//! `"plastic"` stream as in the original run), then weights, RLS matrices, spikes in transit and
//! the trial counter are put back. An older state settles and matches again first.

use crate::error::RunError;
use crate::network::SpikingNetwork;
use crate::train::StoredP;

use super::super::build::build_plastic;
use super::super::session::Session;
use super::super::spiking::{
    SpikingExperiment, SpikingTraining, TargetSpec, TrainedSelection, TrainingState,
};
use super::super::trained::{History, Settled, Setup};
use super::settle::{settle, trained_before_settle};
use super::targets::targets;

/// The error of a state that does not fit the experiment.
fn mismatch(what: &str) -> RunError {
    RunError::Invalid(format!(
        "the checkpoint does not match the experiment: {what}"
    ))
}

/// Restores `state` into the session's network and simulator: (what training decided, the
/// training curve up to the state's loop, at most `training.loops`).
pub(crate) fn restore(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    state: &TrainingState,
) -> Result<(Setup, History), RunError> {
    let setup = match &state.settled {
        Some(settled) => rebuild(session, training, state, settled)?,
        None => {
            let (trained, run) = settle(session, training)?;
            targets(session, training, trained, run)?
        }
    };
    restore_weights(&mut session.net, state)?;
    session
        .sim
        .restore(&state.simulator)
        .map_err(|e| mismatch(&e))?;
    session.trial_index = state.trial_index;
    Ok((setup, history(state, training.loops)?))
}

/// The setup saved in `settled`, checked against the experiment, with the saved trained
/// neurons' plastic synapses built as training built them.
fn rebuild(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    state: &TrainingState,
    settled: &Settled,
) -> Result<Setup, RunError> {
    check_trained(session.exp, &session.net, training, &state.trained)?;
    check_settled(
        session.exp,
        &session.net,
        training,
        state.trained.len(),
        settled,
    )?;
    let mut settled = settled.clone();
    // Checkpoints keep numbers, not names: the populations name the groups.
    for (group, pop) in settled
        .initial
        .populations
        .iter_mut()
        .zip(&session.net.populations)
    {
        group.name.clone_from(&pop.name);
    }
    session.net.plastic = build_plastic(session.exp, training, &session.net, &state.trained);
    Ok(Setup::new(&session.net, state.trained.clone(), settled))
}

/// Trained neurons chosen before the settle run must be the experiment's choice; matched ones
/// must be distinct neurons of the matched population, one per recorded neuron.
fn check_trained(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    training: &SpikingTraining,
    trained: &[usize],
) -> Result<(), RunError> {
    let (TrainedSelection::MatchRecorded { population }, TargetSpec::Recorded { conditions, .. }) =
        (&training.trained, &training.target)
    else {
        return match trained_before_settle(exp, net, training) == trained {
            true => Ok(()),
            false => Err(mismatch("different trained neurons")),
        };
    };
    let range = net.ranges()[*population].clone();
    let mut seen = vec![false; range.len()];
    for &i in trained {
        if !range.contains(&i) || std::mem::replace(&mut seen[i - range.start], true) {
            return Err(mismatch(&format!(
                "trained neuron {i} is not a distinct neuron of population {}",
                net.populations[*population].name
            )));
        }
    }
    match trained.len() == conditions[0].n_neurons {
        true => Ok(()),
        false => Err(mismatch(&format!(
            "{} trained neurons for {} recorded neurons",
            trained.len(),
            conditions[0].n_neurons
        ))),
    }
}

/// Targets of every condition for `rows` trained neurons, a recorded neuron per row where
/// targets are recorded, and the settle activity of every population and neuron.
fn check_settled(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    training: &SpikingTraining,
    rows: usize,
    settled: &Settled,
) -> Result<(), RunError> {
    let per_condition = rows * training.schedule.updates_per_trial() as usize;
    if settled.targets.len() != exp.conditions
        || settled.targets.iter().any(|t| t.len() != per_condition)
    {
        return Err(mismatch(&format!(
            "its targets are not {} conditions × {per_condition} values",
            exp.conditions
        )));
    }
    let recorded = match &training.target {
        TargetSpec::Recorded { conditions, .. } => Some(conditions[0].n_neurons),
        TargetSpec::Sine { .. } => None,
    };
    let rows_ok = match recorded {
        Some(n_rec) => {
            settled.recorded_of_row.len() == rows
                && settled.recorded_of_row.iter().all(|&a| a < n_rec)
        }
        None => settled.recorded_of_row.is_empty(),
    };
    let initial = &settled.initial;
    let pops = net.populations.len();
    if !rows_ok
        || initial.populations.len() != pops
        || initial.neuron_rates_hz.len() != net.n_neurons()
        || initial.population_rate_hz.len() != pops
        || initial.input_timecourse.len() != pops
    {
        return Err(mismatch(
            "its recorded neurons of rows or settle activity do not fit this network",
        ));
    }
    Ok(())
}

/// The training curve of `state`, cut at `loops`.
fn history(state: &TrainingState, loops: usize) -> Result<History, RunError> {
    let done = state.loops_done.min(loops);
    if state.r_per_loop.len() < done || state.loop_seconds.len() < done {
        return Err(mismatch("its training curve is shorter than its loops"));
    }
    Ok(History {
        r_per_loop: state.r_per_loop[..done]
            .iter()
            .map(|r| r.is_finite().then_some(*r))
            .collect(),
        loop_seconds: state.loop_seconds[..done].to_vec(),
    })
}

/// Puts the saved recurrent and feed-forward weights and RLS matrices into the plastic rows.
fn restore_weights(net: &mut SpikingNetwork, state: &TrainingState) -> Result<(), RunError> {
    let n_rec = net.plastic.weights().len();
    let rows = &mut net.plastic.rows;
    if state.trained != rows.iter().map(|r| r.neuron).collect::<Vec<_>>() {
        return Err(mismatch("different trained neurons"));
    }
    let n_ff: usize = rows
        .iter()
        .map(|r| r.feedforward.iter().map(Vec::len).sum::<usize>())
        .sum();
    let n_p: usize = rows.iter().map(|r| r.rls.stored_len()).sum();
    if state.weights.len() != n_rec || state.feedforward.len() != n_ff || state.p.len() != n_p {
        return Err(mismatch(&format!(
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
    restore_projections(net, &state.projection_weights)
}

/// Puts the saved weights of the plastic projections back.
fn restore_projections(net: &mut SpikingNetwork, saved: &[f64]) -> Result<(), RunError> {
    let total: usize = net.projections.iter().map(|p| p.n_synapses()).sum();
    if saved.len() != total {
        return Err(mismatch(&format!(
            "it holds {} weights of plastic projections where this network has {total}",
            saved.len()
        )));
    }
    let mut start = 0;
    for projection in &mut net.projections {
        let end = start + projection.n_synapses();
        projection.set_weights(&saved[start..end]);
        start = end;
    }
    Ok(())
}

/// The state at the end of a loop: enough to continue exactly as an uninterrupted run would.
pub(crate) fn training_state(
    session: &mut Session<'_>,
    setup: &Setup,
    history: &History,
) -> TrainingState {
    let net = &mut session.net;
    let weights = net.plastic.weights().to_vec();
    let rows = &mut net.plastic.rows;
    TrainingState {
        loops_done: history.loops_done(),
        trial_index: session.trial_index,
        trained: rows.iter().map(|r| r.neuron).collect(),
        weights,
        feedforward: (0..rows.first().map_or(0, |r| r.feedforward.len()))
            .flat_map(|c| {
                rows.iter()
                    .flat_map(move |r| r.feedforward[c].iter().copied())
            })
            .collect(),
        p: stored_p(rows),
        r_per_loop: history
            .r_per_loop
            .iter()
            .map(|r| r.unwrap_or(f64::NAN))
            .collect(),
        loop_seconds: history.loop_seconds.clone(),
        simulator: session.sim.state(),
        settled: Some(setup.settled.clone()),
        projection_weights: net
            .projections
            .iter()
            .flat_map(|p| p.weights().iter().copied())
            .collect(),
    }
}

/// The RLS matrices of every row, row after row, in their stored layout and precision.
fn stored_p(rows: &mut [crate::network::plastic::PlasticRow]) -> StoredP {
    let mut p = rows
        .first()
        .map_or(StoredP::F64(Vec::new()), |r| r.rls.empty_stored());
    for row in rows.iter_mut() {
        row.rls.append_stored(&mut p);
    }
    p
}
