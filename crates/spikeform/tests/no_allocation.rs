//! A learning trial does not allocate per time step or per RLS update: a trial of 2000 or 6000
//! steps, with RLS updates every 2 ms on both threads, voltage noise and refractoriness, makes
//! only the few allocations of its set-up.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use spikeform::experiment::spiking::{build_network, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::network::plastic::PenaltyWeights;
use spikeform::network::{PlasticSynapses, Population, Sign};
use spikeform::neuron::LifParams;
use spikeform::simulate::{Learning, Simulator, Trial};
use spikeform::train::{LearningSchedule, Precision, RlsOptions, Storage};

/// The system allocator, counting allocations.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_learning_trial_allocates_nothing_per_step() {
    let neuron = LifParams {
        noise_sigma: 0.3,
        refractory_ms: 1.0,
        ..LifParams::tutorial()
    };
    let exp = SpikingExperiment::untrained(
        "no-allocation",
        2,
        0.1,
        6000,
        NetworkSpec::new(
            vec![
                Population::new("E", 400, Sign::Excitatory, neuron.clone(), 0.8),
                Population::new("I", 100, Sign::Inhibitory, neuron, 0.8),
            ],
            Connectivity::FixedOutDegree {
                out_degree: 50,
                weight: vec![vec![0.05, 0.2], vec![-0.2, -0.2]],
            },
        ),
    );
    let mut net = build_network(&exp);
    let trained: Vec<usize> = (0..60).collect();
    let inh: Vec<usize> = (400..500).collect();
    net.plastic = PlasticSynapses::sampled(
        500,
        &trained,
        &trained,
        &inh,
        (20, 20),
        (0.2, -0.2),
        (0, 1),
        PenaltyWeights {
            lambda: 0.5,
            mu: 1.0,
            lambda_ff: 1.0,
        },
        RlsOptions {
            storage: Storage::Packed,
            precision: Precision::F32,
            block: 2,
            ..Default::default()
        },
        &mut spikeform::rng::stream(2, "plastic"),
    );
    let mut sim = Simulator::new(&net);
    let mut run = |steps: u64, index: u64| {
        let schedule = LearningSchedule {
            start_step: 0,
            end_step: steps,
            every_steps: 20,
        };
        let n_updates = schedule.updates_per_trial() as usize;
        let targets = vec![0.5; trained.len() * n_updates];
        let trial = Trial {
            steps,
            condition: 0,
            learning: Some(Learning {
                schedule,
                targets: &targets,
                n_updates,
            }),
            seed: exp.seed,
            index,
            phase: "train",
        };
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        sim.run_trial(&mut net, trial, &mut []).unwrap();
        ALLOCATIONS.load(Ordering::Relaxed) - before
    };
    // Warm up: buffers reach their working sizes, rayon starts its threads.
    run(6000, 1);
    // A trial sets itself up with a few allocations, and rayon's job queues add a few now and
    // then (3 to 7 per trial were seen); one per step or per update would be 2000 or 100 and up.
    for (steps, index) in [(2000, 2), (6000, 3), (2000, 4), (6000, 5)] {
        let count = run(steps, index);
        assert!(
            count < 20,
            "{count} allocations in a learning trial of {steps} steps ({} updates)",
            steps / 20
        );
    }
}
