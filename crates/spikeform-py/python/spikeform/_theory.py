"""Mean-field theory and analysis on arrays: the Siegert transfer function and its inverse,
balanced-state rates, PCA of time courses, condition selectivity.

Units: rates in Hz, times in ms; μ, σ, threshold and reset share one unit (dimensionless in the
tutorial's network, where the threshold is 1; mV in Brunel's model)."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import numpy as np

from . import _core


def _f64(x: Any) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def siegert_rate(
    mu: Any,
    sigma: Any,
    *,
    tau_ms: float = 10.0,
    threshold: float = 1.0,
    reset: float = 0.0,
    refractory_ms: float = 0.0,
) -> np.ndarray:
    """Stationary rate (Hz) of a leaky integrate-and-fire neuron under white-noise input, the
    Siegert function

        1/ν = τ_rp + τ √π ∫_{(V_r−μ)/σ}^{(θ−μ)/σ} e^{u²} (1 + erf u) du,

    elementwise over ``mu`` and ``sigma`` (broadcast). Defaults: the tutorial's neuron (τ = 10 ms,
    θ = 1, V_r = 0, no refractory period). NaN where σ < 0 or an argument is NaN.
    """
    mu, sigma = np.broadcast_arrays(_f64(mu), _f64(sigma))
    out = _core.siegert_rate(_f64(mu), _f64(sigma), tau_ms, threshold, reset, refractory_ms)
    return out if out.ndim else out[()]


def siegert_inverse(
    rate_hz: Any,
    sigma: Any,
    *,
    tau_ms: float = 10.0,
    threshold: float = 1.0,
    reset: float = 0.0,
    refractory_ms: float = 0.0,
    recorded: bool = False,
) -> np.ndarray:
    """The mean input μ whose Siegert rate ν(μ, σ) equals ``rate_hz`` (Hz), elementwise.

    With ``recorded=True`` a rate of 0 Hz is first replaced by 0.1 Hz, as when recorded rates
    become target inputs (σ = 0.309 in the tutorial).

    Raises:
        ValueError: σ ≤ 0, a rate ≤ 0 (unless ``recorded``), NaN, or not below 1000/τ_rp.
    """
    rate_hz, sigma = np.broadcast_arrays(_f64(rate_hz), _f64(sigma))
    out = _core.siegert_inverse(
        _f64(rate_hz), _f64(sigma), tau_ms, threshold, reset, refractory_ms, recorded
    )
    return out if out.ndim else out[()]


def balanced_rates(w: Any, x: Any) -> Dict[str, Any]:
    """Rates of the balanced state, W r + X = 0, for any number of populations; a population
    whose rate would be negative is silenced (rate 0) and the rest solved again (semi-balanced
    state).

    Args:
        w: couplings, ``w[a][b]`` from population b onto population a (negative for inhibitory
            b), in the units of X per unit rate.
        x: external drives.

    Returns:
        ``{"rates": array, "silenced": [indices], "unconstrained": array or None,
        "net_input": array}``. Rates come out in the unit W·r is written in: spikes/ms for
        the tutorial's network (unit-area kernels, times in ms; × 1000 for Hz), Hz when X is
        W_x·r_x with r_x in Hz (Akil et al.). ``net_input`` is W r + X (≤ 0 where silenced).
    """
    return _core.balanced_rates(_f64(np.atleast_2d(w)), _f64(np.atleast_1d(x)))


def pca(x: Any, neurons: Sequence[int], n_components: int = 2):
    """PCA of the time courses of ``neurons`` (columns of ``x``, bins × neurons), neurons as
    samples and bins as features (scikit-learn's convention).

    Returns:
        ``(loadings, explained_variance_ratio)``: ``n_components`` × bins unit-norm time courses,
        largest entry positive, and their fractions of the variance.
    """
    return _core.pca(_f64(x), [int(i) for i in neurons], int(n_components))


def compare_pca(x: Any, group_a: Sequence[int], group_b: Sequence[int], k: int = 2) -> np.ndarray:
    """|Pearson r| between the first ``k`` principal time courses of two groups of neurons of
    ``x`` (bins × neurons): how alike the two groups' dominant dynamics are (the tutorial's
    trained E vs untrained I comparison)."""
    return _core.compare_pca(
        _f64(x), [int(i) for i in group_a], [int(i) for i in group_b], int(k)
    )


def selectivity(rate_a: Any, rate_b: Any) -> np.ndarray:
    """Condition selectivity of every neuron, sel_j = mean_t (rate_a[t, j] − rate_b[t, j]),
    for two bins × neurons arrays (PSTHs in Hz, or any per-bin activity)."""
    return _core.selectivity(_f64(rate_a), _f64(rate_b))
