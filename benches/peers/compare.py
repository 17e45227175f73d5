#!/usr/bin/env python3
"""Side-by-side timing of spikeform and Brian2 on the untrained balanced network (not run by CI).

Run from the repository root (see benches/peers/README.md for the Brian2 venv):

    python3 benches/peers/compare.py                      # 1 thread, 3 repetitions
    python3 benches/peers/compare.py --threads 1,2       # also 2 threads (OpenMP for Brian2)
    python3 benches/peers/compare.py --threads 1 --reps 5

Steps:
1. `cargo build --release` (spikeform).
2. For each thread count, start benches/peers/balanced_brian2.py --serve with the venv's Python:
   it draws the same-size network, generates and compiles the cpp_standalone project once
   (not timed here) and then runs the binary on request.
3. Repetitions are interleaved: spikeform run k, then Brian2 run k, and so on, so that load
   changes on a shared machine hit both programs alike.
4. Prints a table: simulation seconds (min / median), seconds with setup, process CPU
   seconds, mean E/I rates, and the ratio Brian2 / spikeform of the simulation seconds
   (of the medians and of the minima).

What "simulation seconds" means:
* spikeform: duration_ms / timing.simulated_ms_per_wall_second from summary.json, i.e. the wall
  time of the "simulate" phase. That phase starts before the network is built, so it includes
  spikeform's network construction (drawing 5 million synapses); the script estimates that
  setup by a run of 0.1 ms (reported separately, and subtracted in the "setup-free" ratio).
* Brian2: wall time of network.run(...) inside the compiled binary (excludes code generation,
  compilation, loading arrays and creating synapses). See balanced_brian2.py.
"with setup": spikeform's timing.total_seconds (network construction, simulation, summary
statistics and writing its output files); Brian2's whole binary (loading the connectivity
arrays, creating the synapses, the run, writing results). Process CPU: user + sys seconds of
the spikeform process / of the Brian2 binary.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = "examples/balanced_untrained.toml"


def run_spikeform(exe, threads, duration_ms, tmp, tag):
    out = os.path.join(tmp, f"sf_{tag}")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [exe, "run", EXAMPLE, "--out", out, "--quiet",
           "--threads", str(threads), "--set", f"duration_ms={duration_ms}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    shutil.rmtree(out, ignore_errors=True)
    t = s["timing"]
    return {
        "sim_wall_s": duration_ms / t["simulated_ms_per_wall_second"],
        "total_s": t["total_seconds"],
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rate_e_hz": s["activity"]["rate_hz"]["e"],
        "rate_i_hz": s["activity"]["rate_hz"]["i"],
    }


class Brian2:
    def __init__(self, python, threads, duration_ms, seed):
        script = os.path.join(ROOT, "benches", "peers", "balanced_brian2.py")
        self.p = subprocess.Popen(
            [python, script, "--serve", "--threads", str(threads),
             "--duration-ms", str(duration_ms), "--seed", str(seed)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self._expect("READY"))

    def _expect(self, tag):
        for line in self.p.stdout:
            if line.startswith(tag + " "):
                return line[len(tag) + 1:]
        raise RuntimeError(f"balanced_brian2.py ended without {tag} (exit {self.p.wait()})")

    def run(self):
        self.p.stdin.write("run\n")
        self.p.stdin.flush()
        r = json.loads(self._expect("REP"))
        r["cpu_s"] = r["binary_cpu_s"]
        r["total_s"] = r["binary_wall_s"]
        return r

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default="/tmp/peers-venv/bin/python",
                    help="Python with brian2 installed")
    ap.add_argument("--threads", default="1",
                    help="comma-separated thread counts, e.g. 1,2 (see the README on OpenMP)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration-ms", type=float, default=3000.0)
    ap.add_argument("--seed", type=int, default=1, help="Brian2 network seed")
    ap.add_argument("--no-build", action="store_true", help="skip cargo build --release")
    ap.add_argument("--spikeform", default="./target/release/spikeform",
                    help="spikeform executable (relative to the repository root)")
    ap.add_argument("--json", help="also write all measurements to this file")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="peers-")
    results = []
    try:
        for th in threads:
            setup = [run_spikeform(args.spikeform, th, 0.1, tmp, f"setup{th}_{k}")["total_s"]
                     for k in range(args.reps)]
            print(f"[threads {th}] building the Brian2 project (code generation + g++)...",
                  file=sys.stderr, flush=True)
            b2 = Brian2(args.python, th, args.duration_ms, args.seed)
            print(f"[threads {th}] Brian2 build {b2.info['build_s']:.1f} s (not timed below)",
                  file=sys.stderr, flush=True)
            sf_reps, b2_reps = [], []
            for k in range(args.reps):
                sf_reps.append(
                    run_spikeform(args.spikeform, th, args.duration_ms, tmp, f"{th}_{k}"))
                print(f"[threads {th}] rep {k + 1} spikeform {sf_reps[-1]['sim_wall_s']:.3f} s",
                      file=sys.stderr, flush=True)
                b2_reps.append(b2.run())
                print(f"[threads {th}] rep {k + 1} brian2    {b2_reps[-1]['sim_wall_s']:.3f} s",
                      file=sys.stderr, flush=True)
            b2.close()
            results.append({"program": "spikeform", "threads": th, "reps": sf_reps,
                            "setup_s_median": statistics.median(setup)})
            results.append({"program": "brian2", "threads": th, "reps": b2_reps,
                            "build_s": b2.info["build_s"]})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def stats(r, key):
        v = [x[key] for x in r["reps"]]
        return min(v), statistics.median(v)

    print(f"\nN = 5000, {args.duration_ms:g} ms, dt = 0.1 ms, {args.reps} repetitions "
          f"(wall seconds; CPU = user+sys of the process)\n")
    head = ("| program | threads | simulation s (min / median) | with setup s (median) "
            "| process CPU s (median) | E Hz | I Hz | Brian2 / spikeform (median; min) |")
    print(head)
    print("|---|---|---|---|---|---|---|---|")
    by = {(r["program"], r["threads"]): r for r in results}
    for r in results:
        mn, md = stats(r, "sim_wall_s")
        _, tot = stats(r, "total_s")
        _, cpu = stats(r, "cpu_s")
        last = r["reps"][-1]
        ratio = ""
        if r["program"] == "brian2":
            sf = by[("spikeform", r["threads"])]
            smn, smd = stats(sf, "sim_wall_s")
            ratio = f"{md / smd:.2f}; {mn / smn:.2f}"
        print(f"| {r['program']} | {r['threads']} | {mn:.3f} / {md:.3f} | {tot:.3f} | {cpu:.3f} "
              f"| {last['rate_e_hz']:.2f} | {last['rate_i_hz']:.2f} | {ratio} |")
    print()
    for th in threads:
        sf, b2 = by[("spikeform", th)], by[("brian2", th)]
        setup = sf["setup_s_median"]
        _, smd = stats(sf, "sim_wall_s")
        _, bmd = stats(b2, "sim_wall_s")
        print(f"threads {th}: spikeform setup (a 0.1-ms run, median) {setup:.3f} s; "
              f"setup-free ratio Brian2 / spikeform = {bmd:.3f} / {smd - setup:.3f} = "
              f"{bmd / (smd - setup):.2f}; Brian2 code generation + compilation "
              f"{b2['build_s']:.1f} s (excluded)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
