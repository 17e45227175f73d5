"""spikeform: recurrent rate and spiking networks trained with recursive least squares, from
Python. The work runs in spikeform's Rust core; results come back as NumPy arrays.

    import spikeform
    exp = spikeform.Experiment("examples/balanced_sine.toml", training__loops=5)
    run = exp.run(progress=lambda phase, done, total, msg: print(phase, done, total, msg))
    print(run.r, run.r_per_loop)
    neuron, time_ms = run.spikes

Experiments are the command line's experiment files (a path, TOML text or a dict), checked by
the same rules with the same messages; ``spikeform.load(RUN_DIR)`` opens what
``spikeform run`` wrote.
"""

from ._core import __version__
from ._errors import ConfigError, SimulationStopped, SpikeformError
from ._nwb import to_nwb
from ._run import Experiment, Run, Spikes, TrainedNetwork, load, read_npz
from ._theory import balanced_rates, compare_pca, pca, selectivity, siegert_inverse, siegert_rate


def run(source, overrides=None, *, targets=None, progress=None, threads=None, **kwargs) -> Run:
    """Builds an :class:`Experiment` from ``source`` (path, TOML text or dict) and runs it:
    ``spikeform.run("examples/lif_sine.toml", training__loops=5).r``. See
    :meth:`Experiment.run` for ``progress`` and ``threads``.

    Raises:
        ConfigError: the experiment breaks a rule (``.key`` names the key).
        SimulationStopped: the run stopped (``.reason``, ``.neuron``, ``.step``).
    """
    return Experiment(source, overrides, targets=targets, **kwargs).run(progress, threads)


__all__ = [
    "ConfigError",
    "Experiment",
    "Run",
    "SimulationStopped",
    "SpikeformError",
    "Spikes",
    "TrainedNetwork",
    "__version__",
    "balanced_rates",
    "compare_pca",
    "load",
    "pca",
    "read_npz",
    "run",
    "selectivity",
    "siegert_inverse",
    "siegert_rate",
    "to_nwb",
]
