//! A trained network under a perturbation (Kim et al. 2023; `perturbation.md` §2f): how far the
//! trained neurons' input moves from its target, which E cells are suppressed, and the activity
//! on the coding direction.
//!
//! - **r**: the mean over trained neurons of Pearson(box-averaged input, target) over the
//!   target times whose box (± `test.box_half_width_ms`) lies inside a window, averaged over
//!   conditions (as the test's r, restricted to the window).
//! - **Suppressed**: a cell whose stimulus-window rate (condition 0) is below its rate at
//!   amplitude 0 (NaN when the sweep has no amplitude 0).
//! - **Coding direction** (ALM literature): over the E cells, CD = (r̄₀ − r̄₁)/‖r̄₀ − r̄₁‖ with
//!   r̄_c the mean rate of condition c in the stimulus window at amplitude 0 (the first amplitude
//!   if there is none); the projection of a window is CD·(r₀ − r₁), the difference of the two
//!   conditions along CD (Hz). Needs two conditions.

use std::ops::Range;

use crate::analysis::{mean_ignoring_nan, pearson};
use crate::network::{Sign, SpikingNetwork};

use super::super::perturbation::{PerturbationResult, TrainedPerturbation};
use super::super::spiking::{SpikingExperiment, SpikingTraining};
use super::super::trained::Setup;
use super::perturb::{rates_in, AmplitudeTrial, TIMECOURSE_BIN_MS};

/// The trained neurons' view of the sweep `result` whose trials are `trials[amplitude][c]`.
pub(crate) fn analyse_trained(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    (training, setup): (&SpikingTraining, &Setup),
    result: &PerturbationResult,
    trials: &[Vec<AmplitudeTrial>],
) -> TrainedPerturbation {
    let times = super::super::recorders::update_times(exp, &training.schedule);
    // Target times whose whole box (± the box half width) lies inside the window.
    let half = exp.box_half_width_ms;
    let bins_in = |(t0, t1): (f64, f64)| -> Range<usize> {
        let lo = times
            .iter()
            .position(|&t| t - half >= t0)
            .unwrap_or(times.len());
        let hi = times
            .iter()
            .rposition(|&t| t + half <= t1)
            .map_or(lo, |h| h + 1);
        lo..hi.max(lo)
    };
    let window = |name: &str| result.windows.iter().find(|(n, _)| n == name).map(|w| w.1);
    let n_updates = training.schedule.updates_per_trial() as usize;
    let r_in = |bins: Range<usize>| -> Vec<f64> {
        trials
            .iter()
            .map(|per_condition| {
                let r: Vec<f64> = per_condition
                    .iter()
                    .enumerate()
                    .map(|(c, t)| {
                        let boxes = t.boxes.as_ref().expect("trained trials record boxes");
                        let b = boxes.boxes.clone().finish();
                        let targets = &setup.settled.targets[c];
                        score_bins(&b, net.n_neurons(), setup, targets, n_updates, &bins)
                    })
                    .collect();
                mean_ignoring_nan(&r).mean
            })
            .collect()
    };
    let stim = window("stimulus").expect("a sweep has a stimulus window");
    let base = window("baseline").expect("a sweep has a baseline window");
    let (trained_e, untrained_e) = e_cells(net, &setup.trained);
    let suppressed = |cells: &[usize]| suppressed_fractions(result, cells);
    let (coding_projection, coding_timecourse) = coding(exp, result, trials, net);
    TrainedPerturbation {
        r_stimulus: r_in(bins_in(stim)),
        r_baseline: r_in(bins_in(base)),
        suppressed_trained_e: suppressed(&trained_e),
        suppressed_untrained_e: suppressed(&untrained_e),
        coding_projection,
        coding_timecourse,
    }
}

/// Mean over trained rows of Pearson(input, target) over the target bins `bins`.
fn score_bins(
    boxes: &[f64],
    n: usize,
    setup: &Setup,
    targets: &[f64],
    n_updates: usize,
    bins: &Range<usize>,
) -> f64 {
    if bins.len() < 3 {
        return f64::NAN;
    }
    let per_row: Vec<f64> = setup
        .trained
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let model: Vec<f64> = bins.clone().map(|b| boxes[b * n + i]).collect();
            let target: Vec<f64> = bins.clone().map(|b| targets[row * n_updates + b]).collect();
            pearson(&model, &target)
        })
        .collect();
    mean_ignoring_nan(&per_row).mean
}

/// The trained and the untrained cells of the excitatory populations.
fn e_cells(net: &SpikingNetwork, trained: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut is_trained = vec![false; net.n_neurons()];
    trained.iter().for_each(|&i| is_trained[i] = true);
    (0..net.n_neurons())
        .filter(|&i| net.populations[net.population_of[i]].sign == Sign::Excitatory)
        .partition(|&i| is_trained[i])
}

/// Per amplitude, the fraction of `cells` whose stimulus-window rate is below amplitude 0's.
fn suppressed_fractions(result: &PerturbationResult, cells: &[usize]) -> Vec<f64> {
    let w = stimulus_window(result);
    let zero = result.amplitudes.iter().position(|&a| a == 0.0);
    result
        .neuron_rates_hz
        .iter()
        .map(|per_window| match zero {
            Some(z) if !cells.is_empty() => {
                let reference = &result.neuron_rates_hz[z][w];
                let below = cells
                    .iter()
                    .filter(|&&i| per_window[w][i] < reference[i])
                    .count();
                below as f64 / cells.len() as f64
            }
            _ => f64::NAN,
        })
        .collect()
}

fn stimulus_window(result: &PerturbationResult) -> usize {
    result
        .windows
        .iter()
        .position(|(n, _)| n == "stimulus")
        .expect("a sweep has a stimulus window")
}

/// Projections on the coding direction per amplitude: per window, and over time (bins of
/// [`TIMECOURSE_BIN_MS`]). Empty with fewer than two conditions.
fn coding(
    exp: &SpikingExperiment,
    result: &PerturbationResult,
    trials: &[Vec<AmplitudeTrial>],
    net: &SpikingNetwork,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    if trials.first().is_none_or(|t| t.len() < 2) {
        return (Vec::new(), Vec::new());
    }
    let (trained_e, untrained_e) = e_cells(net, &[]);
    let cells: Vec<usize> = trained_e.into_iter().chain(untrained_e).collect();
    let windows: Vec<_> = result
        .windows
        .iter()
        .map(|(_, (t0, t1))| window_steps(*t0, *t1, exp.dt_ms))
        .collect();
    let w_stim = stimulus_window(result);
    let reference = result
        .amplitudes
        .iter()
        .position(|&a| a == 0.0)
        .unwrap_or(0);
    let diff = |k: usize, w: usize| -> Vec<f64> {
        let r0 = rates_in(&trials[k][0].activity.spikes, windows[w], exp.dt_ms);
        let r1 = rates_in(&trials[k][1].activity.spikes, windows[w], exp.dt_ms);
        cells.iter().map(|&i| r0[i] - r1[i]).collect()
    };
    let cd = normalised(diff(reference, w_stim));
    let dot = |v: &[f64]| v.iter().zip(&cd).map(|(a, b)| a * b).sum::<f64>();
    let per_window = (0..trials.len())
        .map(|k| (0..windows.len()).map(|w| dot(&diff(k, w))).collect())
        .collect();
    let bin_ms = crate::time::at_least_one_step(TIMECOURSE_BIN_MS, exp.dt_ms) as f64 * exp.dt_ms;
    let n_bins = (exp.trial_steps as f64 * exp.dt_ms / bin_ms).ceil() as usize;
    // Σ_i CD_i · (spikes of cell i in bin b), per condition: the projection's time course.
    let projected = |spikes: &[Vec<f64>]| -> Vec<f64> {
        let mut p = vec![0.0; n_bins];
        for (&i, &w) in cells.iter().zip(&cd) {
            for &t in &spikes[i] {
                let b = ((t - 0.5 * exp.dt_ms) / bin_ms).floor().max(0.0) as usize;
                p[b.min(n_bins - 1)] += w * 1000.0 / bin_ms;
            }
        }
        p
    };
    let timecourse = trials
        .iter()
        .map(|per_condition| {
            let (p0, p1) = (
                projected(&per_condition[0].activity.spikes),
                projected(&per_condition[1].activity.spikes),
            );
            p0.iter().zip(&p1).map(|(a, b)| a - b).collect()
        })
        .collect();
    (per_window, timecourse)
}

fn window_steps(t0: f64, t1: f64, dt_ms: f64) -> super::super::perturbation::StepWindow {
    super::super::perturbation::StepWindow {
        start: (t0 / dt_ms).round() as u64,
        end: (t1 / dt_ms).round() as u64,
    }
}

/// `v/‖v‖` (zeros when `v` is zero).
fn normalised(v: Vec<f64>) -> Vec<f64> {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        return v;
    }
    v.into_iter().map(|x| x / norm).collect()
}
