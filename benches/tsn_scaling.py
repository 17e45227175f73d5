#!/usr/bin/env python3
"""TrainSpikingNet.jl's CPU scaling (its paper's Figure 1) with examples/tsn_sinusoid.toml.

Not run by CI. From the repository root, after `cargo build --release`:

    python3 benches/tsn_scaling.py                       # N = 10000, 20000, 50000; 2 loops each
    python3 benches/tsn_scaling.py --n 10000 --loops 1   # a quick check
    python3 benches/tsn_scaling.py --threads 2 --eval-every 0 --json tsn.json

For every N it runs `spikeform run examples/tsn_sinusoid.toml` under `/usr/bin/time -v` with the
--set lines of the example's header (population sizes N/2, connection probability 512/(N/2)),
then prints, per N: seconds of every loop (training_curve.csv; with --eval-every 1 a loop
includes its 2000-ms evaluation trial, with 0 it is the training trial and the RLS only), peak
memory (maximum resident set size), r per loop, and TrainSpikingNet.jl's published CPU time
per loop (MKL, spec rls-training.md §7.7). The load average before each run is printed too.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EXAMPLE = "examples/tsn_sinusoid.toml"
K = 512
# TrainSpikingNet.jl's published seconds per loop on a CPU (range over its runs).
PUBLISHED = {10000: "3.7-4.3", 20000: "6.9-10", 50000: "20.8-23.4"}


def size_overrides(n):
    """The --set lines that make the example N neurons (half E, half I) with K = 512."""
    half = n // 2
    sets = [f"network.populations[{p}].size={half}" for p in (0, 1)]
    sets += [f"network.connectivity.projections[{k}].probability={K / half!r}"
             for k in range(4)]
    return sets


def run(exe, n, loops, threads, eval_every, out):
    sets = size_overrides(n) + [f"training.loops={loops}",
                                f"training.eval_every={eval_every}"]
    cmd = ["/usr/bin/time", "-v", exe, "run", EXAMPLE, "--out", out, "--quiet", "--no-report"]
    if threads:
        cmd += ["--threads", str(threads)]
    for s in sets:
        cmd += ["--set", s]
    load = os.getloadavg()
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"spikeform exited with {p.returncode} for N = {n}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    with open(os.path.join(out, "training_curve.csv")) as f:
        rows = list(csv.DictReader(f))
    return {
        "n": n,
        "loops": loops,
        "threads": threads,
        "eval_every": eval_every,
        "load_average_before": load,
        "loop_seconds": [float(r["seconds"]) for r in rows],
        "r": [float(r["r"]) if r["r"] else None for r in rows],
        "peak_rss_gb": rss_kb / 1024 ** 2,
        "command_wall": wall,
        "set": sets,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", default="10000,20000,50000", help="comma-separated network sizes")
    ap.add_argument("--loops", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="spikeform --threads (0: all cores)")
    ap.add_argument("--eval-every", type=int, default=1,
                    help="training.eval_every (0: no evaluation trial, no r)")
    ap.add_argument("--spikeform", default="./target/release/spikeform")
    ap.add_argument("--json", help="also write the measurements to this file")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tsn-")
    results = []
    try:
        for n in [int(x) for x in args.n.split(",")]:
            out = os.path.join(tmp, f"n{n}")
            r = run(args.spikeform, n, args.loops, args.threads, args.eval_every, out)
            shutil.rmtree(out, ignore_errors=True)
            results.append(r)
            print(f"N = {n}: loops {', '.join(f'{s:.2f}' for s in r['loop_seconds'])} s; "
                  f"peak {r['peak_rss_gb']:.2f} GB; load before "
                  f"{', '.join(f'{x:.1f}' for x in r['load_average_before'])}",
                  file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nexamples/tsn_sinusoid.toml, {args.loops} loops, threads "
          f"{args.threads or 'all'}, eval_every {args.eval_every}"
          f"{' (a loop includes its evaluation trial)' if args.eval_every else ''}\n")
    print("| N | seconds per loop | peak memory GB | r per loop | load average before "
          "| TrainSpikingNet.jl CPU s per loop (published) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        secs = ", ".join(f"{s:.2f}" for s in r["loop_seconds"])
        rs = ", ".join("–" if x is None else f"{x:.3f}" for x in r["r"])
        load = " / ".join(f"{x:.1f}" for x in r["load_average_before"])
        print(f"| {r['n']} | {secs} | {r['peak_rss_gb']:.2f} | {rs} | {load} "
              f"| {PUBLISHED.get(r['n'], '–')} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
