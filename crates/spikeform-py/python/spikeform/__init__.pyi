"""Type stubs of the package ``spikeform``."""

from os import PathLike
from typing import Any, Callable, Dict, Mapping, Optional, Union

from ._errors import ConfigError as ConfigError
from ._errors import SimulationStopped as SimulationStopped
from ._errors import SpikeformError as SpikeformError
from ._nwb import to_nwb as to_nwb
from ._run import Experiment as Experiment
from ._run import Run as Run
from ._run import Spikes as Spikes
from ._run import TrainedNetwork as TrainedNetwork
from ._run import load as load
from ._run import read_npz as read_npz
from ._theory import balanced_rates as balanced_rates
from ._theory import compare_pca as compare_pca
from ._theory import pca as pca
from ._theory import selectivity as selectivity
from ._theory import siegert_inverse as siegert_inverse
from ._theory import siegert_rate as siegert_rate

__version__: str

def run(
    source: Union[str, PathLike[str], Mapping[str, Any]],
    overrides: Optional[Mapping[str, Any]] = None,
    *,
    targets: Any = None,
    progress: Optional[Callable[[str, int, int, str], Any]] = None,
    threads: Optional[int] = None,
    **kwargs: Any,
) -> Run:
    """Builds an Experiment from ``source`` and runs it (see Experiment.run)."""
