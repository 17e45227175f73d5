#!/usr/bin/env python3
"""The untrained balanced network as a Brian2 user writes it: the "plain" formulation.

Peer benchmark for spikeform (not run by CI). Same network, parameters, connectivity and v(0)
as balanced_brian2.py (examples/balanced_untrained.toml: N = 5000, 1000 targets per neuron,
the same four weights and biases), in the idiomatic Brian2 form:

* one NeuronGroup with
      dv/dt  = (mu - v + xE + xI)/tau_m
      dxE/dt = -xE/tau_s
      dxI/dt = -xI/tau_s
  threshold `v > 1`, reset `v = 0`, method="euler" (tau_m = 10 ms, tau_s = 3 ms, mu the
  per-neuron bias);
* two Synapses objects (from E and from I onto all neurons) with a per-synapse weight `w` and
  on_pre "xE_post += w/tau_s" (resp. xI), zero delay; `w` carries the unit ms so that w/tau_s
  is the reference's dimensionless jump w/3;
* a SpikeMonitor (record=False when spike recording is switched off: counts only).

How it relates to the reference's step order (balanced_brian2.py writes that order out):
Brian2's Euler step advances v and x together from the values at the start of the step, and
a spike is added to x in the 'synapses' slot at the end of its own step. Call B_n the trace at
the end of step n: B_n = (1 - dt/tau_s) B_{n-1} + F_n/tau_s, and step n+1 updates v with
B_n. The reference's x_{n+1} = (1 - dt/tau_s) x_n + F_n/tau_s is the same recursion, and its
step n+1 updates v with x_{n+1}; so B_n = x_{n+1}, and both formulations are the same
arithmetic up to the rounding of the generated code. With seed 1 over 3000 ms both give the
same 139,292 spikes (6.610 / 11.962 Hz).

Run it alone (builds /tmp/brian2_plain_t1_<duration>ms, then times the binary):
    /tmp/peers-venv/bin/python benches/peers/plain_brian2.py --reps 3 --duration-ms 30000
    /tmp/peers-venv/bin/python benches/peers/plain_brian2.py --no-record
All options are those of balanced_brian2.py (this file only supplies the network).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import balanced_brian2 as b  # noqa: E402


def plain_network(pre, post, v0, record):
    """The idiomatic Brian2 network for the connectivity (pre, post) and initial voltages v0.
    Returns the objects of the network, its SpikeMonitor and the namespace of the run."""
    from brian2 import NeuronGroup, SpikeMonitor, Synapses, ms

    G = NeuronGroup(
        b.N,
        """
        dv/dt = (mu - v + xE + xI)/tau_m : 1
        dxE/dt = -xE/tau_s : 1
        dxI/dt = -xI/tau_s : 1
        mu : 1 (constant)
        """,
        threshold="v > 1",
        reset="v = 0",
        method="euler",
        name="neurons",
    )
    G.v = v0
    G.mu = np.r_[np.full(b.N_E, b.BIAS_E), np.full(b.N_I, b.BIAS_I)]
    pre_is_e = pre < b.N_E
    post_is_e = post < b.N_E
    weight = np.where(pre_is_e, np.where(post_is_e, b.W_EE, b.W_EI),
                      np.where(post_is_e, b.W_IE, b.W_II))
    synapses = []
    for name, source, trace, sel, first in [
        ("from_E", G[:b.N_E], "xE", pre_is_e, 0),
        ("from_I", G[b.N_E:], "xI", ~pre_is_e, b.N_E),
    ]:
        S = Synapses(source, G, model="w : second (constant)",
                     on_pre=f"{trace}_post += w/tau_s", name=f"syn_{name}")
        S.connect(i=pre[sel] - first, j=post[sel])
        S.w = weight[sel] * ms
        synapses.append(S)
    spikes = SpikeMonitor(G, record=record, name="spikes")
    namespace = {"tau_m": b.TAU_M * ms, "tau_s": b.TAU_S * ms}
    return [G, *synapses, spikes], spikes, namespace


if __name__ == "__main__":
    sys.exit(b.main(formulation="plain"))
