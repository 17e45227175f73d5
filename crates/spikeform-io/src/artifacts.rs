//! Array artifacts of a run, written as NumPy files. Every member is declared in
//! [`crate::outputs`] (name, dtype, shape, units, meaning) and added through its declaration;
//! docs/outputs.md is generated from those declarations.

use spikeform::experiment::rate::{RateExperiment, RateRunResult};

use crate::npy::NpzWriter;
use crate::outputs::{latent, plasticity, spikes, test, test_traces, traces, ArraySpec};
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
    test_traces::TIME_MS.add(&mut npz, &[n_time], &res.time_ms);
    test_traces::TRAINED_UNITS.add(&mut npz, &[m], &indices(&res.trained));
    test_traces::TRAINED_QUANTITY.add(
        &mut npz,
        &[exp.test_trials, n_time, m],
        &res.test_trained_quantity,
    );
    test_traces::TARGET.add(&mut npz, &[n_time, m], &res.target);
    test_traces::RATES.add(
        &mut npz,
        &[exp.test_trials, n_time, exp.n_units],
        &res.test_rates,
    );
    test_traces::WEIGHTS.add(&mut npz, &[exp.n_units, exp.n_units], &res.weights);
    dir.write(test_traces::FILE.file, &npz.finish())?;
    Ok(vec![
        "experiment.toml".into(),
        "training_curve.csv".into(),
        test_traces::FILE.file.into(),
        "manifest.json".into(),
        "summary.json".into(),
    ])
}

use spikeform::experiment::spiking::{SpikingExperiment, SpikingRunResult};

/// Indices as int64 values (the dtype of index members).
fn indices(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&i| i as i64).collect()
}

/// Spike times as two aligned arrays: neuron index and time (ms), neuron by neuron, times
/// ascending (the layout of `spikes.npz`; Python's results use it too).
pub fn spike_arrays(spikes: &[Vec<f64>]) -> (Vec<i64>, Vec<f64>) {
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
    spikes::NEURON.add(&mut npz, &[neuron.len()], &neuron);
    spikes::TIME_MS.add(&mut npz, &[time.len()], &time);
    let pop_rate = &res.activity.population_rate_hz;
    if let Some(first) = pop_rate.first() {
        let flat: Vec<f64> = pop_rate.iter().flatten().copied().collect();
        spikes::POPULATION_RATE_HZ.add(&mut npz, &[pop_rate.len(), first.len()], &flat);
    }
    let n = res.activity.neuron_rates_hz.len();
    spikes::NEURON_RATE_HZ.add(&mut npz, &[n], &res.activity.neuron_rates_hz);
    if let Some(initial) = &res.initial {
        spikes::INITIAL_NEURON_RATE_HZ.add(&mut npz, &[n], &initial.neuron_rates_hz);
    }
    spikes::POPULATION_OF.add(&mut npz, &[n], &indices(&res.population_of));
    let tc = &res.activity.input_timecourse;
    if let Some(first) = tc.first() {
        let samples = first[0].len();
        let flat: Vec<f64> = tc
            .iter()
            .flat_map(|p| p.iter().flatten().copied())
            .collect();
        spikes::INPUT_TIMECOURSE.add(&mut npz, &[tc.len(), 4, samples], &flat);
    }
    dir.write(spikes::FILE.file, &npz.finish())?;
    files.push(spikes::FILE.file.into());
    if let Some(p) = &res.perturbation {
        crate::perturbation_summary::write_npz(dir, p)?;
        files.push(crate::outputs::perturbation::FILE.file.into());
    }
    if let Some(tr) = res.traces.as_ref().filter(|t| !t.neurons.is_empty()) {
        let k = tr.neurons.len();
        let samples = tr.time_ms.len();
        let mut npz = NpzWriter::new();
        traces::TIME_MS.add(&mut npz, &[samples], &tr.time_ms);
        traces::NEURONS.add(&mut npz, &[k], &indices(&tr.neurons));
        for (q, spec) in traces::QUANTITIES.iter().enumerate() {
            let data: Vec<f64> = (0..samples)
                .flat_map(|s| {
                    tr.values[(s * 5 + q) * k..(s * 5 + q + 1) * k]
                        .iter()
                        .copied()
                })
                .collect();
            spec.add(&mut npz, &[samples, k], &data);
        }
        dir.write(traces::FILE.file, &npz.finish())?;
        files.push(traces::FILE.file.into());
    }
    if write_plasticity(dir, res)? {
        files.push(plasticity::FILE.file.into());
    }
    if let Some(members) = res.latent.as_ref().map(latent_members) {
        write_members(dir, latent::FILE.file, &members)?;
        files.push(latent::FILE.file.into());
    }
    if let (Some(_), Some(t)) = (&exp.training, &res.test) {
        let mut csv = String::from("loop,r,seconds\n");
        for (l, (r, s)) in res.r_per_loop.iter().zip(&res.loop_seconds).enumerate() {
            let r = r.map_or(String::new(), |r| r.to_string());
            csv.push_str(&format!("{},{r},{s}\n", l + 1));
        }
        dir.write("training_curve.csv", csv.as_bytes())?;
        files.push("training_curve.csv".into());
        let n = res.activity.neuron_rates_hz.len();
        let rows = res.trained.len();
        let bins = t.box_centres_ms.len();
        let conditions = t.box_input_mean.len();
        let mut npz = NpzWriter::new();
        test::BIN_CENTRE_MS.add(&mut npz, &[bins], &t.box_centres_ms);
        test::TRAINED_NEURONS.add(&mut npz, &[rows], &indices(&res.trained));
        if !res.recorded_of_row.is_empty() {
            test::RECORDED_NEURON_OF_ROW.add(&mut npz, &[rows], &indices(&res.recorded_of_row));
        }
        let flat = |v: &[Vec<f64>]| -> Vec<f64> { v.iter().flatten().copied().collect() };
        test::INPUT_MEAN.add(&mut npz, &[conditions, bins, n], &flat(&t.box_input_mean));
        // The first record.input_trials trials of each condition (all of them enter
        // input_mean and the scores).
        let kept = exp.record_input_trials.min(exp.test_trials);
        let all: Vec<f64> = t
            .box_input_trials
            .iter()
            .flat_map(|trials| trials.iter().take(kept))
            .flatten()
            .copied()
            .collect();
        test::INPUT_TRIALS.add(&mut npz, &[conditions, kept, bins, n], &all);
        // Targets: condition × update × row (time-major like the other arrays).
        let k = res.n_updates;
        let mut targets = Vec::with_capacity(conditions * k * rows);
        for target in &res.targets {
            for u in 0..k {
                for r in 0..rows {
                    targets.push(target[r * k + u]);
                }
            }
        }
        test::TARGET.add(&mut npz, &[res.targets.len(), k, rows], &targets);
        test::PSTH_HZ.add(&mut npz, &[conditions, bins, rows], &flat(&t.psth_hz));
        if !t.recorded_rate_hz.is_empty() {
            test::RECORDED_RATE_HZ.add(
                &mut npz,
                &[conditions, bins, rows],
                &flat(&t.recorded_rate_hz),
            );
        }
        if let Some(p) = &res.pca {
            let loadings: Vec<f64> = p
                .loadings
                .iter()
                .flat_map(|(_, l)| l.iter().flatten().copied())
                .collect();
            test::PCA_LOADINGS.add(&mut npz, &[p.loadings.len(), 2, bins], &loadings);
            let evr: Vec<f64> = p
                .explained_variance_ratio
                .iter()
                .flat_map(|(_, v)| v.iter().take(5).copied())
                .collect();
            test::PCA_EXPLAINED_VARIANCE_RATIO.add(
                &mut npz,
                &[
                    p.explained_variance_ratio.len(),
                    evr.len() / p.explained_variance_ratio.len().max(1),
                ],
                &evr,
            );
            for ((_, sel), spec) in p.selectivity.iter().zip(&test::SELECTIVITY) {
                spec.add(&mut npz, &[sel.len()], sel);
            }
        }
        let w = res.plastic_weights_initial.len() / rows.max(1);
        test::PLASTIC_WEIGHTS_INITIAL.add(&mut npz, &[rows, w], &res.plastic_weights_initial);
        test::PLASTIC_WEIGHTS_FINAL.add(&mut npz, &[rows, w], &res.plastic_weights_final);
        dir.write(test::FILE.file, &npz.finish())?;
        files.push(test::FILE.file.into());
    }
    files.push("manifest.json".into());
    files.push("summary.json".into());
    Ok(files)
}

/// The values of one `.npz` member, in its declared dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// float64 values.
    F64(Vec<f64>),
    /// int64 values (indices).
    I64(Vec<i64>),
}

/// One member of an `.npz` file before it is written: its declaration, shape and values
/// (row-major). What the run directory stores and what the Python package gives are both built
/// from these, so the two share one layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The member's declaration in [`crate::outputs`].
    pub spec: &'static ArraySpec,
    /// Its dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Its values.
    pub values: Values,
}

impl Member {
    /// A float64 member.
    pub fn f64(spec: &'static ArraySpec, shape: &[usize], values: Vec<f64>) -> Self {
        let (shape, values) = (shape.to_vec(), Values::F64(values));
        Self {
            spec,
            shape,
            values,
        }
    }

    /// An int64 member.
    pub fn i64(spec: &'static ArraySpec, shape: &[usize], values: Vec<i64>) -> Self {
        let (shape, values) = (shape.to_vec(), Values::I64(values));
        Self {
            spec,
            shape,
            values,
        }
    }
}

/// Writes `members` as the `.npz` file `file` of `dir`.
pub fn write_members(dir: &RunDir, file: &str, members: &[Member]) -> Result<(), RunDirError> {
    let mut npz = NpzWriter::new();
    for m in members {
        match &m.values {
            Values::F64(v) => m.spec.add(&mut npz, &m.shape, v),
            Values::I64(v) => m.spec.add(&mut npz, &m.shape, v),
        }
    }
    dir.write(file, &npz.finish())
}

/// The members of `latent.npz`: κ and κ̂ every ms, a trained readout's target, neurons and
/// weights, and the single-index fits' R² of D = 2 grids.
pub fn latent_members(a: &spikeform::experiment::latent::LatentAnalysis) -> Vec<Member> {
    let d = a.dims;
    let per_ms = |v: &[f64]| [v.len() / d, d];
    let mut members = vec![
        Member::f64(&latent::KAPPA, &per_ms(&a.kappa_ms), a.kappa_ms.clone()),
        Member::f64(
            &latent::READOUT,
            &per_ms(&a.readout_ms),
            a.readout_ms.clone(),
        ),
    ];
    if let Some(t) = &a.readout_training {
        let n_t = t.neurons.len();
        members.extend([
            Member::f64(&latent::TARGET, &per_ms(&t.target_ms), t.target_ms.clone()),
            Member::i64(&latent::TRAINED_NEURONS, &[n_t], indices(&t.neurons)),
            Member::f64(
                &latent::WEIGHTS_INITIAL,
                &[d, n_t],
                t.weights_initial.clone(),
            ),
            Member::f64(&latent::WEIGHTS_FINAL, &[d, n_t], t.weights_final.clone()),
        ]);
    }
    if let Some(fits) = &a.single_index {
        let r2 = fits.r2.clone();
        members.push(Member::f64(&latent::SINGLE_INDEX_R2, &[r2.len()], r2));
    }
    if let Some(fits) = &a.baseline_single_index {
        let r2 = fits.r2.clone();
        members.push(Member::f64(
            &latent::BASELINE_SINGLE_INDEX_R2,
            &[r2.len()],
            r2,
        ));
    }
    members
}

/// Writes `plasticity.npz` when a plastic projection recorded its weights; says whether it did.
fn write_plasticity(dir: &RunDir, res: &SpikingRunResult) -> Result<bool, RunDirError> {
    match plasticity_members(res) {
        Some(members) => write_members(dir, plasticity::FILE.file, &members).map(|()| true),
        None => Ok(false),
    }
}

/// The members of `plasticity.npz`, or `None` when no plastic projection recorded its weights.
///
/// With R projections, T = the most recorded times and S = the most sampled synapses of any of
/// them: `time_ms`, `mean_weight` (R × T) and `sample_weight` (R × T × S) are padded with NaN,
/// `sample_pre`/`sample_post` (R × S) with -1; `final_weight` and `final_projection` list every
/// plastic synapse's final weight and its projection's index.
pub fn plasticity_members(res: &SpikingRunResult) -> Option<Vec<Member>> {
    let projections = &res.plastic_projections;
    if projections.iter().all(|p| p.record.times_ms.is_empty()) {
        return None;
    }
    let r = projections.len();
    let t = projections
        .iter()
        .map(|p| p.record.times_ms.len())
        .max()
        .unwrap_or(0);
    let s = projections
        .iter()
        .map(|p| p.record.synapses.len())
        .max()
        .unwrap_or(0);
    let (mut times, mut means) = (vec![f64::NAN; r * t], vec![f64::NAN; r * t]);
    let mut samples = vec![f64::NAN; r * t * s];
    let (mut pre, mut post) = (vec![-1i64; r * s], vec![-1i64; r * s]);
    let (mut finals, mut which) = (Vec::new(), Vec::new());
    for (k, p) in projections.iter().enumerate() {
        let rec = &p.record;
        let m = rec.synapses.len();
        for (i, (&time, &mean)) in rec.times_ms.iter().zip(&rec.means).enumerate() {
            times[k * t + i] = time;
            means[k * t + i] = mean;
            let row = &rec.samples[i * m..(i + 1) * m];
            samples[(k * t + i) * s..(k * t + i) * s + m].copy_from_slice(row);
        }
        for (i, (&a, &b)) in rec.pre.iter().zip(&rec.post).enumerate() {
            pre[k * s + i] = a as i64;
            post[k * s + i] = b as i64;
        }
        finals.extend_from_slice(&p.weights_final);
        which.extend(std::iter::repeat_n(k as i64, p.weights_final.len()));
    }
    let finals_len = finals.len();
    Some(vec![
        Member::f64(&plasticity::TIME_MS, &[r, t], times),
        Member::f64(&plasticity::MEAN_WEIGHT, &[r, t], means),
        Member::f64(&plasticity::SAMPLE_WEIGHT, &[r, t, s], samples),
        Member::i64(&plasticity::SAMPLE_PRE, &[r, s], pre),
        Member::i64(&plasticity::SAMPLE_POST, &[r, s], post),
        Member::f64(&plasticity::FINAL_WEIGHT, &[finals_len], finals),
        Member::i64(&plasticity::FINAL_PROJECTION, &[finals_len], which),
    ])
}
