//! `spikeform._core.Experiment`: an experiment file, TOML text or dict, validated by
//! `spikeform_io::config` (the CLI's rules and messages), and its run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use spikeform::experiment::spiking::{self, SpikingExperiment, SpikingRunResult, TrainedNetwork};
use spikeform::network::Sign;
use spikeform::RunError;
use spikeform_io::config::{self, ConfigError, Experiment, LoadedExperiment};
use spikeform_io::summary::{self, Summary};

use crate::errors::{config_error, run_error};
use crate::observer::PyObserver;
use crate::results;

/// A Python value as a TOML value: bool, int, float, str, list/tuple, dict (string keys), or
/// anything with `__float__` (NumPy scalars).
pub fn to_toml(key: &str, value: &Bound<'_, PyAny>) -> Result<toml::Value, ConfigError> {
    let bad = |what: &str| ConfigError::invalid(key, what.to_string());
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(
            value.extract().map_err(|_| bad("not a bool"))?,
        ));
    }
    if value.is_instance_of::<PyInt>() {
        let v: i64 = value
            .extract()
            .map_err(|_| bad("integer out of the range of a 64-bit integer"))?;
        return Ok(toml::Value::Integer(v));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(
            value.extract().map_err(|_| bad("not a float"))?,
        ));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_string()));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (k, v) in d.iter() {
            let k: String = k
                .extract()
                .map_err(|_| bad("dictionary keys must be strings"))?;
            let path = if key.is_empty() {
                k.clone()
            } else {
                format!("{key}.{k}")
            };
            table.insert(k, to_toml(&path, &v)?);
        }
        return Ok(toml::Value::Table(table));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()
            .map_err(|_| bad("not iterable"))?
            .enumerate()
            .map(|(i, v)| {
                let v = v.map_err(|_| bad("not iterable"))?;
                to_toml(&format!("{key}[{i}]"), &v)
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(toml::Value::Array(items));
    }
    if let Ok(i) = value
        .call_method0("__index__")
        .and_then(|i| i.extract::<i64>())
    {
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(f) = value
        .call_method0("__float__")
        .and_then(|f| f.extract::<f64>())
    {
        return Ok(toml::Value::Float(f));
    }
    let type_name = value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    Err(bad(&format!(
        "a {type_name} cannot be written in an experiment file (use a number, bool, string, \
         list or dict)"
    )))
}

/// Overrides (`{"training.loops": 5}`) as the CLI's `KEY=VALUE` assignments.
fn assignments(overrides: Option<&Bound<'_, PyDict>>) -> Result<Vec<String>, ConfigError> {
    let Some(d) = overrides else {
        return Ok(Vec::new());
    };
    d.iter()
        .map(|(k, v)| {
            let k: String = k
                .extract()
                .map_err(|_| ConfigError::invalid("overrides", "keys must be strings"))?;
            Ok(format!("{k}={}", to_toml(&k, &v)?))
        })
        .collect()
}

/// Recorded-rate targets given as arrays: written as `.npy` files named `targets[c].npy` into a
/// temporary directory that data paths then resolve against, so that the CLI's checks and
/// messages apply to them unchanged (`targets[1].npy: has 3 bins but ...`).
fn recorded_targets(
    text: &mut toml::Table,
    targets: &[PyReadonlyArray2<'_, f64>],
    dir: &Path,
) -> Result<(), ConfigError> {
    let mut files = Vec::new();
    for (c, t) in targets.iter().enumerate() {
        let name = format!("targets[{c}].npy");
        let shape = t.shape();
        let data: Vec<f64> = t.as_array().iter().copied().collect();
        spikeform_io::npy::write_npy_f64(dir.join(&name), &[shape[0], shape[1]], &data).map_err(
            |e| ConfigError::Data {
                path: name.clone().into(),
                problem: e.to_string(),
            },
        )?;
        files.push(toml::Value::String(name));
    }
    // Bins are one learning step wide unless the experiment says otherwise.
    let every = text
        .get("training")
        .and_then(|t| t.get("learn_every_ms"))
        .cloned();
    let target = text
        .entry("target")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(target) = target else {
        return Err(ConfigError::invalid("target", "is a value, not a section"));
    };
    for sine_key in ["amplitude", "period_ms", "offset"] {
        target.remove(sine_key);
    }
    target.insert("kind".into(), toml::Value::String("recorded".into()));
    target.insert("files".into(), toml::Value::Array(files));
    if let Some(every) = every {
        target.entry("bin_ms").or_insert(every);
    }
    Ok(())
}

/// A validated experiment.
#[pyclass(module = "spikeform._core", frozen)]
pub struct CoreExperiment {
    pub(crate) loaded: LoadedExperiment,
}

/// Where the text of an experiment comes from.
enum Source {
    File(PathBuf),
    Text(String),
    Table(toml::Table),
}

fn load(
    source: Source,
    overrides: &[String],
    targets: &[PyReadonlyArray2<'_, f64>],
) -> Result<LoadedExperiment, ConfigError> {
    let cwd = std::env::current_dir().map_err(|e| ConfigError::Unreadable {
        path: ".".into(),
        reason: e.to_string(),
    })?;
    if targets.is_empty() {
        return match source {
            Source::File(p) => config::load(&p, overrides, &cwd),
            Source::Text(t) => config::load_str(&t, Path::new("<string>"), overrides, &cwd),
            Source::Table(t) => {
                let text = toml::to_string(&t).map_err(|e| ConfigError::Syntax {
                    path: "<dict>".into(),
                    message: e.to_string(),
                })?;
                config::load_str(&text, Path::new("<dict>"), overrides, &cwd)
            }
        };
    }
    let (origin, text) = match source {
        Source::File(p) => {
            let text = std::fs::read_to_string(&p).map_err(|e| ConfigError::Unreadable {
                path: p.clone(),
                reason: e.to_string(),
            })?;
            (p, text)
        }
        Source::Text(t) => (PathBuf::from("<string>"), t),
        Source::Table(t) => (
            PathBuf::from("<dict>"),
            toml::to_string(&t).unwrap_or_default(),
        ),
    };
    // Parse once here to put the targets in; the syntax errors are the loader's.
    let Ok(mut table) = text.parse::<toml::Table>() else {
        return config::load_str(&text, &origin, overrides, &cwd);
    };
    let dir = tempfile::tempdir().map_err(|e| ConfigError::Unreadable {
        path: std::env::temp_dir(),
        reason: e.to_string(),
    })?;
    recorded_targets(&mut table, targets, dir.path())?;
    let text = toml::to_string(&table).map_err(|e| ConfigError::Syntax {
        path: origin.clone(),
        message: e.to_string(),
    })?;
    config::load_str(&text, &origin, overrides, dir.path())
}

/// A run's outcome before it becomes Python objects.
pub enum Outcome {
    Rate(Box<spikeform::experiment::rate::RateRunResult>),
    Spiking(Box<SpikingRunResult>),
}

/// Runs `f` on a pool of `threads` workers (the global pool when `None`).
fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(pyo3::exceptions::PyValueError::new_err(
            "threads: must be at least 1, got 0",
        )),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
            Ok(pool.install(f))
        }
    }
}

/// Runs `work` without the GIL, observed by `progress`; a signal or a callback exception
/// raised during the run is raised again here, before the run's own outcome.
pub fn run_detached<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    threads: Option<usize>,
    work: impl FnOnce(&mut PyObserver) -> Result<T, RunError> + Send,
) -> PyResult<T> {
    let mut observer = PyObserver::new(progress);
    let outcome = py.detach(|| with_threads(threads, || work(&mut observer)))?;
    if let Some(e) = observer.error.take() {
        return Err(e);
    }
    outcome.map_err(|e| run_error(py, &e))
}

/// The summary and arrays of a finished run.
pub fn finish<'py>(
    py: Python<'py>,
    experiment: &Experiment,
    outcome: Outcome,
    seconds: f64,
) -> PyResult<(Summary, Bound<'py, PyDict>)> {
    match (experiment, outcome) {
        (Experiment::Rate(exp), Outcome::Rate(res)) => {
            let s = summary::rate(exp, &res, seconds);
            Ok((s, results::rate(py, exp, *res)?))
        }
        (Experiment::Spiking(exp), Outcome::Spiking(res)) => {
            let theory = spikeform_io::theory::for_experiment(exp, &res);
            let s = summary::spiking(exp, &res, theory, seconds);
            Ok((s, results::spiking(py, exp, *res)?))
        }
        _ => unreachable!("a run's outcome is of its experiment's kind"),
    }
}

fn summary_json(s: &Summary) -> String {
    serde_json::to_string(&s.to_value()).expect("a summary serialises")
}

fn spiking_of(loaded: &LoadedExperiment) -> Option<&SpikingExperiment> {
    match &loaded.experiment {
        Experiment::Spiking(e) => Some(e),
        Experiment::Rate(_) => None,
    }
}

#[pymethods]
impl CoreExperiment {
    /// source: a path (`os.PathLike` or `str` without a newline or `=`), TOML text, or a dict;
    /// overrides: `{"dotted.key": value}`; targets: recorded rates (Hz), one 2-d array
    /// (neurons × bins) per condition.
    #[new]
    #[pyo3(signature = (source, overrides=None, targets=None))]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        overrides: Option<&Bound<'_, PyDict>>,
        targets: Option<Vec<PyReadonlyArray2<'_, f64>>>,
    ) -> PyResult<Self> {
        let source = if let Ok(d) = source.cast::<PyDict>() {
            match to_toml("", d.as_any()) {
                Ok(toml::Value::Table(t)) => Source::Table(t),
                Ok(_) => unreachable!("a dict is a table"),
                Err(e) => return Err(config_error(py, &e)),
            }
        } else if let Ok(s) = source.cast::<PyString>() {
            let s = s.to_string();
            if s.contains('\n') || s.contains('=') {
                Source::Text(s)
            } else {
                Source::File(PathBuf::from(s))
            }
        } else {
            let path: PathBuf = source.extract()?;
            Source::File(path)
        };
        let overrides = assignments(overrides).map_err(|e| config_error(py, &e))?;
        let targets = targets.unwrap_or_default();
        let loaded = load(source, &overrides, &targets).map_err(|e| config_error(py, &e))?;
        Ok(Self { loaded })
    }

    /// The experiment's name.
    #[getter]
    fn name(&self) -> &str {
        self.loaded.experiment.name()
    }

    /// The seed of every random stream.
    #[getter]
    fn seed(&self) -> u64 {
        self.loaded.experiment.seed()
    }

    /// `"rate"` or `"spiking"`.
    #[getter]
    fn kind(&self) -> &str {
        match self.loaded.experiment {
            Experiment::Rate(_) => "rate",
            Experiment::Spiking(_) => "spiking",
        }
    }

    /// Whether a spiking experiment trains (has a `[training]` section).
    #[getter]
    fn trains(&self) -> bool {
        match &self.loaded.experiment {
            Experiment::Rate(_) => true,
            Experiment::Spiking(e) => e.training.is_some(),
        }
    }

    /// Simulation time step (ms).
    #[getter]
    fn dt_ms(&self) -> f64 {
        match &self.loaded.experiment {
            Experiment::Rate(e) => e.dt_ms,
            Experiment::Spiking(e) => e.dt_ms,
        }
    }

    /// Population names and sizes of a spiking network (empty for a rate network).
    #[getter]
    fn populations(&self) -> Vec<(String, usize, bool)> {
        spiking_of(&self.loaded).map_or_else(Vec::new, |e| {
            e.network
                .populations
                .iter()
                .map(|p| (p.name.clone(), p.size, p.sign == Sign::Excitatory))
                .collect()
        })
    }

    /// The normalized experiment file: every key, defaults filled in, overrides applied.
    fn to_toml(&self) -> String {
        self.loaded.normalized_toml()
    }

    /// Runs the whole experiment; returns `(summary_json, arrays)`.
    #[pyo3(signature = (progress=None, threads=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        progress: Option<Py<PyAny>>,
        threads: Option<usize>,
    ) -> PyResult<(String, Bound<'py, PyDict>)> {
        let started = Instant::now();
        let experiment = &self.loaded.experiment;
        let outcome = run_detached(py, progress, threads, |observer| match experiment {
            Experiment::Rate(exp) => {
                spikeform::experiment::rate::run(exp, observer).map(|r| Outcome::Rate(Box::new(r)))
            }
            Experiment::Spiking(exp) => {
                spiking::run(exp, observer).map(|r| Outcome::Spiking(Box::new(r)))
            }
        })?;
        let (s, arrays) = finish(py, experiment, outcome, started.elapsed().as_secs_f64())?;
        Ok((summary_json(&s), arrays))
    }
}

/// A trained network loaded from a run directory, to test again.
#[pyclass(module = "spikeform._core", frozen)]
pub struct CoreTrained {
    loaded: LoadedExperiment,
    network: TrainedNetwork,
}

#[pymethods]
impl CoreTrained {
    /// Loads the trained network of `run_dir` (its `experiment.toml` and `checkpoint.npz`);
    /// `overrides` may change `test.*` and `record.*` keys only.
    #[new]
    #[pyo3(signature = (run_dir, overrides=None))]
    fn new(
        py: Python<'_>,
        run_dir: PathBuf,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let overrides = assignments(overrides).map_err(|e| config_error(py, &e))?;
        let cwd = std::env::current_dir()?;
        let mut observer = PyObserver::new(None);
        let loaded =
            py.detach(|| spikeform_io::load_trained(&run_dir, &overrides, &cwd, &mut observer));
        let loaded = loaded.map_err(|e| crate::errors::load_trained_error(py, &e))?;
        Ok(Self {
            loaded: loaded.experiment,
            network: loaded.network,
        })
    }

    /// The trained neurons (model indices), row order.
    #[getter]
    fn trained<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<i64>> {
        let v: Vec<i64> = self.network.trained().iter().map(|&i| i as i64).collect();
        numpy::PyArray1::from_vec(py, v)
    }

    /// The trained plastic weights, `rows × inputs` (flattened recurrent weights by row).
    #[getter]
    fn plastic_weights<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<f64>> {
        numpy::PyArray1::from_slice(py, self.network.network.plastic.weights())
    }

    /// Loops the network was trained for.
    #[getter]
    fn loops_done(&self) -> usize {
        self.network.history.loops_done()
    }

    /// The normalized experiment it was trained by (overrides applied).
    fn to_toml(&self) -> String {
        self.loaded.normalized_toml()
    }

    /// Tests a copy of the network as the end of its run did; returns `(summary_json, arrays)`.
    #[pyo3(signature = (progress=None, threads=None))]
    fn test<'py>(
        &self,
        py: Python<'py>,
        progress: Option<Py<PyAny>>,
        threads: Option<usize>,
    ) -> PyResult<(String, Bound<'py, PyDict>)> {
        let started = Instant::now();
        let exp = spiking_of(&self.loaded).expect("trained networks are spiking");
        let network = self.network.clone();
        let loops = network.history.loops_done();
        let res = run_detached(py, progress, threads, |observer| {
            spiking::test_trained(exp, network, observer)
        })?;
        let (mut s, arrays) = finish(
            py,
            &self.loaded.experiment,
            Outcome::Spiking(Box::new(res)),
            started.elapsed().as_secs_f64(),
        )?;
        if let Summary::Spiking(spiking) = &mut s {
            if let Some(t) = &mut spiking.training {
                t.resumed_after_loop = Some(loops);
            }
        }
        Ok((summary_json(&s), arrays))
    }
}
