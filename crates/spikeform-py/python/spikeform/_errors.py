"""The exceptions of spikeform: bad input is a ``ConfigError`` (a ``ValueError``), a run that
stopped is a ``SimulationStopped``. Both derive from ``SpikeformError``."""

from __future__ import annotations

from typing import Optional


class SpikeformError(Exception):
    """Base class of spikeform's exceptions."""


class ConfigError(SpikeformError, ValueError):
    """An experiment, an override or a data file breaks a rule.

    The message is the command line's (``training.loops: must be at least 1, got 0``).

    Attributes:
        key: the dotted key path the error is about (``"training.loops"``), or None.
        path: the file the error is about (an experiment or data file), or None.
    """

    def __init__(self, message: str, key: Optional[str] = None, path: Optional[str] = None):
        super().__init__(message)
        self.key = key
        self.path = path


class SimulationStopped(SpikeformError):
    """A run stopped before it finished (the command line's exit code 1).

    Attributes:
        reason: ``"non-finite"`` (a state variable became NaN or infinite), ``"runaway"``
            (the population rate exceeded ``network.max_rate_hz``) or ``"interrupted"``.
        neuron: the 0-based index of the neuron whose variable became non-finite, or None.
        step: the step within the trial (steps of ``dt_ms``) where it happened, or None.
        phase: the phase of the run (``"settle"``, ``"training loop 3"``, ``"test"``, ...).
    """

    def __init__(
        self,
        message: str,
        reason: str = "interrupted",
        neuron: Optional[str] = None,
        step: Optional[str] = None,
        phase: Optional[str] = None,
    ):
        super().__init__(message)
        self.reason = reason
        self.neuron = None if neuron is None else int(neuron)
        self.step = None if step is None else int(step)
        self.phase = phase
