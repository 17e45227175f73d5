//! The latent readout trained by RLS during the trial (`latent.readout_training`, FORCE;
//! docs/latent.md, "Training the readout"): a balanced network learns a latent rotation and
//! keeps it once learning stops, a network that barely learned does not, and bad sections exit
//! with 2 naming the key.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

const EXAMPLE: &str = "examples/latent_readout_training.toml";

/// `latent.readout_training` of a run of the example with `sets`, and its run directory.
fn trained(name: &str, sets: &[&str]) -> (Value, std::path::PathBuf) {
    let dir = scratch(name);
    let summary = run_summary(EXAMPLE, &dir, sets);
    (summary["latent"]["readout_training"].clone(), dir)
}

fn window<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("no window {name} in {t}"))
}

fn values(w: &Value, key: &str) -> Vec<f64> {
    w[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// The example (N = 5000, D = 2, 500 trained readout neurons): while RLS runs κ̂ follows the
/// 250-ms rotation (r > 0.99 in both dimensions; measured 0.997); after it stops the network
/// alone keeps an oscillation of the target's period (within 3%; measured 248.4 and 247.2 ms)
/// and amplitude (SD within 15%; measured 0.678 against 0.707), still in phase with the target
/// for most of the 2 s (r > 0.5; measured 0.96). latent.npz holds the series and the weights,
/// and the report draws them.
#[test]
fn a_balanced_network_learns_a_rotation_and_keeps_it_alone() {
    let (t, dir) = trained("latent_readout_learns", &[]);
    eprintln!("{t}");
    assert_eq!(t["updates"], 2500, "one update per ms of [500, 3000] ms");
    assert_eq!(t["neurons"], 500);
    let learning = window(&t, "learning");
    assert!(values(learning, "pearson").iter().all(|&r| r > 0.99));
    let after = window(&t, "after");
    assert_eq!(after["window_ms"], serde_json::json!([3000.0, 5000.0]));
    for (k, period) in values(after, "readout_period_ms").iter().enumerate() {
        assert!(
            (period / 250.0 - 1.0).abs() < 0.03,
            "dimension {k}: {period} ms"
        );
    }
    let (sd, target_sd) = (values(after, "readout_sd"), values(after, "target_sd"));
    for (s, y) in sd.iter().zip(&target_sd) {
        assert!((s / y - 1.0).abs() < 0.15, "SD {s} against {y}");
    }
    assert!(values(after, "pearson").iter().all(|&r| r > 0.5));
    let final_norm = values(&t, "weight_norm_final");
    assert!(final_norm.iter().all(|&w| w > 0.0), "w(0) = 0 has learned");

    let mut npz = spikeform_io::npy::NpzFile::open(dir.join("latent.npz")).unwrap();
    let readout = npz.read("readout").unwrap();
    let target = npz.read("target").unwrap();
    assert_eq!(readout.shape, vec![5000, 2]);
    assert_eq!(target.shape, vec![5000, 2]);
    let w = npz.read("readout_weights_final").unwrap();
    assert_eq!(w.shape, vec![2, 500]);
    let norm0 = w.data[..500].iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm0 - final_norm[0]).abs() < 1e-12 * norm0);
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("Latent variable over time"));
    assert!(dir.join("figures/latent_over_time.svg").exists());
}

/// The control: the same network with 20 updates (500–520 ms) does not oscillate after them
/// (κ̂'s SD below a fifth of the target's; measured 0.04–0.06 against 0.71), so the rotation of
/// the test above is learned, not a property of the network.
#[test]
fn a_network_that_barely_learned_does_not_oscillate() {
    let (t, _) = trained(
        "latent_readout_control",
        &["latent.readout_training.learn_ms=[500.0, 520.0]"],
    );
    assert_eq!(t["updates"], 20);
    let after = window(&t, "after");
    let (sd, target_sd) = (values(after, "readout_sd"), values(after, "target_sd"));
    for (s, y) in sd.iter().zip(&target_sd) {
        assert!(*s < 0.2 * y, "SD {s} against {y}");
    }
}

/// Bad `latent.readout_training` sections exit with 2 and name the key and the rule.
#[test]
fn bad_readout_training_sections_name_the_key() {
    let dir = scratch("latent_readout_bad");
    let check = |sets: &[&str], needles: &[&str]| {
        let mut args = vec!["check", EXAMPLE];
        for s in sets {
            args.extend(["--set", s]);
        }
        assert_fails(&args, 2, needles);
    };
    check(
        &["latent.readout_training.neurons=4001"],
        &["latent.readout_training.neurons", "between 1 and 4000"],
    );
    check(
        &["latent.readout_training.learn_ms=[3000.0, 500.0]"],
        &["latent.readout_training.learn_ms", "start < end"],
    );
    check(
        &["latent.readout_training.learn_ms=[500.0, 9000.0]"],
        &["latent.readout_training.learn_ms[1]", "within the trial"],
    );
    check(
        &["latent.readout_training.alpha=0"],
        &["latent.readout_training.alpha"],
    );
    check(
        &["latent.readout_training.every_ms=0.25"],
        &["latent.readout_training.every_ms", "multiple of dt_ms"],
    );
    check(
        &["latent.feedback=weights"],
        &["latent.readout_training", "feedback = \"current\""],
    );
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let open_loop = text.replace(
        "kappa = { kind = \"closed_loop\", initial = [0.0, 0.0] }",
        "kappa = { kind = \"sine\", amplitude = [1.0, 1.0], period_ms = 250.0 }",
    );
    let f = write(&dir, "open.toml", &open_loop);
    assert_fails(
        &["check", &f],
        2,
        &["latent.readout_training", "closed_loop"],
    );
    let target_line = text.lines().find(|l| l.starts_with("target = ")).unwrap();
    let target_closed = text.replace(
        target_line,
        "target = { kind = \"closed_loop\", initial = [0.0, 0.0] }",
    );
    let f = write(&dir, "target.toml", &target_closed);
    assert_fails(
        &["check", &f],
        2,
        &["latent.readout_training.target", "not `closed_loop`"],
    );
    let wrong_d = text.replace("amplitude = [1.0, 1.0], phase", "amplitude = [1.0], phase");
    let f = write(&dir, "d.toml", &wrong_d);
    assert_fails(
        &["check", &f],
        2,
        &[
            "latent.readout_training.target.amplitude",
            "latent.dims is 2",
        ],
    );
}

/// A long run's checkpoint holds the learner (traces, weights, P) mid-trial: the example,
/// shortened to 1.5 s with learning over 0.2–1.2 s and a checkpoint every 250 ms, killed
/// (SIGKILL) after a checkpoint and resumed, ends with the latent summary and latent.npz of a
/// run without segments, bit for bit.
#[test]
fn a_run_killed_while_learning_resumes_to_the_same_readout() {
    let dir = scratch("latent_readout_resume");
    let short = [
        "duration_ms=1500",
        "latent.readout_training.learn_ms=[200.0, 1200.0]",
    ];
    let whole = run_summary(EXAMPLE, &dir.join("whole"), &short);
    let out = dir.join("stopped");
    let out_s = out.to_str().unwrap();
    let mut args = vec!["run", EXAMPLE, "--out", out_s, "--no-report", "--quiet"];
    let segments = "test.checkpoint_every_ms=250";
    for s in short.iter().chain([&segments]) {
        args.extend(["--set", s]);
    }
    let (timeout, settle) = (Duration::from_secs(300), Duration::from_millis(20));
    let said = signal_after_checkpoint(start(&args), &out, timeout, settle, "-KILL");
    assert!(!said.status.success(), "the run was killed");
    let mut resume = vec!["run", EXAMPLE, "--resume", out_s, "--no-report", "--quiet"];
    for s in short.iter().chain([&segments]) {
        resume.extend(["--set", s]);
    }
    let o = spikeform(&resume);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let resumed: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(resumed["latent"], whole["latent"]);
    assert_eq!(resumed["latent"]["readout_training"]["updates"], 1000);
    let bits = |d: &std::path::Path| {
        let npz = spikeform_io::npy::read_npz(d.join("latent.npz")).unwrap();
        npz.into_iter()
            .map(|(k, a)| (k, a.data.iter().map(|x| x.to_bits()).collect::<Vec<u64>>()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(bits(&out), bits(&dir.join("whole")));
}
