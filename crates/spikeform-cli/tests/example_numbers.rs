//! The fast examples keep their numbers bit for bit.
//!
//! Each case runs one shipped example through the `spikeform` binary (shortened with `--set`
//! where the full run would take more than a few seconds) and compares every value of its
//! summary.json, except wall-clock timings, with the values stored in
//! `tests/expected/CASE.json`. Numbers compare as f64 with exact equality: summary.json and the
//! stored file are both written by serde_json (shortest round-trip form) and read back with its
//! `float_roundtrip` parser, so equal text means equal bits and vice versa.
//!
//! A refactor that is meant to keep the numbers must pass this test unchanged. When a change of
//! numbers is intended (a documented change of random stream, a fixed bug), regenerate the
//! stored values and commit them with the change that explains them:
//!
//! ```text
//! SPIKEFORM_BLESS=1 cargo test -p spikeform-cli --test example_numbers
//! ```
//!
//! Keys present in summary.json but not in the stored file do not fail the test (a new output is
//! not a change of numbers); they are listed when another difference fails it, and are stored at
//! the next blessing.

mod common;

use common::*;
use serde_json::{Map, Value};
use spikeform_io::summary::Summary;
use std::path::PathBuf;

/// Whether a summary key is a wall-clock measurement (the `timing` section, `loop_seconds`, and
/// any later `*_seconds` key): these differ from run to run and are not compared.
fn is_timing(key: &str) -> bool {
    key == "timing" || key.ends_with("_seconds")
}

/// Flattens a JSON value into `path → leaf` pairs (`a.b[2].c`), leaving out timing keys.
fn flatten(value: &Value, path: &str, out: &mut Map<String, Value>) {
    match value {
        Value::Object(m) => {
            if m.is_empty() {
                out.insert(path.to_string(), Value::Object(Map::new()));
            }
            for (k, v) in m.iter().filter(|(k, _)| !is_timing(k)) {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(v, &p, out);
            }
        }
        Value::Array(a) => {
            if a.is_empty() {
                out.insert(path.to_string(), Value::Array(vec![]));
            }
            for (i, v) in a.iter().enumerate() {
                flatten(v, &format!("{path}[{i}]"), out);
            }
        }
        leaf => {
            out.insert(path.to_string(), leaf.clone());
        }
    }
}

/// Two leaves are the same: numbers by their f64 bits (integers by value), others by equality.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits),
        },
        _ => a == b,
    }
}

/// The lines describing how `actual` differs from `expected` (changed, missing, added keys).
fn differences(expected: &Map<String, Value>, actual: &Map<String, Value>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut failing = false;
    for (k, e) in expected {
        match actual.get(k) {
            Some(a) if same(a, e) => {}
            Some(a) => {
                failing = true;
                lines.push(format!("  changed  {k}: stored {e}, now {a}"));
            }
            None => {
                failing = true;
                lines.push(format!("  missing  {k}: stored {e}"));
            }
        }
    }
    if !failing {
        return Vec::new();
    }
    for (k, a) in actual.iter().filter(|(k, _)| !expected.contains_key(*k)) {
        lines.push(format!("  added    {k}: now {a}"));
    }
    lines
}

/// Runs `file` with `sets` and compares its summary with `tests/expected/CASE.json`, or writes
/// that file when `SPIKEFORM_BLESS=1`.
fn check(case: &str, file: &str, sets: &[&str]) {
    let dir = scratch(&format!("example_numbers_{case}"));
    let summary = run_summary(file, &dir, sets);
    // The typed summary reads the file back whole: no key is dropped or altered.
    let typed: Summary = serde_json::from_value(summary.clone())
        .unwrap_or_else(|e| panic!("{file}: summary.json does not read as a Summary: {e}"));
    assert_eq!(typed.to_value(), summary, "{file}: typed round trip");
    let mut actual = Map::new();
    flatten(&summary, "", &mut actual);

    let command = std::iter::once(format!("spikeform run {file}"))
        .chain(sets.iter().map(|s| format!("--set {s}")))
        .collect::<Vec<_>>()
        .join(" ");
    let stored = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(format!("{case}.json"));

    if std::env::var("SPIKEFORM_BLESS").is_ok_and(|v| v == "1") {
        let note = format!(
            "summary.json of `{command}` minus timings; written by \
             SPIKEFORM_BLESS=1 cargo test -p spikeform-cli --test example_numbers"
        );
        let body = serde_json::json!({ "note": note, "values": actual });
        std::fs::create_dir_all(stored.parent().unwrap()).unwrap();
        let text = serde_json::to_string_pretty(&body).unwrap() + "\n";
        std::fs::write(&stored, text).unwrap();
        eprintln!("blessed {}", stored.display());
        return;
    }

    let text = std::fs::read_to_string(&stored).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with SPIKEFORM_BLESS=1 cargo test -p spikeform-cli \
             --test example_numbers",
            stored.display()
        )
    });
    let body: Value = serde_json::from_str(&text).unwrap();
    let note = body["note"].as_str().unwrap_or_default();
    assert!(
        note.contains(&command),
        "{}: its note {note:?} names another command than `{command}`; bless it again",
        stored.display()
    );
    let expected = body["values"].as_object().expect("a \"values\" object");
    let lines = differences(expected, &actual);
    assert!(
        lines.is_empty(),
        "`{command}` no longer gives the numbers stored in {}:\n{}\n\
         If the change is intended, regenerate with SPIKEFORM_BLESS=1 (see this file's doc).",
        stored.display(),
        lines.join("\n")
    );
}

#[test]
fn rate_sine_numbers() {
    check("rate_sine", "examples/rate_sine.toml", &[]);
}

#[test]
fn lif_sine_numbers() {
    check("lif_sine", "examples/lif_sine.toml", &[]);
}

#[test]
fn balanced_untrained_numbers() {
    check(
        "balanced_untrained",
        "examples/balanced_untrained.toml",
        &[],
    );
}

#[test]
fn brunel_a_numbers() {
    check("brunel_a", "examples/brunel_a.toml", &["duration_ms=400"]);
}

#[test]
fn balanced_sine_numbers() {
    check(
        "balanced_sine",
        "examples/balanced_sine.toml",
        &["training.loops=2", "test.trials=2"],
    );
}

/// The comparison itself: a changed last bit, a missing key and a changed null are reported; an
/// added key alone is not.
#[test]
fn differences_catch_one_ulp() {
    let x = 0.1f64;
    let mut stored = Map::new();
    stored.insert("a".into(), Value::from(x));
    stored.insert("b".into(), Value::from(3));
    stored.insert("c".into(), Value::Null);
    let mut now = stored.clone();
    assert!(differences(&stored, &now).is_empty());
    now.insert("new".into(), Value::from(1.0));
    assert!(differences(&stored, &now).is_empty());
    now.insert("a".into(), Value::from(f64::from_bits(x.to_bits() + 1)));
    now.remove("b");
    now.insert("c".into(), Value::from(0.0));
    let lines = differences(&stored, &now).join("\n");
    for needle in ["changed  a", "missing  b", "changed  c", "added    new"] {
        assert!(lines.contains(needle), "{lines}");
    }
    // Serialising and parsing keeps every bit (serde_json's float_roundtrip parser; its default
    // parser is off by one ulp for some of these).
    let mut bits = 0x3ff0_0000_0000_0001u64;
    for _ in 0..10_000 {
        bits = bits
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let y = f64::from_bits(bits >> 2 | 0x3000_0000_0000_0000);
        let text = serde_json::to_string(&Value::from(y)).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back.as_f64().unwrap().to_bits(), y.to_bits(), "{text}");
    }
}
