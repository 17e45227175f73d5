"""Experiments, runs and run directories."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from . import _core
from ._errors import ConfigError

#: ``progress(phase, done, total, message)``: ``phase`` is ``"settle"``, ``"training"``,
#: ``"test"``, ...; ``done`` of ``total`` items (trials or loops) are finished; ``message`` is a
#: short status such as the latest r.
ProgressCallback = Callable[[str, int, int, str], Any]

Source = Union[str, "os.PathLike[str]", Mapping[str, Any]]


class Spikes(NamedTuple):
    """Spikes of one trial as two aligned arrays, like Brian2's ``SpikeMonitor`` (``i``, ``t``).

    Attributes:
        neuron: int64 neuron indices (0-based, model order), sorted by neuron.
        time_ms: float64 spike times (ms from the start of the trial).
    """

    neuron: np.ndarray
    time_ms: np.ndarray

    @property
    def i(self) -> np.ndarray:
        """Neuron indices (Brian2's name)."""
        return self.neuron

    @property
    def t(self) -> np.ndarray:
        """Spike times in seconds (Brian2 reports seconds)."""
        return self.time_ms / 1000.0

    def trains(self) -> Dict[int, np.ndarray]:
        """Per-neuron spike trains: ``{neuron: times_ms}`` for neurons that spiked (views)."""
        if self.neuron.size == 0:
            return {}
        starts = np.flatnonzero(np.r_[True, self.neuron[1:] != self.neuron[:-1]])
        ends = np.r_[starts[1:], self.neuron.size]
        return {int(self.neuron[s]): self.time_ms[s:e] for s, e in zip(starts, ends)}


def _overrides(overrides: Optional[Mapping[str, Any]], kwargs: Mapping[str, Any]) -> Dict[str, Any]:
    """Overrides by dotted key; keyword arguments spell the dots as double underscores
    (``training__loops=5`` is ``training.loops``)."""
    out: Dict[str, Any] = dict(overrides or {})
    for key, value in kwargs.items():
        out[key.replace("__", ".")] = value
    return out


def _targets(targets: Any) -> Optional[List[np.ndarray]]:
    """Recorded rates as a list of C-contiguous float64 (neurons × bins) arrays."""
    if targets is None:
        return None
    if isinstance(targets, np.ndarray):
        arrays = [targets] if targets.ndim == 2 else list(targets)
    else:
        arrays = list(targets)
    out = []
    for c, t in enumerate(arrays):
        a = np.ascontiguousarray(t, dtype=np.float64)
        if a.ndim != 2:
            raise ConfigError(
                f"targets[{c}]: needs a 2-d array (neurons × bins, Hz), got {a.ndim} dimensions",
                key=f"targets[{c}]",
            )
        out.append(a)
    if not out:
        raise ConfigError("targets: needs at least one array (one per condition)", key="targets")
    return out


class Experiment:
    """A validated experiment: an experiment file, TOML text or a dict, with the command line's
    rules and messages (``spikeform check``).

    Args:
        source: a path to a TOML experiment file, TOML text, or a dict with the file's structure.
            A ``str`` holding a newline or ``=`` is TOML text, any other ``str`` a path
            (``pathlib.Path`` is always a path). Relative data paths resolve against the current
            directory, as on the command line.
        overrides: ``{"training.loops": 5, "seed": 3}``, what ``--set KEY=VALUE`` does.
        targets: recorded firing rates (Hz) to train on, one array of neurons × time bins per
            condition (a list, or a 3-d array conditions × neurons × bins). Sets
            ``target.kind = "recorded"``; bins are ``training.learn_every_ms`` wide unless
            ``target.bin_ms`` says otherwise, and must match the learning window's updates.
        **kwargs: more overrides, dots written as double underscores (``training__loops=5``).

    Raises:
        ConfigError: the experiment breaks a rule; ``.key`` names the key.
    """

    def __init__(
        self,
        source: Source,
        overrides: Optional[Mapping[str, Any]] = None,
        *,
        targets: Any = None,
        **kwargs: Any,
    ):
        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        ov = _overrides(overrides, kwargs)
        try:
            self._core = _core.CoreExperiment(source, ov or None, _targets(targets))
        except ConfigError as e:
            # Arrays given as targets are checked as the files targets[C].npy: name the key.
            match = re.fullmatch(r"(targets\[\d+\])\.npy", e.path or "")
            if match and e.key is None:
                e.key = match.group(1)
            raise

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self._core.name

    @property
    def seed(self) -> int:
        """The seed every random stream derives from."""
        return self._core.seed

    @property
    def kind(self) -> str:
        """``"rate"`` or ``"spiking"``."""
        return self._core.kind

    @property
    def dt_ms(self) -> float:
        """Time step (ms)."""
        return self._core.dt_ms

    @property
    def populations(self) -> List[tuple]:
        """``[(name, size, excitatory), ...]`` of a spiking network (empty for rate networks)."""
        return self._core.populations

    def to_toml(self) -> str:
        """The normalized experiment file: every key, defaults filled in, overrides applied."""
        return self._core.to_toml()

    def run(self, progress: Optional[ProgressCallback] = None, threads: Optional[int] = None) -> "Run":
        """Runs the whole experiment (settle, train, test and analyse; or simulate when
        nothing is trained) and returns its results.

        The work runs in Rust without the GIL. Between trials it calls ``progress`` and lets
        Python handle signals: Ctrl-C raises ``KeyboardInterrupt`` there and the run stops
        cleanly. Results do not depend on ``threads`` (default: all cores).

        Raises:
            SimulationStopped: a variable became non-finite or activity ran away.
            KeyboardInterrupt: Ctrl-C; or whatever ``progress`` raised.
        """
        summary, arrays = self._core.run(progress, threads)
        return Run._from_core(summary, arrays, self.to_toml(), None)

    def __repr__(self) -> str:
        return f"<spikeform.Experiment {self.name!r} ({self.kind}, seed {self.seed})>"


def _nan_list(values: Optional[Sequence[Optional[float]]]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in (values or [])], dtype=np.float64)


class Run:
    """The results of a run, in memory or from a run directory (:func:`load`).

    ``arrays`` holds NumPy arrays grouped and named like the run directory's ``.npz`` files
    (``arrays["spikes"]["neuron_rate_hz"]``, ``arrays["test"]["psth_hz"]``; docs/outputs.md
    lists every name, shape and unit). Arrays of a run in memory own the Rust results' memory
    (no copy); those of a loaded run are memory-mapped from its files.

    Attributes:
        summary: ``summary.json`` as a dict (undefined numbers are None, as in the file).
        arrays: ``{"spikes": {...}, "test": {...}, "traces": {...}, "plasticity": {...},
            "latent": {...}, "perturbation": {...}, "training": {...}}`` (groups a run does not
            produce are absent).
        path: the run directory, for loaded runs (else None).
    """

    def __init__(
        self,
        summary: Dict[str, Any],
        arrays: Dict[str, Any],
        experiment_toml: str,
        path: Optional[Path],
        by_condition: Optional[List[Spikes]] = None,
    ):
        self.summary = summary
        self.arrays = arrays
        self.experiment_toml = experiment_toml
        self.path = path
        self._by_condition = by_condition

    @classmethod
    def _from_core(cls, summary: str, arrays: Dict[str, Any], toml: str, path: Optional[Path]) -> "Run":
        others = [Spikes(n, t) for n, t in arrays.pop("spikes_by_condition", [])]
        s = arrays.get("spikes")
        by_condition = ([Spikes(s["neuron"], s["time_ms"])] if s else []) + others
        return cls(json.loads(summary), arrays, toml, path, by_condition)

    @property
    def experiment(self) -> Dict[str, Any]:
        """The normalized experiment file as a dict."""
        return json.loads(_core.toml_to_json(self.experiment_toml))

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.summary["experiment"]

    @property
    def kind(self) -> str:
        """``"rate"`` or ``"spiking"``."""
        return self.summary["kind"]

    @property
    def r(self) -> float:
        """The test's r (``test.r_mean`` of summary.json; NaN when untrained)."""
        test = self.summary.get("test", {})
        scores = test.get("scores", test) or {}
        r = scores.get("r_mean")
        return math.nan if r is None else float(r)

    @property
    def r_per_loop(self) -> np.ndarray:
        """r after every training loop (NaN where not evaluated)."""
        training = self.arrays.get("training", {})
        if "r_per_loop" in training:
            return training["r_per_loop"]
        return _nan_list((self.summary.get("training") or {}).get("r_per_loop"))

    @property
    def spikes(self) -> Spikes:
        """Spikes of the final phase's first trial (condition 0 of the test when trained);
        empty for rate networks."""
        s = self.arrays.get("spikes")
        if s is None:
            return Spikes(np.empty(0, np.int64), np.empty(0, np.float64))
        return Spikes(s["neuron"], s["time_ms"])

    @property
    def spikes_by_condition(self) -> List[Spikes]:
        """Spikes of the first test trial of every condition (runs in memory; a loaded run
        keeps condition 0 only)."""
        if self._by_condition is not None:
            return self._by_condition
        return [self.spikes] if "spikes" in self.arrays else []

    def spike_trains(self, condition: int = 0) -> Dict[int, np.ndarray]:
        """Per-neuron spike trains (ms) of the first test trial of ``condition``."""
        return self.spikes_by_condition[condition].trains()

    def _get(self, group: str, name: str) -> Optional[np.ndarray]:
        return self.arrays.get(group, {}).get(name)

    @property
    def neuron_rate_hz(self) -> Optional[np.ndarray]:
        """Mean rate of every neuron over the final phase (Hz)."""
        return self._get("spikes", "neuron_rate_hz")

    @property
    def population_rate_hz(self) -> Optional[np.ndarray]:
        """Population rates (Hz) in 1-ms bins of the first trial: populations × bins."""
        return self._get("spikes", "population_rate_hz")

    @property
    def population_of(self) -> Optional[np.ndarray]:
        """Population index of every neuron."""
        return self._get("spikes", "population_of")

    @property
    def trained_neurons(self) -> Optional[np.ndarray]:
        """Trained neurons (model indices) in row order."""
        return self._get("test", "trained_neurons")

    @property
    def psth_hz(self) -> Optional[np.ndarray]:
        """Smoothed PSTHs (Hz) of the trained neurons: conditions × bins × rows."""
        return self._get("test", "psth_hz")

    @property
    def targets(self) -> Optional[np.ndarray]:
        """Targets of the trained neurons' input: conditions × updates × rows."""
        return self._get("test", "target")

    @property
    def bin_centre_ms(self) -> Optional[np.ndarray]:
        """Centres (ms) of the PSTH and box-average bins."""
        return self._get("test", "bin_centre_ms")

    @property
    def weights_initial(self) -> Optional[np.ndarray]:
        """Plastic weights before training: rows × plastic inputs."""
        return self._get("test", "plastic_weights_initial")

    @property
    def weights_final(self) -> Optional[np.ndarray]:
        """Plastic weights after training: rows × plastic inputs."""
        return self._get("test", "plastic_weights_final")

    @property
    def traces(self) -> Optional[Dict[str, np.ndarray]]:
        """Voltage and input traces of ``record.neurons`` (``time_ms``, ``neurons``, and one
        samples × neurons array per quantity), or None when nothing was recorded."""
        return self.arrays.get("traces")

    @property
    def plasticity(self) -> Optional[Dict[str, np.ndarray]]:
        """Weights of the plastic projections over the run (``plasticity.npz``), or None when no
        ``[[plasticity]]`` rule recorded. R = projections in ``[[plasticity]]`` order, T =
        recording times, S = sampled synapses per projection, W = all plastic synapses:

        - ``time_ms`` (R × T, float64, ms): recording times, NaN past a projection's last one;
        - ``mean_weight`` (R × T, float64, weight units of the experiment file): mean weight;
        - ``sample_weight`` (R × T × S, float64, weight units): a fixed sample of synapses;
        - ``sample_pre``, ``sample_post`` (R × S, int64): their pre- and postsynaptic neurons
          (-1 where padded);
        - ``final_weight`` (W, float64, weight units): every plastic synapse's final weight;
        - ``final_projection`` (W, int64): the projection of each ``final_weight`` entry.
        """
        return self.arrays.get("plasticity")

    @property
    def latent(self) -> Optional[Dict[str, np.ndarray]]:
        """κ and the readout over the first trial of a run with ``[latent]`` (``latent.npz``),
        or None without one. L = whole ms of the trial, D = latent dimensions, N_T = trained
        readout neurons (``latent.readout_training`` only, like the last four):

        - ``kappa`` (L × D, float64): κ at the end of every ms (prescribed, or fed back);
        - ``readout`` (L × D, float64): the readout κ̂;
        - ``target`` (L × D, float64): the trained readout's target κ*;
        - ``trained_neurons`` (N_T, int64): the E neurons whose readout weights learn;
        - ``readout_weights_initial``, ``readout_weights_final`` (D × N_T, float64, per Hz):
          the weights at the trial's start and end.
        """
        return self.arrays.get("latent")

    @property
    def perturbation(self) -> Optional[Dict[str, np.ndarray]]:
        """The ``[perturbation]`` sweep's time courses (``perturbation.npz``), or None without
        one. A = amplitudes, P = populations, Bp = 10-ms bins of the trial:

        - ``amplitude`` (A, float64, in ``perturbation.amplitude_units``): the amplitudes;
        - ``time_ms`` (Bp, float64, ms): bin centres;
        - ``population_rate_hz`` (A × P × Bp, float64, Hz): population rates per amplitude;
        - ``coding_projection_hz`` (A × Bp, float64, Hz; trained runs with two conditions): the
          conditions' difference on the coding direction.
        """
        return self.arrays.get("perturbation")

    def trained_network(self, overrides: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> "TrainedNetwork":
        """The trained network of this run directory, loaded from its checkpoint without
        settling or training again, to test again. ``overrides`` may change ``test.*`` and
        ``record.*`` keys only (``test__trials=20``)."""
        if self.path is None:
            raise ValueError("only a run loaded from a run directory has a saved trained network")
        return TrainedNetwork(self.path, overrides, **kwargs)

    def __repr__(self) -> str:
        where = f" from {self.path}" if self.path else ""
        return f"<spikeform.Run {self.name!r} ({self.kind}), r = {self.r:.6g}{where}>"


class TrainedNetwork:
    """A trained network loaded from a run directory's ``checkpoint.npz`` (what ``spikeform test
    RUN_DIR`` loads): weights, RLS state, spikes in transit and trial counter as training left
    them, so that :meth:`test` reproduces the run's test numbers.

    Raises:
        ConfigError: not a run directory, no checkpoint, or an override of a key other than
            ``test.*`` or ``record.*``.
    """

    def __init__(self, run_dir: Union[str, "os.PathLike[str]"], overrides: Optional[Mapping[str, Any]] = None, **kwargs: Any):
        self.path = Path(run_dir)
        ov = _overrides(overrides, kwargs)
        self._core = _core.CoreTrained(self.path, ov or None)

    @property
    def trained(self) -> np.ndarray:
        """Trained neurons (model indices), row order."""
        return self._core.trained

    @property
    def plastic_weights(self) -> np.ndarray:
        """Trained plastic weights, rows × plastic inputs."""
        w = self._core.plastic_weights
        rows = max(len(self.trained), 1)
        return w.reshape(rows, -1)

    @property
    def loops_done(self) -> int:
        """Training loops the network went through."""
        return self._core.loops_done

    def test(self, progress: Optional[ProgressCallback] = None, threads: Optional[int] = None) -> Run:
        """Tests a copy of the network with frozen weights (``test.trials`` trials per
        condition) and analyses it, as the end of its run did. GIL released, Ctrl-C as in
        :meth:`Experiment.run`."""
        summary, arrays = self._core.test(progress, threads)
        return Run._from_core(summary, arrays, self._core.to_toml(), None)


# --- run directories -----------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


def _npy_at(f: Any, offset: int, path: Path) -> Optional[np.ndarray]:
    """A memory map of the `.npy` data stored (uncompressed) at ``offset`` of ``path``."""
    f.seek(offset)
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    if dtype.hasobject:
        return None
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    order = "F" if fortran else "C"
    return np.memmap(path, dtype=dtype, mode="r", offset=f.tell(), shape=shape, order=order)


def read_npz(path: Union[str, "os.PathLike[str]"]) -> Dict[str, np.ndarray]:
    """The members of an ``.npz`` file; stored (uncompressed) members, as spikeform writes
    them, are memory-mapped (read-only), others read into memory."""
    path = Path(path)
    out: Dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as f:
        for info in zf.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            arr = None
            if info.compress_type == zipfile.ZIP_STORED:
                f.seek(info.header_offset)
                fields = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
                name_len, extra_len = fields[-2], fields[-1]
                arr = _npy_at(f, info.header_offset + _LOCAL_HEADER.size + name_len + extra_len, path)
            if arr is None:
                with zf.open(info) as member:
                    arr = np.lib.format.read_array(member, allow_pickle=False)
            out[name] = arr
    return out


def load(run_dir: Union[str, "os.PathLike[str]"]) -> Run:
    """Opens a run directory written by ``spikeform run`` (or ``spikeform test``): its summary,
    experiment and arrays (memory-mapped). ``run.trained_network()`` then loads its trained
    network.

    Raises:
        ConfigError: the directory holds no finished run (no summary.json).
    """
    path = Path(run_dir)
    summary_file = path / "summary.json"
    if not summary_file.exists():
        raise ConfigError(f"{path}: not a finished run directory (no summary.json)", path=str(path))
    summary = json.loads(summary_file.read_text())
    toml = (path / "experiment.toml").read_text()
    arrays: Dict[str, Any] = {}
    for file in sorted(path.glob("*.npz")):
        if file.name != "checkpoint.npz":
            arrays[file.stem] = read_npz(file)
    training = summary.get("training") or {}
    if "r_per_loop" in training:
        arrays["training"] = {
            "r_per_loop": _nan_list(training.get("r_per_loop")),
            "loop_seconds": _nan_list(training.get("loop_seconds")),
        }
    return Run(summary, arrays, toml, path)
