//! A run's results as NumPy arrays, grouped and named as the run directory's `.npz` files and
//! members are (`spikes`, `traces`, `test`, `test_traces`, `plasticity`, `latent`, `perturbation`; names
//! from `spikeform_io::outputs`),
//! so a run in memory and a run directory opened with `spikeform.load` read alike.
//!
//! No copy where the library already holds the array as one flat `Vec` (weights, rates, PSTHs,
//! box inputs): the `Vec` moves into the NumPy array, which then owns the Rust allocation
//! (`PyArray::from_vec`; the array's `base` is the Rust container). Nested vectors are flattened
//! once, into a new `Vec` that moves the same way.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use spikeform::experiment::rate::{RateExperiment, RateRunResult};
use spikeform::experiment::spiking::{SpikingExperiment, SpikingRunResult};
use spikeform_io::artifacts::{Member, Values};
use spikeform_io::outputs::{spikes, test, test_traces, traces, ArraySpec};

/// `data` as an array of `shape`, owning `data`'s memory.
fn array<'py, T: numpy::Element>(
    py: Python<'py>,
    data: Vec<T>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    let flat = PyArray1::from_vec(py, data);
    if shape.len() == 1 {
        return Ok(flat.into_any());
    }
    Ok(flat.reshape(shape.to_vec())?.into_any())
}

/// A group of named arrays (one `.npz` file of the run directory).
struct Group<'py> {
    py: Python<'py>,
    dict: Bound<'py, PyDict>,
}

impl<'py> Group<'py> {
    fn new(py: Python<'py>) -> Self {
        Self {
            py,
            dict: PyDict::new(py),
        }
    }

    fn f64(&self, spec: &ArraySpec, data: Vec<f64>, shape: &[usize]) -> PyResult<()> {
        self.dict.set_item(spec.name, array(self.py, data, shape)?)
    }

    fn i64(&self, spec: &ArraySpec, data: &[usize], shape: &[usize]) -> PyResult<()> {
        let data: Vec<i64> = data.iter().map(|&i| i as i64).collect();
        self.dict.set_item(spec.name, array(self.py, data, shape)?)
    }
}

fn flatten(v: Vec<Vec<f64>>) -> Vec<f64> {
    v.into_iter().flatten().collect()
}

fn spike_tuple<'py>(py: Python<'py>, spikes: &[Vec<f64>]) -> PyResult<Bound<'py, PyAny>> {
    let (neuron, time) = spikeform_io::artifacts::spike_arrays(spikes);
    let n = neuron.len();
    let pair = (array(py, neuron, &[n])?, array(py, time, &[n])?);
    Ok(pair.into_pyobject(py)?.into_any())
}

/// A group built by `spikeform_io::artifacts` for its `.npz` file (same members, same layout).
fn members_group(py: Python<'_>, members: Vec<Member>) -> PyResult<Bound<'_, PyDict>> {
    let dict = PyDict::new(py);
    for m in members {
        let value = match m.values {
            Values::F64(v) => array(py, v, &m.shape)?,
            Values::I64(v) => array(py, v, &m.shape)?,
        };
        dict.set_item(m.spec.name, value)?;
    }
    Ok(dict)
}

/// The arrays of a spiking run: `{"spikes": {...}, "traces": {...}, "test": {...},
/// "plasticity": {...}, "latent": {...}, "perturbation": {...}, "training": {...},
/// "spikes_by_condition": [(neuron, time_ms), ...]}`, the last for the test's conditions after
/// the first.
pub fn spiking<'py>(
    py: Python<'py>,
    exp: &SpikingExperiment,
    mut res: SpikingRunResult,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    // Condition 0 is `spikes`' (neuron, time_ms); the others follow.
    let by_condition = PyList::empty(py);
    if let Some(t) = &res.test {
        for s in t.spikes.iter().skip(1) {
            by_condition.append(spike_tuple(py, &s[..])?)?;
        }
    }
    out.set_item("spikes", spikes_group(py, &mut res)?.dict)?;
    if let Some(members) = spikeform_io::artifacts::plasticity_members(&res) {
        out.set_item("plasticity", members_group(py, members)?)?;
    }
    if let Some(l) = &res.latent {
        let members = spikeform_io::artifacts::latent_members(l);
        out.set_item("latent", members_group(py, members)?)?;
    }
    if let Some(p) = &res.perturbation {
        let members = spikeform_io::perturbation_summary::npz_members(p);
        out.set_item("perturbation", members_group(py, members)?)?;
    }
    if let Some(tr) = res.traces.take().filter(|t| !t.neurons.is_empty()) {
        let g = Group::new(py);
        let k = tr.neurons.len();
        let samples = tr.time_ms.len();
        // `values[(sample · quantities + q) · k + neuron]`.
        let quantities = traces::QUANTITIES.len();
        for (q, spec) in traces::QUANTITIES.iter().enumerate() {
            let data: Vec<f64> = (0..samples)
                .flat_map(|s| {
                    let at = (s * quantities + q) * k;
                    tr.values[at..at + k].iter().copied()
                })
                .collect();
            g.f64(spec, data, &[samples, k])?;
        }
        g.i64(&traces::NEURONS, &tr.neurons, &[k])?;
        g.f64(&traces::TIME_MS, tr.time_ms, &[samples])?;
        out.set_item("traces", g.dict)?;
    }
    if exp.training.is_some() && res.test.is_some() {
        out.set_item("test", test_group(py, exp, &mut res)?.dict)?;
        let training = PyDict::new(py);
        let loops = res.r_per_loop.len();
        let r: Vec<f64> = res
            .r_per_loop
            .iter()
            .map(|r| r.unwrap_or(f64::NAN))
            .collect();
        training.set_item("r_per_loop", array(py, r, &[loops])?)?;
        let seconds = std::mem::take(&mut res.loop_seconds);
        training.set_item("loop_seconds", array(py, seconds, &[loops])?)?;
        out.set_item("training", training)?;
    }
    out.set_item("spikes_by_condition", by_condition)?;
    Ok(out)
}

/// `spikes.npz`'s members: spikes of the final phase's first trial (condition 0), rates,
/// populations, input time courses.
fn spikes_group<'py>(py: Python<'py>, res: &mut SpikingRunResult) -> PyResult<Group<'py>> {
    let g = Group::new(py);
    let first = match &res.test {
        Some(t) => &t.spikes[0],
        None => &res.spikes,
    };
    let (neuron, time) = spikeform_io::artifacts::spike_arrays(first);
    let count = neuron.len();
    g.dict
        .set_item(spikes::NEURON.name, array(py, neuron, &[count])?)?;
    g.f64(&spikes::TIME_MS, time, &[count])?;
    let pop_rate = std::mem::take(&mut res.activity.population_rate_hz);
    if let Some(bins) = pop_rate.first().map(Vec::len) {
        let pops = pop_rate.len();
        g.f64(
            &spikes::POPULATION_RATE_HZ,
            flatten(pop_rate),
            &[pops, bins],
        )?;
    }
    let n = res.activity.neuron_rates_hz.len();
    let rates = std::mem::take(&mut res.activity.neuron_rates_hz);
    g.f64(&spikes::NEURON_RATE_HZ, rates, &[n])?;
    if let Some(initial) = res.initial.as_mut() {
        let rates = std::mem::take(&mut initial.neuron_rates_hz);
        g.f64(&spikes::INITIAL_NEURON_RATE_HZ, rates, &[n])?;
    }
    g.i64(&spikes::POPULATION_OF, &res.population_of, &[n])?;
    let tc = std::mem::take(&mut res.activity.input_timecourse);
    if let Some(samples) = tc.first().map(|p| p[0].len()) {
        let pops = tc.len();
        let flat: Vec<f64> = tc
            .into_iter()
            .flat_map(|p| p.into_iter().flatten())
            .collect();
        g.f64(&spikes::INPUT_TIMECOURSE, flat, &[pops, 4, samples])?;
    }
    Ok(g)
}

/// `test.npz`'s members: box inputs, targets, PSTHs, PCA, selectivity, plastic weights.
fn test_group<'py>(
    py: Python<'py>,
    exp: &SpikingExperiment,
    res: &mut SpikingRunResult,
) -> PyResult<Group<'py>> {
    let g = Group::new(py);
    let t = res.test.as_mut().expect("trained runs are tested");
    let n = res.population_of.len();
    let rows = res.trained.len();
    let bins = t.box_centres_ms.len();
    let conditions = t.box_input_mean.len();
    g.f64(
        &test::BIN_CENTRE_MS,
        std::mem::take(&mut t.box_centres_ms),
        &[bins],
    )?;
    g.i64(&test::TRAINED_NEURONS, &res.trained, &[rows])?;
    if !res.recorded_of_row.is_empty() {
        g.i64(&test::RECORDED_NEURON_OF_ROW, &res.recorded_of_row, &[rows])?;
    }
    let input_mean = flatten(std::mem::take(&mut t.box_input_mean));
    g.f64(&test::INPUT_MEAN, input_mean, &[conditions, bins, n])?;
    let kept = exp.record_input_trials.min(exp.test_trials);
    let trials: Vec<f64> = std::mem::take(&mut t.box_input_trials)
        .into_iter()
        .flat_map(|trials| trials.into_iter().take(kept))
        .flatten()
        .collect();
    g.f64(&test::INPUT_TRIALS, trials, &[conditions, kept, bins, n])?;
    // Targets: condition × update × row, time-major like the other arrays.
    let k = res.n_updates;
    let mut targets = Vec::with_capacity(res.targets.len() * k * rows);
    for target in &res.targets {
        for u in 0..k {
            targets.extend((0..rows).map(|r| target[r * k + u]));
        }
    }
    g.f64(&test::TARGET, targets, &[res.targets.len(), k, rows])?;
    let psth = flatten(std::mem::take(&mut t.psth_hz));
    g.f64(&test::PSTH_HZ, psth, &[conditions, bins, rows])?;
    if !t.recorded_rate_hz.is_empty() {
        let recorded = flatten(std::mem::take(&mut t.recorded_rate_hz));
        g.f64(&test::RECORDED_RATE_HZ, recorded, &[conditions, bins, rows])?;
    }
    if let Some(p) = res.pca.take() {
        let groups = p.loadings.len();
        let loadings: Vec<f64> = p
            .loadings
            .into_iter()
            .flat_map(|(_, l)| l.into_iter().flatten())
            .collect();
        g.f64(&test::PCA_LOADINGS, loadings, &[groups, 2, bins])?;
        let evr_groups = p.explained_variance_ratio.len();
        let evr: Vec<f64> = p
            .explained_variance_ratio
            .into_iter()
            .flat_map(|(_, v)| v.into_iter().take(5))
            .collect();
        let per_group = evr.len() / evr_groups.max(1);
        g.f64(
            &test::PCA_EXPLAINED_VARIANCE_RATIO,
            evr,
            &[evr_groups, per_group],
        )?;
        for ((_, sel), spec) in p.selectivity.into_iter().zip(&test::SELECTIVITY) {
            let len = sel.len();
            g.f64(spec, sel, &[len])?;
        }
    }
    let w = res.plastic_weights_initial.len() / rows.max(1);
    let initial = std::mem::take(&mut res.plastic_weights_initial);
    g.f64(&test::PLASTIC_WEIGHTS_INITIAL, initial, &[rows, w])?;
    let last = std::mem::take(&mut res.plastic_weights_final);
    g.f64(&test::PLASTIC_WEIGHTS_FINAL, last, &[rows, w])?;
    Ok(g)
}

/// The arrays of a rate-network run: `{"test_traces": {...}, "training": {...}}`.
pub fn rate<'py>(
    py: Python<'py>,
    exp: &RateExperiment,
    res: RateRunResult,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let g = Group::new(py);
    let n_time = res.time_ms.len();
    let m = res.trained.len();
    g.f64(&test_traces::TIME_MS, res.time_ms, &[n_time])?;
    g.i64(&test_traces::TRAINED_UNITS, &res.trained, &[m])?;
    let trials = exp.test_trials;
    let quantity = res.test_trained_quantity;
    g.f64(
        &test_traces::TRAINED_QUANTITY,
        quantity,
        &[trials, n_time, m],
    )?;
    g.f64(&test_traces::TARGET, res.target, &[n_time, m])?;
    let units = exp.n_units;
    g.f64(
        &test_traces::RATES,
        res.test_rates,
        &[trials, n_time, units],
    )?;
    g.f64(&test_traces::WEIGHTS, res.weights, &[units, units])?;
    out.set_item("test_traces", g.dict)?;
    let training = PyDict::new(py);
    let loops = res.r_per_loop.len();
    training.set_item("r_per_loop", array(py, res.r_per_loop, &[loops])?)?;
    let reference = res.r_reference_window_per_loop;
    training.set_item(
        "r_reference_window_per_loop",
        array(py, reference, &[loops])?,
    )?;
    training.set_item("loop_seconds", array(py, res.loop_seconds, &[loops])?)?;
    out.set_item("training", training)?;
    Ok(out)
}
