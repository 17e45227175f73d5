"""Arrays of a run own the Rust results' memory: no copy is made when they reach Python, nor
when they are read again; a loaded run's arrays are memory-mapped from its files."""

import numpy as np


def owner(a):
    """The object at the end of an array's base chain."""
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


def test_arrays_own_rust_memory(lif_run):
    for group in ("spikes", "test", "training"):
        for name, a in lif_run.arrays[group].items():
            assert not a.flags.owndata, f"{group}/{name} was copied into NumPy's own memory"
            assert type(owner(a)).__name__ == "PySliceContainer", (group, name, type(owner(a)))


def test_reading_an_array_twice_gives_the_same_memory(lif_run):
    a, b = lif_run.weights_final, lif_run.weights_final
    assert a is b and np.shares_memory(a, lif_run.arrays["test"]["plastic_weights_final"])
    neuron, time_ms = lif_run.spikes
    assert np.shares_memory(neuron, lif_run.arrays["spikes"]["neuron"])
    trains = lif_run.spike_trains()
    some = next(iter(trains))
    assert np.shares_memory(trains[some], time_ms)  # per-neuron trains are views


def test_reshaped_arrays_are_views_of_one_rust_buffer(lif_run):
    psth = lif_run.psth_hz
    assert psth.ndim == 3 and psth.flags.c_contiguous
    flat = psth.base
    assert flat.ndim == 1 and flat.size == psth.size
    assert np.shares_memory(psth, flat)
