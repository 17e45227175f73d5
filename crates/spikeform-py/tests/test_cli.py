"""Python and the command line give identical results for the same experiment and seed, and a
run directory opens in Python with its arrays and its trained network."""

import math

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
    if s.get("perturbation"):
        s["perturbation"] = {k: v for k, v in s["perturbation"].items() if k != "sweep_seconds"}
    return s


def assert_same_arrays(python_run, directory_run):
    """Python gives exactly the run directory's groups and members (all `.npz` files but the
    checkpoint), each equal bit for bit (NaN padding included) with the same dtype and shape."""
    python_groups = {g for g in python_run.arrays if g != "training"}
    assert python_groups == set(directory_run.arrays) - {"training"}
    for group, members in directory_run.arrays.items():
        if group == "training":
            continue
        python_members = python_run.arrays[group]
        assert set(python_members) == set(members), group
        for name, expected in members.items():
            got = python_members[name]
            assert got.dtype == expected.dtype, (group, name)
            assert got.shape == expected.shape, (group, name)
            assert got.tobytes() == expected.tobytes(), f"{group}/{name}"
    assert python_run.arrays.get("spikes"), "the spikes group is always there"


#: plastic_istdp shortened: 2 s, rates over the last 1 s (records plasticity.npz).
SHORT_PLASTIC = {"duration_ms": 2000.0, "test.burn_in_ms": 1000.0}
#: opto_subset shortened: 1.5 s, perturbation on from 0.7 s (writes perturbation.npz).
SHORT_OPTO = {
    "duration_ms": 1500.0,
    "test.burn_in_ms": 200.0,
    "perturbation.amplitudes": [0.0, 1.0],
    "perturbation.start_ms": 700.0,
    "perturbation.end_ms": 1500.0,
    "perturbation.onset_ms": 100.0,
    "perturbation.baseline_ms": [200.0, 700.0],
}


@pytest.mark.parametrize(
    "file, overrides",
    [
        ("lif_sine.toml", SHORT_LIF),
        ("balanced_sine.toml", SHORT_BALANCED),
        ("plastic_istdp.toml", SHORT_PLASTIC),
        ("opto_subset.toml", SHORT_OPTO),
    ],
    ids=["lif_sine", "balanced_sine", "plastic_istdp", "opto_subset"],
)
def test_python_and_cli_agree_to_the_last_digit(cli, tmp_path, file, overrides):
    out = run_cli(cli, EXAMPLES / file, tmp_path / "run", overrides)
    on_disk = spikeform.load(out)
    in_python = spikeform.run(EXAMPLES / file, overrides)
    assert comparable(in_python.summary) == comparable(on_disk.summary)
    if file in ("lif_sine.toml", "balanced_sine.toml"):  # trained
        assert in_python.r == on_disk.r and not math.isnan(in_python.r)
    else:
        assert math.isnan(in_python.r) and math.isnan(on_disk.r)
    np.testing.assert_array_equal(in_python.r_per_loop, on_disk.r_per_loop)
    assert_same_arrays(in_python, on_disk)
    if file == "plastic_istdp.toml":
        assert in_python.plasticity is not None and on_disk.plasticity is not None
        assert in_python.plasticity["final_weight"].size > 0
    if file == "opto_subset.toml":
        assert in_python.perturbation is not None and on_disk.perturbation is not None
        assert in_python.perturbation["population_rate_hz"].shape[0] == 2


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
