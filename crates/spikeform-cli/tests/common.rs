//! Helpers shared by the CLI tests: run the `spikeform` binary from the project root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The project root (two levels above this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A fresh, empty directory for one test's outputs.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `spikeform ARGS` in the project root.
pub fn spikeform(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_spikeform"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("spikeform runs")
}

/// Starts `spikeform ARGS` in the project root without waiting (stderr piped, for the
/// interruption tests).
pub fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_spikeform"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (at most `timeout`) until the run writing to `out` has a checkpoint, lets it run
/// `settle` longer, sends it `signal` (`kill SIGNAL`) and returns what it said.
pub fn signal_after_checkpoint(
    child: Child,
    out: &Path,
    timeout: Duration,
    settle: Duration,
    signal: &str,
) -> Output {
    let t0 = Instant::now();
    while !out.join("checkpoint.npz").exists() {
        assert!(t0.elapsed() < timeout, "no checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(settle);
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap()
        .success());
    child.wait_with_output().unwrap()
}

/// Runs an experiment into `out` and returns its summary.
pub fn run_summary(file: &str, out: &Path, sets: &[&str]) -> serde_json::Value {
    let mut args = vec!["run", file, "--out", out.to_str().unwrap(), "--quiet"];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    let o = spikeform(&args);
    assert!(
        o.status.success(),
        "spikeform {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `training.r_per_loop` of a summary (every loop evaluated).
pub fn r_per_loop(summary: &serde_json::Value) -> Vec<f64> {
    summary["training"]["r_per_loop"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_f64().unwrap())
        .collect()
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Asserts that `spikeform ARGS` exits with `code` and its stderr contains every needle.
pub fn assert_fails(args: &[&str], code: i32, needles: &[&str]) {
    let o = spikeform(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{args:?}: stderr was {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr {err:?} lacks {n:?}");
    }
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "{args:?}: {err}");
}

/// A small version of examples/balanced_alm.toml: 250 E + 250 I neurons with K = 50 inputs from
/// each population (weights scaled as the tutorial's, 1/sqrt(K)), 1500-ms trials with 25
/// updates, 30 recorded neurons in two conditions.
pub fn small_alm_experiment(dir: &Path, rates: [&str; 2]) -> String {
    let text = format!(
        r#"
version = 1
name = "small_alm"
seed = 7
dt_ms = 0.1
duration_ms = 1500.0
[network]
kind = "spiking"
tau_exc_ms = 3.0
tau_inh_ms = 3.0
tau_plastic_ms = 150.0
[[network.populations]]
name = "E"
size = 250
excitatory = true
tau_membrane_ms = 10.0
bias = 1.2728
[[network.populations]]
name = "I"
size = 250
excitatory = false
tau_membrane_ms = 10.0
bias = 0.8485
[network.connectivity]
rule = "fixed_out_degree"
out_degree = 100
projections = [
  {{ pre = "E", post = "E", weight = 0.4243 }},
  {{ pre = "E", post = "I", weight = 2.8284 }},
  {{ pre = "I", post = "E", weight = -2.1213 }},
  {{ pre = "I", post = "I", weight = -2.8284 }},
]
[stimulus]
start_ms = 300.0
end_ms = 500.0
amplitude_min = -0.5
amplitude_max = 0.5
[target]
kind = "recorded"
files = ["{}", "{}"]
bin_ms = 40.0
sigma = 0.309
[training]
loops = 2
learn_every_ms = 40.0
start_ms = 500.0
penalty_lambda = 0.04
penalty_mu = 8.0
trained = "match"
trained_population = "E"
plastic = "sampled"
plastic_exc_inputs = 10
plastic_inh_inputs = 10
plastic_exc_weight = 0.6
plastic_inh_weight = -0.32
plastic_inh_population = "I"
feedforward_units = 20
checkpoint_every = 1
[test]
trials = 2
"#,
        rates[0], rates[1]
    );
    write(dir, "e.toml", &text)
}

/// 30 neurons × 25 bins of smooth synthetic rates, one file per condition.
pub fn small_alm_rates(dir: &Path) -> [String; 2] {
    let mut out = Vec::new();
    for c in 0..2 {
        let data: Vec<f64> = (0..30)
            .flat_map(|a| {
                (0..25).map(move |b| {
                    let base = 2.0 + (a % 7) as f64;
                    base * (1.0 + 0.5 * ((b as f64 / 8.0) + a as f64 + c as f64 * 1.3).sin())
                })
            })
            .collect();
        let p = dir.join(format!("rates_{c}.npy"));
        spikeform_io::npy::write_npy_f64(&p, &[30, 25], &data).unwrap();
        out.push(p.to_str().unwrap().to_string());
    }
    [out[0].clone(), out[1].clone()]
}
