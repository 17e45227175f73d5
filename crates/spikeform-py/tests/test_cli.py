"""Python and the command line give identical results for the same experiment and seed, and a
run directory opens in Python with its arrays and its trained network."""

import math
import warnings

import numpy as np
import pytest

import spikeform
from conftest import EXAMPLES, SHORT_BALANCED, SHORT_LIF, run_cli

TIMING_KEYS = ("timing",)


def comparable(summary):
    """summary.json without wall-clock times."""
    s = {k: v for k, v in summary.items() if k not in TIMING_KEYS}
    if s.get("training"):
        s["training"] = {k: v for k, v in s["training"].items() if k != "loop_seconds"}
    return s


def assert_same_arrays(python_run, directory_run):
    """Every array Python gives equals the run directory's, bit for bit; Python gives no array
    the directory lacks. A member the directory has and Python lacks (one added to the run
    directory but not yet to the package) is reported as a warning."""
    missing = []
    for group, members in directory_run.arrays.items():
        if group == "training":
            continue
        python_members = python_run.arrays.get(group, {})
        assert set(python_members) <= set(members), group
        for name, expected in members.items():
            if name not in python_members:
                missing.append(f"{group}/{name}")
                continue
            got = python_members[name]
            assert got.dtype == expected.dtype, (group, name)
            np.testing.assert_array_equal(got, expected, err_msg=f"{group}/{name}")
    assert python_run.arrays.get("spikes"), "the spikes group is always there"
    if missing:
        warnings.warn(f"arrays of the run directory that Python does not give: {missing}")


@pytest.mark.parametrize(
    "file, overrides",
    [("lif_sine.toml", SHORT_LIF), ("balanced_sine.toml", SHORT_BALANCED)],
    ids=["lif_sine", "balanced_sine"],
)
def test_python_and_cli_agree_to_the_last_digit(cli, tmp_path, file, overrides):
    out = run_cli(cli, EXAMPLES / file, tmp_path / "run", overrides)
    on_disk = spikeform.load(out)
    in_python = spikeform.run(EXAMPLES / file, overrides)
    assert comparable(in_python.summary) == comparable(on_disk.summary)
    assert in_python.r == on_disk.r and not math.isnan(in_python.r)
    np.testing.assert_array_equal(in_python.r_per_loop, on_disk.r_per_loop)
    assert_same_arrays(in_python, on_disk)


def test_load_memory_maps_and_tests_the_trained_network(cli, tmp_path):
    overrides = dict(SHORT_LIF, **{"record.neurons": "[1, 2]"})
    out = run_cli(cli, EXAMPLES / "lif_sine.toml", tmp_path / "run", overrides)
    run = spikeform.load(out)
    assert run.path == out and run.name == "lif_sine"
    assert isinstance(run.arrays["test"]["psth_hz"], np.memmap)
    assert isinstance(run.spikes.neuron, np.memmap)
    assert run.traces["neurons"].tolist() == [1, 2]
    net = run.trained_network()
    assert net.loops_done == 2
    np.testing.assert_array_equal(net.trained, run.trained_neurons)
    np.testing.assert_array_equal(net.plastic_weights, run.weights_final)
    again = net.test()
    assert again.summary["test"] == run.summary["test"]
    np.testing.assert_array_equal(again.psth_hz, run.psth_hz)
    more = run.trained_network(test__trials=3).test()
    assert more.summary["test"]["trials"] == 3


def test_a_trained_network_keeps_its_training(cli, tmp_path):
    out = run_cli(cli, EXAMPLES / "lif_sine.toml", tmp_path / "run", SHORT_LIF)
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.load(out).trained_network(seed=3)
    assert info.value.key == "--set" and "test.* and record.*" in str(info.value)
    with pytest.raises(spikeform.ConfigError):
        spikeform.load(tmp_path / "nothing here")
