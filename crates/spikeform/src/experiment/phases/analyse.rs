//! Analysis of the test trials: r against the targets (first trial, and trial-averaged
//! input), PSTHs of the trained neurons against recorded rates, group rates, and the PCA of
//! trained and untrained groups.

use std::ops::Range;

use crate::analysis::{self, mean_ignoring_nan, pearson};
use crate::monitor::TraceRecorder;
use crate::network::SpikingNetwork;

use super::super::activity::summarise_activity;
use super::super::recorders::update_times;
use super::super::spiking::{
    Activity, PcaComparison, RecordedRates, SpikingExperiment, SpikingTraining, TargetSpec,
    TestResult,
};
use super::super::trained::Setup;
use super::test::TestTrials;

/// What the analysis gives.
pub(crate) struct Analysis {
    /// Scores, PSTHs, group rates and inputs of the test.
    pub test: TestResult,
    /// PCA of trained and untrained groups.
    pub pca: Option<PcaComparison>,
    /// Activity over the test trials of all conditions.
    pub activity: Activity,
    /// Traces of the first test trial.
    pub traces: Option<TraceRecorder>,
}

/// Analyses the test trials of the network `net`, trained as `setup` says.
pub(crate) fn analyse(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    training: &SpikingTraining,
    setup: &Setup,
    trials: TestTrials,
) -> Analysis {
    let box_centres_ms = update_times(exp, &training.schedule);
    let n_bins = box_centres_ms.len();
    let activity = summarise_activity(exp, net, &trials.recorders);
    let scores = Scores::of(exp, net.n_neurons(), training, setup, &trials.box_trials);
    let psth_hz = psths(exp, training, &trials.spikes, &setup.trained, n_bins);
    let (rate_r_by_condition, recorded_rate_hz) = match &training.target {
        TargetSpec::Recorded { conditions, .. } => {
            compare_recorded(conditions, &psth_hz, &setup.settled.recorded_of_row, n_bins)
        }
        TargetSpec::Sine { .. } => (Vec::new(), Vec::new()),
    };
    let groups = Groups::new(net, &setup.trained);
    let pca = pca_comparison(&scores.box_input_mean, n_bins, net.n_neurons(), &groups);
    let test = TestResult {
        r_mean: scores.r_mean_by_condition[0],
        r_mean_by_condition: scores.r_mean_by_condition,
        r_trial_avg_by_condition: scores.r_trial_avg_by_condition,
        rate_r_by_condition,
        recorded_rate_hz,
        group_rates_hz: groups.rates(net, &activity.neuron_rates_hz),
        box_input_mean: scores.box_input_mean,
        box_input_trials: trials.box_trials,
        box_centres_ms,
        psth_hz,
        spikes: trials
            .spikes
            .into_iter()
            .map(|mut t| t.swap_remove(0))
            .collect(),
        activity: activity.clone(),
    };
    Analysis {
        test,
        pca,
        activity,
        traces: trials.traces,
    }
}

/// r of the test per condition: on the first trial's input, and on the input averaged over
/// trials.
struct Scores {
    r_mean_by_condition: Vec<f64>,
    box_input_mean: Vec<Vec<f64>>,
    r_trial_avg_by_condition: Vec<f64>,
}

impl Scores {
    /// Scores of the box-averaged inputs `box_trials` (`[c][trial][bin * n + i]`).
    fn of(
        exp: &SpikingExperiment,
        n: usize,
        training: &SpikingTraining,
        setup: &Setup,
        box_trials: &[Vec<Vec<f64>>],
    ) -> Self {
        let n_updates = training.schedule.updates_per_trial() as usize;
        let targets = &setup.settled.targets;
        let score_all = |boxes: &[&[f64]]| -> Vec<f64> {
            (0..exp.conditions)
                .map(|c| score(boxes[c], n, &setup.trained, &targets[c], n_updates))
                .collect()
        };
        let first: Vec<&[f64]> = box_trials.iter().map(|t| &t[0][..]).collect();
        let box_input_mean: Vec<Vec<f64>> = box_trials
            .iter()
            .map(|t| mean_of_trials(t, t[0].len()))
            .collect();
        let means: Vec<&[f64]> = box_input_mean.iter().map(|m| &m[..]).collect();
        Self {
            r_mean_by_condition: score_all(&first),
            r_trial_avg_by_condition: score_all(&means),
            box_input_mean,
        }
    }
}

/// Mean over rows of Pearson(target row, box input of the row's neuron).
pub(crate) fn score(
    boxes: &[f64],
    n: usize,
    trained: &[usize],
    targets: &[f64],
    n_updates: usize,
) -> f64 {
    let n_bins = boxes.len() / n;
    let per_row: Vec<f64> = trained
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let model: Vec<f64> = (0..n_bins).map(|b| boxes[b * n + i]).collect();
            pearson(
                &model,
                &targets[row * n_updates..row * n_updates + n_bins.min(n_updates)],
            )
        })
        .collect();
    mean_ignoring_nan(&per_row).mean
}

/// The element-wise mean of `trials`, each of `len` values.
fn mean_of_trials(trials: &[Vec<f64>], len: usize) -> Vec<f64> {
    let mut m = vec![0.0; len];
    for t in trials {
        for (a, b) in m.iter_mut().zip(t) {
            *a += b / trials.len() as f64;
        }
    }
    m
}

/// PSTHs of the trained neurons in the target bins, smoothed like the recorded data:
/// `[c][bin * rows + row]`.
fn psths(
    exp: &SpikingExperiment,
    training: &SpikingTraining,
    spikes: &[Vec<Vec<Vec<f64>>>],
    trained: &[usize],
    n_bins: usize,
) -> Vec<Vec<f64>> {
    let bin_ms = training.schedule.every_steps as f64 * exp.dt_ms;
    let t_first = training.schedule.start_step as f64 * exp.dt_ms;
    let rows = trained.len();
    spikes
        .iter()
        .map(|trials| {
            let mut p = vec![0.0; n_bins * rows];
            for (row, &i) in trained.iter().enumerate() {
                let raw = analysis::psth_hz(trials, i, t_first, bin_ms, n_bins);
                let smooth = crate::analysis::moving_average(
                    &raw,
                    exp.psth_smooth_bins,
                    crate::analysis::WindowSum::Direct,
                );
                for b in 0..n_bins {
                    p[b * rows + row] = smooth[b];
                }
            }
            p
        })
        .collect()
}

/// Per condition: the mean over rows of Pearson(PSTH, recorded rate of the row's recorded
/// neuron), and those recorded rates laid out like the PSTHs.
fn compare_recorded(
    conditions: &[RecordedRates],
    psth_hz: &[Vec<f64>],
    recorded_of_row: &[usize],
    n_bins: usize,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let rows = recorded_of_row.len();
    conditions
        .iter()
        .zip(psth_hz)
        .map(|(rec, p)| {
            let recorded =
                |a: usize| &rec.rates_hz[a * rec.n_bins..a * rec.n_bins + n_bins.min(rec.n_bins)];
            let per_row: Vec<f64> = recorded_of_row
                .iter()
                .enumerate()
                .map(|(row, &a)| {
                    let model: Vec<f64> = (0..n_bins).map(|b| p[b * rows + row]).collect();
                    pearson(&model, recorded(a))
                })
                .collect();
            let mut rr = vec![0.0; n_bins * rows];
            for (row, &a) in recorded_of_row.iter().enumerate() {
                for (b, &rate) in recorded(a).iter().enumerate() {
                    rr[b * rows + row] = rate;
                }
            }
            (mean_ignoring_nan(&per_row).mean, rr)
        })
        .unzip()
}

/// The trained neurons, the untrained neurons of their population, and the other populations.
struct Groups<'a> {
    trained_population: usize,
    trained: &'a [usize],
    untrained_same: Vec<usize>,
    ranges: Vec<Range<usize>>,
}

impl<'a> Groups<'a> {
    fn new(net: &SpikingNetwork, trained: &'a [usize]) -> Self {
        let trained_population = net.population_of[trained[0]];
        let mut is_trained = vec![false; net.n_neurons()];
        for &i in trained {
            is_trained[i] = true;
        }
        let ranges = net.ranges();
        let untrained_same = ranges[trained_population]
            .clone()
            .filter(|&i| !is_trained[i])
            .collect();
        Self {
            trained_population,
            trained,
            untrained_same,
            ranges,
        }
    }

    /// Every neuron of the populations other than the trained one.
    fn others(&self) -> Vec<usize> {
        self.ranges
            .iter()
            .enumerate()
            .filter(|(p, _)| *p != self.trained_population)
            .flat_map(|(_, r)| r.clone())
            .collect()
    }

    /// Mean rates of trained, untrained-same-population and each other population's neurons.
    fn rates(&self, net: &SpikingNetwork, rates: &[f64]) -> Vec<(String, f64)> {
        let mean_of = |idx: &[usize]| {
            if idx.is_empty() {
                f64::NAN
            } else {
                idx.iter().map(|&i| rates[i]).sum::<f64>() / idx.len() as f64
            }
        };
        let name = net.populations[self.trained_population].name.to_lowercase();
        let mut out = vec![
            (format!("trained_{name}"), mean_of(self.trained)),
            (format!("untrained_{name}"), mean_of(&self.untrained_same)),
        ];
        for (p, r) in self.ranges.iter().enumerate() {
            if p != self.trained_population {
                let idx: Vec<usize> = r.clone().collect();
                out.push((net.populations[p].name.to_lowercase(), mean_of(&idx)));
            }
        }
        out
    }
}

/// PCA of the trial-averaged input of the first condition, per group, and the selectivity
/// (condition 0 − condition 1) of every neuron.
fn pca_comparison(
    box_input_mean: &[Vec<f64>],
    n_bins: usize,
    n: usize,
    groups: &Groups<'_>,
) -> Option<PcaComparison> {
    let (trained, untrained_same, others) =
        (groups.trained, &groups.untrained_same[..], groups.others());
    let k = 5.min(n_bins);
    if trained.len() < k || untrained_same.len() < k || others.len() < k || k < 2 {
        return None;
    }
    let x = &box_input_mean[0];
    debug_assert_eq!(x.len(), n_bins * n);
    let a = analysis::pca_time_courses(x, n_bins, trained, k);
    let b = analysis::pca_time_courses(x, n_bins, untrained_same, k);
    let c = analysis::pca_time_courses(x, n_bins, &others, k);
    let sel = |idx: &[usize]| -> Vec<f64> {
        if box_input_mean.len() < 2 {
            return Vec::new();
        }
        let ga = analysis::gather_columns(&box_input_mean[0], n_bins, n, idx);
        let gb = analysis::gather_columns(&box_input_mean[1], n_bins, n, idx);
        analysis::selectivity(&ga, &gb, n_bins, idx.len())
    };
    let names = ["trained", "untrained_same_population", "other_populations"];
    Some(PcaComparison {
        trained_e_vs_untrained_i: analysis::compare_components(&a, &c, 2),
        trained_e_vs_untrained_e: analysis::compare_components(&a, &b, 2),
        explained_variance_ratio: names
            .iter()
            .zip([&a, &b, &c])
            .map(|(g, p)| (g.to_string(), p.explained_variance_ratio.clone()))
            .collect(),
        loadings: names
            .iter()
            .zip([&a, &b, &c])
            .map(|(g, p)| (g.to_string(), p.loadings[..2].to_vec()))
            .collect(),
        selectivity: names
            .iter()
            .zip([sel(trained), sel(untrained_same), sel(&others)])
            .map(|(g, s)| (g.to_string(), s))
            .collect(),
    })
}
