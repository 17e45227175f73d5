"""Speed of spikeform and the authors' numpy package (plastic-balanced-network 0.0.6) on the
Akil, Rosenbaum & Josic network: the static network and iSTDP on I->E (plasticity.md).

Generates spikeform experiment files for any N from examples/akil_untrained.toml and
examples/plastic_istdp.toml (weights j/sqrt(N), 0.2 N external units), then runs the two
programs alternately and prints one JSON line per run (wall-clock seconds; for the package also
the simulation loop alone). The machine running this may be shared: compare runs made in one
session, alternating the two sides.

    python3 benches/peers/compare_akil.py --spikeform target/release/spikeform \
        --python /tmp/pbn-venv/bin/python --case static --n 20000 --t-ms 10000
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
J = {"E->E": 25.0, "E->I": 112.5, "I->E": -150.0, "I->I": -250.0}
JX = {"E": 180.0, "I": 135.0}


def experiment(case, n, t_ms):
    """The experiment file for `case` ("static" or "istdp") at n neurons and t_ms."""
    name = "akil_untrained.toml" if case == "static" else "plastic_istdp.toml"
    text = open(os.path.join(ROOT, "examples", name)).read()
    s = math.sqrt(n)
    text = re.sub(r'name = "E"\nsize = \d+', f'name = "E"\nsize = {n * 4 // 5}', text)
    text = re.sub(r'name = "I"\nsize = \d+', f'name = "I"\nsize = {n // 5}', text)
    text = re.sub(r"units = \d+", f"units = {n // 5}", text)
    for key, j in J.items():
        pre, post = key.split("->")
        text = re.sub(
            rf'\{{ pre = "{pre}", post = "{post}", weight = [-0-9.e]+',
            f'{{ pre = "{pre}", post = "{post}", weight = {j / s!r}',
            text,
        )
    for post, j in JX.items():
        text = re.sub(rf'\{{ post = "{post}", weight = [-0-9.e]+', f'{{ post = "{post}", weight = {j / s!r}', text)
    text = re.sub(r"^eta = [0-9.e-]+", f"eta = {0.01 * s / 200!r}", text, flags=re.M)
    text = re.sub(r"duration_ms = [0-9.]+", f"duration_ms = {float(t_ms)}", text)
    text = re.sub(r"burn_in_ms = [0-9.]+", f"burn_in_ms = {t_ms / 2}", text)
    return text


def run_spikeform(binary, case, n, t_ms):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "exp.toml")
        open(path, "w").write(experiment(case, n, t_ms))
        t0 = time.perf_counter()
        subprocess.run([binary, "run", path, "--out", os.path.join(d, "run"), "--no-report"],
                       check=True, capture_output=True)
        wall = time.perf_counter() - t0
        summary = json.load(open(os.path.join(d, "run", "summary.json")))
    rates = summary["activity"]["rate_hz"]
    return {"program": "spikeform", "case": case, "n": n, "t_ms": t_ms, "wall_s": wall,
            "rate_e_hz": rates["e"], "rate_i_hz": rates["i"]}


def run_pbn(python, case, n, t_ms):
    script = os.path.join(ROOT, "benches", "peers", "akil_pbn.py")
    args = [python, script, "--n", str(n), "--t-ms", str(t_ms)] + (["--istdp"] if case == "istdp" else [])
    t0 = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"program": "plastic-balanced-network", "case": case, "n": n, "t_ms": t_ms, "wall_s": wall,
            "simulate_s": result["simulate_s"], "rate_e_hz": result["rate_e_hz"], "rate_i_hz": result["rate_i_hz"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spikeform", default=os.path.join(ROOT, "target", "release", "spikeform"))
    ap.add_argument("--python", default="/tmp/pbn-venv/bin/python")
    ap.add_argument("--case", choices=["static", "istdp"], default="static")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--t-ms", type=int, default=1000, help="spikeform's duration")
    ap.add_argument("--pbn-t-ms", type=int, default=None, help="the package's duration (default: the same)")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--skip-pbn", action="store_true")
    a = ap.parse_args()
    for _ in range(a.reps):
        print(json.dumps(run_spikeform(a.spikeform, a.case, a.n, a.t_ms)), flush=True)
        if not a.skip_pbn:
            print(json.dumps(run_pbn(a.python, a.case, a.n, a.pbn_t_ms or a.t_ms)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
