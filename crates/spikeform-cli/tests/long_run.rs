//! Long untrained runs in checkpointed segments (`test.checkpoint_every_ms`): a plastic run
//! stopped by SIGINT (exit 130) or killed after a checkpoint, then continued with `--resume`,
//! ends with the summary, weight trajectory and spikes of an uninterrupted run, and so does a
//! run without segments; the key's bad uses exit 2 naming it.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// plastic_istdp (N = 5000, iSTDP on I→E) for 2 s of network time, a checkpoint every 250 ms.
const SETS: [&str; 3] = [
    "duration_ms=2000",
    "test.burn_in_ms=1000",
    "test.checkpoint_every_ms=250",
];

fn args<'a>(out: &'a str, resume: bool, sets: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["run", "examples/plastic_istdp.toml"];
    a.extend(if resume {
        ["--resume", out]
    } else {
        ["--out", out]
    });
    for s in sets {
        a.extend(["--set", s]);
    }
    a.extend(["--no-report", "--quiet"]);
    a
}

/// The summary without timings.
fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let mut s: serde_json::Value = serde_json::from_str(&text).unwrap();
    s.as_object_mut().unwrap().remove("timing");
    s
}

/// Every member of `file` in `dir`, bit for bit.
fn members(dir: &Path, file: &str) -> BTreeMap<String, (Vec<usize>, Vec<u64>)> {
    spikeform_io::npy::read_npz(dir.join(file))
        .unwrap()
        .into_iter()
        .map(|(k, a)| (k, (a.shape, a.data.iter().map(|x| x.to_bits()).collect())))
        .collect()
}

/// What a run leaves that must not depend on how it was run.
type Results = (
    serde_json::Value,
    BTreeMap<String, (Vec<usize>, Vec<u64>)>,
    BTreeMap<String, (Vec<usize>, Vec<u64>)>,
);

fn results(dir: &Path) -> Results {
    (
        summary(dir),
        members(dir, "plasticity.npz"),
        members(dir, "spikes.npz"),
    )
}

/// Steps done and steps of the trial in the checkpoint of `dir`.
fn checkpoint_steps(dir: &Path) -> (u64, u64) {
    let npz = spikeform_io::npy::read_npz(dir.join("checkpoint.npz")).unwrap();
    let v = &npz["simulation_steps"].data;
    let join = |p: &[f64]| (0..4).fold(0u64, |acc, k| acc | ((p[k] as u64) << (16 * k)));
    (join(&v[..4]), join(&v[4..]))
}

/// Starts the run, waits for its first checkpoint, stops it with `signal` (`kill SIGNAL`),
/// and returns the run directory and what the program said.
fn stopped_run(dir: &Path, signal: &str) -> (std::path::PathBuf, std::process::Output) {
    let out = dir.join("stopped");
    let child = start(&args(out.to_str().unwrap(), false, &SETS));
    let (timeout, settle) = (Duration::from_secs(300), Duration::from_millis(50));
    let said = signal_after_checkpoint(child, &out, timeout, settle, signal);
    (out, said)
}

fn resume(out: &Path) {
    let o = spikeform(&args(out.to_str().unwrap(), true, &SETS));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The reference: the run in segments, uninterrupted; without segments it is the same.
fn reference(dir: &Path) -> Results {
    let segmented = dir.join("reference");
    let o = spikeform(&args(segmented.to_str().unwrap(), false, &SETS));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected = results(&segmented);
    let (means_shape, _) = &expected.1["mean_weight"];
    assert_eq!(
        means_shape.iter().product::<usize>(),
        20,
        "every 100 ms for 2 s"
    );
    expected
}

#[test]
fn sigint_stops_a_plastic_run_at_a_segment_end_and_resume_ends_as_without_segments() {
    let dir = scratch("long_run_sigint");
    let expected = reference(&dir);
    let whole = dir.join("whole");
    let o = spikeform(&args(whole.to_str().unwrap(), false, &SETS[..2]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!whole.join("checkpoint.npz").exists());
    assert!(results(&whole) == expected, "segments changed the run");

    let (out, o) = stopped_run(&dir, "-INT");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("network time") && err.contains("--resume"),
        "{err}"
    );
    assert!(!out.join("summary.json").exists());
    let (done, steps) = checkpoint_steps(&out);
    assert_eq!(steps, 20_000);
    assert!(done % 2500 == 0 && (2500..20_000).contains(&done), "{done}");
    resume(&out);
    assert!(results(&out) == expected, "the resumed run differs");
}

#[test]
fn a_plastic_run_killed_after_a_checkpoint_resumes_to_the_same_results() {
    let dir = scratch("long_run_kill");
    let expected = reference(&dir);
    let (out, o) = stopped_run(&dir, "-KILL");
    assert_eq!(o.status.code(), None, "killed by the signal");
    let (done, _) = checkpoint_steps(&out);
    assert!(done > 0 && done < 20_000);
    resume(&out);
    let got = results(&out);
    assert_eq!(got.0, expected.0);
    assert!(got.1 == expected.1, "weight trajectory differs");
    assert!(got.2 == expected.2, "spikes differ");
}

/// Progress (forced onto a pipe by `SPIKEFORM_PROGRESS=1`): one line per segment with the
/// network time done, the whole, and an ETA.
#[test]
fn progress_shows_network_time_and_eta() {
    let dir = scratch("long_run_progress");
    let out = dir.join("run");
    let sets = [
        "duration_ms=500",
        "test.burn_in_ms=0",
        "test.checkpoint_every_ms=100",
    ];
    let mut a = args(out.to_str().unwrap(), false, &sets);
    a.retain(|x| *x != "--quiet");
    let o = Command::new(env!("CARGO_BIN_EXE_spikeform"))
        .args(&a)
        .current_dir(root())
        .env("SPIKEFORM_PROGRESS", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    for k in 1..=5 {
        let line = format!(
            "simulate: {k}/5 network time {:.1} s of 0.5 s",
            k as f64 / 10.0
        );
        assert!(err.contains(&line), "{line:?} not in {err:?}");
    }
    assert_eq!(err.matches("ETA").count(), 5, "{err}");
}

#[test]
fn checkpoint_every_ms_is_refused_where_it_cannot_apply() {
    assert_fails(
        &[
            "check",
            "examples/plastic_istdp.toml",
            "--set",
            "test.checkpoint_every_ms=-1",
        ],
        2,
        &["test.checkpoint_every_ms", ">= 0"],
    );
    assert_fails(
        &[
            "check",
            "examples/plastic_istdp.toml",
            "--set",
            "test.checkpoint_every_ms=100",
            "--set",
            "test.trials=2",
        ],
        2,
        &["test.checkpoint_every_ms", "one trial"],
    );
    assert_fails(
        &[
            "check",
            "examples/lif_sine.toml",
            "--set",
            "test.checkpoint_every_ms=100",
        ],
        2,
        &["test.checkpoint_every_ms", "training.checkpoint_every"],
    );
    let dir = scratch("long_run_no_checkpoint");
    let out = dir.to_str().unwrap();
    let mut a = args(out, true, &SETS);
    a.retain(|x| *x != "--quiet");
    assert_fails(&a, 2, &["--resume", "no checkpoint of an untrained run"]);
}
