//! Helpers shared by the CLI tests: run the `spikeform` binary from the project root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

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
