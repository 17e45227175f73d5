//! Plasticity in the balanced network of Akil, Rosenbaum & Josić (`plasticity.md`): the
//! examples `plastic_istdp.toml` and `plastic_kohonen.toml` against the mean-field theory and
//! the reference simulation, and the messages for bad `[[plasticity]]` sections.
//!
//! The full checks (`plasticity.md` §8.3–§8.5) are `#[ignore]`d (a few minutes each):
//! `cargo test --release -p spikeform-cli --test plasticity -- --ignored`.

mod common;

use common::*;
use serde_json::Value;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

const SQRT_N: f64 = 70.710_678_118_654_76; // √5000

/// The theory block of a plastic iSTDP run: r_E = 10, r_I = 23.4 Hz, j_ei* = −119.66
/// (`plasticity.md` §7 item 11, 0.1%), τ_w = 1/(0.2275·η) (§5.5).
fn check_istdp_theory(s: &Value) {
    let t = &s["theory"]["plasticity"];
    let j = num(&t["fixed_point_weight"]["I->E"]) * SQRT_N;
    assert!((j / -119.6581 - 1.0).abs() < 1e-3, "j_ei* = {j}");
    assert!((num(&t["fixed_point_rate_hz"]["e"]) - 10.0).abs() < 1e-9);
    assert!((num(&t["fixed_point_rate_hz"]["i"]) - 23.4).abs() < 1e-9);
    let eta = 0.01 * SQRT_N / 200.0;
    let tau_w = num(&t["relaxation_time_ms"]);
    assert!(
        (tau_w * 0.2275 * eta - 1.0).abs() < 2e-3,
        "τ_w = {tau_w} ms"
    );
}

/// iSTDP at η₀ = 0.01 for 6 s (rates over the last 2 s): the E rate is at the 10-Hz target
/// within 0.5 Hz and the across-cell SD (7 Hz in the static network) has collapsed below
/// 1.5 Hz (2-s windows; the 10-s window of the full test is held to 0.5 Hz); the I→E weights
/// weakened from j = −150 toward the fixed point, and the I cells' rates correlate with their
/// outgoing weights (reference: +0.93 to +0.97).
#[test]
fn istdp_drives_every_e_cell_to_the_target() {
    let dir = scratch("plastic_istdp_short");
    let s = run_summary(
        "examples/plastic_istdp.toml",
        &dir,
        &["duration_ms=6000", "test.burn_in_ms=4000"],
    );
    check_istdp_theory(&s);
    let r_e = num(&s["activity"]["rate_hz"]["e"]);
    assert!((r_e - 10.0).abs() < 0.5, "r_E = {r_e}");
    let ie = &s["plasticity"]["I->E"];
    let sd = num(&ie["weight_rate"]["post_rate_sd_hz"]);
    assert!(sd < 1.5, "SD of E rates {sd}");
    let (before, after) = (
        num(&ie["mean_weight_initial"]) * SQRT_N,
        num(&ie["mean_weight_final"]) * SQRT_N,
    );
    assert!((before + 150.0).abs() < 0.5, "{before}");
    assert!(after > before && after < -110.0, "j_ei {before} -> {after}");
    assert!(num(&ie["weight_rate"]["outgoing_correlation"]) > 0.5);
    let weights = spikeform_io::npy::read_npz(dir.join("plasticity.npz")).unwrap();
    let means = &weights["mean_weight"].data;
    assert_eq!(means.len(), 60, "every 100 ms for 6 s");
    assert!((means[0] * SQRT_N + 150.0).abs() < 5.0 && (means[59] * SQRT_N - after).abs() < 1e-9);
}

/// `plasticity.md` §8.3–§8.4 on the example (30 s, rates over the last 10 s): r_E = 10 ± 0.5
/// Hz with an across-cell SD below 0.5 Hz; from j_ei = −150 and −250 the same E rate, final mean
/// weights more than 20% apart, mean inhibitory current onto E within 3%.
#[test]
#[ignore]
fn istdp_manifold_of_fixed_points() {
    let run = |j0: f64, name: &str| {
        let dir = scratch(name);
        let text = std::fs::read_to_string(root().join("examples/plastic_istdp.toml"))
            .unwrap()
            .replace("-2.1213203435596424", &format!("{}", j0 / SQRT_N));
        let file = write(&dir, "istdp.toml", &text);
        run_summary(&file, &dir.join("run"), &[])
    };
    let (a, b) = (run(-150.0, "istdp_150"), run(-250.0, "istdp_250"));
    check_istdp_theory(&a);
    let stats = |s: &Value| {
        let ie = &s["plasticity"]["I->E"];
        (
            num(&s["activity"]["rate_hz"]["e"]),
            num(&ie["weight_rate"]["post_rate_sd_hz"]),
            num(&ie["mean_weight_final"]) * SQRT_N,
            num(&s["activity"]["mean_input"]["e"]["inhibitory"]),
        )
    };
    let (ra, sda, ja, ia) = stats(&a);
    let (rb, sdb, jb, ib) = stats(&b);
    println!("A (-150): r_E {ra:.3} Hz, SD {sda:.3} Hz, j_ei {ja:.2}, I_i onto E {ia:.4}");
    println!("B (-250): r_E {rb:.3} Hz, SD {sdb:.3} Hz, j_ei {jb:.2}, I_i onto E {ib:.4}");
    for (r, sd) in [(ra, sda), (rb, sdb)] {
        assert!((r - 10.0).abs() < 0.5 && sd < 0.5, "r_E {r}, SD {sd}");
    }
    assert!((ra - rb).abs() < 0.5, "same E rate: {ra} vs {rb}");
    assert!((jb / ja - 1.0).abs() > 0.2, "mean weights {ja} vs {jb}");
    assert!(
        (ib / ia - 1.0).abs() < 0.03,
        "inhibitory currents {ia} vs {ib}"
    );
}

/// The Kohonen theory block (`plasticity.md` §7 item 13, 15): j* = 3.000 at j_ei = −100,
/// β = 2; r_E = 7.5, r_I = 18.9 Hz; unstable root 42; saddle-node β_c = 8.04.
fn check_kohonen_theory(s: &Value) {
    let t = &s["theory"]["plasticity"];
    assert!((num(&t["fixed_point_weight"]["E->E"]) * SQRT_N - 3.0).abs() < 1e-3);
    assert!((num(&t["kohonen_unstable_weight"]) * SQRT_N - 42.0).abs() < 1e-3);
    assert!((num(&t["fixed_point_rate_hz"]["e"]) - 7.5).abs() < 1e-3);
    assert!((num(&t["fixed_point_rate_hz"]["i"]) - 18.9).abs() < 1e-3);
    assert!((num(&t["kohonen_saddle_node_beta"]) * SQRT_N - 8.04).abs() < 5e-3);
}

/// Kohonen on E→E at a fourfold learning rate (η = 0.2, so synapses onto cells above 3 Hz relax
/// within 1.7 s) for 12 s: every synapse's weight follows β·τ·r_pre, so the slope of J_jk
/// against r_k is β·τ within 5% (`plasticity.md` §8.5) and the correlation is high.
#[test]
fn kohonen_weights_grow_with_the_presynaptic_rate() {
    let dir = scratch("plastic_kohonen_short");
    let text = std::fs::read_to_string(root().join("examples/plastic_kohonen.toml"))
        .unwrap()
        .replace("eta = 0.05", "eta = 0.2");
    let file = write(&dir, "kohonen.toml", &text);
    let s = run_summary(
        &file,
        &dir.join("run"),
        &["duration_ms=12000", "test.burn_in_ms=6000"],
    );
    check_kohonen_theory(&s);
    let w = &s["plasticity"]["E->E"]["weight_rate"];
    let beta_tau = 2.0 / SQRT_N * 200.0;
    let slope = num(&w["slope_per_khz"]);
    println!(
        "slope {slope} (β·τ = {beta_tau}), correlation {}",
        num(&w["correlation"])
    );
    assert!(
        (slope / beta_tau - 1.0).abs() < 0.05,
        "slope {slope}, β·τ {beta_tau}"
    );
    assert!(num(&w["correlation"]) > 0.9, "{w}");
}

/// The example itself (η = 0.05, 60 s): slope β·τ within 5%.
#[test]
#[ignore]
fn kohonen_example_slope() {
    let dir = scratch("plastic_kohonen_full");
    let s = run_summary("examples/plastic_kohonen.toml", &dir, &[]);
    check_kohonen_theory(&s);
    let w = &s["plasticity"]["E->E"]["weight_rate"];
    let slope = num(&w["slope_per_khz"]);
    let beta_tau = 2.0 / SQRT_N * 200.0;
    println!(
        "slope {slope} (β·τ = {beta_tau}), correlation {}",
        num(&w["correlation"])
    );
    assert!((slope / beta_tau - 1.0).abs() < 0.05);
}

/// A small E/I network for the messages.
fn small(rule: &str) -> String {
    format!(
        r#"
version = 1
name = "bad_rules"
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
{rule}
"#
    )
}

const ISTDP: &str = r#"
[[plasticity]]
rule = "istdp"
pre = "I"
post = "E"
eta = 0.003
target_rate_hz = 10.0
"#;

fn bad(name: &str, rule: &str, needles: &[&str]) {
    let dir = scratch(name);
    let file = write(&dir, "bad.toml", &small(rule));
    assert_fails(&["check", &file], 2, needles);
}

#[test]
fn rule_family_checks_and_messages() {
    let dir = scratch("good_rules");
    let good = format!(
        "{ISTDP}\n[[plasticity]]\nrule = \"kohonen\"\npre = \"E\"\npost = \"E\"\neta = 0.01\n\
         beta = 0.02\nstart_ms = 100.0\nend_ms = 200.0\n\n[[plasticity]]\nrule = \
         \"homeostatic\"\npre = \"E\"\npost = \"I\"\neta = 0.01\ntarget_rate_hz = 20.0\n"
    );
    let file = write(&dir, "good.toml", &small(&good));
    let o = spikeform(&["check", &file]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    run_summary(&file, &dir.join("run"), &[]);
    bad(
        "rule_no_projection",
        &ISTDP.replace("post = \"E\"", "post = \"I\""),
        &["plasticity[0].post", "no projection from \"I\" to \"I\""],
    );
    bad(
        "rule_negative_eta",
        &ISTDP.replace("eta = 0.003", "eta = -0.003"),
        &["plasticity[0].eta", "must be > 0"],
    );
    bad(
        "rule_bounds",
        &format!("{ISTDP}w_min = -0.01\nw_max = -0.1\n"),
        &["plasticity[0].w_max", "must be >= w_min"],
    );
    bad(
        "rule_dale",
        &format!("{ISTDP}w_max = 0.1\n"),
        &["plasticity[0].w_max", "Dale's law"],
    );
    bad(
        "rule_foreign_key",
        &format!("{ISTDP}beta = 0.1\n"),
        &["plasticity[0].beta", "rule \"istdp\" has no parameter beta"],
    );
    bad(
        "rule_missing_key",
        &ISTDP.replace("target_rate_hz = 10.0\n", ""),
        &["plasticity[0].target_rate_hz", "needs target_rate_hz"],
    );
    bad(
        "rule_istdp_on_excitatory",
        &ISTDP.replace("pre = \"I\"", "pre = \"E\""),
        &["plasticity[0].pre", "must be inhibitory"],
    );
    bad(
        "rule_window",
        &format!("{ISTDP}start_ms = 200.0\nend_ms = 100.0\n"),
        &["plasticity[0].end_ms", "must be > start_ms"],
    );
    bad(
        "rule_homeostatic_onto_i_alone",
        &ISTDP
            .replace("istdp", "homeostatic")
            .replace("pre = \"I\"", "pre = \"E\"")
            .replace("post = \"E\"", "post = \"I\""),
        &["plasticity", "needs homeostatic iSTDP"],
    );
}

/// A rule switched on for 1–2 s of a 3-s run changes the weights only inside its window
/// (recorded every 100 ms in plasticity.npz).
#[test]
fn a_rule_acts_only_inside_its_window() {
    let dir = scratch("plastic_window");
    let text = std::fs::read_to_string(root().join("examples/plastic_istdp.toml"))
        .unwrap()
        .replace(
            "record_synapses = 200\n",
            "record_synapses = 200\nstart_ms = 1000.0\nend_ms = 2000.0\n",
        );
    let file = write(&dir, "window.toml", &text);
    run_summary(
        &file,
        &dir.join("run"),
        &["duration_ms=3000", "test.burn_in_ms=1000"],
    );
    let npz = spikeform_io::npy::read_npz(dir.join("run/plasticity.npz")).unwrap();
    let (t, m) = (&npz["time_ms"].data, &npz["mean_weight"].data);
    let initial = m[0];
    assert!((initial + 150.0 / SQRT_N).abs() < 1e-9, "{initial}");
    for (&t, &m) in t.iter().zip(m) {
        if t <= 1000.0 {
            assert_eq!(m, initial, "changed before the window at {t} ms");
        }
    }
    let at = |ms: f64| m[t.iter().position(|&x| (x - ms).abs() < 1e-6).unwrap()];
    assert!(
        (at(2000.0) - initial).abs() > 0.05,
        "no change inside the window"
    );
    assert_eq!(at(2000.0), at(3000.0), "changed after the window");
}

/// Correlated external input (c = 0.1, `plasticity.md` §2) into the static network for 6 s
/// (5 s of 250-ms windows): the population spike-count covariances are within a factor 1.5
/// of the balanced theory `T_w c r_a r_b / r_x` = (0.0848, 0.2312, 0.6306) (§7 item 16).
#[test]
fn correlated_input_covariances_near_theory() {
    let dir = scratch("plastic_correlated");
    let base = std::fs::read_to_string(root().join("examples/plastic_istdp.toml")).unwrap();
    let text = base[..base.find("[[plasticity]]").unwrap()]
        .replace(
            "kind = \"poisson_layer\"",
            "kind = \"correlated_poisson_layer\"",
        )
        .replace("tau_ms = 10.0\n", "tau_ms = 10.0\ncorrelation = 0.1\n");
    let file = write(&dir, "corr.toml", &text);
    let s = run_summary(
        &file,
        &dir.join("run"),
        &["duration_ms=6000", "test.burn_in_ms=1000"],
    );
    let t = &s["theory"]["plasticity"];
    for (k, want) in [("ee", 0.0848), ("ei", 0.2312), ("ii", 0.6306)] {
        let theory = num(&t["count_covariance_250ms"][k]);
        assert!((theory / want - 1.0).abs() < 2e-3, "{k}: theory {theory}");
        let sim = num(&t["simulated_count_covariance_250ms"][k]);
        println!(
            "{k}: simulated {sim:.4}, theory {theory:.4}, ratio {:.3}",
            sim / theory
        );
        assert!(
            sim / theory < 1.5 && theory / sim < 1.5,
            "{k}: {sim} vs {theory}"
        );
    }
}

/// `perturbation.md` §4–§5 O5 on `examples/plastic_opto.toml` (45 s; E1 stimulated 15–30 s):
/// r_E1 jumps at the stimulus onset, returns to the 10-Hz target within 10% by its last 5 s,
/// undershoots after it and recovers; the population I rate returns to its pre-stimulus value;
/// I→E1 becomes stronger than I→E2 during the stimulus and relaxes back afterwards.
#[test]
#[ignore]
fn plastic_stimulation_of_e1() {
    let dir = scratch("plastic_opto");
    run_summary("examples/plastic_opto.toml", &dir, &[]);
    let spikes = spikeform_io::npy::read_npz(dir.join("spikes.npz")).unwrap();
    let r = &spikes["population_rate_hz"];
    let bins = r.shape[1];
    let mean = |p: usize, a: usize, b: usize| {
        r.data[p * bins + a..p * bins + b].iter().sum::<f64>() / (b - a) as f64
    };
    let windows = [
        ("before", 10_000, 15_000),
        ("onset", 15_000, 17_000),
        ("late", 25_000, 30_000),
        ("after", 30_000, 32_000),
        ("recovered", 42_000, 45_000),
    ];
    let rates: Vec<[f64; 3]> = windows
        .iter()
        .map(|&(_, a, b)| [mean(0, a, b), mean(1, a, b), mean(2, a, b)])
        .collect();
    for ((name, ..), r) in windows.iter().zip(&rates) {
        println!("{name}: E1 {:.2}, E2 {:.2}, I {:.2} Hz", r[0], r[1], r[2]);
    }
    let [before, onset, late, after, recovered] = [0, 1, 2, 3, 4].map(|k| rates[k]);
    assert!(onset[0] > before[0] + 1.5, "E1 jumps");
    assert!((late[0] / 10.0 - 1.0).abs() < 0.1, "E1 back at the target");
    assert!(after[0] < before[0] - 1.5, "E1 undershoots");
    assert!((recovered[0] / 10.0 - 1.0).abs() < 0.1, "E1 recovers");
    assert!((late[2] / before[2] - 1.0).abs() < 0.05, "I rate back");
    let w = spikeform_io::npy::read_npz(dir.join("plasticity.npz")).unwrap();
    let (t, m) = (&w["time_ms"], &w["mean_weight"].data);
    let steps = t.shape[1];
    let at = |k: usize, ms: f64| {
        let i = t.data[..steps]
            .iter()
            .position(|&x| (x - ms).abs() < 1e-6)
            .unwrap();
        m[k * steps + i] * SQRT_N
    };
    let (e1_end, e2_end) = (at(0, 30_000.0), at(1, 30_000.0));
    let (e1_late, e2_late) = (at(0, 45_000.0), at(1, 45_000.0));
    println!("j_E1I {e1_end:.1}, j_E2I {e2_end:.1} at the stimulus end; {e1_late:.1}, {e2_late:.1} 15 s later");
    assert!(e1_end / e2_end > 1.1, "I->E1 stronger during the stimulus");
    assert!((e1_late / e2_late - 1.0).abs() < 0.03, "I->E1 relaxed back");
}
