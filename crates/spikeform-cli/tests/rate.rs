//! The rate network of the tutorial's Part 1, end to end, and the bad-input rules of experiment
//! files.

mod common;

use common::*;

/// Drops wall-clock values, which legitimately differ between runs.
fn without_timings(mut s: serde_json::Value) -> serde_json::Value {
    s.as_object_mut().unwrap().remove("timing");
    s["training"]
        .as_object_mut()
        .unwrap()
        .remove("loop_seconds");
    s
}

#[test]
fn rate_sine_reaches_the_reference_fit_and_is_reproducible() {
    let dir = scratch("rate_sine");
    let a = run_summary("examples/rate_sine.toml", &dir.join("a"), &[]);
    let r = a["test"]["r_mean"].as_f64().unwrap();
    assert!(r >= 0.995, "test.r_mean = {r}");
    let loops = a["training"]["r_per_loop"].as_array().unwrap();
    assert_eq!(loops.len(), 50);
    assert_eq!(a["training"]["loops"], 50);
    assert_eq!(a["training"]["updates_per_loop"], 100);
    assert!(a["timing"]["total_seconds"].as_f64().unwrap() > 0.0);
    // The reference's as-coded window scores lower (0.989-0.994 in the numpy reference).
    let coded = a["test"]["r_reference_window"].as_f64().unwrap();
    assert!(
        (0.985..0.997).contains(&coded),
        "as-coded window r = {coded}"
    );
    // Same seed, same numbers.
    let b = run_summary("examples/rate_sine.toml", &dir.join("b"), &[]);
    assert_eq!(without_timings(a), without_timings(b));
    for f in [
        "experiment.toml",
        "manifest.json",
        "training_curve.csv",
        "test_traces.npz",
    ] {
        assert!(dir.join("a").join(f).exists(), "{f} missing");
    }
}

#[test]
fn set_overrides_keys_and_seed_changes_results() {
    let dir = scratch("rate_set");
    let a = run_summary(
        "examples/rate_sine.toml",
        &dir.join("a"),
        &["training.loops=2", "seed=3"],
    );
    assert_eq!(a["training"]["loops"], 2);
    assert_eq!(a["seed"], 3);
    let b = run_summary(
        "examples/rate_sine.toml",
        &dir.join("b"),
        &["training.loops=2", "seed=4"],
    );
    assert_ne!(a["training"]["r_per_loop"], b["training"]["r_per_loop"]);
}

#[test]
fn a_finished_run_is_never_overwritten() {
    let dir = scratch("rate_finished");
    run_summary("examples/rate_sine.toml", &dir, &["training.loops=1"]);
    let before = std::fs::read(dir.join("summary.json")).unwrap();
    assert_fails(
        &[
            "run",
            "examples/rate_sine.toml",
            "--out",
            dir.to_str().unwrap(),
            "--quiet",
        ],
        2,
        &["finished run"],
    );
    assert_eq!(std::fs::read(dir.join("summary.json")).unwrap(), before);
}

#[test]
fn check_prints_the_normalized_experiment() {
    let o = spikeform(&[
        "check",
        "examples/rate_sine.toml",
        "--set",
        "training.loops=7",
    ]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("loops = 7"), "{text}");
    assert!(text.contains("activation = \"relu\""), "{text}");
    assert!(
        text.contains("every_ms = 1.0"),
        "defaults are filled in: {text}"
    );
}

const VALID: &str = r#"
version = 1
name = "t"
seed = 1
dt_ms = 0.1
duration_ms = 610.0
[network]
kind = "rate"
units = 10
tau_ms = 5.0
[stimulus]
start_ms = 100.0
end_ms = 110.0
amplitude_min = 0.0
amplitude_max = 4.0
[target]
kind = "sine"
amplitude = 1.0
period_ms = 100.0
[training]
loops = 1
learn_every_ms = 5.0
penalty_lambda = 0.5
"#;

fn check_fails(name: &str, text: &str, needles: &[&str]) {
    let dir = scratch(&format!("bad_{name}"));
    let path = write(&dir, "e.toml", text);
    assert_fails(&["check", &path], 2, needles);
    assert_fails(
        &[
            "run",
            &path,
            "--out",
            dir.join("out").to_str().unwrap(),
            "--quiet",
        ],
        2,
        needles,
    );
    assert!(!dir.join("out").join("summary.json").exists());
}

#[test]
fn the_valid_base_file_passes() {
    let dir = scratch("valid_base");
    let path = write(&dir, "e.toml", VALID);
    let o = spikeform(&["check", &path]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn malformed_file_is_rejected() {
    check_fails(
        "malformed",
        "version = 1\nname = \"t\n",
        &["e.toml", "line"],
    );
}

#[test]
fn unknown_key_is_rejected() {
    check_fails(
        "unknown",
        &VALID.replace("tau_ms = 5.0", "tau_ms = 5.0\ntua_ms = 3.0"),
        &["network", "unknown field `tua_ms`"],
    );
    check_fails(
        "unknown_top",
        &format!("colour = 3\n{VALID}"),
        &["unknown field `colour`"],
    );
}

#[test]
fn non_positive_dt_is_rejected() {
    check_fails(
        "dt0",
        &VALID.replace("dt_ms = 0.1", "dt_ms = 0.0"),
        &["dt_ms", "must be > 0"],
    );
    check_fails(
        "dtneg",
        &VALID.replace("dt_ms = 0.1", "dt_ms = -0.1"),
        &["dt_ms", "must be > 0"],
    );
}

#[test]
fn learn_every_not_a_multiple_of_dt_is_rejected() {
    check_fails(
        "learn_every",
        &VALID.replace("learn_every_ms = 5.0", "learn_every_ms = 0.25"),
        &[
            "training.learn_every_ms",
            "multiple of dt_ms (0.1), got 0.25",
        ],
    );
}

#[test]
fn window_outside_the_trial_is_rejected() {
    check_fails(
        "window",
        &VALID.replace("end_ms = 110.0", "end_ms = 700.0"),
        &["stimulus.end_ms", "within the trial"],
    );
    check_fails(
        "train_window",
        &VALID.replace(
            "penalty_lambda = 0.5",
            "penalty_lambda = 0.5\nend_ms = 900.0",
        ),
        &["training.end_ms", "within the trial"],
    );
}

#[test]
fn wrong_version_and_types_are_rejected() {
    check_fails(
        "version",
        &VALID.replace("version = 1", "version = 2"),
        &["version", "version 1"],
    );
    check_fails(
        "type",
        &VALID.replace("units = 10", "units = \"ten\""),
        &["network.units"],
    );
    check_fails(
        "lambda",
        &VALID.replace("penalty_lambda = 0.5", "penalty_lambda = 0.0"),
        &["training.penalty_lambda", "> 0"],
    );
}

#[test]
fn missing_file_is_rejected() {
    assert_fails(
        &["run", "examples/no_such_file.toml", "--quiet"],
        2,
        &["no_such_file.toml", "cannot read"],
    );
}

#[test]
fn bad_override_is_rejected() {
    assert_fails(
        &[
            "check",
            "examples/rate_sine.toml",
            "--set",
            "training.loops",
        ],
        2,
        &["--set", "KEY=VALUE"],
    );
    assert_fails(
        &[
            "check",
            "examples/rate_sine.toml",
            "--set",
            "training.lops=3",
        ],
        2,
        &["unknown field `lops`"],
    );
}

#[test]
fn a_diverging_network_stops_with_exit_code_1_naming_unit_and_step() {
    let dir = scratch("rate_nan");
    assert_fails(
        &[
            "run",
            "examples/rate_sine.toml",
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
            "--set",
            "network.weight_gain=1000",
            "--set",
            "training.loops=1",
        ],
        1,
        &["rate of neuron", "at step", "training loop 1"],
    );
    assert!(!dir.join("summary.json").exists());
}
