//! Checkpoints: the training state of a spiking run, saved as `checkpoint.npz` in the run
//! directory (written to a temporary name and renamed, so a checkpoint is complete or absent).
//!
//! A checkpoint carries a fingerprint of the experiment (the normalized file without the keys a
//! resumed or retested run may change: `training.loops`, `training.checkpoint_every`,
//! `training.eval_every`, and the `[test]` and `[record]` sections), so that a checkpoint of
//! another experiment is refused. Every member is read back
//! with its CRC checked, so a corrupt or truncated checkpoint is detected, not loaded.

use std::collections::BTreeMap;
use std::path::Path;

use spikeform::experiment::spiking::TrainingState;
use spikeform::simulate::SimulatorState;
use spikeform::train::StoredP;

use crate::config::ConfigError;
use crate::npy::{read_npz, NpyArray, NpzFileWriter};

/// The file name of a checkpoint inside a run directory.
pub const CHECKPOINT: &str = "checkpoint.npz";

/// Values of P per archive member.
const P_CHUNK: usize = 1 << 28;

/// FNV-1a fingerprint of the parts of a normalized experiment that a checkpoint depends on.
pub fn fingerprint(normalized_toml: &str) -> u64 {
    let mut table: toml::Table = normalized_toml.parse().unwrap_or_default();
    table.remove("test");
    table.remove("record");
    if let Some(toml::Value::Table(t)) = table.get_mut("training") {
        t.remove("loops");
        t.remove("checkpoint_every");
        t.remove("eval_every");
    }
    let text = toml::to_string(&table).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// 16-bit pieces of a u64, so that it survives a float round trip.
fn split(x: u64) -> Vec<i64> {
    (0..4).map(|k| ((x >> (16 * k)) & 0xffff) as i64).collect()
}

fn join(v: &[f64]) -> u64 {
    v.iter()
        .enumerate()
        .fold(0u64, |acc, (k, &p)| acc | ((p as u64) << (16 * k)))
}

/// Writes `state` to `path` atomically.
pub fn save(path: &Path, state: &TrainingState, fingerprint: u64) -> Result<(), String> {
    let mut w = NpzFileWriter::create(path).map_err(|e| e.to_string())?;
    let e = |r: Result<(), crate::npy::NpyError>| r.map_err(|e| e.to_string());
    e(w.add_i64("fingerprint", &[4], &split(fingerprint)))?;
    e(w.add_i64("loops_done", &[1], &[state.loops_done as i64]))?;
    e(w.add_i64("trial_index", &[4], &split(state.trial_index)))?;
    e(w.add_i64("clock", &[4], &split(state.simulator.clock)))?;
    let trained: Vec<i64> = state.trained.iter().map(|&i| i as i64).collect();
    e(w.add_i64("trained", &[trained.len()], &trained))?;
    e(w.add_f64("weights", &[state.weights.len()], &state.weights))?;
    e(w.add_f64(
        "feedforward",
        &[state.feedforward.len()],
        &state.feedforward,
    ))?;
    // P in its storage precision (f32 storage: `<f4` members, half the bytes), in members of
    // at most 2^28 values so that no single member is very large.
    let chunks = state.p.len().div_ceil(P_CHUNK);
    e(w.add_i64("p_chunks", &[1], &[chunks as i64]))?;
    for k in 0..chunks {
        let range = k * P_CHUNK..((k + 1) * P_CHUNK).min(state.p.len());
        let name = format!("p_{k}");
        e(match &state.p {
            StoredP::F64(v) => w.add_f64(&name, &[range.len()], &v[range]),
            StoredP::F32(v) => w.add_f32(&name, &[range.len()], &v[range]),
        })?;
    }
    e(w.add_f64("r_per_loop", &[state.r_per_loop.len()], &state.r_per_loop))?;
    e(w.add_f64(
        "loop_seconds",
        &[state.loop_seconds.len()],
        &state.loop_seconds,
    ))?;
    let sim = &state.simulator;
    e(w.add_f64("queues", &[sim.queues.len()], &sim.queues))?;
    e(w.add_f64("spiked_prev", &[sim.spiked_prev.len()], &sim.spiked_prev))?;
    e(w.add_f64(
        "ff_spiked_prev",
        &[sim.ff_spiked_prev.len()],
        &sim.ff_spiked_prev,
    ))?;
    w.finish().map_err(|e| e.to_string())
}

/// Reads the checkpoint in run directory `dir`, refusing one of another experiment.
pub fn load(dir: &Path, expected_fingerprint: u64) -> Result<TrainingState, ConfigError> {
    let path = dir.join(CHECKPOINT);
    let data = |problem: String| ConfigError::Data {
        path: path.clone(),
        problem,
    };
    if !path.exists() {
        return Err(data("no checkpoint here (a run writes one at the end of training and every training.checkpoint_every loops)".into()));
    }
    let mut m: BTreeMap<String, NpyArray> =
        read_npz(&path).map_err(|e| data(format!("unreadable checkpoint: {e}")))?;
    let mut take = |name: &str| -> Result<Vec<f64>, ConfigError> {
        m.remove(name)
            .map(|a| a.data)
            .ok_or_else(|| data(format!("the checkpoint lacks `{name}`: it is incomplete")))
    };
    if join(&take("fingerprint")?) != expected_fingerprint {
        return Err(data(
            "this checkpoint belongs to another experiment (its network, training or target settings differ)".into(),
        ));
    }
    let loops_done = take("loops_done")?.first().copied().unwrap_or(0.0) as usize;
    let trial_index = join(&take("trial_index")?);
    let clock = join(&take("clock")?);
    Ok(TrainingState {
        loops_done,
        trial_index,
        trained: take("trained")?.iter().map(|&x| x as usize).collect(),
        weights: take("weights")?,
        feedforward: take("feedforward")?,
        p: {
            let chunks = take("p_chunks")?.first().copied().unwrap_or(0.0) as usize;
            // Read back as f64 (exact for `<f4` members); restoring converts to the storage.
            let mut p = Vec::new();
            for k in 0..chunks {
                p.extend(take(&format!("p_{k}"))?);
            }
            StoredP::F64(p)
        },
        r_per_loop: take("r_per_loop")?,
        loop_seconds: take("loop_seconds")?,
        simulator: SimulatorState {
            clock,
            queues: take("queues")?,
            spiked_prev: take("spiked_prev")?,
            ff_spiked_prev: take("ff_spiked_prev")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_loops_and_test_but_not_the_network() {
        let a = "seed = 1\n[training]\nloops = 5\n[test]\ntrials = 1\n[network]\nunits = 3\n";
        let b = "seed = 1\n[training]\nloops = 50\n[test]\ntrials = 9\n[network]\nunits = 3\n";
        let c = "seed = 1\n[training]\nloops = 5\n[test]\ntrials = 1\n[network]\nunits = 4\n";
        assert_eq!(fingerprint(a), fingerprint(b));
        assert_ne!(fingerprint(a), fingerprint(c));
        assert_eq!(
            join(
                &split(u64::MAX)
                    .iter()
                    .map(|&x| x as f64)
                    .collect::<Vec<_>>()
            ),
            u64::MAX
        );
    }
}
