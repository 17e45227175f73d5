//! Targets: what each trained neuron's input should follow at every update, per condition.
//!
//! - sine targets `A sin(2π(t/T + φ_i)) + c_i` ([`SineTargets`], phases from the `"target"`
//!   stream), `c_i` the neuron's mean input in the settle run unless an offset is given;
//! - recorded rates: trained neurons are matched to recorded ones by mean rate, and every
//!   recorded rate becomes the input that gives it through the inverse Siegert function.

use crate::analysis;
use crate::error::RunError;
use crate::network::SpikingNetwork;
use crate::rng;
use crate::target::SineTargets;
use crate::theory::LifTransfer;

use super::super::build::build_plastic;
use super::super::matching::greedy_rate_match;
use super::super::recorders::update_times;
use super::super::session::Session;
use super::super::spiking::{
    PlasticSpec, RecordedRates, Sigma, SpikingExperiment, SpikingTraining, TargetSpec,
    TrainedSelection,
};
use super::super::trained::{Settled, Setup};
use super::settle::SettleRun;

/// Targets of the trained neurons (`trained`, chosen before the settle run, or matched now to
/// recorded neurons, which then get their plastic synapses).
pub(crate) fn targets(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    trained: Vec<usize>,
    settle: SettleRun,
) -> Result<Setup, RunError> {
    let exp = session.exp;
    let (trained, recorded_of_row, sigma, targets) = match &training.target {
        TargetSpec::Sine {
            amplitude,
            period_ms,
            offset,
        } => {
            let sine = sine_targets(exp, &trained, &settle, (*amplitude, *period_ms), *offset);
            let targets = sample_sine(exp, training, &sine);
            (trained, Vec::new(), None, targets)
        }
        TargetSpec::Recorded { conditions, sigma } => {
            let m = recorded_targets(session, training, conditions, *sigma, &settle)?;
            (m.trained, m.recorded_of_row, Some(m.sigma), m.targets)
        }
    };
    let settled = Settled {
        targets,
        recorded_of_row,
        sigma,
        initial: settle.initial,
    };
    Ok(Setup::new(&session.net, trained, settled))
}

/// The sine of each trained neuron: amplitude and period given, a random phase, and the given
/// offset or the neuron's mean input in the settle run.
fn sine_targets(
    exp: &SpikingExperiment,
    trained: &[usize],
    settle: &SettleRun,
    (amplitude, period_ms): (f64, f64),
    offset: Option<f64>,
) -> SineTargets {
    let mut r = rng::stream(exp.seed, "target");
    let mut sine = SineTargets::random_phase(
        trained.len(),
        amplitude,
        period_ms,
        0.0,
        f64::NEG_INFINITY,
        &mut r,
    );
    let balance = settle.recorder.input_balance();
    sine.offset = trained
        .iter()
        .map(|&i| offset.unwrap_or(balance.net[i]))
        .collect();
    sine
}

/// `sine` at the update times, the same for every condition: `[c][row * n_updates + k]`.
fn sample_sine(
    exp: &SpikingExperiment,
    training: &SpikingTraining,
    sine: &SineTargets,
) -> Vec<Vec<f64>> {
    let n_updates = training.schedule.updates_per_trial() as usize;
    let times = update_times(exp, &training.schedule);
    let rows = sine.phase.len();
    let mut t = vec![0.0; rows * n_updates];
    for row in 0..rows {
        for (k, &tm) in times.iter().enumerate() {
            t[row * n_updates + k] = sine.value(row, tm);
        }
    }
    vec![t; exp.conditions]
}

/// Trained neurons matched to recorded ones, and their target inputs.
struct Matched {
    trained: Vec<usize>,
    recorded_of_row: Vec<usize>,
    sigma: f64,
    targets: Vec<Vec<f64>>,
}

fn recorded_targets(
    session: &mut Session<'_>,
    training: &SpikingTraining,
    conditions: &[RecordedRates],
    sigma: Sigma,
    settle: &SettleRun,
) -> Result<Matched, RunError> {
    let exp = session.exp;
    let TrainedSelection::MatchRecorded { population } = training.trained else {
        return Err(RunError::Invalid(
            "recorded targets need training.trained = \"match\"".into(),
        ));
    };
    check_excitatory_pool(training, conditions[0].n_neurons)?;
    let range = session.net.ranges()[population].clone();
    let (recorded_of_row, trained) =
        match_by_rate(exp, &session.net, conditions, settle, population);
    session.net.plastic = build_plastic(exp, training, &session.net, &trained);
    let sigma = match sigma {
        Sigma::Given(s) => s,
        Sigma::Estimate => settle.input_sd.sigma(&range, exp.network.tau_exc_ms),
    };
    let lif = &session.net.populations[population].neuron;
    let transfer = LifTransfer {
        tau_ms: lif.tau_membrane_ms,
        threshold: lif.threshold,
        reset: lif.reset,
        refractory_ms: lif.refractory_ms,
    };
    let n_updates = training.schedule.updates_per_trial() as usize;
    let targets = conditions
        .iter()
        .map(|c| target_inputs(&transfer, c, &recorded_of_row, n_updates, sigma))
        .collect::<Result<_, _>>()?;
    Ok(Matched {
        trained,
        recorded_of_row,
        sigma,
        targets,
    })
}

/// The matches of the recorded neurons are the excitatory pool of plastic synapses, so it
/// must hold more neurons than each trained neuron draws from it.
fn check_excitatory_pool(training: &SpikingTraining, n_recorded: usize) -> Result<(), RunError> {
    if let PlasticSpec::Sampled { n_exc, .. } = training.plastic {
        if n_exc > 0 && n_exc >= n_recorded {
            return Err(RunError::Invalid(format!(
                "training.plastic_exc_inputs ({n_exc}) must be smaller than the number \
                 of recorded neurons ({n_recorded}), whose matches are the excitatory pool"
            )));
        }
    }
    Ok(())
}

/// Greedy matching of recorded neurons (mean rate over bins and conditions) to neurons of
/// `population` (settle-run rate): (recorded neuron of each row, trained neuron of each row).
fn match_by_rate(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    conditions: &[RecordedRates],
    settle: &SettleRun,
    population: usize,
) -> (Vec<usize>, Vec<usize>) {
    let (n_rec, n_bins) = (conditions[0].n_neurons, conditions[0].n_bins);
    let recorded_mean: Vec<f64> = (0..n_rec)
        .map(|a| {
            conditions
                .iter()
                .map(|c| {
                    c.rates_hz[a * n_bins..(a + 1) * n_bins].iter().sum::<f64>() / n_bins as f64
                })
                .sum::<f64>()
                / conditions.len() as f64
        })
        .collect();
    let settle_rates = analysis::firing_rates_hz(
        &settle.recorder.spikes,
        0.0,
        exp.trial_steps as f64 * exp.dt_ms,
    );
    let range = net.ranges()[population].clone();
    let (order, matched) = greedy_rate_match(&recorded_mean, &settle_rates[range.clone()]);
    (order, matched.iter().map(|&m| m + range.start).collect())
}

/// Target inputs of one condition, `[row * n_updates + k]`: the input that gives recorded
/// neuron `recorded_of_row[row]` its rate in bin `k` (zero after the recorded bins).
fn target_inputs(
    transfer: &LifTransfer,
    rates: &RecordedRates,
    recorded_of_row: &[usize],
    n_updates: usize,
    sigma: f64,
) -> Result<Vec<f64>, RunError> {
    let bins = n_updates.min(rates.n_bins);
    let rate = |row: usize, k: usize| rates.rates_hz[recorded_of_row[row] * rates.n_bins + k];
    let wanted: Vec<f64> = (0..recorded_of_row.len())
        .flat_map(|row| (0..bins).map(move |k| rate(row, k)))
        .collect();
    let inputs = transfer
        .inputs_for_recorded_rates(&wanted, sigma)
        .map_err(|_| first_failure(transfer, rates, recorded_of_row, bins, sigma))?;
    let mut t = vec![0.0; recorded_of_row.len() * n_updates];
    for (row, chunk) in inputs.chunks(bins.max(1)).enumerate() {
        t[row * n_updates..row * n_updates + chunk.len()].copy_from_slice(chunk);
    }
    Ok(t)
}

/// The error of the first rate (by row, then bin) that has no target input, naming the
/// recorded neuron and the bin.
fn first_failure(
    transfer: &LifTransfer,
    rates: &RecordedRates,
    recorded_of_row: &[usize],
    bins: usize,
    sigma: f64,
) -> RunError {
    for &a in recorded_of_row {
        for k in 0..bins {
            if let Err(e) =
                transfer.input_for_recorded_rate(rates.rates_hz[a * rates.n_bins + k], sigma)
            {
                return RunError::Invalid(format!("target of recorded neuron {a}, bin {k}: {e}"));
            }
        }
    }
    RunError::Invalid("a recorded rate has no target input".into())
}
