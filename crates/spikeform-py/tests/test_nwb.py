"""NWB export: spike times in seconds in the units table with population, E/I and trained
columns, targets and PSTHs as time series; read back with pynwb."""

import sys

import numpy as np
import pytest

import spikeform


def test_round_trip(lif_run, tmp_path):
    pynwb = pytest.importorskip("pynwb")
    path = tmp_path / "run.nwb"
    spikeform.to_nwb(lif_run, path)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        assert len(units) == 100
        trains = lif_run.spike_trains()
        for i in (0, 17, 99):
            expected = trains.get(i, np.empty(0)) / 1000.0
            np.testing.assert_array_equal(np.asarray(units.loc[i, "spike_times"]), expected)
        assert set(units["population"]) == {"N"} and set(units["cell_type"]) == {"E"}
        assert units["trained"].all()
        target = nwb.acquisition["target_condition_0"]
        np.testing.assert_array_equal(target.data[:], lif_run.targets[0])
        np.testing.assert_allclose(target.timestamps[:2], [1.02, 1.04])
        psth = nwb.acquisition["psth_condition_0"]
        assert psth.unit == "Hz"
        np.testing.assert_array_equal(psth.data[:], lif_run.psth_hz[0])
        np.testing.assert_array_equal(psth.timestamps[:], lif_run.bin_centre_ms / 1000.0)
        rates = nwb.acquisition["population_rate"]
        np.testing.assert_array_equal(rates.data[:], lif_run.population_rate_hz.T)


def test_clear_import_error_without_pynwb(lif_run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)
    with pytest.raises(ImportError, match="pip install pynwb"):
        spikeform.to_nwb(lif_run, tmp_path / "x.nwb")
