//! Python bindings of spikeform: the extension module `spikeform._core`, wrapped by the pure
//! Python package `spikeform` (`python/spikeform/`), which gives it its Python face (the `Run`
//! class, `load`, `to_nwb`, docstrings and type stubs).
//!
//! Built by maturin (`pip install ./crates/spikeform-py`), which tells PyO3 to build an
//! extension module; the crate is a workspace member outside the default members, so
//! `cargo build` needs no Python.
#![deny(missing_docs)]

mod errors;
mod experiment;
mod observer;
mod results;
mod theory;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<experiment::CoreExperiment>()?;
    m.add_class::<experiment::CoreTrained>()?;
    m.add_function(wrap_pyfunction!(theory::siegert_rate, m)?)?;
    m.add_function(wrap_pyfunction!(theory::siegert_inverse, m)?)?;
    m.add_function(wrap_pyfunction!(theory::balanced_rates, m)?)?;
    m.add_function(wrap_pyfunction!(theory::pca, m)?)?;
    m.add_function(wrap_pyfunction!(theory::compare_pca, m)?)?;
    m.add_function(wrap_pyfunction!(theory::selectivity, m)?)?;
    m.add_function(wrap_pyfunction!(toml_to_json, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// TOML text (an experiment file) as JSON text, for reading a run directory's experiment on
/// any Python version (`tomllib` needs 3.11).
#[pyfunction]
fn toml_to_json(text: &str) -> PyResult<String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(serde_json::to_string(&table).expect("TOML tables serialise as JSON"))
}
