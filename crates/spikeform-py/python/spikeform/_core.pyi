"""Type stubs of the extension module ``spikeform._core`` (Rust, PyO3). Use the package's
public API (``spikeform.Experiment``, ``spikeform.load``, ...), which wraps it."""

from os import PathLike
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Progress = Optional[Callable[[str, int, int, str], Any]]
_Arrays = Dict[str, Any]

class CoreExperiment:
    """A validated experiment (file path, TOML text or dict; ``overrides`` by dotted key;
    ``targets``: recorded rates in Hz, one neurons × bins array per condition)."""

    def __init__(
        self,
        source: Union[str, PathLike[str], Mapping[str, Any]],
        overrides: Optional[Mapping[str, Any]] = None,
        targets: Optional[Sequence[npt.NDArray[np.float64]]] = None,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def trains(self) -> bool: ...
    @property
    def dt_ms(self) -> float: ...
    @property
    def populations(self) -> List[Tuple[str, int, bool]]: ...
    def to_toml(self) -> str: ...
    def run(self, progress: _Progress = None, threads: Optional[int] = None) -> Tuple[str, _Arrays]:
        """Runs without the GIL; returns (summary JSON, arrays by group: ``spikes``, ``traces``,
        ``test``, ``plasticity``, ``latent``, ``perturbation``, ``training``, as present)."""

class CoreTrained:
    """A trained network loaded from a run directory."""

    def __init__(self, run_dir: Union[str, PathLike[str]], overrides: Optional[Mapping[str, Any]] = None) -> None: ...
    @property
    def trained(self) -> npt.NDArray[np.int64]: ...
    @property
    def plastic_weights(self) -> npt.NDArray[np.float64]: ...
    @property
    def loops_done(self) -> int: ...
    def to_toml(self) -> str: ...
    def test(self, progress: _Progress = None, threads: Optional[int] = None) -> Tuple[str, _Arrays]: ...

def siegert_rate(
    mu: npt.NDArray[np.float64],
    sigma: npt.NDArray[np.float64],
    tau_ms: float,
    threshold: float,
    reset: float,
    refractory_ms: float,
) -> npt.NDArray[np.float64]:
    """Siegert rate (Hz) elementwise; τ and τ_rp in ms."""

def siegert_inverse(
    rate_hz: npt.NDArray[np.float64],
    sigma: npt.NDArray[np.float64],
    tau_ms: float,
    threshold: float,
    reset: float,
    refractory_ms: float,
    recorded: bool,
) -> npt.NDArray[np.float64]:
    """Mean input μ for a rate (Hz) elementwise."""

def balanced_rates(w: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> Dict[str, Any]: ...
def pca(
    x: npt.NDArray[np.float64], neurons: Sequence[int], n_components: int
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def compare_pca(
    x: npt.NDArray[np.float64], group_a: Sequence[int], group_b: Sequence[int], k: int
) -> npt.NDArray[np.float64]: ...
def selectivity(
    rate_a: npt.NDArray[np.float64], rate_b: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def toml_to_json(text: str) -> str: ...
