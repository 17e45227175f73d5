#!/usr/bin/env python3
"""The untrained balanced E-I network of the CNS 2025 tutorial, Part 3, in Brian2.

Peer benchmark for spikeform (not run by CI). It reproduces the reference dynamics of
../shared/spec/rls-training.md sections 3.1-3.4, i.e. the same model as
examples/balanced_untrained.toml:

* N = 5000 LIF neurons, 2500 E (indices 0..2499) and 2500 I (2500..4999).
* Every neuron projects to 1000 targets drawn without replacement from the other 4999
  neurons (fixed out-degree; in-degrees vary). The weight depends only on (pre, post) type:
  EE 0.1341640786, E->I 0.894427191, I->E -0.6708203932, II -0.894427191.
* Dimensionless voltage, tau_m = 10 ms, spike when v > 1 (strict), reset to 0, no
  refractory period, constant bias 4.024922359 (E) / 2.683281573 (I), v(0) ~ U(0, 1).
* Exponential synaptic currents xE (positive weights) and xI (negative weights), tau 3 ms,
  unit-area kernel (a spike adds w/tau), delivered one step (0.1 ms) after the spike.
* Forward Euler, dt = 0.1 ms, in the reference's order within step n:
      xE <- xE - dt*xE/3 + FE_prev/3   (FE_prev: summed positive weights, spikes of step n-1)
      xI <- xI - dt*xI/3 + FI_prev/3
      v  <- v + (dt/10)*(bias - v + xE + xI)
      if v > 1: v <- 0, spike (its weights go to FE / FI, seen at step n+1)

How this maps onto Brian2. Brian2's own Euler state updater would integrate v and x
simultaneously from the values at the start of the step, and a Synapses `delay` of one dt
would add spikes to x *after* the state update of the next step. Neither is the reference
order, so the step is written out explicitly:

* NeuronGroup variables v, xE, xI and the accumulators FE, FI are plain (non-differential)
  variables; one `run_regularly` operation in the 'groups' slot executes the three Euler
  lines above (and clears FE, FI after reading them).
* Thresholding ('thresholds' slot) uses `v > 1`; four Synapses objects (EE, EI, IE, II, on
  subgroups) add their constant weight to FE_post / FI_post with zero delay in the 'synapses'
  slot of the step of the spike, so the accumulators are read by the next step's
  `run_regularly`: exactly the reference's one-step delay through its "Prev" buffers.
* The reset `v = 0` runs in the 'resets' slot.

Device: cpp_standalone (compiled with the machine's g++, Brian2's default flags
-O3 -ffast-math -fno-finite-math-only -march=native). --threads 1 builds the serial code
(no OpenMP); --threads N >= 2 sets prefs.devices.cpp_standalone.openmp_threads = N.

Timing (what is reported):
* sim_wall_s: wall-clock time of `network.run(...)` inside the compiled binary, measured with
  std::chrono::steady_clock by code inserted in the 'before_network_run' /
  'after_network_run' slots of main.cpp. This is the simulation loop only (30000 steps,
  spike recording included). It excludes Python, code generation, compilation, loading the
  static arrays and creating the synapses.
* brian2_run_time_s: Brian2's own `device._last_run_time` (results/last_run_info.txt). For
  the serial build Brian2 measures it with std::clock(), i.e. CPU time, not wall time; with
  OpenMP it is omp_get_wtime() wall time.
* binary_wall_s: wall-clock time of the whole binary as timed by Brian2 (device.timers
  ['run_binary']): process start, loading the connectivity arrays from disk, creating the
  5 million synapses, the run, and writing the results; binary_cpu_s: its user + sys time.
* Excluded everywhere: drawing the connectivity in numpy, code generation and compilation
  (reported separately as build_s, once per thread count).

The binary is built once and run --reps times; every run uses the same network and initial
voltages (same seed), as spikeform does with a fixed seed.

Code generation rewrites the arithmetic (dt/tau folded into constants, -ffast-math), so the
rounding differs from a literal transcription; check_step_order.py shows that the spike trains
are nevertheless identical to a numpy transcription of the reference over the whole 3000 ms
(seed 1: 139,292 spikes).

Usage:
    /tmp/peers-venv/bin/python benches/peers/balanced_brian2.py --threads 1 --reps 3
Prints one human-readable line per repetition and, last, one line "JSON {...}".
--serve (used by compare.py) builds, then runs once per "run" line read on stdin.
--save-spikes FILE.npz keeps the last run's spikes (used by check_step_order.py).
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

N_E = 2500
N_I = 2500
N = N_E + N_I
OUT_DEGREE = 1000
W_EE = 0.1341640786   # 0.15 je
W_EI = 0.894427191    # E -> I: je
W_IE = -0.6708203932  # I -> E: -0.75 ji
W_II = -0.894427191   # -ji
BIAS_E = 4.024922359  # 1.5 jx
BIAS_I = 2.683281573  # jx
TAU_M = 10.0          # ms
TAU_S = 3.0           # ms
DT = 0.1              # ms


def fixed_out_degree(rng):
    """For each pre neuron, OUT_DEGREE distinct targets among the other N-1 neurons."""
    pre = np.repeat(np.arange(N, dtype=np.int64), OUT_DEGREE)
    post = np.empty(N * OUT_DEGREE, dtype=np.int64)
    for j in range(N):
        t = rng.choice(N - 1, size=OUT_DEGREE, replace=False)
        t.sort()
        t[t >= j] += 1  # skip the neuron itself
        post[j * OUT_DEGREE:(j + 1) * OUT_DEGREE] = t
    return pre, post


def exact_network(pre, post, v0, record):
    """The reference's step order, written out (see the module doc). Returns the objects of
    the network, its SpikeMonitor and the namespace of the run."""
    from brian2 import NeuronGroup, SpikeMonitor, Synapses

    G = NeuronGroup(
        N,
        """
        v : 1
        xE : 1
        xI : 1
        FE : 1
        FI : 1
        bias : 1 (constant)
        """,
        threshold="v > 1",
        reset="v = 0",
        method="exact",  # no differential equations: nothing to integrate
        name="neurons",
    )
    G.v = v0
    G.bias = np.r_[np.full(N_E, BIAS_E), np.full(N_I, BIAS_I)]
    # The reference's step: traces from the previous step's spikes, then the voltage.
    G.run_regularly(
        """
        xE = xE - dt_ms*xE/tau_s + FE/tau_s
        xI = xI - dt_ms*xI/tau_s + FI/tau_s
        FE = 0
        FI = 0
        v = v + (dt_ms/tau_m)*(bias - v + xE + xI)
        """,
        when="groups",
        name="euler_step",
    )
    E = G[:N_E]
    I = G[N_E:]
    synapses = []
    for name, src, tgt, w, acc, pre_is_e, post_is_e in [
        ("EE", E, E, W_EE, "FE", True, True),
        ("EI", E, I, W_EI, "FE", True, False),
        ("IE", I, E, W_IE, "FI", False, True),
        ("II", I, I, W_II, "FI", False, False),
    ]:
        sel = ((pre < N_E) == pre_is_e) & ((post < N_E) == post_is_e)
        S = Synapses(src, tgt, on_pre=f"{acc}_post += w_const",
                     namespace={"w_const": w}, name=f"syn_{name}")
        S.connect(i=pre[sel] - (0 if pre_is_e else N_E),
                  j=post[sel] - (0 if post_is_e else N_E))
        synapses.append(S)
    # record=False keeps only the per-neuron spike count (the rates), not i and t.
    spikes = SpikeMonitor(G, record=record, name="spikes")
    # Plain numbers: all quantities are dimensionless, times in ms (as in the reference).
    namespace = {"dt_ms": DT, "tau_s": TAU_S, "tau_m": TAU_M}
    return [G, *synapses, spikes], spikes, namespace


def main(formulation="exact"):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1,
                    help="1: serial build (no OpenMP); N >= 2: OpenMP with N threads")
    ap.add_argument("--reps", type=int, default=3, help="runs of the compiled binary")
    ap.add_argument("--duration-ms", type=float, default=3000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--formulation", choices=["exact", "plain"], default=formulation,
                    help="exact: the reference's step order (this file); plain: the Brian2 "
                         "script a Brian2 user writes (plain_brian2.py)")
    ap.add_argument("--no-record", action="store_true",
                    help="SpikeMonitor(record=False): spike counts only, no spike times")
    ap.add_argument("--build-dir", default=None,
                    help="standalone project directory (default "
                         "/tmp/brian2_<formulation>_t<threads>[_norec]_<duration>ms)")
    ap.add_argument("--save-spikes", default=None,
                    help="write the last run's spikes (neuron, step) and v(0) to this .npz")
    ap.add_argument("--serve", action="store_true",
                    help="build, then run once per 'run' line on stdin (used by compare.py)")
    args = ap.parse_args()

    from brian2 import Network, Synapses, defaultclock, device, ms, prefs, set_device

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    build_dir = args.build_dir or (f"/tmp/brian2_{args.formulation}_t{args.threads}"
                                   f"{'_norec' if args.no_record else ''}"
                                   f"_{args.duration_ms:g}ms")
    set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0 if args.threads <= 1 else args.threads
    prefs.codegen.cpp.headers += ["<chrono>", "<fstream>"]
    defaultclock.dt = DT * ms

    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    pre, post = fixed_out_degree(rng)
    v0 = rng.uniform(0.0, 1.0, N)
    connectivity_s = time.perf_counter() - t0

    if args.formulation == "plain":
        from plain_brian2 import plain_network as network
    else:
        network = exact_network
    objects, spikes, namespace = network(pre, post, v0, record=not args.no_record)
    n_synapses = int(sum(len(o) for o in objects if isinstance(o, Synapses)))

    device.insert_code(
        "before_network_run",
        "auto _peer_t0 = std::chrono::steady_clock::now();",
    )
    device.insert_code(
        "after_network_run",
        "{ auto _peer_t1 = std::chrono::steady_clock::now();\n"
        "  std::ofstream _f(brian::results_dir + \"peer_sim_wall_seconds.txt\");\n"
        "  _f.precision(9);\n"
        "  _f << std::chrono::duration<double>(_peer_t1 - _peer_t0).count() << std::endl; }",
    )
    net = Network(*objects)
    net.run(args.duration_ms * ms, namespace=namespace)

    t0 = time.perf_counter()
    device.build(directory=build_dir, compile=True, run=False, clean=True)
    build_s = time.perf_counter() - t0

    seconds = args.duration_ms / 1000.0

    def run_once():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        device.run(directory=build_dir, with_output=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(os.path.join(device.results_dir, "peer_sim_wall_seconds.txt")) as f:
            sim_wall = float(f.read())
        # Re-read the results of this run (the array cache may hold the previous run's).
        for var in list(device.array_cache):
            device.array_cache[var] = None
        count = np.asarray(spikes.count[:], dtype=np.float64)
        if args.save_spikes and not args.no_record:
            np.savez(args.save_spikes, neuron=np.asarray(spikes.i[:]),
                     step=np.rint(np.asarray(spikes.t[:] / ms) / DT).astype(np.int64),
                     v0=v0, seed=args.seed)
        return {
            "sim_wall_s": sim_wall,
            "brian2_run_time_s": float(device._last_run_time),
            "binary_wall_s": float(device.timers["run_binary"]),
            "binary_cpu_s": (after.ru_utime - before.ru_utime)
            + (after.ru_stime - before.ru_stime),
            "rate_e_hz": count[:N_E].sum() / N_E / seconds,
            "rate_i_hz": count[N_E:].sum() / N_I / seconds,
            "spikes": int(count.sum()),
            "formulation": args.formulation,
            "record": not args.no_record,
        }

    def describe(k, rep):
        return (f"brian2 {args.formulation} record={not args.no_record} "
                f"threads={args.threads} rep {k}: simulation {rep['sim_wall_s']:.3f} s "
                f"wall (Brian2 _last_run_time {rep['brian2_run_time_s']:.3f} s; whole binary "
                f"{rep['binary_wall_s']:.3f} s wall, {rep['binary_cpu_s']:.3f} s CPU); "
                f"rates E {rep['rate_e_hz']:.3f} Hz, I {rep['rate_i_hz']:.3f} Hz")

    reps = []
    if args.serve:
        # Driven by compare.py: one run per "run" line on stdin, answered by one JSON line,
        # so that the two programs' repetitions can be interleaved on a noisy machine.
        print("READY " + json.dumps({"build_s": build_s,
                                     "connectivity_numpy_s": connectivity_s}), flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                break
            rep = run_once()
            reps.append(rep)
            print(describe(len(reps), rep), file=sys.stderr, flush=True)
            print("REP " + json.dumps(rep), flush=True)
        return 0
    for k in range(args.reps):
        rep = run_once()
        reps.append(rep)
        print(describe(k + 1, rep), flush=True)

    sims = [r["sim_wall_s"] for r in reps]
    summary = {
        "program": "brian2",
        "brian2_version": __import__("brian2").__version__,
        "threads": args.threads,
        "openmp_threads": prefs.devices.cpp_standalone.openmp_threads,
        "duration_ms": args.duration_ms,
        "seed": args.seed,
        "formulation": args.formulation,
        "record": not args.no_record,
        "synapses": n_synapses,
        "connectivity_numpy_s": connectivity_s,
        "build_s": build_s,
        "sim_wall_s_min": min(sims),
        "sim_wall_s_median": statistics.median(sims),
        "rate_e_hz": reps[-1]["rate_e_hz"],
        "rate_i_hz": reps[-1]["rate_i_hz"],
        "reps": reps,
    }
    print(f"brian2 {args.formulation} threads={args.threads}: simulation min {summary['sim_wall_s_min']:.3f} s, "
          f"median {summary['sim_wall_s_median']:.3f} s over {args.reps} runs; "
          f"mean rates E {summary['rate_e_hz']:.2f} Hz, I {summary['rate_i_hz']:.2f} Hz "
          f"(reference 6.61 / 11.99 Hz)")
    print("JSON " + json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
