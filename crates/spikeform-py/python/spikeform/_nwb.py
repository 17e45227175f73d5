"""Neurodata Without Borders export of a run (pynwb)."""

from __future__ import annotations

import datetime
import os
import uuid
from typing import Any, Optional, Union

import numpy as np


def to_nwb(
    run: Any,
    path: Union[str, "os.PathLike[str]"],
    *,
    session_start_time: Optional[datetime.datetime] = None,
    identifier: Optional[str] = None,
) -> None:
    """Writes a run to an NWB file.

    - the units table: one unit per neuron with its spike times in **seconds** (the first test
      trial of condition 0 for trained runs, the first trial otherwise) and the columns
      ``population`` (its name), ``cell_type`` (``"E"`` or ``"I"``) and ``trained`` (trained by
      RLS); the units' electrode groups are left out (a model has no electrodes);
    - ``acquisition``: the targets of the trained neurons' input per condition
      (``target_condition_C``, updates × trained neurons, dimensionless like the threshold) and
      their smoothed PSTHs (``psth_condition_C``, bins × trained neurons, Hz), and the
      population rates (``population_rate``, 1-ms bins × populations, Hz).

    Raises:
        ImportError: pynwb is not installed.
    """
    try:
        from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    except ImportError as e:  # pragma: no cover - exercised only without pynwb
        raise ImportError(
            "spikeform.to_nwb needs pynwb, which is not installed: pip install pynwb "
            "(or install spikeform with its nwb extra)"
        ) from e
    exp = run.experiment
    start = session_start_time or datetime.datetime.now(datetime.timezone.utc)
    nwb = NWBFile(
        session_description=f"spikeform run of experiment {run.name!r} (seed {run.summary.get('seed')})",
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=start,
        source_script="spikeform",
        source_script_file_name="spikeform",
    )
    populations = (exp.get("network") or {}).get("populations") or []
    names = [p["name"] for p in populations]
    excitatory = [bool(p.get("excitatory", True)) for p in populations]
    population_of = run.population_of
    trained = set(int(i) for i in (run.trained_neurons if run.trained_neurons is not None else []))
    trains = run.spikes.trains()
    nwb.add_unit_column(name="population", description="population of the neuron")
    nwb.add_unit_column(name="cell_type", description="E (excitatory) or I (inhibitory)")
    nwb.add_unit_column(name="trained", description="whether RLS trained the neuron's synapses")
    n = 0 if population_of is None else len(population_of)
    for i in range(n):
        p = int(population_of[i])
        nwb.add_unit(
            id=i,
            spike_times=np.asarray(trains.get(i, np.empty(0)), dtype=np.float64) / 1000.0,
            population=names[p] if p < len(names) else str(p),
            cell_type="E" if (p < len(excitatory) and excitatory[p]) else "I",
            trained=i in trained,
        )
    training = exp.get("training") or {}
    every_s = float(training.get("learn_every_ms", 0.0)) / 1000.0
    start_s = float(training.get("start_ms", 0.0)) / 1000.0
    if run.targets is not None:
        for c, target in enumerate(np.asarray(run.targets)):
            k = target.shape[0]
            nwb.add_acquisition(
                TimeSeries(
                    name=f"target_condition_{c}",
                    data=np.asarray(target),
                    unit="threshold units (dimensionless)",
                    timestamps=start_s + every_s * np.arange(1, k + 1),
                    description="target input of each trained neuron at each RLS update",
                )
            )
    if run.psth_hz is not None:
        centres_s = np.asarray(run.bin_centre_ms) / 1000.0
        for c, psth in enumerate(np.asarray(run.psth_hz)):
            nwb.add_acquisition(
                TimeSeries(
                    name=f"psth_condition_{c}",
                    data=np.asarray(psth),
                    unit="Hz",
                    timestamps=centres_s,
                    description="smoothed PSTH of each trained neuron over the test trials",
                )
            )
    if run.population_rate_hz is not None:
        rates = np.asarray(run.population_rate_hz)
        nwb.add_acquisition(
            TimeSeries(
                name="population_rate",
                data=rates.T,
                unit="Hz",
                rate=1000.0,
                description="population rates in 1-ms bins, populations " + ", ".join(names),
            )
        )
    with NWBHDF5IO(os.fspath(path), "w") as io:
        io.write(nwb)
