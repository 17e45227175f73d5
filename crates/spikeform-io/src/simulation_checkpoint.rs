//! Checkpoints of long untrained runs (`test.checkpoint_every_ms`): the state of a run of one
//! trial between two segments ([`SimulationState`]), saved as `checkpoint.npz` in the run
//! directory, written to a temporary name and renamed so that it is complete or absent.
//!
//! Members: `fingerprint` (as in training checkpoints: the experiment without `[test]`,
//! `[record]` and the loop counts, so a checkpoint of another experiment is refused),
//! `simulation_steps` (steps done and steps of the trial, each as four 16-bit pieces; its
//! presence tells this kind of checkpoint from a training one), one `f64` member `a:NAME` per
//! state array, and one member `rng:NAME` per random stream: the generator's state written by
//! its own serialisation (`rand_pcg`'s serde form, as JSON text, one byte per value).

use std::path::Path;

use spikeform::experiment::spiking::SimulationState;
use spikeform::rng::Rng;
use spikeform::snapshot::StateArrays;

use crate::checkpoint::{join, pieces, split, CHECKPOINT};
use crate::config::ConfigError;
use crate::npy::{NpyError, NpzFile, NpzFileWriter};

/// The member that marks a checkpoint of an untrained run.
const STEPS: &str = "simulation_steps";

/// Writes `state` to `path` atomically.
pub fn save(path: &Path, state: &SimulationState, fingerprint: u64) -> Result<(), String> {
    let written = || -> Result<(), NpyError> {
        let mut w = NpzFileWriter::create(path)?;
        w.add_i64("fingerprint", &[4], &split(fingerprint))?;
        let steps = [split(state.steps_done), split(state.trial_steps)].concat();
        w.add_i64(STEPS, &[8], &steps)?;
        for (name, values) in &state.arrays.arrays {
            w.add_f64(&format!("a:{name}"), &[values.len()], values)?;
        }
        for (name, rng) in &state.arrays.rngs {
            let bytes: Vec<i64> = rng_text(rng).bytes().map(i64::from).collect();
            w.add_i64(&format!("rng:{name}"), &[bytes.len()], &bytes)?;
        }
        w.finish()
    };
    written().map_err(|e| e.to_string())
}

/// The generator's state as JSON text.
fn rng_text(rng: &Rng) -> String {
    serde_json::to_string(rng).expect("a PCG state serialises")
}

/// Whether the checkpoint in `dir` is one of an untrained run (false when there is none).
pub fn is_simulation(dir: &Path) -> bool {
    NpzFile::open(dir.join(CHECKPOINT)).is_ok_and(|npz| npz.contains(STEPS))
}

/// Reads the checkpoint in `dir`, refusing one of another experiment, a damaged one, or one of
/// a trial of another length.
pub fn load(
    dir: &Path,
    expected_fingerprint: u64,
    trial_steps: u64,
) -> Result<SimulationState, ConfigError> {
    let path = dir.join(CHECKPOINT);
    let data = |problem: String| ConfigError::Data {
        path: path.clone(),
        problem,
    };
    let unreadable = |e: NpyError| data(format!("unreadable checkpoint: {e}"));
    let mut npz = NpzFile::open(&path).map_err(unreadable)?;
    let mut take = |name: &str| -> Result<Vec<f64>, ConfigError> {
        if !npz.contains(name) {
            return Err(data(format!(
                "the checkpoint lacks `{name}`: it is incomplete"
            )));
        }
        npz.read(name).map(|a| a.data).map_err(unreadable)
    };
    if join(&take("fingerprint")?) != expected_fingerprint {
        return Err(data(
            "this checkpoint belongs to another experiment (its network, inputs or plasticity \
             settings differ)"
                .into(),
        ));
    }
    let steps = take(STEPS)?;
    if steps.len() != 8 {
        return Err(data(format!("`{STEPS}` must hold 8 values")));
    }
    let steps_done = pieces(STEPS, &steps[..4]).map_err(data)?;
    let saved_steps = pieces(STEPS, &steps[4..]).map_err(data)?;
    if saved_steps != trial_steps || steps_done > trial_steps {
        return Err(data(format!(
            "the checkpoint is at step {steps_done} of a trial of {saved_steps} steps, but this \
             experiment's trial has {trial_steps} (duration_ms differs)"
        )));
    }
    let names: Vec<String> = npz.names().map(str::to_string).collect();
    let mut arrays = StateArrays::default();
    for member in names {
        let name = member.trim_end_matches(".npy");
        if let Some(array) = name.strip_prefix("a:") {
            let values = npz.read(name).map_err(unreadable)?.data;
            arrays.put(array, values);
        } else if let Some(stream) = name.strip_prefix("rng:") {
            let bytes = npz.read(name).map_err(unreadable)?.data;
            let text: String = bytes.iter().map(|&b| char::from(b as u8)).collect();
            let rng: Rng = serde_json::from_str(&text)
                .map_err(|e| data(format!("`{name}` is not a random stream's state: {e}")))?;
            arrays.put_rng(stream, &rng);
        }
    }
    Ok(SimulationState {
        steps_done,
        trial_steps,
        arrays,
    })
}
