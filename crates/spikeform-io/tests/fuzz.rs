//! Fuzzing (proptest): the experiment parser and validator, `--set`, the `.npy`/`.npz` readers
//! and the checkpoint loader, fed mutated and arbitrary input, must answer with `Ok` or an
//! error, never panic. A panic fails the case, and proptest shrinks it to a small input.
//!
//! CI runs a few hundred cases per reader; the large run is ignored:
//! `cargo test --release -p spikeform-io --test fuzz -- --ignored` (20,000 cases per reader).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use spikeform_io::config;
use spikeform_io::npy::{self, NpzArchive, NpzWriter};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> Vec<String> {
    [
        "lif_sine",
        "rate_sine",
        "balanced_sine",
        "brunel_a",
        "akil_untrained",
        "balanced_alm",
    ]
    .iter()
    .map(|e| std::fs::read_to_string(root().join(format!("examples/{e}.toml"))).unwrap())
    .collect()
}

/// Values that break rules: huge, tiny, negative, non-finite, wrong types, empty, paths.
const HOSTILE: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "18446744073709551615",
    "9223372036854775807",
    "1000000000000",
    "0.0",
    "\"\"",
    "\"..\"",
    "\"/\"",
    "\"E\"",
    "\"e\"",
    "[]",
    "[0, 0]",
    "{}",
    "true",
    "5",
    "2.5e6",
    "1e-9",
    "\"x\"",
];

/// Parses and validates `text` (data paths relative to the project root), and estimates its
/// resources when it is valid.
fn load(text: &str, sets: &[String]) {
    let origin = Path::new("fuzz.toml");
    if let Ok(loaded) = config::load_str(text, origin, sets, &root()) {
        let _ = loaded.normalized_toml();
        let _ = spikeform_io::estimate::estimate(&loaded.experiment, 2);
    }
}

/// An example with the value of its `line`-th `key = value` line replaced.
fn mutate(text: &str, line: usize, value: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let assignments: Vec<usize> = (0..lines.len())
        .filter(|&k| lines[k].contains(" = ") && !lines[k].trim_start().starts_with('#'))
        .collect();
    let k = assignments[line % assignments.len()];
    let key = lines[k].split(" = ").next().unwrap();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[k] = format!("{key} = {value}");
    out.join("\n")
}

fn experiment_files(cases: u32) {
    let examples = examples();
    let config = ProptestConfig::with_cases(cases);
    proptest!(config, |(
        which in 0..examples.len(),
        edits in prop::collection::vec((0usize..500, prop::sample::select(HOSTILE)), 1..4),
    )| {
        let mut text = examples[which].clone();
        for (line, value) in &edits {
            text = mutate(&text, *line, value);
        }
        load(&text, &[]);
    });
    let config = ProptestConfig::with_cases(cases);
    proptest!(config, |(text in "\\PC{0,400}")| load(&text, &[]));
}

fn overrides(cases: u32) {
    let examples = examples();
    const KEYS: [&str; 17] = [
        "duration_ms",
        "dt_ms",
        "name",
        "seed",
        "training.loops",
        "test.trials",
        "network.units",
        "network",
        "training",
        "training.rls.block",
        "record.every_ms",
        "training.feedforward_units",
        "network.populations",
        "a..b",
        "",
        "=",
        "x.y.z.w",
    ];
    let config = ProptestConfig::with_cases(cases);
    proptest!(config, |(
        which in 0..examples.len(),
        key in prop::sample::select(&KEYS[..]),
        value in prop_oneof![prop::sample::select(HOSTILE).prop_map(str::to_string), "\\PC{0,20}"],
        raw in "\\PC{0,40}",
    )| {
        load(&examples[which], &[format!("{key}={value}")]);
        load(&examples[which], &[raw]);
    });
}

/// A valid .npz of a few members of each dtype.
fn archive() -> Vec<u8> {
    let mut w = NpzWriter::new();
    w.add_f64("a", &[2, 3], &[0.5, 1.0, -2.0, 3.0, 4.5, 1e300]);
    w.add_f32("b", &[4], &[1.0, 2.0, 3.0, 4.0]);
    w.add_i64("c", &[1], &[7]);
    w.add_u32("d", &[0], &[]);
    w.finish()
}

/// Reads every member of the archive in `bytes`, and `bytes` as one `.npy`.
fn read_all(bytes: &[u8]) {
    let _ = npy::parse_npy(bytes, "fuzz.npy");
    let _ = npy::parse_npz(bytes, "fuzz.npz");
    if let Ok(mut npz) = NpzArchive::from_reader(Cursor::new(bytes), Path::new("fuzz.npz")) {
        let names: Vec<String> = npz.names().map(str::to_string).collect();
        for name in names {
            let _ = npz.read(&name);
        }
    }
}

/// `bytes` with `flips` bytes overwritten and cut to `keep` of its length.
fn damaged(bytes: &[u8], flips: &[(usize, u8)], keep: f64) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for &(at, v) in flips {
        let k = at % b.len();
        b[k] = v;
    }
    b.truncate((b.len() as f64 * keep) as usize);
    b
}

fn npy_and_npz(cases: u32) {
    let npz = archive();
    let one = npy::npy_bytes(&[3, 2], &[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let config = ProptestConfig::with_cases(cases);
    proptest!(config, |(
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        keep in 0.0f64..=1.0,
        whole in any::<bool>(),
        noise in prop::collection::vec(any::<u8>(), 0..300),
    )| {
        let keep = if whole { 1.0 } else { keep };
        read_all(&damaged(&npz, &flips, keep));
        read_all(&damaged(&one, &flips, keep));
        read_all(&noise);
        // A header that claims a huge shape over a short body.
        let mut header = npy::npy_header("<f8", &[1 << 20, 1 << 20]);
        header.extend_from_slice(&noise);
        read_all(&header);
    });
}

fn checkpoints(cases: u32) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz_checkpoint");
    std::fs::create_dir_all(&dir).unwrap();
    let mut w = NpzWriter::new();
    let pieces =
        |x: u64| -> Vec<i64> { (0..4).map(|k| ((x >> (16 * k)) & 0xffff) as i64).collect() };
    w.add_i64("fingerprint", &[4], &pieces(7));
    w.add_i64("loops_done", &[1], &[2]);
    w.add_i64("trial_index", &[4], &pieces(9));
    w.add_i64("clock", &[4], &pieces(123));
    w.add_i64("trained", &[2], &[0, 1]);
    w.add_f64("weights", &[2], &[0.1, 0.2]);
    w.add_f64("feedforward", &[0], &[]);
    w.add_i64("p_chunks", &[1], &[1]);
    w.add_f32("p_0", &[3], &[1.0, 0.5, 1.0]);
    w.add_f64("r_per_loop", &[2], &[0.5, 0.6]);
    w.add_f64("loop_seconds", &[2], &[1.0, 1.0]);
    w.add_f64("queues", &[2], &[0.0, 0.0]);
    w.add_f64("spiked_prev", &[2], &[0.0, 1.0]);
    w.add_f64("ff_spiked_prev", &[0], &[]);
    w.add_f64("targets", &[1, 2], &[0.5, 1.5]);
    w.add_i64("recorded_of_row", &[0], &[]);
    w.add_f64("sigma", &[0], &[]);
    w.add_f64("initial_population_stats", &[1, 7], &[1.0; 7]);
    w.add_f64("initial_neuron_rate_hz", &[2], &[1.0, 2.0]);
    w.add_f64("initial_population_rate_hz", &[1, 3], &[1.0, 2.0, 3.0]);
    w.add_f64("initial_input_timecourse", &[1, 4, 2], &[0.0; 8]);
    let good = w.finish();
    let path = dir.join(spikeform_io::checkpoint::CHECKPOINT);
    std::fs::write(&path, &good).unwrap();
    let fingerprint = 7;
    assert!(spikeform_io::checkpoint::load(&dir, fingerprint).is_ok());
    let config = ProptestConfig::with_cases(cases);
    proptest!(config, |(
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        keep in 0.5f64..=1.0,
    )| {
        std::fs::write(&path, damaged(&good, &flips, keep)).unwrap();
        let _ = spikeform_io::checkpoint::load(&dir, fingerprint);
    });
}

const CI_CASES: u32 = 200;
const LARGE_CASES: u32 = 20_000;

#[test]
fn experiment_files_never_panic() {
    experiment_files(CI_CASES);
}

#[test]
fn overrides_never_panic() {
    overrides(CI_CASES);
}

#[test]
fn npy_and_npz_readers_never_panic() {
    npy_and_npz(CI_CASES);
}

#[test]
fn checkpoint_loader_never_panics() {
    checkpoints(CI_CASES);
}

#[test]
#[ignore = "large: cargo test --release -p spikeform-io --test fuzz -- --ignored"]
fn twenty_thousand_cases_per_reader_never_panic() {
    experiment_files(LARGE_CASES);
    overrides(LARGE_CASES);
    npy_and_npz(LARGE_CASES);
    checkpoints(LARGE_CASES / 4);
}
