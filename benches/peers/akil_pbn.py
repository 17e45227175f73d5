"""One run of the Akil, Rosenbaum & Josic network in the authors' numpy package
(plastic-balanced-network 0.0.6, dense N x N weights): static, or with iSTDP on I->E.

Prints one JSON line: the wall-clock seconds of connectivity, feed-forward spike generation and
simulation, and the mean E and I rates over the second half of the run.

    /tmp/pbn-venv/bin/python benches/peers/akil_pbn.py --n 5000 --t-ms 10000 --istdp
"""

import argparse
import json
import logging
import time

import importlib.util
import os

import numpy as np


def load_network_class():
    """The package's network module. Version 0.0.6 as published lacks the VERSION file its
    __init__.py reads, so the module is loaded from the package folder without running it."""
    spec = importlib.util.find_spec("plastic_balanced_network")
    folder = spec.submodule_search_locations[0]
    mod_spec = importlib.util.spec_from_file_location("pbn_network", os.path.join(folder, "network.py"))
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module.PlasticNeuralNetwork


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--t-ms", type=int, default=10000)
    ap.add_argument("--istdp", action="store_true", help="iSTDP on I->E, eta0 = 0.01 (J_norm 200)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    logging.disable(logging.CRITICAL)
    np.random.seed(a.seed)
    times = {}
    t0 = time.perf_counter()
    PlasticNeuralNetwork = load_network_class()
    net = PlasticNeuralNetwork(a.n, a.t_ms, frac_exc=0.8, frac_ext=0.2, dt=0.1, nBinsRecord=10)
    net.connectivity()
    times["connectivity_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.ffwd_spikes(a.t_ms, cx=0, rx=0.01, taujitter=5)
    times["ffwd_s"] = time.perf_counter() - t0
    # spikeform's eta = eta0 sqrt(N)/200 with eta0 = 0.01; the package divides by
    # J_norm = -150/sqrt(N), so the same per-spike rate is eta0' = 0.01 * 150/200.
    eta = 0.01 * 150 / 200 if a.istdp else 0
    t0 = time.perf_counter()
    s = net.simulate(eta_ei=eta, rho_ei=0.010)[0]
    times["simulate_s"] = time.perf_counter() - t0
    late = s[0, :] > a.t_ms / 2
    ne = net.Ne
    r_e = np.sum(late & (s[1, :] < ne)) / ne / (a.t_ms / 2000)
    r_i = np.sum(late & (s[1, :] >= ne)) / (a.n - ne) / (a.t_ms / 2000)
    print(json.dumps({**times, "n": a.n, "t_ms": a.t_ms, "istdp": a.istdp, "rate_e_hz": r_e, "rate_i_hz": r_i}))


if __name__ == "__main__":
    main()
