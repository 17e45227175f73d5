//! The engine's components from experiment files: the EIF network of Akil et al. with its
//! external Poisson layer, windowed currents on neuron sets, and STDP on a projection; and the
//! messages for bad component sections.

mod common;

use common::*;

/// `examples/akil_untrained.toml`, shortened to 2 s (rates over the last 1 s): within 10% of the
/// reference simulation's 5.65 / 14.38 Hz (the full example gives 5.73 / 14.55, see
/// docs/reproduction.md), and the mean field 5.8235 / 15.8824 Hz in summary.json.
#[test]
fn akil_example_rates_and_mean_field() {
    let dir = scratch("akil");
    let s = run_summary(
        "examples/akil_untrained.toml",
        &dir,
        &["duration_ms=2000", "test.burn_in_ms=1000"],
    );
    let rate = |p: &str| s["activity"]["rate_hz"][p].as_f64().unwrap();
    assert!((rate("e") / 5.65 - 1.0).abs() < 0.10, "E {}", rate("e"));
    assert!((rate("i") / 14.38 - 1.0).abs() < 0.10, "I {}", rate("i"));
    let theory = &s["theory"]["balanced_limit_rate_hz"];
    assert!((theory["e"].as_f64().unwrap() - 5.8235).abs() < 1e-4);
    assert!((theory["i"].as_f64().unwrap() - 15.8824).abs() < 1e-4);
}

/// A small E/I network with a windowed current on half of E and STDP on E→E.
fn small(extra: &str) -> String {
    format!(
        r#"
version = 1
name = "components"
seed = 2
duration_ms = 300.0
[network]
kind = "spiking"
tau_exc_ms = 3.0
tau_inh_ms = 3.0
[[network.populations]]
name = "E"
size = 80
excitatory = true
tau_membrane_ms = 10.0
bias = 1.05
[[network.populations]]
name = "I"
size = 20
excitatory = false
tau_membrane_ms = 10.0
bias = 1.05
[network.connectivity]
rule = "bernoulli"
projections = [
  {{ pre = "E", post = "E", weight = 0.02, probability = 0.2 }},
  {{ pre = "E", post = "I", weight = 0.05, probability = 0.2 }},
  {{ pre = "I", post = "E", weight = -0.05, probability = 0.2 }},
]
{extra}
"#
    )
}

const WINDOW: &str = r#"
[[inputs]]
kind = "windowed_current"
name = "opto"
neurons = { population = "E", fraction = 0.5 }
gains = { min = 0.5, max = 1.5 }
start_ms = 100.0
end_ms = 200.0
waveform = { kind = "constant", amplitude = 1.0 }
"#;

const STDP: &str = r#"
[[plasticity]]
rule = "additive_stdp"
pre = "E"
post = "E"
a_plus = 0.001
a_minus = 0.0005
w_min = 0.0
w_max = 0.1
"#;

/// The windowed current drives the stimulated cells inside the window (the population's
/// external input rises by about half its mean gain) and STDP changes E→E weights; the file
/// round-trips through `check`.
#[test]
fn windowed_current_and_stdp_from_a_file() {
    let dir = scratch("components_file");
    let file = write(&dir, "c.toml", &small(&format!("{WINDOW}{STDP}")));
    let o = spikeform(&["check", &file]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let normalized = String::from_utf8_lossy(&o.stdout);
    assert!(normalized.contains("windowed_current") && normalized.contains("additive_stdp"));
    let s = run_summary(&file, &dir.join("run"), &[]);
    let external = s["activity"]["mean_input"]["e"]["external"]
        .as_f64()
        .unwrap();
    // Mean over the trial: bias 1.05 plus 0.5 (half the cells) × 1.0 (mean gain) × 1/3 (the
    // window is a third of the trial), within the spread of 40 random gains.
    assert!(
        (external - (1.05 + 0.5 / 3.0)).abs() < 0.03,
        "external {external}"
    );
    // STDP with A₊ = 2 A₋ strengthens E→E at uncorrelated rates ((A₊ − A₋) τ r² > 0).
    let ee = &s["plasticity"]["E->E"];
    let (before, after) = (
        ee["mean_weight_initial"].as_f64().unwrap(),
        ee["mean_weight_final"].as_f64().unwrap(),
    );
    assert!((before - 0.02).abs() < 1e-12, "initial mean {before}");
    assert!(after > before, "E->E mean weight {before} -> {after}");
    assert!(ee["synapses"].as_u64().unwrap() > 800, "{ee}");
}

/// `record.neurons` takes a neuron set spelled as an input's: half of I, drawn once.
#[test]
fn record_neurons_take_a_neuron_set() {
    let dir = scratch("record_set");
    let text = small("").replace(
        "[network]",
        "[record]\nneurons = { population = \"I\", fraction = 0.5 }\n[network]",
    );
    let file = write(&dir, "r.toml", &text);
    run_summary(&file, &dir.join("run"), &[]);
    let traces = spikeform_io::npy::read_npz(dir.join("run/traces.npz")).unwrap();
    let neurons = &traces["neurons"].data;
    assert_eq!(neurons.len(), 10);
    assert!(
        neurons.iter().all(|&i| (80.0..100.0).contains(&i)),
        "{neurons:?}"
    );
    assert!(neurons.windows(2).all(|w| w[0] < w[1]));
}

fn bad(name: &str, extra: &str, needles: &[&str]) {
    let dir = scratch(name);
    let file = write(&dir, "bad.toml", &small(extra));
    assert_fails(&["check", &file], 2, needles);
}

#[test]
fn bad_component_sections_name_the_key_and_the_rule() {
    bad(
        "nobody",
        &WINDOW.replace("fraction = 0.5", "fraction = 0.001"),
        &["inputs[0].neurons", "selects no neuron"],
    );
    bad(
        "late_window",
        &WINDOW.replace("end_ms = 200.0", "end_ms = 400.0"),
        &["inputs[0].end_ms"],
    );
    bad(
        "trained_set",
        &WINDOW.replace("{ population = \"E\", fraction = 0.5 }", "\"trained\""),
        &["inputs[0].neurons", "trained neurons"],
    );
    bad(
        "no_projection",
        &STDP
            .replace("post = \"E\"", "post = \"I\"")
            .replace("pre = \"E\"", "pre = \"I\""),
        &["plasticity[0].post", "no projection from \"I\" to \"I\""],
    );
    bad(
        "bounds",
        &STDP.replace("w_max = 0.1", "w_max = -0.1"),
        &["plasticity[0].w_max", "must be >= w_min"],
    );
    bad(
        "negative_rate",
        &STDP.replace("a_plus = 0.001", "a_plus = -0.001"),
        &["plasticity[0].a_plus"],
    );
    bad(
        "unknown_rule",
        &STDP.replace("additive_stdp", "magic"),
        &["plasticity[0]", "additive_stdp"],
    );
}

#[test]
fn bad_network_keys_of_the_new_models_and_rules() {
    let dir = scratch("bad_eif");
    let eif = small("").replace(
        "excitatory = true\ntau_membrane_ms = 10.0",
        "excitatory = true\nmodel = \"eif\"\ntau_membrane_ms = 10.0\nsoft_threshold = 0.5",
    );
    let file = write(&dir, "eif.toml", &eif);
    assert_fails(
        &["check", &file],
        2,
        &["network.populations[0].slope", "model = \"eif\""],
    );
    let file = write(
        &dir,
        "p.toml",
        &small("").replacen("probability = 0.2", "probability = 1.2", 1),
    );
    assert_fails(
        &["check", &file],
        2,
        &["network.connectivity.projections[0].probability", "[0, 1]"],
    );
}
