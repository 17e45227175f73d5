"""Theory and analysis functions on arrays, against independent NumPy computations."""

import numpy as np
import pytest

import spikeform


def test_siegert_inverse_inverts_the_rate():
    rates = np.array([[0.5, 2.0, 10.0], [20.0, 40.0, 80.0]])
    mu = spikeform.siegert_inverse(rates, 0.309)
    assert mu.shape == rates.shape
    np.testing.assert_allclose(spikeform.siegert_rate(mu, 0.309), rates, rtol=1e-9)
    assert np.all(np.diff(mu.ravel()) > 0)  # the rate increases with the input


def test_siegert_noiseless_limit_is_the_lif_rate():
    mu = np.array([1.5, 2.0, 4.0])
    expected = 1000.0 / (10.0 * np.log(mu / (mu - 1.0)))
    np.testing.assert_allclose(spikeform.siegert_rate(mu, 0.0), expected, rtol=1e-12)
    assert spikeform.siegert_rate(0.5, 0.0) == 0.0
    assert np.isnan(spikeform.siegert_rate(1.0, -1.0))


def test_recorded_zero_rate_is_replaced():
    assert spikeform.siegert_inverse(0.0, 0.309, recorded=True) == spikeform.siegert_inverse(0.1, 0.309)


def test_balanced_rates_solve_the_linear_system():
    w = np.array([[1.0, -2.0], [2.0, -3.0]])  # from E and I onto E, then onto I
    x = np.array([1.0, 0.8])
    sol = spikeform.balanced_rates(w, x)
    np.testing.assert_allclose(sol["rates"], [1.4, 1.2], rtol=1e-12)  # W r = -X by hand
    np.testing.assert_allclose(sol["rates"], np.linalg.solve(w, -x), rtol=1e-12)
    assert sol["silenced"] == []
    np.testing.assert_allclose(sol["net_input"], 0.0, atol=1e-12)


def test_balanced_rates_silence_a_population():
    w = np.array([[1.0, -2.0], [2.0, -3.0]])
    x = np.array([-1.0, 0.8])  # the full solution -W⁻¹X = [-4.6, -2.8]
    sol = spikeform.balanced_rates(w, x)
    np.testing.assert_allclose(sol["unconstrained"], [-4.6, -2.8], rtol=1e-12)
    assert sol["silenced"] == [0]  # E, the most negative, is silenced first
    np.testing.assert_allclose(sol["rates"], [0.0, 0.8 / 3.0], rtol=1e-12)  # I alone: -3 r_I + 0.8 = 0
    assert sol["net_input"][0] < 0  # a silenced population receives net inhibition


def numpy_pca(x, neurons, k):
    d = x[:, neurons].T
    d = d - d.mean(axis=1, keepdims=True)
    d = d - d.mean(axis=0, keepdims=True)
    c = d.T @ d / (len(neurons) - 1)
    values, vectors = np.linalg.eigh(c)
    order = np.argsort(values)[::-1][:k]
    return vectors[:, order].T, values[order] / np.trace(c)


def test_pca_matches_numpy_up_to_sign():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 30))
    loadings, ratio = spikeform.pca(x, range(30), 3)
    ref_loadings, ref_ratio = numpy_pca(x, list(range(30)), 3)
    np.testing.assert_allclose(ratio, ref_ratio, rtol=1e-9)
    for a, b in zip(loadings, ref_loadings):
        np.testing.assert_allclose(abs(a @ b), 1.0, rtol=1e-9)
    assert loadings.shape == (3, 20)


def test_compare_pca():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(25, 40))
    same = spikeform.compare_pca(x, range(20), range(20), 2)
    np.testing.assert_allclose(same, 1.0, rtol=1e-12)
    other = spikeform.compare_pca(x, range(20), range(20, 40), 2)
    assert other.shape == (2,) and np.all((0 <= other) & (other <= 1))


def test_selectivity_is_the_mean_difference():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 30, size=(2, 50, 8))
    np.testing.assert_allclose(spikeform.selectivity(a, b), (a - b).mean(axis=0), rtol=1e-12)
