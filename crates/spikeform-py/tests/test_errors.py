"""Errors: ConfigError (a ValueError naming the key), SimulationStopped (reason, neuron, step),
Ctrl-C and exceptions from callbacks stop a run cleanly; never a RuntimeError or a crash."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import spikeform
from conftest import EXAMPLES, SHORT_LIF

LIF = EXAMPLES / "lif_sine.toml"


def test_config_error_is_a_value_error_naming_the_key():
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment(LIF, training__loops=0)
    assert isinstance(info.value, ValueError)
    assert info.value.key == "training.loops"
    assert str(info.value) == "training.loops: must be at least 1, got 0"


def test_unknown_key_names_it_and_the_file():
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment(LIF, {"training.bogus": 1})
    assert info.value.key == "training.bogus"
    assert info.value.path == str(LIF)
    assert "unknown field `bogus`" in str(info.value)


def test_wrong_type_in_a_dict_names_the_key():
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment(LIF, seed="three")
    assert info.value.key == "seed"
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment(LIF, seed=object())
    assert info.value.key == "seed" and "object" in str(info.value)


def test_bad_toml_text_gives_the_line():
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment('version = 1\nname = "x"\nseed = = 2\n')
    assert "(line 3)" in str(info.value) and info.value.path == "<string>"


def test_missing_file():
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment("no/such/experiment.toml")
    assert info.value.path == "no/such/experiment.toml"
    assert "cannot read the experiment file" in str(info.value)


def test_target_arrays_are_checked_like_files():
    kw = dict(training__trained="match", training__trained_population="N")
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment(LIF, targets=[np.ones((10, 50))], **kw)
    assert info.value.key == "targets[0]"
    assert "has 50 bins but the learning window (1000, 3000] ms holds 100 updates" in str(info.value)
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment(LIF, targets=[np.ones((10, 100)), np.ones((9, 100))], **kw)
    assert info.value.key == "targets[1]" and "same shape" in str(info.value)
    with pytest.raises(spikeform.ConfigError) as info:
        spikeform.Experiment(LIF, targets=[np.ones(100)], **kw)
    assert info.value.key == "targets[0]"


def test_runaway_activity_is_a_simulation_stopped():
    exp = spikeform.Experiment(LIF, SHORT_LIF, network__max_rate_hz=1.0)
    with pytest.raises(spikeform.SimulationStopped) as info:
        exp.run()
    e = info.value
    assert e.reason == "runaway" and e.phase == "settle"
    assert "exceeds the limit of 1 Hz" in str(e)
    assert not isinstance(e, RuntimeError)


def test_non_finite_voltage_names_neuron_and_step():
    exp = spikeform.Experiment(LIF, SHORT_LIF)
    d = spikeform.Run({}, {}, exp.to_toml(), None).experiment
    d["network"]["populations"][0]["bias"] = 1e308
    d["network"]["populations"][0]["noise_sigma"] = 0.0
    d["network"]["max_rate_hz"] = 1e9
    with pytest.raises(spikeform.SimulationStopped) as info:
        spikeform.run(d)
    e = info.value
    assert e.reason == "non-finite", str(e)
    assert isinstance(e.neuron, int) and 0 <= e.neuron < 100
    assert isinstance(e.step, int) and e.step >= 0
    assert f"neuron {e.neuron}" in str(e) and f"step {e.step}" in str(e)


def test_an_exception_in_the_progress_callback_stops_the_run():
    class Enough(Exception):
        pass

    def progress(phase, done, total, message):
        if phase == "training" and done == 1:
            raise Enough("stop here")

    exp = spikeform.Experiment(LIF, training__loops=20, test__trials=1)
    started = time.time()
    with pytest.raises(Enough):
        exp.run(progress=progress)
    assert time.time() - started < 10.0
    assert exp.run is not None and exp.name == "lif_sine"


def test_ctrl_c_raises_keyboard_interrupt_and_stops_cleanly():
    # A process started in the background by a non-interactive shell inherits SIGINT ignored,
    # and Python then installs no handler of its own: install Python's default one for the test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    exp = spikeform.Experiment(LIF, training__loops=50, test__trials=1)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.time()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            exp.run()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.time() - started < 5.0  # 50 loops take about 6 s
    # The experiment is intact and runs again.
    assert spikeform.Experiment(LIF, SHORT_LIF).run().r_per_loop.shape == (2,)


def test_theory_functions_reject_bad_input_with_value_errors():
    with pytest.raises(ValueError, match="at least 2 neurons"):
        spikeform.pca(np.ones((5, 3)), [0], 1)
    with pytest.raises(ValueError, match="out of range"):
        spikeform.pca(np.ones((5, 3)), [0, 7], 1)
    with pytest.raises(ValueError, match="sigma"):
        spikeform.siegert_inverse(5.0, 0.0)
    with pytest.raises(ValueError, match="differ"):
        spikeform.selectivity(np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError):
        spikeform.balanced_rates([[1.0, 2.0]], [1.0])
