//! Simulation of the tutorial's untrained balanced network (N = 5000, K = 500): 100 ms (1000
//! steps) per iteration, from a fresh trial, on one thread and on two.
//!
//! Run: `cargo bench -p spikeform --bench simulate`.

use criterion::{criterion_group, criterion_main, Criterion};
use spikeform::experiment::spiking::{build_network, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::network::{Population, Sign};
use spikeform::neuron::LifParams;
use spikeform::simulate::Simulator;

fn balanced() -> SpikingExperiment {
    let je = 2.0 * 10.0 / 500f64.sqrt();
    let jx = 0.12 * 500f64.sqrt();
    let pop = |name, sign, bias| Population::new(name, 2500, sign, LifParams::tutorial(), bias);
    let mut network = NetworkSpec::new(
        vec![
            pop("E", Sign::Excitatory, 1.5 * jx),
            pop("I", Sign::Inhibitory, jx),
        ],
        Connectivity::FixedOutDegree {
            out_degree: 1000,
            weight: vec![vec![0.15 * je, je], vec![-0.75 * je, -je]],
        },
    );
    network.reset_queues = false;
    SpikingExperiment::untrained("bench", 1, 0.1, 1000, network)
}

fn bench(c: &mut Criterion) {
    let exp = balanced();
    let mut group = c.benchmark_group("balanced_network_n5000_k500");
    group.sample_size(20);
    // One thread (the serial loop), then two (the parallel trial): the same spikes.
    for (name, threads) in [("simulate_100ms", 1), ("simulate_100ms_2_threads", 2)] {
        let mut net = build_network(&exp);
        let mut sim = Simulator::new(&net);
        sim.threads = Some(threads);
        let mut index = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                index += 1;
                sim.run_trial(&mut net, exp.frozen_trial(0, index, "bench"), &mut [])
                    .expect("no runaway");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
