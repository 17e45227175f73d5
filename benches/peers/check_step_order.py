#!/usr/bin/env python3
"""Checks that balanced_brian2.py integrates the reference's step order (not run by CI).

Runs balanced_brian2.py for a short time and re-simulates the *same* network (same seed,
hence the same connectivity and v(0)) with a plain numpy transcription of
../shared/spec/rls-training.md section 3.3, then compares the spike trains spike by spike.
The network is chaotic and Brian2's generated code rounds differently (it folds dt/tau into
constants and is compiled with -ffast-math), so the trains agree exactly only until a
rounding difference first flips a threshold crossing; the check reports that step.
For contrast it also runs two wrong orders in numpy:
  * "old-x": v updated with the traces of the previous step (what Brian2's Euler
    updater would do with the x's as ODEs), and
  * "decayed": spikes added to x at the end of their own step (a zero-delay synapse on x),
    so that they are decayed once before use.

    /tmp/peers-venv/bin/python benches/peers/check_step_order.py --duration-ms 300
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import balanced_brian2 as b  # noqa: E402


def simulate(pre_post, v0, steps, order):
    pre, post = pre_post
    n = b.N
    w_by = {(True, True): b.W_EE, (True, False): b.W_EI,
            (False, True): b.W_IE, (False, False): b.W_II}
    targets = post.reshape(n, b.OUT_DEGREE)
    is_e = np.arange(n) < b.N_E
    weights = np.where(is_e[:, None],
                       np.where(targets < b.N_E, w_by[(True, True)], w_by[(True, False)]),
                       np.where(targets < b.N_E, w_by[(False, True)], w_by[(False, False)]))
    bias = np.where(is_e, b.BIAS_E, b.BIAS_I)
    dt, ts, tm = b.DT, b.TAU_S, b.TAU_M
    v = v0.copy()
    xE = np.zeros(n)
    xI = np.zeros(n)
    FEp = np.zeros(n)
    FIp = np.zeros(n)
    out = []
    for step in range(steps):
        if order == "reference":
            xE = xE - dt * xE / ts + FEp / ts
            xI = xI - dt * xI / ts + FIp / ts
            v = v + (dt / tm) * (bias - v + xE + xI)
        elif order == "old-x":
            v = v + (dt / tm) * (bias - v + xE + xI)
            xE = xE - dt * xE / ts + FEp / ts
            xI = xI - dt * xI / ts + FIp / ts
        elif order == "decayed":
            xE = xE - dt * xE / ts
            xI = xI - dt * xI / ts
            v = v + (dt / tm) * (bias - v + xE + xI)
        sp = np.flatnonzero(v > 1.0)
        v[sp] = 0.0
        FE = np.zeros(n)
        FI = np.zeros(n)
        for j in sp:
            (FE if is_e[j] else FI)[targets[j]] += weights[j]
        if order == "decayed":
            xE += FE / ts
            xI += FI / ts
        FEp, FIp = FE, FI
        out.extend((step, int(j)) for j in sp)
    return out


def first_difference(a, b_):
    sa = {}
    sb = {}
    for s, j in a:
        sa.setdefault(s, set()).add(j)
    for s, j in b_:
        sb.setdefault(s, set()).add(j)
    steps = sorted(set(sa) | set(sb))
    same = 0
    for s in steps:
        if sa.get(s, set()) != sb.get(s, set()):
            return s, same
        same += len(sa[s])
    return None, same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration-ms", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    steps = int(round(args.duration_ms / b.DT))
    with tempfile.TemporaryDirectory(prefix="peers-check-") as tmp:
        npz = os.path.join(tmp, "spikes.npz")
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__),
                                                     "balanced_brian2.py"),
                        "--reps", "1", "--duration-ms", str(args.duration_ms),
                        "--seed", str(args.seed), "--save-spikes", npz,
                        "--build-dir", os.path.join(tmp, "build")],
                       check=True, stdout=subprocess.DEVNULL)
        d = np.load(npz)
        brian = sorted(zip(d["step"].tolist(), d["neuron"].tolist()))
        v0 = d["v0"]
    rng = np.random.default_rng(args.seed)
    pre_post = b.fixed_out_degree(rng)
    assert np.array_equal(rng.uniform(0.0, 1.0, b.N), v0), "v(0) differs"
    print(f"Brian2: {len(brian)} spikes in {args.duration_ms:g} ms")
    for order in ["reference", "old-x", "decayed"]:
        ref = simulate(pre_post, v0, steps, order)
        step, same = first_difference(brian, ref)
        where = ("identical over the whole run" if step is None else
                 f"first differing step {step} (t = {step * b.DT:.1f} ms, Brian2 step numbering "
                 f"from 0), {same} identical spikes before it")
        print(f"numpy order '{order}': {len(ref)} spikes; {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
