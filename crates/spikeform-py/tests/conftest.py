"""Shared fixtures: the repository's examples, short experiments, the command-line program."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import spikeform

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"

#: lif_sine (100 LIF neurons) shortened to about a second of work.
SHORT_LIF = {"training.loops": 2, "test.trials": 2}
#: balanced_sine (5000 neurons, K = 1000) shortened: one training loop, one test trial.
SHORT_BALANCED = {"training.loops": 1, "test.trials": 1, "duration_ms": 2000.0}


def cli_program():
    """The `spikeform` program: $SPIKEFORM_CLI, else the workspace's build (debug, then
    release)."""
    given = os.environ.get("SPIKEFORM_CLI")
    if given:
        assert Path(given).exists(), f"SPIKEFORM_CLI={given} does not exist"
        return Path(given)
    for profile in ("debug", "release"):
        candidate = ROOT / "target" / profile / "spikeform"
        if candidate.exists():
            return candidate
    found = shutil.which("spikeform")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def cli():
    program = cli_program()
    if program is None:
        pytest.skip("no spikeform program built (cargo build) and SPIKEFORM_CLI not set")
    return program


def run_cli(program, file, out, overrides, *args):
    """`spikeform run FILE --out OUT --set K=V ...`; returns the run directory."""
    sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
    subprocess.run(
        [str(program), "run", str(file), "--out", str(out), "--quiet", "--no-report", *sets, *args],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return out


@pytest.fixture(scope="session")
def lif_run():
    """A short lif_sine run, shared by the tests that only read results."""
    return spikeform.Experiment(EXAMPLES / "lif_sine.toml", SHORT_LIF).run()
