//! Training on recorded rates in a small balanced network: checkpoints and resume, testing a
//! trained network again, the penalty on summed plastic weights, and bad data files.

mod common;

use common::*;
use spikeform_io::npy::{read_npz, write_npy_f64};
use std::path::Path;

fn weights(dir: &Path) -> Vec<f64> {
    read_npz(dir.join("checkpoint.npz")).unwrap()["weights"]
        .data
        .clone()
}

#[test]
fn resumed_run_ends_with_the_same_weights_and_test_reproduces() {
    let dir = scratch("recorded_resume");
    let r = small_alm_rates(&dir);
    let file = small_alm_experiment(&dir, [&r[0], &r[1]]);
    let full = run_summary(&file, &dir.join("full"), &[]);
    assert_eq!(full["training"]["trained_neurons"], 30);
    let half = dir.join("half");
    run_summary(&file, &half, &["training.loops=1"]);
    // Continue the one-loop run to two loops in a new directory.
    let resumed_dir = dir.join("resumed");
    let o = spikeform(&[
        "run",
        &file,
        "--quiet",
        "--resume",
        half.to_str().unwrap(),
        "--out",
        resumed_dir.to_str().unwrap(),
        "--set",
        "training.loops=2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let resumed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(resumed_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(weights(&dir.join("full")), weights(&resumed_dir));
    assert_eq!(full["test"]["r_mean"], resumed["test"]["r_mean"]);
    assert_eq!(resumed["training"]["resumed_after_loop"], 1);
    // Testing the trained network again gives the same test numbers.
    let o = spikeform(&["test", dir.join("full").to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let retest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("full/retest/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(full["test"]["r_mean"], retest["test"]["r_mean"]);
    assert_eq!(full["test"]["rate_r_mean"], retest["test"]["rate_r_mean"]);
    // Every test number, and the settle activity the checkpoint brought back.
    assert_eq!(full["test"], retest["test"]);
    assert_eq!(full["initial"], retest["initial"]);
    assert_eq!(full["training"]["sigma"], retest["training"]["sigma"]);
    // Only test.* and record.* may change in a test.
    assert_fails(
        &[
            "test",
            dir.join("full").to_str().unwrap(),
            "--quiet",
            "--set",
            "seed=8",
        ],
        2,
        &["--set", "only test.* and record.*"],
    );
    // A checkpoint written before the settle results were saved still loads: the network
    // settles and matches again, says so, and tests the same.
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(
        dir.join("full/experiment.toml"),
        old.join("experiment.toml"),
    )
    .unwrap();
    let mut w = spikeform_io::npy::NpzWriter::new();
    for (name, a) in read_npz(dir.join("full/checkpoint.npz")).unwrap() {
        let settled = ["targets", "recorded_of_row", "sigma"].contains(&name.as_str())
            || name.starts_with("initial_");
        if !settled {
            w.add_f64(&name, &a.shape, &a.data);
        }
    }
    w.write_to(old.join("checkpoint.npz")).unwrap();
    let o = spikeform(&["test", old.to_str().unwrap(), "--quiet", "--no-report"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("predates saved settle results"));
    let old_retest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(old.join("retest/summary.json")).unwrap())
            .unwrap();
    assert_eq!(full["test"], old_retest["test"]);
    // The penalty μ on summed weights keeps each neuron's E and I row sums near their start
    // (reference, 200 loops: 11.88 vs 11.93 and -6.44 vs -6.46) while individual weights move;
    // without it the sums drift.
    let free = run_summary(&file, &dir.join("free"), &["training.penalty_mu=0.0"]);
    let sums = &full["training"]["plastic_row_sums"];
    let free_sums = &free["training"]["plastic_row_sums"];
    let get = |s: &serde_json::Value, phase: &str, k: &str| s[phase][k].as_f64().unwrap();
    for g in ["e", "i"] {
        let start = get(sums, "initial", &format!("{g}_mean"));
        let kept = (get(sums, "final", &format!("{g}_mean")) - start).abs();
        let drift = (get(free_sums, "final", &format!("{g}_mean")) - start).abs();
        assert!(
            kept < 0.05 * drift && kept < 0.02 * start.abs(),
            "{g}: kept {kept}, drift {drift}: {sums} vs {free_sums}"
        );
        assert!(get(sums, "final", &format!("{g}_sd")) < 0.1, "{sums}");
        assert!(
            get(free_sums, "final", &format!("{g}_sd")) > 0.1,
            "{free_sums}"
        );
    }
    // ...while individual weights move.
    let w0 = 0.6;
    let moved = weights(&dir.join("full"))
        .iter()
        .filter(|w| (*w - w0).abs() > 1e-3 && (*w + 0.32).abs() > 1e-3)
        .count();
    assert!(moved > 100, "only {moved} weights moved");
    for key in ["r_mean", "r_trial_avg", "rate_r_mean"] {
        assert!(full["test"][key].is_number(), "test.{key} missing");
    }
    assert_eq!(
        full["test"]["r_mean_by_condition"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        full["analysis"]["pc_corr_trained_e_vs_untrained_i"]
            .as_array()
            .unwrap()
            .len()
            == 2
    );
}

#[test]
fn checkpoints_of_other_experiments_and_corrupt_checkpoints_are_refused() {
    let dir = scratch("recorded_checkpoint_bad");
    let r = small_alm_rates(&dir);
    let file = small_alm_experiment(&dir, [&r[0], &r[1]]);
    let run = dir.join("run");
    run_summary(&file, &run, &["training.loops=1"]);
    let out = dir.join("other");
    assert_fails(
        &[
            "run",
            &file,
            "--quiet",
            "--resume",
            run.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--set",
            "seed=8",
        ],
        2,
        &["checkpoint.npz", "another experiment"],
    );
    // Truncate the checkpoint.
    let ck = run.join("checkpoint.npz");
    let bytes = std::fs::read(&ck).unwrap();
    std::fs::write(&ck, &bytes[..bytes.len() / 2]).unwrap();
    assert_fails(
        &["test", run.to_str().unwrap(), "--quiet"],
        2,
        &["checkpoint.npz"],
    );
    // Flip a byte in the middle: the CRC catches it.
    let mut bad = bytes.clone();
    let k = bad.len() / 2;
    bad[k] ^= 0x55;
    std::fs::write(&ck, &bad).unwrap();
    assert_fails(
        &["test", run.to_str().unwrap(), "--quiet"],
        2,
        &["checkpoint.npz"],
    );
}

fn data_fails(
    name: &str,
    shape: &[usize],
    data: &[f64],
    other: Option<(&[usize], Vec<f64>)>,
    needles: &[&str],
) {
    let dir = scratch(&format!("recorded_bad_{name}"));
    let good = small_alm_rates(&dir);
    let bad = dir.join("bad.npy");
    write_npy_f64(&bad, shape, data).unwrap();
    let second = match other {
        Some((s, d)) => {
            let p = dir.join("second.npy");
            write_npy_f64(&p, s, &d).unwrap();
            p.to_str().unwrap().to_string()
        }
        None => good[1].clone(),
    };
    let file = small_alm_experiment(&dir, [bad.to_str().unwrap(), &second]);
    assert_fails(&["check", &file], 2, needles);
}

#[test]
fn bad_recorded_data_is_rejected_with_the_file_and_the_problem() {
    let ok: Vec<f64> = vec![3.0; 30 * 25];
    data_fails("shape", &[750], &ok, None, &["bad.npy", "2-d"]);
    let mut nan = ok.clone();
    nan[31] = f64::NAN;
    data_fails(
        "nan",
        &[30, 25],
        &nan,
        None,
        &["bad.npy", "NaN", "neuron 1, bin 6"],
    );
    let mut neg = ok.clone();
    neg[5] = -1.0;
    data_fails(
        "negative",
        &[30, 25],
        &neg,
        None,
        &["bad.npy", "negative rate"],
    );
    data_fails(
        "bins",
        &[30, 20],
        &vec![3.0; 600],
        Some((&[30, 20], vec![3.0; 600])),
        &["bad.npy", "20 bins", "25 updates"],
    );
    data_fails(
        "neurons",
        &[30, 25],
        &ok,
        Some((&[29, 25], vec![3.0; 29 * 25])),
        &["second.npy", "same shape"],
    );
    data_fails(
        "too_many",
        &[500, 25],
        &vec![3.0; 500 * 25],
        Some((&[500, 25], vec![3.0; 500 * 25])),
        &["bad.npy", "500 recorded neurons", "250 neurons"],
    );
}

#[test]
fn wrong_dtype_and_missing_data_files_are_rejected() {
    let dir = scratch("recorded_bad_dtype");
    let good = small_alm_rates(&dir);
    let bad = dir.join("bytes.npy");
    // A uint8 array: valid .npy, wrong dtype.
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    std::fs::write(&bad, &bytes).unwrap();
    let file = small_alm_experiment(&dir, [bad.to_str().unwrap(), &good[1]]);
    assert_fails(&["check", &file], 2, &["bytes.npy", "dtype"]);
    let file = small_alm_experiment(&dir, ["no_such_rates.npy", &good[1]]);
    assert_fails(&["check", &file], 2, &["no_such_rates.npy"]);
}

#[test]
fn one_and_two_threads_give_bit_identical_weights() {
    let dir = scratch("recorded_threads");
    let r = small_alm_rates(&dir);
    let file = small_alm_experiment(&dir, [&r[0], &r[1]]);
    let mut summaries = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("t{threads}"));
        let o = spikeform(&[
            "run",
            &file,
            "--quiet",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "--set",
            "training.loops=1",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        summaries.push(s);
    }
    let (w1, w2) = (weights(&dir.join("t1")), weights(&dir.join("t2")));
    assert_eq!(w1.len(), w2.len());
    assert!(
        w1.iter().zip(&w2).all(|(a, b)| a.to_bits() == b.to_bits()),
        "weights differ"
    );
    let p = |t: &str| {
        read_npz(dir.join(t).join("checkpoint.npz")).unwrap()["p_0"]
            .data
            .clone()
    };
    assert!(
        p("t1")
            .iter()
            .zip(&p("t2"))
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "P differs"
    );
    assert_eq!(summaries[0]["test"], summaries[1]["test"]);
}

/// The arrays of a trained run, by the names and shapes docs/outputs.md documents.
#[test]
fn npz_outputs_have_the_documented_names_and_shapes() {
    let dir = scratch("recorded_outputs");
    let r = small_alm_rates(&dir);
    let file = small_alm_experiment(&dir, [&r[0], &r[1]]);
    let out = dir.join("run");
    let s = run_summary(
        &file,
        &out,
        &["training.loops=1", "record.neurons=[3, 300]"],
    );
    let (n, rows, bins, conditions, trials) = (500, 30, 25, 2, 2);
    let spikes = read_npz(out.join("spikes.npz")).unwrap();
    let k = spikes["neuron"].shape[0];
    assert_eq!(spikes["time_ms"].shape, vec![k]);
    assert!(spikes["neuron"]
        .data
        .iter()
        .all(|&i| i >= 0.0 && i < n as f64));
    assert!(spikes["time_ms"]
        .data
        .iter()
        .all(|&t| t > 0.0 && t <= 1500.0));
    assert_eq!(spikes["neuron_rate_hz"].shape, vec![n]);
    assert_eq!(spikes["initial_neuron_rate_hz"].shape, vec![n]);
    assert_eq!(spikes["population_of"].shape, vec![n]);
    assert_eq!(spikes["population_rate_hz"].shape, vec![2, 1500]);
    assert_eq!(spikes["input_timecourse"].shape, vec![2, 4, 1500]);
    // The mean of the population rate series is the population's mean rate.
    let e_series: f64 = spikes["population_rate_hz"].data[..1500]
        .iter()
        .sum::<f64>()
        / 1500.0;
    let e_rate = s["activity"]["rate_hz"]["e"].as_f64().unwrap();
    assert!((e_series - e_rate).abs() < 0.5, "{e_series} vs {e_rate}");
    let test = read_npz(out.join("test.npz")).unwrap();
    assert_eq!(test["bin_centre_ms"].shape, vec![bins]);
    assert_eq!(test["trained_neurons"].shape, vec![rows]);
    assert_eq!(test["recorded_neuron_of_row"].shape, vec![rows]);
    assert_eq!(test["input_mean"].shape, vec![conditions, bins, n]);
    assert_eq!(
        test["input_trials"].shape,
        vec![conditions, trials, bins, n]
    );
    // input_mean is the mean of the per-trial inputs.
    let per_trial =
        |c: usize, k: usize, i: usize| test["input_trials"].data[((c * trials + k) * bins) * n + i];
    for i in [0, 7 * n + 3, bins * n - 1] {
        let mean = (per_trial(1, 0, i) + per_trial(1, 1, i)) / 2.0;
        assert!((test["input_mean"].data[bins * n + i] - mean).abs() < 1e-12);
    }
    // record.input_trials bounds the per-trial array only: retest keeping one trial.
    let retest = out.join("one_trial_kept");
    let o = spikeform(&[
        "test",
        out.to_str().unwrap(),
        "--out",
        retest.to_str().unwrap(),
        "--quiet",
        "--no-report",
        "--set",
        "record.input_trials=1",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let kept = read_npz(retest.join("test.npz")).unwrap();
    assert_eq!(kept["input_trials"].shape, vec![conditions, 1, bins, n]);
    assert_eq!(
        kept["input_mean"].data, test["input_mean"].data,
        "every trial is still averaged"
    );
    assert_eq!(test["target"].shape, vec![conditions, bins, rows]);
    assert_eq!(test["psth_hz"].shape, vec![conditions, bins, rows]);
    assert_eq!(test["recorded_rate_hz"].shape, vec![conditions, bins, rows]);
    assert_eq!(test["plastic_weights_initial"].shape, vec![rows, 20]);
    assert_eq!(test["plastic_weights_final"].shape, vec![rows, 20]);
    assert_eq!(test["pca_loadings"].shape, vec![3, 2, bins]);
    assert_eq!(test["pca_explained_variance_ratio"].shape, vec![3, 5]);
    assert_eq!(test["selectivity_trained"].shape, vec![rows]);
    assert_eq!(test["selectivity_untrained"].shape, vec![250 - rows]);
    assert_eq!(test["selectivity_other"].shape, vec![250]);
    // Updates fall on multiples of learn_every_ms after start_ms (the reference's mod(t, 20) == 0).
    assert_eq!(test["bin_centre_ms"].data[0], 520.0);
    let traces = read_npz(out.join("traces.npz")).unwrap();
    assert_eq!(traces["v"].shape, vec![1500, 2]);
}
