//! Interruptions: SIGINT and SIGTERM stop a training run at the end of the current loop after
//! writing a checkpoint, with exit code 130 or 143, and `--resume` finishes it with the weights
//! and summary of an uninterrupted run; SIGKILL at any moment loses nothing either.
//!
//! The SIGKILL test at 20 moments is ignored in CI (about 2 minutes):
//! `cargo test --release -p spikeform-cli --test interrupt -- --ignored`.

mod common;

use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// lif_sine, 8 loops with a checkpoint every 2, one test trial.
const SETS: [&str; 3] = [
    "training.loops=8",
    "training.checkpoint_every=2",
    "test.trials=1",
];

fn args(out: &str, resume: bool) -> Vec<&str> {
    let mut a = vec!["run", "examples/lif_sine.toml"];
    if resume {
        a.extend(["--resume", out]);
    } else {
        a.extend(["--out", out]);
    }
    for s in &SETS {
        a.extend(["--set", s]);
    }
    a.extend(["--no-report", "--quiet"]);
    a
}

/// The summary without timings and resume notes.
fn summary(dir: &Path) -> serde_json::Value {
    let mut s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    s.as_object_mut().unwrap().remove("timing");
    let t = s["training"].as_object_mut().unwrap();
    t.remove("loop_seconds");
    t.remove("resumed_after_loop");
    s
}

/// The final weights and RLS matrices (checkpoint members, bit for bit).
fn trained(dir: &Path) -> Vec<u64> {
    let npz = spikeform_io::npy::read_npz(dir.join("checkpoint.npz")).unwrap();
    ["weights", "feedforward", "p_0", "r_per_loop"]
        .iter()
        .flat_map(|m| npz[*m].data.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        .collect()
}

fn loops_done(dir: &Path) -> usize {
    spikeform_io::npy::read_npz(dir.join("checkpoint.npz")).unwrap()["loops_done"].data[0] as usize
}

/// Runs the reference (uninterrupted) once per test binary.
fn reference(dir: &Path) -> (serde_json::Value, Vec<u64>) {
    let out = dir.join("reference");
    let o = spikeform(&args(out.to_str().unwrap(), false));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (summary(&out), trained(&out))
}

/// Sends `signal` to the run once its first checkpoint exists (during loop 3), and checks the
/// stop, the checkpoint it wrote and the resumed result.
fn stop_and_resume(name: &str, signal: &str, code: i32) {
    let dir = scratch(name);
    let (expected_summary, expected_weights) = reference(&dir);
    let out = dir.join("stopped");
    let child = start(&args(out.to_str().unwrap(), false));
    // Into loop 3 (a loop takes a few hundred ms), past the checksum of loop 2's checkpoint.
    let (timeout, settle) = (Duration::from_secs(120), Duration::from_millis(100));
    let o = signal_after_checkpoint(child, &out, timeout, settle, signal);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(
        err.contains("interrupted during training loop") && err.contains("--resume"),
        "{err}"
    );
    assert!(!out.join("summary.json").exists());
    // Stopped at the end of the loop the signal came in (loop 3, unless a loaded machine
    // delayed it): a checkpoint of every finished loop, written on the stop where no regular
    // one was due (odd loops).
    let done = loops_done(&out);
    assert!((2..8).contains(&done), "stopped after loop {done}");
    let o = spikeform(&args(out.to_str().unwrap(), true));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&out), expected_summary);
    assert_eq!(trained(&out), expected_weights);
}

#[test]
fn sigint_stops_at_the_end_of_the_loop_with_a_checkpoint_and_resume_finishes() {
    stop_and_resume("interrupt_sigint", "-INT", 130);
}

#[test]
fn sigterm_stops_the_same_way_with_its_own_code() {
    stop_and_resume("interrupt_sigterm", "-TERM", 143);
}

/// SIGKILL at `moments` (fractions of the reference run's wall time, from a fixed LCG), each
/// followed by resuming (or, before the first checkpoint, starting again) to the end.
fn killed_at_random_moments(name: &str, moments: usize) {
    let dir = scratch(name);
    let t0 = Instant::now();
    let (expected_summary, expected_weights) = reference(&dir);
    let wall = t0.elapsed().as_secs_f64();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for k in 0..moments {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let at = wall * (x >> 11) as f64 / (1u64 << 53) as f64;
        let out = dir.join(format!("killed_{k}"));
        let mut child = start(&args(out.to_str().unwrap(), false));
        std::thread::sleep(Duration::from_secs_f64(at));
        let _ = child.kill();
        let _ = child.wait();
        let resumable = out.join("checkpoint.npz").exists() && !out.join("summary.json").exists();
        if !out.join("summary.json").exists() {
            let o = spikeform(&args(out.to_str().unwrap(), resumable));
            assert!(
                o.status.success(),
                "moment {k} ({at:.2} s): {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        assert_eq!(summary(&out), expected_summary, "moment {k} ({at:.2} s)");
        assert_eq!(trained(&out), expected_weights, "moment {k} ({at:.2} s)");
    }
}

#[test]
fn sigkill_at_a_few_moments_loses_nothing() {
    killed_at_random_moments("interrupt_kill_few", 3);
}

#[test]
#[ignore = "about 2 minutes: cargo test --release -p spikeform-cli --test interrupt -- --ignored"]
fn sigkill_at_twenty_random_moments_loses_nothing() {
    killed_at_random_moments("interrupt_kill_twenty", 20);
}
