//! Theory and analysis functions on arrays: the Siegert function and its inverse, balanced
//! rates, PCA of time courses and their comparison, condition selectivity. Inputs are checked
//! here so that the library's preconditions (which panic) are `ValueError`s instead.

use numpy::{
    PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikeform::analysis;
use spikeform::theory::{self, LifTransfer};

fn transfer(tau_ms: f64, threshold: f64, reset: f64, refractory_ms: f64) -> PyResult<LifTransfer> {
    let t = LifTransfer::new(tau_ms, threshold, reset, refractory_ms);
    t.validate()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(t)
}

fn same_shape(a: &[usize], b: &[usize], names: &str) -> PyResult<()> {
    if a != b {
        return Err(PyValueError::new_err(format!(
            "{names}: shapes {a:?} and {b:?} differ (broadcast them first)"
        )));
    }
    Ok(())
}

/// `f(a_i, b_i)` for every element of two arrays of one shape (`names` for the error), as an
/// array of that shape; an error of `f` is a `ValueError`.
fn elementwise<'py, E: std::fmt::Display>(
    py: Python<'py>,
    a: &PyReadonlyArrayDyn<'py, f64>,
    b: &PyReadonlyArrayDyn<'py, f64>,
    names: &str,
    f: impl Fn(f64, f64) -> Result<f64, E>,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    same_shape(a.shape(), b.shape(), names)?;
    let (a, b) = (a.as_array(), b.as_array());
    let shape = a.shape().to_vec();
    let out = a
        .iter()
        .zip(b.iter())
        .map(|(&x, &y)| f(x, y))
        .collect::<Result<Vec<f64>, _>>()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    PyArray1::from_vec(py, out).reshape(shape)
}

/// The Siegert rate ν(μ, σ) (Hz) elementwise, for arrays of one shape.
#[pyfunction]
#[pyo3(signature = (mu, sigma, tau_ms, threshold, reset, refractory_ms))]
pub fn siegert_rate<'py>(
    py: Python<'py>,
    mu: PyReadonlyArrayDyn<'py, f64>,
    sigma: PyReadonlyArrayDyn<'py, f64>,
    tau_ms: f64,
    threshold: f64,
    reset: f64,
    refractory_ms: f64,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let t = transfer(tau_ms, threshold, reset, refractory_ms)?;
    elementwise(py, &mu, &sigma, "mu, sigma", |m, s| {
        Ok::<f64, std::convert::Infallible>(t.rate_hz(m, s))
    })
}

/// The mean input μ with ν(μ, σ) = rate (Hz) elementwise; `recorded` replaces 0 Hz by 0.1 Hz
/// first, as targets from recorded rates do.
#[pyfunction]
#[pyo3(signature = (rate_hz, sigma, tau_ms, threshold, reset, refractory_ms, recorded))]
#[allow(clippy::too_many_arguments)]
pub fn siegert_inverse<'py>(
    py: Python<'py>,
    rate_hz: PyReadonlyArrayDyn<'py, f64>,
    sigma: PyReadonlyArrayDyn<'py, f64>,
    tau_ms: f64,
    threshold: f64,
    reset: f64,
    refractory_ms: f64,
    recorded: bool,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let t = transfer(tau_ms, threshold, reset, refractory_ms)?;
    elementwise(py, &rate_hz, &sigma, "rate_hz, sigma", |r, s| {
        if recorded {
            t.input_for_recorded_rate(r, s)
        } else {
            t.inverse_rate(r, s)
        }
    })
}

/// Balanced-state rates of W r + X = 0 with silenced populations: a dict of `rates`,
/// `silenced`, `unconstrained` (or None) and `net_input`.
#[pyfunction]
pub fn balanced_rates<'py>(
    py: Python<'py>,
    w: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let w = w.as_array();
    let rows: Vec<Vec<f64>> = w.rows().into_iter().map(|r| r.to_vec()).collect();
    let x = x.as_array().to_vec();
    let sol =
        theory::balanced_rates(&rows, &x).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let out = PyDict::new(py);
    out.set_item("rates", PyArray1::from_vec(py, sol.rates))?;
    out.set_item("silenced", sol.silenced)?;
    out.set_item(
        "unconstrained",
        sol.unconstrained.map(|u| PyArray1::from_vec(py, u)),
    )?;
    out.set_item("net_input", PyArray1::from_vec(py, sol.net_input))?;
    Ok(out)
}

/// Checks what `pca_time_courses` asserts.
fn check_pca(n_bins: usize, n_cols: usize, neurons: &[usize], k: usize) -> PyResult<()> {
    let bad = |m: String| Err(PyValueError::new_err(m));
    if n_bins == 0 || n_cols == 0 {
        return bad("x: needs at least one time bin and one neuron".into());
    }
    if let Some(&i) = neurons.iter().find(|&&i| i >= n_cols) {
        return bad(format!(
            "neurons: index {i} out of range for {n_cols} columns"
        ));
    }
    if neurons.len() < 2 {
        return bad(format!(
            "neurons: PCA needs at least 2 neurons, got {}",
            neurons.len()
        ));
    }
    if k == 0 || k > neurons.len().min(n_bins) {
        return bad(format!(
            "n_components: must be between 1 and min(neurons, bins) = {}, got {k}",
            neurons.len().min(n_bins)
        ));
    }
    Ok(())
}

fn pca_of(x: &PyReadonlyArray2<'_, f64>, neurons: &[usize], k: usize) -> PyResult<analysis::Pca> {
    let shape = x.shape();
    check_pca(shape[0], shape[1], neurons, k)?;
    let flat: Vec<f64> = x.as_array().iter().copied().collect();
    Ok(analysis::pca_time_courses(&flat, shape[0], neurons, k))
}

/// PCA of time courses (`x`: bins × neurons) of a group of neurons: `(loadings
/// (k × bins), explained_variance_ratio (k))`.
#[pyfunction]
pub fn pca<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    neurons: Vec<usize>,
    n_components: usize,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyArray1<f64>>)> {
    let p = pca_of(&x, &neurons, n_components)?;
    let bins = x.shape()[0];
    let loadings: Vec<f64> = p.loadings.into_iter().flatten().collect();
    let loadings = PyArray1::from_vec(py, loadings).reshape([n_components, bins])?;
    Ok((
        loadings.into_any(),
        PyArray1::from_vec(py, p.explained_variance_ratio),
    ))
}

/// |Pearson r| between the first `k` principal time courses of two groups of neurons of `x`
/// (bins × neurons).
#[pyfunction]
pub fn compare_pca<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    group_a: Vec<usize>,
    group_b: Vec<usize>,
    k: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let a = pca_of(&x, &group_a, k)?;
    let b = pca_of(&x, &group_b, k)?;
    Ok(PyArray1::from_vec(
        py,
        analysis::compare_components(&a, &b, k),
    ))
}

/// Selectivity per neuron, mean over bins of `rate_a − rate_b` (both bins × neurons).
#[pyfunction]
pub fn selectivity<'py>(
    py: Python<'py>,
    rate_a: PyReadonlyArray2<'py, f64>,
    rate_b: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    same_shape(rate_a.shape(), rate_b.shape(), "rate_a, rate_b")?;
    let (bins, n) = (rate_a.shape()[0], rate_a.shape()[1]);
    let a: Vec<f64> = rate_a.as_array().iter().copied().collect();
    let b: Vec<f64> = rate_b.as_array().iter().copied().collect();
    Ok(PyArray1::from_vec(
        py,
        analysis::selectivity(&a, &b, bins, n),
    ))
}
