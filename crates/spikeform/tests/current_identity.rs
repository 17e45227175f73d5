//! With unit-area synaptic kernels, the time-averaged synaptic current of each neuron equals
//! `Σ_j w_ij ν_j`, its weights times its inputs' rates (balanced-theory.md §7, test 3).

use spikeform::experiment::spiking::{build_network, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::monitor::ActivityRecorder;
use spikeform::network::{Population, Projection, Sign};
use spikeform::neuron::{Integration, LifParams};
use spikeform::simulate::Simulator;

fn population(name: &str, size: usize, sign: Sign, bias: f64) -> Population {
    Population::new(name, size, sign, LifParams::tutorial(), bias)
}

#[test]
fn mean_synaptic_current_equals_weights_times_rates() {
    let duration_ms = 10_000.0;
    let dt_ms = 0.1;
    let exp = SpikingExperiment::untrained(
        "identity",
        3,
        dt_ms,
        (duration_ms / dt_ms) as u64,
        NetworkSpec {
            integration: Integration::Euler,
            populations: vec![
                population("E", 400, Sign::Excitatory, 1.3),
                population("I", 100, Sign::Inhibitory, 1.1),
            ],
            connectivity: Connectivity::FixedInDegree {
                projections: vec![
                    Projection {
                        pre: 0,
                        post: 0,
                        weight: 0.05,
                        in_degree: 80,
                    },
                    Projection {
                        pre: 0,
                        post: 1,
                        weight: 0.08,
                        in_degree: 80,
                    },
                    Projection {
                        pre: 1,
                        post: 0,
                        weight: -0.2,
                        in_degree: 20,
                    },
                    Projection {
                        pre: 1,
                        post: 1,
                        weight: -0.2,
                        in_degree: 20,
                    },
                ],
            },
            tau_exc_ms: 3.0,
            tau_inh_ms: 5.0,
            tau_plastic_ms: 150.0,
            delay_steps: 1,
            reset_queues: true,
            decay_on_arrival: false,
        },
    );
    let mut net = build_network(&exp);
    let mut sim = Simulator::new(&net);
    sim.reset_queues = true;
    // Sample the currents at every step, so that the only error is the trace still decaying
    // after the last spikes.
    let mut rec = ActivityRecorder::new(&net.population_of, 1, 0.0, 10, exp.trial_steps);
    sim.run_trial(&mut net, exp.frozen_trial(0, 1, "test"), &mut [&mut rec])
        .unwrap();
    let n = net.n_neurons();
    let rate_per_ms: Vec<f64> = rec
        .spikes
        .iter()
        .map(|s| s.len() as f64 / duration_ms)
        .collect();
    let mut expected_exc = vec![0.0; n];
    let mut expected_inh = vec![0.0; n];
    for (j, &rate) in rate_per_ms.iter().enumerate() {
        let (targets, weights) = net.static_synapses.outgoing(j);
        for (&t, &w) in targets.iter().zip(weights) {
            if w > 0.0 {
                expected_exc[t as usize] += w * rate;
            } else {
                expected_inh[t as usize] += w * rate;
            }
        }
    }
    let balance = rec.input_balance();
    let mean_rate = rate_per_ms.iter().sum::<f64>() / n as f64 * 1000.0;
    assert!(
        mean_rate > 1.0 && mean_rate < 100.0,
        "mean rate {mean_rate} Hz"
    );
    let mut worst: f64 = 0.0;
    for i in 0..n {
        for (measured, expected) in [
            (balance.excitatory[i], expected_exc[i]),
            (balance.inhibitory[i], expected_inh[i]),
        ] {
            assert!(expected.abs() > 0.0);
            worst = worst.max((measured / expected - 1.0).abs());
        }
    }
    // The kernel has unit area, so the identity holds up to the spikes of the last few τ whose
    // current is not yet integrated: a relative error of order τ/T = 5e-4.
    assert!(worst < 2e-3, "largest relative deviation {worst:e}");
}
