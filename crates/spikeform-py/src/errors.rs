//! Rust errors as the package's Python exceptions (declared in `spikeform/_errors.py`):
//! `ConfigError(ValueError)` for bad input, `SimulationStopped` for a run that stopped. Nothing
//! reaches Python as a bare `RuntimeError` or a panic.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikeform::RunError;
use spikeform_io::checkpoint::LoadTrainedError;
use spikeform_io::config::ConfigError;

/// An exception of `spikeform._errors` named `class`, built with `message` and keyword
/// attributes.
fn raise(py: Python<'_>, class: &str, message: String, attrs: &[(&str, Option<String>)]) -> PyErr {
    let make = || -> PyResult<PyErr> {
        let cls = py.import("spikeform._errors")?.getattr(class)?;
        let kwargs = PyDict::new(py);
        for (k, v) in attrs {
            kwargs.set_item(*k, v)?;
        }
        let exc = cls.call((message.clone(),), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    make().unwrap_or_else(|e| e)
}

/// The dotted key a syntax message starts with (`network.populations[0].size: ...`), if any.
fn leading_key(message: &str) -> Option<String> {
    let (head, _) = message.split_once(": ")?;
    let is_key = !head.is_empty()
        && head
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'));
    is_key.then(|| head.to_string())
}

/// A configuration error: `ConfigError` with `key` (dotted key path) and `path` (file) where
/// known.
pub fn config_error(py: Python<'_>, e: &ConfigError) -> PyErr {
    let (key, path) = match e {
        ConfigError::Invalid { key, .. } => (Some(key.clone()), None),
        ConfigError::Syntax { path, message } => {
            (leading_key(message), Some(path.display().to_string()))
        }
        ConfigError::Unreadable { path, .. } | ConfigError::Data { path, .. } => {
            (None, Some(path.display().to_string()))
        }
    };
    raise(
        py,
        "ConfigError",
        e.to_string(),
        &[("key", key), ("path", path)],
    )
}

/// A run that stopped: `SimulationStopped` with its reason (`"non-finite"`, `"runaway"`,
/// `"interrupted"`), neuron, step and phase where known. An experiment that cannot be built is
/// a `ConfigError`.
pub fn run_error(py: Python<'_>, e: &RunError) -> PyErr {
    let text = e.to_string();
    let stopped = |reason: &str, neuron: Option<usize>, step: Option<u64>, phase: &str| {
        raise(
            py,
            "SimulationStopped",
            text.clone(),
            &[
                ("reason", Some(reason.to_string())),
                ("neuron", neuron.map(|n| n.to_string())),
                ("step", step.map(|s| s.to_string())),
                ("phase", Some(phase.to_string())),
            ],
        )
    };
    match e {
        RunError::NonFinite {
            neuron,
            step,
            phase,
            ..
        } => stopped("non-finite", Some(*neuron), Some(*step), phase),
        RunError::Runaway { phase, .. } => stopped("runaway", None, None, phase),
        RunError::Interrupted { phase } => stopped("interrupted", None, None, phase),
        RunError::Invalid(message) => raise(
            py,
            "ConfigError",
            message.clone(),
            &[("key", None), ("path", None)],
        ),
    }
}

/// A trained network that could not be loaded.
pub fn load_trained_error(py: Python<'_>, e: &LoadTrainedError) -> PyErr {
    match e {
        LoadTrainedError::Input(c) => config_error(py, c),
        LoadTrainedError::Run(r) => run_error(py, r),
    }
}
