#!/usr/bin/env python3
"""Side-by-side timing of spikeform and Brian2 on the untrained balanced network (not run by CI).

Run from the repository root (see benches/peers/README.md for the Brian2 venv):

    python3 benches/peers/compare.py                          # 30 s and 3 s, spikes on and off
    python3 benches/peers/compare.py --durations-ms 3000 --record on --reps 1   # a quick check
    python3 benches/peers/compare.py --threads 1,2 --reps 5 --json out.json

Two Brian2 formulations of the same network (examples/balanced_untrained.toml):
* "exact" (balanced_brian2.py): the reference's step order written out with run_regularly and
  accumulator variables;
* "plain" (plain_brian2.py): the script a Brian2 user writes (ODEs integrated by Euler, two
  Synapses with on_pre "xE_post += w/tau_s").
Both are compiled with the cpp_standalone device, one thread (no OpenMP). spikeform is run
with each of --threads. The report compares spikeform with the faster of the two.

Steps, for every duration and every spike-recording setting:
1. `cargo build --release` (once, unless --no-build).
2. Start both Brian2 formulations with --serve: each draws the network, generates and
   compiles its cpp_standalone project (not timed; a project per duration and recording
   setting, since both are compiled in) and then runs the binary on request.
3. Repetitions are interleaved: spikeform (each thread count), Brian2 exact, Brian2 plain, then
   the next repetition, so that load changes on a shared machine hit all programs alike.
Spike recording "off": spikeform `--set record.spikes=false` (spike counts only) and Brian2
`SpikeMonitor(record=False)` (counts only); both still report the rates.

What is timed (wall clock):
* spikeform "simulation": duration_ms / timing.simulated_ms_per_wall_second from summary.json,
  the "simulate" phase, which includes building the network (drawing 5 million synapses;
  estimated by a 0.1-ms run and printed as "setup"). "command": the whole `spikeform run`
  process (`--no-report`): reading the file, building, simulating, statistics, writing files.
* Brian2 "simulation": network.run(...) inside the compiled binary; "binary": the whole
  binary (loading the connectivity arrays, creating the synapses, the run, writing results).
  Excluded: drawing the connectivity in numpy, Python, code generation and compilation.
The ratio is (faster Brian2 simulation, median) / (spikeform simulation, median); the
"vs command" ratio divides by spikeform's whole command instead (the harder comparison).
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
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = "examples/balanced_untrained.toml"
FORMULATIONS = {"exact": "balanced_brian2.py", "plain": "plain_brian2.py"}


def run_spikeform(exe, threads, duration_ms, record, tmp, tag):
    """One `spikeform run` of the example; its timings and rates."""
    out = os.path.join(tmp, f"sf_{tag}")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [exe, "run", EXAMPLE, "--out", out, "--quiet", "--no-report",
           "--threads", str(threads), "--set", f"duration_ms={duration_ms}"]
    if not record:
        cmd += ["--set", "record.spikes=false"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    command_s = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    shutil.rmtree(out, ignore_errors=True)
    t = s["timing"]
    return {
        "sim_wall_s": duration_ms / t["simulated_ms_per_wall_second"],
        "whole_s": command_s,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rate_e_hz": s["activity"]["rate_hz"]["e"],
        "rate_i_hz": s["activity"]["rate_hz"]["i"],
    }


class Brian2:
    """One Brian2 formulation, built once, run on request (balanced_brian2.py --serve)."""

    def __init__(self, python, formulation, duration_ms, record, seed):
        script = os.path.join(ROOT, "benches", "peers", FORMULATIONS[formulation])
        cmd = [python, script, "--serve", "--threads", "1",
               "--duration-ms", str(duration_ms), "--seed", str(seed)]
        if not record:
            cmd.append("--no-record")
        self.p = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self._expect("READY"))

    def _expect(self, tag):
        for line in self.p.stdout:
            if line.startswith(tag + " "):
                return line[len(tag) + 1:]
        raise RuntimeError(f"Brian2 script ended without {tag} (exit {self.p.wait()})")

    def run(self):
        self.p.stdin.write("run\n")
        self.p.stdin.flush()
        r = json.loads(self._expect("REP"))
        r["cpu_s"] = r["binary_cpu_s"]
        r["whole_s"] = r["binary_wall_s"]
        return r

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def stats(reps, key):
    v = [x[key] for x in reps]
    return min(v), statistics.median(v)


def measure(args, threads, duration_ms, record, tmp, log):
    """Interleaved repetitions of spikeform (every thread count) and both Brian2 formulations
    for one duration and recording setting; {label: [rep, ...]}."""
    log(f"[{duration_ms:g} ms, spikes {'on' if record else 'off'}] building both Brian2 "
        f"projects (code generation + g++, not timed)...")
    servers = {f: Brian2(args.python, f, duration_ms, record, args.seed) for f in FORMULATIONS}
    reps = {f"spikeform t{th}": [] for th in threads}
    reps.update({f"brian2 {f}": [] for f in FORMULATIONS})
    try:
        for k in range(args.reps):
            for th in threads:
                r = run_spikeform(args.spikeform, th, duration_ms, record, tmp, f"{th}_{k}")
                reps[f"spikeform t{th}"].append(r)
                log(f"  rep {k + 1} spikeform t{th} {r['sim_wall_s']:.3f} s")
            for f, server in servers.items():
                r = server.run()
                reps[f"brian2 {f}"].append(r)
                log(f"  rep {k + 1} brian2 {f} {r['sim_wall_s']:.3f} s")
    finally:
        for server in servers.values():
            server.close()
    build = {f: s.info["build_s"] for f, s in servers.items()}
    return reps, build


def report(results, threads, setup):
    """Prints the table of every measurement and the ratios."""
    print("\nN = 5000, dt = 0.1 ms (wall seconds, min / median over the repetitions; CPU = "
          "user+sys of the process; Brian2: cpp_standalone, one thread)\n")
    print("| network time | spikes | program | simulation s | whole command / binary s "
          "| CPU s | E Hz | I Hz |")
    print("|---|---|---|---|---|---|---|---|")
    for res in results:
        for label, reps in res["reps"].items():
            mn, md = stats(reps, "sim_wall_s")
            _, whole = stats(reps, "whole_s")
            _, cpu = stats(reps, "cpu_s")
            last = reps[-1]
            print(f"| {res['duration_ms'] / 1000:g} s | {'on' if res['record'] else 'off'} "
                  f"| {label} | {mn:.3f} / {md:.3f} | {whole:.3f} | {cpu:.3f} "
                  f"| {last['rate_e_hz']:.3f} | {last['rate_i_hz']:.3f} |")
    print("\n| network time | spikes | spikeform threads | faster Brian2 | Brian2 / spikeform "
          "simulation (median; min) | Brian2 simulation / spikeform command (median) |")
    print("|---|---|---|---|---|---|")
    for res in results:
        b2 = {f: stats(res["reps"][f"brian2 {f}"], "sim_wall_s") for f in FORMULATIONS}
        best = min(b2, key=lambda f: b2[f][1])
        bmn, bmd = b2[best]
        for th in threads:
            sf = res["reps"][f"spikeform t{th}"]
            smn, smd = stats(sf, "sim_wall_s")
            _, cmd = stats(sf, "whole_s")
            print(f"| {res['duration_ms'] / 1000:g} s | {'on' if res['record'] else 'off'} "
                  f"| {th} | {best} | {bmd / smd:.2f}; {bmn / smn:.2f} | {bmd / cmd:.2f} |")
    print()
    for th in threads:
        print(f"spikeform setup (a 0.1-ms run, whole command, median), threads {th}: "
              f"{setup[th]:.3f} s")
    for res in results:
        print(f"Brian2 code generation + compilation, {res['duration_ms']:g} ms, spikes "
              f"{'on' if res['record'] else 'off'}: "
              + ", ".join(f"{f} {s:.1f} s" for f, s in res["build_s"].items()) + " (excluded)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default="/tmp/peers-venv/bin/python",
                    help="Python with brian2 installed")
    ap.add_argument("--threads", default="1,2",
                    help="comma-separated spikeform thread counts (Brian2 runs one thread)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--durations-ms", default="30000,3000",
                    help="comma-separated network times (ms)")
    ap.add_argument("--record", default="on,off",
                    help="spike recording settings to measure: on, off or on,off")
    ap.add_argument("--seed", type=int, default=1, help="Brian2 network seed")
    ap.add_argument("--no-build", action="store_true", help="skip cargo build --release")
    ap.add_argument("--spikeform", default="./target/release/spikeform",
                    help="spikeform executable (relative to the repository root)")
    ap.add_argument("--json", help="also write all measurements to this file")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    durations = [float(d) for d in args.durations_ms.split(",")]
    records = [{"on": True, "off": False}[r.strip()] for r in args.record.split(",")]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="peers-")
    results = []
    try:
        setup = {th: statistics.median(
            run_spikeform(args.spikeform, th, 0.1, True, tmp, f"setup{th}_{k}")["whole_s"]
            for k in range(args.reps)) for th in threads}
        for duration_ms in durations:
            for record in records:
                reps, build = measure(args, threads, duration_ms, record, tmp, log)
                results.append({"duration_ms": duration_ms, "record": record,
                                "reps": reps, "build_s": build})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, threads, setup)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"setup_s": setup, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
