//! Array artifacts of a run, written as NumPy files. Names, shapes and units are listed in
//! docs/outputs.md.

use spikeform::experiment::rate::{RateExperiment, RateRunResult};

use crate::npy::NpzWriter;
use crate::rundir::{RunDir, RunDirError};

/// Writes the training curve (`training_curve.csv`) and the test traces (`test_traces.npz`) of a
/// rate-network run. Returns the names of the files written.
pub fn write_rate(
    dir: &RunDir,
    exp: &RateExperiment,
    res: &RateRunResult,
) -> Result<Vec<String>, RunDirError> {
    let mut csv = String::from("loop,r,r_reference_window,seconds\n");
    for (l, ((r, rr), s)) in res
        .r_per_loop
        .iter()
        .zip(&res.r_reference_window_per_loop)
        .zip(&res.loop_seconds)
        .enumerate()
    {
        csv.push_str(&format!("{},{r},{rr},{s}\n", l + 1));
    }
    dir.write("training_curve.csv", csv.as_bytes())?;

    let n_time = res.time_ms.len();
    let m = res.trained.len();
    let mut npz = NpzWriter::new();
    npz.add_f64("time_ms", &[n_time], &res.time_ms);
    npz.add_i64(
        "trained_units",
        &[m],
        &res.trained.iter().map(|&i| i as i64).collect::<Vec<_>>(),
    );
    npz.add_f64(
        "trained_quantity",
        &[exp.test_trials, n_time, m],
        &res.test_trained_quantity,
    );
    npz.add_f64("target", &[n_time, m], &res.target);
    npz.add_f64(
        "rates",
        &[exp.test_trials, n_time, exp.n_units],
        &res.test_rates,
    );
    npz.add_f64("weights", &[exp.n_units, exp.n_units], &res.weights);
    dir.write("test_traces.npz", &npz.finish())?;
    Ok(vec![
        "experiment.toml".into(),
        "training_curve.csv".into(),
        "test_traces.npz".into(),
        "manifest.json".into(),
        "summary.json".into(),
    ])
}

use spikeform::experiment::spiking::{SpikingExperiment, SpikingRunResult};

/// Spike times as two aligned arrays: neuron index and time (ms).
fn spike_arrays(spikes: &[Vec<f64>]) -> (Vec<i64>, Vec<f64>) {
    let mut neuron = Vec::new();
    let mut time = Vec::new();
    for (i, s) in spikes.iter().enumerate() {
        for &t in s {
            neuron.push(i as i64);
            time.push(t);
        }
    }
    (neuron, time)
}

/// Writes the arrays of a spiking run: `spikes.npz` (final phase's first trial), and for trained
/// runs `training_curve.csv` and `test.npz`. Returns the names of the files written.
pub fn write_spiking(
    dir: &RunDir,
    exp: &SpikingExperiment,
    res: &SpikingRunResult,
) -> Result<Vec<String>, RunDirError> {
    let mut files = vec!["experiment.toml".to_string()];
    let mut npz = NpzWriter::new();
    let first = match &res.test {
        Some(t) => &t.spikes[0],
        None => &res.spikes,
    };
    let (neuron, time) = spike_arrays(first);
    npz.add_i64("neuron", &[neuron.len()], &neuron);
    npz.add_f64("time_ms", &[time.len()], &time);
    let pop_rate = &res.activity.population_rate_hz;
    if let Some(first) = pop_rate.first() {
        let flat: Vec<f64> = pop_rate.iter().flatten().copied().collect();
        npz.add_f64("population_rate_hz", &[pop_rate.len(), first.len()], &flat);
    }
    let n = res.activity.neuron_rates_hz.len();
    npz.add_f64("neuron_rate_hz", &[n], &res.activity.neuron_rates_hz);
    if let Some(initial) = &res.initial {
        npz.add_f64("initial_neuron_rate_hz", &[n], &initial.neuron_rates_hz);
    }
    let population_of: Vec<i64> = res.population_of.iter().map(|&p| p as i64).collect();
    npz.add_i64("population_of", &[n], &population_of);
    let tc = &res.activity.input_timecourse;
    if let Some(first) = tc.first() {
        let samples = first[0].len();
        let flat: Vec<f64> = tc
            .iter()
            .flat_map(|p| p.iter().flatten().copied())
            .collect();
        npz.add_f64("input_timecourse", &[tc.len(), 4, samples], &flat);
    }
    dir.write("spikes.npz", &npz.finish())?;
    files.push("spikes.npz".into());
    if let Some(tr) = res.traces.as_ref().filter(|t| !t.neurons.is_empty()) {
        let k = tr.neurons.len();
        let samples = tr.time_ms.len();
        let mut npz = NpzWriter::new();
        npz.add_f64("time_ms", &[samples], &tr.time_ms);
        npz.add_i64(
            "neurons",
            &[k],
            &tr.neurons.iter().map(|&i| i as i64).collect::<Vec<_>>(),
        );
        for (q, name) in spikeform::monitor::TraceRecorder::QUANTITIES
            .iter()
            .enumerate()
        {
            let data: Vec<f64> = (0..samples)
                .flat_map(|s| {
                    tr.values[(s * 5 + q) * k..(s * 5 + q + 1) * k]
                        .iter()
                        .copied()
                })
                .collect();
            npz.add_f64(name, &[samples, k], &data);
        }
        dir.write("traces.npz", &npz.finish())?;
        files.push("traces.npz".into());
    }
    if let (Some(_), Some(test)) = (&exp.training, &res.test) {
        let mut csv = String::from("loop,r,seconds\n");
        for (l, (r, s)) in res.r_per_loop.iter().zip(&res.loop_seconds).enumerate() {
            let r = r.map_or(String::new(), |r| r.to_string());
            csv.push_str(&format!("{},{r},{s}\n", l + 1));
        }
        dir.write("training_curve.csv", csv.as_bytes())?;
        files.push("training_curve.csv".into());
        let n = res.activity.neuron_rates_hz.len();
        let rows = res.trained.len();
        let bins = test.box_centres_ms.len();
        let conditions = test.box_input_mean.len();
        let mut npz = NpzWriter::new();
        npz.add_f64("bin_centre_ms", &[bins], &test.box_centres_ms);
        npz.add_i64(
            "trained_neurons",
            &[rows],
            &res.trained.iter().map(|&i| i as i64).collect::<Vec<_>>(),
        );
        if !res.recorded_of_row.is_empty() {
            npz.add_i64(
                "recorded_neuron_of_row",
                &[rows],
                &res.recorded_of_row
                    .iter()
                    .map(|&i| i as i64)
                    .collect::<Vec<_>>(),
            );
        }
        let flat = |v: &[Vec<f64>]| -> Vec<f64> { v.iter().flatten().copied().collect() };
        npz.add_f64(
            "input_mean",
            &[conditions, bins, n],
            &flat(&test.box_input_mean),
        );
        // The first record.input_trials trials of each condition (all of them enter
        // input_mean and the scores).
        let kept = exp.record_input_trials.min(exp.test_trials);
        let all: Vec<f64> = test
            .box_input_trials
            .iter()
            .flat_map(|trials| trials.iter().take(kept))
            .flatten()
            .copied()
            .collect();
        npz.add_f64("input_trials", &[conditions, kept, bins, n], &all);
        // Targets: condition × update × row (time-major like the other arrays).
        let k = res.n_updates;
        let mut targets = Vec::with_capacity(conditions * k * rows);
        for t in &res.targets {
            for u in 0..k {
                for r in 0..rows {
                    targets.push(t[r * k + u]);
                }
            }
        }
        npz.add_f64("target", &[res.targets.len(), k, rows], &targets);
        npz.add_f64("psth_hz", &[conditions, bins, rows], &flat(&test.psth_hz));
        if !test.recorded_rate_hz.is_empty() {
            npz.add_f64(
                "recorded_rate_hz",
                &[conditions, bins, rows],
                &flat(&test.recorded_rate_hz),
            );
        }
        if let Some(p) = &res.pca {
            let loadings: Vec<f64> = p
                .loadings
                .iter()
                .flat_map(|(_, l)| l.iter().flatten().copied())
                .collect();
            npz.add_f64("pca_loadings", &[p.loadings.len(), 2, bins], &loadings);
            let evr: Vec<f64> = p
                .explained_variance_ratio
                .iter()
                .flat_map(|(_, v)| v.iter().take(5).copied())
                .collect();
            npz.add_f64(
                "pca_explained_variance_ratio",
                &[
                    p.explained_variance_ratio.len(),
                    evr.len() / p.explained_variance_ratio.len().max(1),
                ],
                &evr,
            );
            for ((_, sel), name) in p.selectivity.iter().zip([
                "selectivity_trained",
                "selectivity_untrained",
                "selectivity_other",
            ]) {
                npz.add_f64(name, &[sel.len()], sel);
            }
        }
        let w = res.plastic_weights_initial.len() / rows.max(1);
        npz.add_f64(
            "plastic_weights_initial",
            &[rows, w],
            &res.plastic_weights_initial,
        );
        npz.add_f64(
            "plastic_weights_final",
            &[rows, w],
            &res.plastic_weights_final,
        );
        dir.write("test.npz", &npz.finish())?;
        files.push("test.npz".into());
    }
    files.push("manifest.json".into());
    files.push("summary.json".into());
    Ok(files)
}
