//! `examples/tsn_sinusoid.toml` (TrainSpikingNet.jl's CPU-scaling run) shrunk to 400 neurons by
//! `--set` on list elements, as its header documents for other sizes; and the bad-input errors of
//! its OU stimulus.

mod common;

use common::*;

const EXAMPLE: &str = "examples/tsn_sinusoid.toml";

/// 200 E and 200 I neurons, p = 0.2 (K = 40), 45 + 45 plastic inputs, every neuron trained.
fn shrunk() -> Vec<String> {
    let mut sets: Vec<String> = (0..2)
        .map(|p| format!("network.populations[{p}].size=200"))
        .collect();
    sets.extend((0..4).map(|k| format!("network.connectivity.projections[{k}].probability=0.2")));
    sets
}

#[test]
fn shrunk_tsn_example_runs_its_schedule_and_learns() {
    let dir = scratch("tsn_shrunk");
    let mut sets = shrunk();
    sets.push("training.loops=8".into());
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let example = root().join(EXAMPLE);
    let s = run_summary(example.to_str().unwrap(), &dir.join("out"), &sets);
    assert_eq!(s["training"]["trained_neurons"].as_u64(), Some(400));
    assert_eq!(
        s["training"]["plastic_inputs_per_neuron"].as_u64(),
        Some(90)
    );
    assert_eq!(s["training"]["updates_per_loop"].as_u64(), Some(100));
    let r = r_per_loop(&s);
    assert_eq!(r.len(), 8);
    // Seed 1: r −0.036 after the first loop, 0.406 on the test trial after eight (the shrunk
    // network, K = 40, fires at 48 / 57 Hz and r varies from loop to loop by up to ±0.3).
    assert!(r[0] < 0.1, "r per loop {r:?}");
    let test_r = s["test"]["r_mean"].as_f64().unwrap();
    assert!(test_r > 0.3, "test r {test_r}; r per loop {r:?}");
}

#[test]
fn bad_ou_stimulus_keys_are_named() {
    for (set, needles) in [
        ("inputs[0].tau_ms=0", &["inputs[0].tau_ms", "> 0"][..]),
        ("inputs[0].sigma=-0.2", &["inputs[0].sigma"][..]),
        (
            "inputs[0].end_ms=700",
            &["inputs[0].end_ms", "later than start_ms"][..],
        ),
        ("inputs[0].end_ms=2500", &["inputs[0].end_ms"][..]),
        ("inputs[0].neurons=\"some\"", &["inputs[0].neurons"][..]),
        ("inputs[0].tau=20", &["tau"][..]),
    ] {
        assert_fails(&["check", EXAMPLE, "--set", set], 2, needles);
    }
}
