"""The Python API: experiments from files, text and dicts, overrides, runs and their arrays."""

import threading
import time

import numpy as np
import pytest

import spikeform
from conftest import EXAMPLES, SHORT_LIF

LIF = EXAMPLES / "lif_sine.toml"


def test_experiment_from_path_str_text_and_dict_agree():
    text = LIF.read_text()
    by_path = spikeform.Experiment(LIF)
    by_str = spikeform.Experiment(str(LIF))
    by_text = spikeform.Experiment(text)
    as_dict = spikeform.Run(  # the normalized file, read back as a dict
        {}, {}, by_path.to_toml(), None
    ).experiment
    by_dict = spikeform.Experiment(as_dict)
    assert by_path.to_toml() == by_str.to_toml() == by_text.to_toml() == by_dict.to_toml()
    assert (by_path.name, by_path.seed, by_path.kind) == ("lif_sine", 1, "spiking")
    assert by_path.dt_ms == 0.1
    assert by_path.populations == [("N", 100, True)]


def test_overrides_as_kwargs_and_dict():
    a = spikeform.Experiment(LIF, {"training.loops": 3, "seed": 7})
    b = spikeform.Experiment(LIF, training__loops=3, seed=7)
    assert a.to_toml() == b.to_toml()
    assert "loops = 3" in a.to_toml() and a.seed == 7
    c = spikeform.Experiment(LIF, test__trials=np.int64(4))
    assert "trials = 4" in c.to_toml()


def test_run_results_are_arrays_with_the_declared_shapes(lif_run):
    run = lif_run
    assert run.kind == "spiking" and run.name == "lif_sine"
    assert run.r == run.summary["test"]["r_mean"]
    assert run.r_per_loop.shape == (2,)
    np.testing.assert_array_equal(run.r_per_loop, run.summary["training"]["r_per_loop"])
    neuron, time_ms = run.spikes
    assert neuron.dtype == np.int64 and time_ms.dtype == np.float64
    assert len(neuron) == len(time_ms) > 0
    assert np.all(np.diff(neuron) >= 0) and 0 <= time_ms.min() and time_ms.max() <= 3000.0
    np.testing.assert_array_equal(run.spikes.t, time_ms / 1000.0)
    assert run.population_rate_hz.shape == (1, 3000)
    assert run.neuron_rate_hz.shape == (100,)
    assert run.psth_hz.shape == (1, 100, 100)  # conditions × bins × trained neurons
    assert run.targets.shape == (1, 100, 100)  # conditions × updates × rows
    assert run.weights_final.shape == run.weights_initial.shape == (100, 99)
    assert not np.array_equal(run.weights_initial, run.weights_final)
    assert run.traces is None


def test_spike_trains_split_the_spikes_by_neuron(lif_run):
    trains = lif_run.spike_trains()
    neuron, time_ms = lif_run.spikes
    assert sum(len(t) for t in trains.values()) == len(neuron)
    some = int(neuron[len(neuron) // 2])
    np.testing.assert_array_equal(trains[some], time_ms[neuron == some])
    assert all(np.all(np.diff(t) > 0) for t in trains.values())


def test_progress_callback_sees_every_phase():
    seen = []
    spikeform.Experiment(LIF, SHORT_LIF).run(progress=lambda *a: seen.append(a))
    phases = [p for p, done, total, _ in seen if done == 0]
    assert phases == ["settle", "training", "test"]
    assert ("training", 2, 2) in [(p, d, t) for p, d, t, _ in seen]
    assert any(m.startswith("r = ") for _, _, _, m in seen)


def test_run_releases_the_gil():
    """Another Python thread keeps running while the run works (it would only get the GIL at
    the few trial boundaries otherwise)."""
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    exp = spikeform.Experiment(LIF, SHORT_LIF)
    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        started = time.perf_counter()
        exp.run()
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        ticker.join()
    during = [t for t in ticks if started <= t <= started + elapsed]
    assert len(during) > 50, (len(during), elapsed)


def test_results_do_not_depend_on_threads(lif_run):
    one = spikeform.Experiment(LIF, SHORT_LIF).run(threads=1)
    assert one.summary["test"] == lif_run.summary["test"]
    np.testing.assert_array_equal(one.weights_final, lif_run.weights_final)


def test_untrained_experiment_from_a_dict_records_traces():
    d = spikeform.Run({}, {}, spikeform.Experiment(LIF).to_toml(), None).experiment
    for key in ("training", "target", "stimulus"):
        d.pop(key)
    d["duration_ms"] = 500.0
    d["record"] = {"neurons": [0, 5], "every_ms": 1.0}
    run = spikeform.run(d)
    assert run.r != run.r  # untrained: no test r (NaN)
    assert run.trained_neurons is None and len(run.spikes_by_condition) == 1
    tr = run.traces
    assert tr["neurons"].tolist() == [0, 5]
    assert tr["time_ms"].shape[0] == tr["v"].shape[0] and tr["v"].shape[1] == 2


def test_targets_as_numpy_arrays_train_matched_neurons():
    rng = np.random.default_rng(0)
    targets = rng.uniform(1.0, 20.0, size=(2, 10, 100))  # conditions × neurons × 20-ms bins
    exp = spikeform.Experiment(
        LIF, targets=targets, training__loops=1, test__trials=1,
        training__trained="match", training__trained_population="N",
    )
    assert 'kind = "recorded"' in exp.to_toml()
    run = exp.run()
    assert run.psth_hz.shape == (2, 100, 10)
    assert run.arrays["test"]["recorded_rate_hz"].shape == (2, 100, 10)
    assert len(run.spikes_by_condition) == 2
    assert len(run.summary["test"]["rate_r_by_condition"]) == 2


def test_rate_experiment_runs():
    run = spikeform.run(EXAMPLES / "rate_sine.toml", training__loops=2, test__trials=1)
    assert run.kind == "rate"
    assert run.r_per_loop.shape == (2,)
    w = run.arrays["test_traces"]["weights"]
    assert w.shape[0] == w.shape[1]
    assert run.r == run.summary["test"]["r_mean"]


def test_help_is_useful():
    doc = spikeform.Experiment.run.__doc__
    assert "GIL" in doc and "Ctrl-C" in doc
    assert "seconds" in spikeform.to_nwb.__doc__
    assert "Hz" in spikeform.siegert_rate.__doc__
    assert "ms" in spikeform.Spikes.__doc__


def test_a_trained_latent_readout_comes_back_as_arrays():
    exp = spikeform.Experiment(
        EXAMPLES / "latent_readout_training.toml",
        {
            "duration_ms": 1000.0,
            "latent.readout_training.learn_ms": [200.0, 800.0],
            "latent.readout_training.neurons": 100,
        },
    )
    run = exp.run()
    latent = run.latent
    assert latent["readout"].shape == latent["target"].shape == (1000, 2)
    assert latent["trained_neurons"].shape == (100,)
    assert latent["readout_weights_final"].shape == (2, 100)
    trained = run.summary["latent"]["readout_training"]
    assert trained["updates"] == 600
    learning = next(w for w in trained["windows"] if w["name"] == "learning")
    assert min(learning["pearson"]) > 0.9
    # The summary's final weight norm is the array's.
    norms = np.linalg.norm(latent["readout_weights_final"], axis=1)
    np.testing.assert_allclose(norms, trained["weight_norm_final"], rtol=1e-12)
