//! The perturbation sweep: one frozen trial per amplitude (and per condition of a trained
//! network), all from the session's simulator state, every amplitude with the same random
//! streams (the next trial indices), in parallel over amplitudes. Rates are those of
//! condition 0.
//!
//! Each amplitude's trial runs on its own copy of the network with the stimulus's inputs added,
//! and its own copy of the simulator, so the trials are independent: the results do not depend
//! on the number of threads. Per amplitude and window the rates of every population, and of the
//! stimulated and other cells of a partly stimulated population, are averaged over cells, with
//! a 95% confidence interval over cells (mean ± 1.96·SD/√n).

use std::time::Instant;

use rayon::prelude::*;

use crate::error::RunError;
use crate::monitor::{ActivityRecorder, BoxInputRecorder, Monitor};
use crate::neuron_set::{Selected, SetContext};

use super::super::perturbation::{
    GroupRates, PerturbationResult, PerturbationSpec, StepWindow, WindowRates,
};
use super::super::recorders::{activity_recorder, box_recorder, rate_guard, update_times};
use super::super::session::Session;
use super::super::spiking::SpikingTraining;
use super::super::trained::Setup;

/// Bin of the population-rate time courses (ms).
pub(crate) const TIMECOURSE_BIN_MS: f64 = 10.0;

/// What one amplitude's trial of one condition recorded.
pub(crate) struct AmplitudeTrial {
    /// Spikes and population counts.
    pub activity: ActivityRecorder,
    /// Box-averaged inputs around the target times (trained networks).
    pub boxes: Option<BoxInputRecorder>,
}

/// Runs the sweep of `spec` on the session's network: every amplitude, and for a trained
/// network (`trained`: its training and setup) every condition. Returns the result and the
/// trials, `[amplitude][condition]`.
pub(crate) fn perturb(
    session: &mut Session<'_>,
    spec: &PerturbationSpec,
    trained: Option<(&SpikingTraining, &Setup)>,
) -> Result<(PerturbationResult, Vec<Vec<AmplitudeTrial>>), RunError> {
    let exp = session.exp;
    let ranges = session.net.ranges();
    let ctx = SetContext {
        ranges: &ranges,
        trained: trained.map(|(_, s)| &s.trained[..]),
        seed: exp.seed,
    };
    let selected = spec
        .selected(ctx)
        .map_err(|e| RunError::Invalid(format!("perturbation.neurons: {e}")))?;
    let n = session.net.n_neurons();
    let raw = spec.raw_amplitudes(n);
    let conditions = if trained.is_some() { exp.conditions } else { 1 };
    let jobs: Vec<(usize, usize)> = (0..raw.len())
        .flat_map(|k| (0..conditions).map(move |c| (k, c)))
        .collect();
    session.observer.phase_started("perturb", jobs.len());
    let first_index = session.trial_index;
    let times = trained.map(|(t, _)| update_times(exp, &t.schedule));
    let t0 = Instant::now();
    let (net, sim) = (&session.net, &session.sim);
    let outcomes: Vec<Result<AmplitudeTrial, RunError>> = jobs
        .par_iter()
        .map(|&(k, c)| {
            let mut net = net.clone();
            let (dt, integration) = (exp.dt_ms, net.integration);
            net.inputs
                .extend(spec.inputs(&selected, raw[k], ctx, dt, integration));
            let mut sim = sim.clone();
            let mut activity = activity_recorder(exp, &net);
            let mut boxes = trained
                .zip(times.as_ref())
                .map(|((t, _), times)| box_recorder(exp, t, n, times));
            let phase = format!(
                "perturbation amplitude {} ({}), condition {}",
                spec.amplitudes[k],
                k + 1,
                c + 1
            );
            let mut guard = rate_guard(exp, n, &phase);
            let mut monitors: Vec<&mut dyn Monitor> = vec![&mut activity, &mut guard];
            if let Some(b) = boxes.as_mut() {
                monitors.push(b);
            }
            // Every amplitude of condition c uses the same random streams.
            let index = first_index + c as u64 + 1;
            sim.run_frozen_trial(&net, exp.frozen_trial(c, index, &phase), &mut monitors)?;
            Ok(AmplitudeTrial { activity, boxes })
        })
        .collect();
    let mut trials: Vec<Vec<AmplitudeTrial>> = (0..raw.len()).map(|_| Vec::new()).collect();
    for (outcome, &(k, _)) in outcomes.into_iter().zip(&jobs) {
        trials[k].push(outcome?);
    }
    let seconds = t0.elapsed().as_secs_f64();
    session.timing.trial_seconds += seconds;
    session.timing.simulated_ms += jobs.len() as f64 * session.trial_ms();
    session.trial_index = first_index + conditions as u64;
    session.observer.item_done(jobs.len(), "");
    let first: Vec<&AmplitudeTrial> = trials.iter().map(|t| &t[0]).collect();
    let result = summarise(session, spec, &selected, raw, &first, seconds);
    Ok((result, trials))
}

/// Rates per group, window and amplitude; population time courses.
fn summarise(
    session: &Session<'_>,
    spec: &PerturbationSpec,
    selected: &Selected,
    raw: Vec<f64>,
    trials: &[&AmplitudeTrial],
    seconds: f64,
) -> PerturbationResult {
    let exp = session.exp;
    let net = &session.net;
    let windows = spec.windows();
    let neuron_rates: Vec<Vec<Vec<f64>>> = trials
        .iter()
        .map(|t| {
            windows
                .iter()
                .map(|(_, w)| rates_in(&t.activity.spikes, *w, exp.dt_ms))
                .collect()
        })
        .collect();
    let groups = groups(session, &selected.neurons)
        .into_iter()
        .map(|(name, population, cells)| GroupRates {
            windows: (0..windows.len())
                .map(|w| {
                    neuron_rates
                        .iter()
                        .map(|per_window| WindowRates::over(&per_window[w], &cells))
                        .collect()
                })
                .collect(),
            name,
            population,
            cells,
        })
        .collect();
    let bin_steps = crate::time::at_least_one_step(TIMECOURSE_BIN_MS, exp.dt_ms);
    let one_ms = crate::time::at_least_one_step(1.0, exp.dt_ms);
    let per_bin = (bin_steps / one_ms).max(1) as usize;
    let sizes: Vec<usize> = net.populations.iter().map(|p| p.size).collect();
    PerturbationResult {
        amplitudes: spec.amplitudes.clone(),
        raw_amplitudes: raw,
        units: spec.units.name().to_string(),
        windows: windows
            .iter()
            .map(|(name, w)| (name.to_string(), w.ms(exp.dt_ms)))
            .collect(),
        on_ms: spec.on.ms(exp.dt_ms),
        stimulated: selected.neurons.clone(),
        groups,
        theory: None,
        bin_ms: per_bin as f64 * one_ms as f64 * exp.dt_ms,
        population_rate_hz: trials
            .iter()
            .map(|t| rebin(&t.activity.population_counts, &sizes, per_bin))
            .collect(),
        neuron_rates_hz: neuron_rates,
        sweep_seconds: seconds,
        trained: None,
    }
}

/// The groups reported: each population, and for a partly stimulated population its
/// stimulated and other cells: `(name, population, cells)`.
fn groups(session: &Session<'_>, stimulated: &[usize]) -> Vec<(String, usize, Vec<usize>)> {
    let net = &session.net;
    let mut is_stim = vec![false; net.n_neurons()];
    stimulated.iter().for_each(|&i| is_stim[i] = true);
    let mut out = Vec::new();
    for (p, (range, pop)) in net.ranges().into_iter().zip(&net.populations).enumerate() {
        let name = pop.name.to_lowercase();
        let (stim, other): (Vec<usize>, Vec<usize>) = range.clone().partition(|&i| is_stim[i]);
        out.push((name.clone(), p, range.collect()));
        if !stim.is_empty() && !other.is_empty() {
            out.push((format!("{name}_stimulated"), p, stim));
            out.push((format!("{name}_other"), p, other));
        }
    }
    out
}

/// Every neuron's rate (Hz) in the window `start < t ≤ end` of steps.
pub(crate) fn rates_in(spikes: &[Vec<f64>], w: StepWindow, dt_ms: f64) -> Vec<f64> {
    let (t0, t1) = w.ms(dt_ms);
    let (lo, hi) = (t0 + 0.5 * dt_ms, t1 + 0.5 * dt_ms);
    let len_s = (t1 - t0) / 1000.0;
    spikes
        .iter()
        .map(|s| s.iter().filter(|&&t| t > lo && t <= hi).count() as f64 / len_s)
        .collect()
}

/// Population rates (Hz) in bins of `per_bin` 1-ms counts.
fn rebin(counts: &[Vec<u32>], sizes: &[usize], per_bin: usize) -> Vec<Vec<f64>> {
    counts
        .iter()
        .zip(sizes)
        .map(|(c, &size)| {
            c.chunks(per_bin)
                .map(|b| {
                    let spikes: u32 = b.iter().sum();
                    spikes as f64 * 1000.0 / (size as f64 * b.len() as f64)
                })
                .collect()
        })
        .collect()
}
