//! The simulation gives the same numbers, bit for bit, on 1, 2 and 3 threads: every spike, every
//! membrane potential and synaptic current at every step, and the state carried to the next
//! trial (delivery queues, clock), on a small and a medium network, with and without voltage
//! noise and refractoriness, with a Poisson drive arriving in the queues.

use spikeform::experiment::spiking::{build_network, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::monitor::{Control, Monitor, StepView};
use spikeform::network::{PoissonDrive, Population, Sign, StaticSynapses};
use spikeform::neuron::LifParams;
use spikeform::simulate::{Simulator, SimulatorState};

/// Every spike (step, neuron) and the bits of every voltage and E/I current of a run.
#[derive(Default, PartialEq, Debug)]
struct Everything {
    spikes: Vec<(u64, u32)>,
    bits: Vec<u64>,
}

impl Monitor for Everything {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        self.spikes
            .extend(view.spiked.iter().map(|&i| (view.step, i)));
        for x in [view.v, view.input_exc, view.input_inh, view.input_ext] {
            self.bits.extend(x.iter().map(|a| a.to_bits()));
        }
        Ok(())
    }
}

/// How the static weights vary.
#[derive(Clone, Copy)]
enum Weights {
    /// By population pair (runs of equal weights, delivered by binary search per run).
    ByPopulation,
    /// Every synapse its own (no runs: delivered synapse by synapse).
    BySynapse,
}

/// A balanced network of `n` neurons in two E populations with different outgoing weights (so
/// that the order in which a target sums its E inputs shows in the bits) and one I population,
/// `steps` steps per trial; with `noisy`, the first E population has voltage noise and a
/// refractory period and the I population a Poisson drive.
fn experiment(n: usize, out_degree: usize, steps: u64, noisy: bool) -> SpikingExperiment {
    let (n_e, n_i) = (n * 2 / 5, n / 5);
    let scale = 100.0 / out_degree as f64;
    let noisy_neuron = LifParams {
        noise_sigma: if noisy { 0.5 } else { 0.0 },
        refractory_ms: if noisy { 2.0 } else { 0.0 },
        ..LifParams::tutorial()
    };
    let mut inhibitory = Population::new("I", n_i, Sign::Inhibitory, LifParams::tutorial(), 1.1);
    if noisy {
        inhibitory.poisson = Some(PoissonDrive {
            inputs: 50,
            rate_hz: 20.0,
            weight: 0.05,
        });
    }
    let e = |w: f64| vec![w * 0.021 * scale, w * 0.021 * scale, w * 0.083 * scale];
    SpikingExperiment::untrained(
        "parallel",
        7,
        0.1,
        steps,
        NetworkSpec::new(
            vec![
                Population::new("E1", n_e, Sign::Excitatory, noisy_neuron, 1.3),
                Population::new("E2", n_e, Sign::Excitatory, LifParams::tutorial(), 1.3),
                inhibitory,
            ],
            Connectivity::FixedOutDegree {
                out_degree,
                weight: vec![e(1.0), e(1.37), vec![-0.2 * scale; 3]],
            },
        ),
    )
}

/// Two trials back to back on `threads` threads (queues carried from the first to the second):
/// everything the monitors saw, and the state left for a third.
fn run(exp: &SpikingExperiment, weights: Weights, threads: usize) -> (Everything, SimulatorState) {
    let mut net = build_network(exp);
    if let Weights::BySynapse = weights {
        let s = &net.static_synapses;
        let jittered = (0..s.n_synapses())
            .map(|k| s.weights[k] * (1.0 + 0.1 * ((k * 7919) % 101) as f64 / 101.0))
            .collect();
        net.static_synapses = StaticSynapses::new(s.offsets.clone(), s.targets.clone(), jittered);
    }
    let mut sim = Simulator::new(&net);
    sim.threads = Some(threads);
    let mut all = Everything::default();
    for index in 1..=2 {
        sim.run_trial(
            &mut net,
            exp.frozen_trial(0, index, "test"),
            &mut [&mut all],
        )
        .unwrap();
    }
    (all, sim.state())
}

fn assert_same_on_1_2_and_3_threads(exp: &SpikingExperiment, weights: Weights, min_spikes: usize) {
    let (serial, serial_state) = run(exp, weights, 1);
    assert!(
        serial.spikes.len() >= min_spikes,
        "{} spikes: too few to compare",
        serial.spikes.len()
    );
    let n = exp
        .network
        .populations
        .iter()
        .map(|p| p.size)
        .sum::<usize>() as u32;
    for pop in [0..n * 2 / 5, n * 2 / 5..n * 4 / 5, n * 4 / 5..n] {
        assert!(
            serial.spikes.iter().any(|(_, i)| pop.contains(i)),
            "every population fires"
        );
    }
    for threads in [2, 3] {
        let (parallel, state) = run(exp, weights, threads);
        assert_eq!(parallel.spikes, serial.spikes, "{threads} threads: spikes");
        assert!(
            parallel.bits == serial.bits,
            "{threads} threads: voltages or currents"
        );
        assert!(state == serial_state, "{threads} threads: carried state");
    }
}

#[test]
fn a_small_network_gives_the_same_numbers_on_1_2_and_3_threads() {
    for noisy in [false, true] {
        for weights in [Weights::ByPopulation, Weights::BySynapse] {
            assert_same_on_1_2_and_3_threads(&experiment(200, 40, 2_000, noisy), weights, 500);
        }
    }
}

#[test]
fn a_medium_network_gives_the_same_numbers_on_1_2_and_3_threads() {
    for noisy in [false, true] {
        assert_same_on_1_2_and_3_threads(
            &experiment(3_000, 300, 1_000, noisy),
            Weights::ByPopulation,
            5_000,
        );
    }
}
