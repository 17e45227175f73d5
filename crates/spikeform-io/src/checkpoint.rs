//! Checkpoints: the training state of a spiking run, saved as `checkpoint.npz` in the run
//! directory (written to a temporary name and renamed, so a checkpoint is complete or absent).
//!
//! A checkpoint carries a fingerprint of the experiment (the normalized file without the keys a
//! resumed or retested run may change: `training.loops`, `training.checkpoint_every`,
//! `training.eval_every`, and the `[test]` and `[record]` sections), so that a checkpoint of
//! another experiment is refused. Every member is read back
//! with its CRC checked, so a corrupt or truncated checkpoint is detected, not loaded. The
//! archive is read one member at a time, P in its saved precision, so that loading a large
//! checkpoint holds about the state itself and one member, not the whole file.
//!
//! Besides the training state proper, a checkpoint keeps what the settle trial and matching
//! decided (targets, recorded neuron of each row, σ, the settle trial's activity), so that
//! [`load_trained`] rebuilds a trained network from a run directory without settling again.
//! Checkpoints written before these members existed still load; their networks settle again.

use std::path::Path;

use spikeform::analysis::InputMeans;
use spikeform::experiment::spiking::{
    Activity, GroupActivity, Settled, TrainedNetwork, TrainingState,
};
use spikeform::simulate::SimulatorState;
use spikeform::train::StoredP;
use spikeform::{Observer, RunError};

use crate::config::limits::MAX_LOOPS;
use crate::config::{self, ConfigError, Experiment, LoadedExperiment};
use crate::npy::{NpyArray, NpyError, NpyValues, NpzFile, NpzFileWriter};

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
pub(crate) fn split(x: u64) -> Vec<i64> {
    (0..4).map(|k| ((x >> (16 * k)) & 0xffff) as i64).collect()
}

pub(crate) fn join(v: &[f64]) -> u64 {
    v.iter()
        .enumerate()
        .fold(0u64, |acc, (k, &p)| acc | ((p as u64) << (16 * k)))
}

/// Writes `state` to `path` atomically.
pub fn save(path: &Path, state: &TrainingState, fingerprint: u64) -> Result<(), String> {
    save_chunked(path, state, fingerprint, P_CHUNK)
}

/// [`save`] with at most `p_chunk` values of P per member.
fn save_chunked(
    path: &Path,
    state: &TrainingState,
    fingerprint: u64,
    p_chunk: usize,
) -> Result<(), String> {
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
    let chunks = state.p.len().div_ceil(p_chunk);
    e(w.add_i64("p_chunks", &[1], &[chunks as i64]))?;
    for k in 0..chunks {
        let range = k * p_chunk..((k + 1) * p_chunk).min(state.p.len());
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
    if let Some(settled) = &state.settled {
        e(save_settled(&mut w, settled))?;
    }
    if !state.projection_weights.is_empty() {
        let weights = &state.projection_weights;
        e(w.add_f64("projection_weights", &[weights.len()], weights))?;
    }
    w.finish().map_err(|e| e.to_string())
}

/// Values per population in `initial_population_stats`: rate (Hz), CV of ISIs, Fano factor, and
/// the excitatory, inhibitory, external and net mean inputs.
const STATS: usize = 7;

/// The members of [`Settled`]: `targets` (conditions × rows·updates), `recorded_of_row`, `sigma`
/// (one value, or none), and the settle trial's activity as `initial_population_stats`
/// (populations × 7), `initial_neuron_rate_hz` (neurons), `initial_population_rate_hz`
/// (populations × 1-ms bins) and `initial_input_timecourse` (populations × 4 × samples).
fn save_settled(w: &mut NpzFileWriter, settled: &Settled) -> Result<(), NpyError> {
    let per_condition = settled.targets.first().map_or(0, Vec::len);
    let targets: Vec<f64> = settled.targets.iter().flatten().copied().collect();
    w.add_f64("targets", &[settled.targets.len(), per_condition], &targets)?;
    let rows: Vec<i64> = settled.recorded_of_row.iter().map(|&a| a as i64).collect();
    w.add_i64("recorded_of_row", &[rows.len()], &rows)?;
    let sigma: Vec<f64> = settled.sigma.into_iter().collect();
    w.add_f64("sigma", &[sigma.len()], &sigma)?;
    let a = &settled.initial;
    let stats: Vec<f64> = a
        .populations
        .iter()
        .flat_map(|g| {
            let m = &g.mean_input;
            [
                g.rate_hz,
                g.cv_isi,
                g.fano,
                m.excitatory,
                m.inhibitory,
                m.external,
                m.net,
            ]
        })
        .collect();
    w.add_f64(
        "initial_population_stats",
        &[a.populations.len(), STATS],
        &stats,
    )?;
    w.add_f64(
        "initial_neuron_rate_hz",
        &[a.neuron_rates_hz.len()],
        &a.neuron_rates_hz,
    )?;
    let bins = a.population_rate_hz.first().map_or(0, Vec::len);
    let rates: Vec<f64> = a.population_rate_hz.iter().flatten().copied().collect();
    w.add_f64(
        "initial_population_rate_hz",
        &[a.population_rate_hz.len(), bins],
        &rates,
    )?;
    let samples = a.input_timecourse.first().map_or(0, |p| p[0].len());
    let course: Vec<f64> = a
        .input_timecourse
        .iter()
        .flatten()
        .flatten()
        .copied()
        .collect();
    w.add_f64(
        "initial_input_timecourse",
        &[a.input_timecourse.len(), 4, samples],
        &course,
    )
}

/// Reads the checkpoint in run directory `dir`, refusing one of another experiment.
///
/// The archive is read member by member, and P in the precision it was saved in (`<f4`
/// members give [`StoredP::F32`]), so that loading holds little more than the state itself.
pub fn load(dir: &Path, expected_fingerprint: u64) -> Result<TrainingState, ConfigError> {
    let path = dir.join(CHECKPOINT);
    let data = |problem: String| ConfigError::Data {
        path: path.clone(),
        problem,
    };
    if !path.exists() {
        return Err(data("no checkpoint here (a run writes one at the end of training and every training.checkpoint_every loops)".into()));
    }
    let unreadable = |e: NpyError| data(format!("unreadable checkpoint: {e}"));
    let mut npz = NpzFile::open(&path).map_err(unreadable)?;
    let present = |npz: &NpzFile, name: &str| {
        if npz.contains(name) {
            Ok(())
        } else {
            Err(data(format!(
                "the checkpoint lacks `{name}`: it is incomplete"
            )))
        }
    };
    let take = |npz: &mut NpzFile, name: &str| -> Result<Vec<f64>, ConfigError> {
        present(npz, name)?;
        npz.read(name).map(|a| a.data).map_err(unreadable)
    };
    if join(&take(&mut npz, "fingerprint")?) != expected_fingerprint {
        return Err(data(
            "this checkpoint belongs to another experiment (its network, training or target settings differ)".into(),
        ));
    }
    let loops_done =
        count("loops_done", &take(&mut npz, "loops_done")?, MAX_LOOPS).map_err(data)?;
    let trial_index = pieces("trial_index", &take(&mut npz, "trial_index")?).map_err(data)?;
    let clock = pieces("clock", &take(&mut npz, "clock")?).map_err(data)?;
    let trained = indices("trained", &take(&mut npz, "trained")?).map_err(data)?;
    let weights = take(&mut npz, "weights")?;
    let feedforward = take(&mut npz, "feedforward")?;
    let chunks = count("p_chunks", &take(&mut npz, "p_chunks")?, usize::MAX >> 8).map_err(data)?;
    // The chunks' headers first: P's length, to allocate it once, and its precision (f32 where
    // every chunk is `<f4`, f64 otherwise, exact either way; restoring converts to the
    // storage).
    let (mut total, mut all_f32) = (0usize, true);
    for k in 0..chunks {
        let name = format!("p_{k}");
        present(&npz, &name)?;
        let header = npz.header(&name).map_err(unreadable)?;
        all_f32 &= header.descr == "<f4";
        // The header is checked against the member's size, so the count is in bounds.
        total = total.saturating_add(header.shape.iter().product());
    }
    let mut p = if all_f32 {
        StoredP::F32(Vec::new())
    } else {
        StoredP::F64(Vec::new())
    };
    for k in 0..chunks {
        let (_, values) = npz.read_values(&format!("p_{k}")).map_err(unreadable)?;
        append_p(&mut p, values, total);
    }
    let r_per_loop = take(&mut npz, "r_per_loop")?;
    let loop_seconds = take(&mut npz, "loop_seconds")?;
    for (name, len) in [
        ("r_per_loop", r_per_loop.len()),
        ("loop_seconds", loop_seconds.len()),
    ] {
        if len != loops_done {
            return Err(data(format!(
                "`{name}` has {len} values but `loops_done` is {loops_done}: the checkpoint is \
                 inconsistent"
            )));
        }
    }
    Ok(TrainingState {
        loops_done,
        trial_index,
        trained,
        weights,
        feedforward,
        p,
        r_per_loop,
        loop_seconds,
        simulator: SimulatorState {
            clock,
            queues: take(&mut npz, "queues")?,
            spiked_prev: take(&mut npz, "spiked_prev")?,
            ff_spiked_prev: take(&mut npz, "ff_spiked_prev")?,
        },
        settled: match npz.contains("targets") {
            true => Some(load_settled(&mut npz).map_err(data)?),
            false => None,
        },
        projection_weights: match npz.contains("projection_weights") {
            true => take(&mut npz, "projection_weights")?,
            false => Vec::new(),
        },
    })
}

/// The count held by member `name`: one whole number from 0 to `max`.
fn count(name: &str, values: &[f64], max: usize) -> Result<usize, String> {
    match values {
        [v] if v.fract() == 0.0 && *v >= 0.0 && *v <= max as f64 => Ok(*v as usize),
        _ => Err(format!(
            "`{name}` must hold one whole number from 0 to {max}, found {values:?}"
        )),
    }
}

/// The u64 held by member `name` as four 16-bit pieces (see `split`).
pub(crate) fn pieces(name: &str, values: &[f64]) -> Result<u64, String> {
    let piece = |v: &f64| v.fract() == 0.0 && (0.0..=65535.0).contains(v);
    match values.len() == 4 && values.iter().all(piece) {
        true => Ok(join(values)),
        false => Err(format!(
            "`{name}` must hold four whole numbers from 0 to 65535, found {values:?}"
        )),
    }
}

/// Neuron indices held by member `name`: whole numbers from 0 to 2^32 − 1.
fn indices(name: &str, values: &[f64]) -> Result<Vec<usize>, String> {
    match values
        .iter()
        .find(|v| !(v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(*v)))
    {
        None => Ok(values.iter().map(|&v| v as usize).collect()),
        Some(v) => Err(format!("`{name}` holds {v}, which is not a neuron index")),
    }
}

/// The members written by `save_settled`. Population names are not stored: the groups of
/// `initial` come back unnamed, and the network they are restored into names them.
fn load_settled(npz: &mut NpzFile) -> Result<Settled, String> {
    let mut take = |name: &str, dims: usize| -> Result<NpyArray, String> {
        if !npz.contains(name) {
            return Err(format!("the checkpoint lacks `{name}`: it is incomplete"));
        }
        let a = npz
            .read(name)
            .map_err(|e| format!("unreadable checkpoint: {e}"))?;
        match a.shape.len() == dims {
            true => Ok(a),
            false => Err(format!(
                "`{name}` has {} dimensions, not {dims}",
                a.shape.len()
            )),
        }
    };
    let targets = rows(take("targets", 2)?);
    let recorded_of_row = indices("recorded_of_row", &take("recorded_of_row", 1)?.data)?;
    let sigma = take("sigma", 1)?.data.first().copied();
    let stats = take("initial_population_stats", 2)?;
    if stats.shape[1] != STATS {
        return Err(format!(
            "`initial_population_stats` has {} columns, not {STATS}",
            stats.shape[1]
        ));
    }
    let neuron_rates_hz = take("initial_neuron_rate_hz", 1)?.data;
    let population_rate_hz = rows(take("initial_population_rate_hz", 2)?);
    let course = take("initial_input_timecourse", 3)?;
    let input_timecourse = rows(NpyArray {
        shape: vec![course.shape[0] * 4, course.shape[2]],
        data: course.data,
    })
    .chunks(4)
    .map(|p| [p[0].clone(), p[1].clone(), p[2].clone(), p[3].clone()])
    .collect();
    Ok(Settled {
        targets,
        recorded_of_row,
        sigma,
        initial: Activity {
            populations: stats.data.chunks(STATS).map(group).collect(),
            neuron_rates_hz,
            population_rate_hz,
            input_timecourse,
        },
    })
}

/// The rows of a 2-d array.
fn rows(a: NpyArray) -> Vec<Vec<f64>> {
    match a.shape[1] {
        0 => vec![Vec::new(); a.shape[0]],
        m => a.data.chunks(m).map(<[f64]>::to_vec).collect(),
    }
}

/// One population's statistics (unnamed), from its row of `initial_population_stats`.
fn group(s: &[f64]) -> GroupActivity {
    GroupActivity {
        name: String::new(),
        rate_hz: s[0],
        cv_isi: s[1],
        fano: s[2],
        mean_input: InputMeans {
            excitatory: s[3],
            inhibitory: s[4],
            external: s[5],
            net: s[6],
        },
    }
}

/// Appends a chunk of P to `p`, which will hold `total` values: the chunk itself where it is
/// all of P, f32 values widened where `p` is f64 (and `p` widened, should an f64 chunk follow
/// f32 ones).
fn append_p(p: &mut StoredP, values: NpyValues, total: usize) {
    fn append<T: Copy>(p: &mut Vec<T>, v: Vec<T>, total: usize) {
        if p.is_empty() && v.len() >= total {
            *p = v;
        } else {
            p.reserve_exact(total.saturating_sub(p.len()));
            p.extend_from_slice(&v);
        }
    }
    match (&mut *p, values) {
        (StoredP::F32(p), NpyValues::F32(v)) => append(p, v, total),
        (StoredP::F64(p), NpyValues::F64(v)) => append(p, v, total),
        (StoredP::F64(p), NpyValues::F32(v)) => {
            p.reserve_exact(total.saturating_sub(p.len()));
            p.extend(v.iter().map(|&x| f64::from(x)));
        }
        (StoredP::F32(old), NpyValues::F64(v)) => {
            let mut wide = Vec::with_capacity(total.max(old.len() + v.len()));
            wide.extend(old.iter().map(|&x| f64::from(x)));
            wide.extend_from_slice(&v);
            *p = StoredP::F64(wide);
        }
    }
}

/// Checks that a loaded `state` can continue `experiment`'s training: it has not done more
/// loops than `training.loops` asks for (its curve would be cut and mislabelled).
pub fn check_resumable(
    state: &TrainingState,
    experiment: &Experiment,
    dir: &Path,
) -> Result<(), ConfigError> {
    let Experiment::Spiking(exp) = experiment else {
        return Ok(());
    };
    let loops = exp.training.as_ref().map_or(0, |t| t.loops);
    if state.loops_done > loops {
        return Err(ConfigError::Data {
            path: dir.join(CHECKPOINT),
            problem: format!(
                "holds {} training loops but training.loops is {loops}: set training.loops to \
                 at least {} to continue it",
                state.loops_done, state.loops_done
            ),
        });
    }
    Ok(())
}

/// Why a trained network could not be loaded from a run directory.
#[derive(Debug, thiserror::Error)]
pub enum LoadTrainedError {
    /// The run directory, its experiment file, an override or its checkpoint is bad input.
    #[error(transparent)]
    Input(#[from] ConfigError),
    /// The checkpoint does not fit the experiment (an [`RunError::Invalid`]), or the settle
    /// trial that an old checkpoint needs stopped.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// A trained network loaded from a run directory.
#[derive(Debug)]
pub struct LoadedTrained {
    /// The run's experiment with the overrides applied, `training.loops` set to the loops the
    /// checkpoint completed.
    pub experiment: LoadedExperiment,
    /// The network as training left it.
    pub network: TrainedNetwork,
    /// The checkpoint predates the saved settle results, so the network settled and matched
    /// again to load.
    pub settled_again: bool,
    /// The loops the checkpoint completed and the loops the run's experiment asked for; fewer
    /// done than asked for is a partly trained network (an interrupted run).
    pub loops: (usize, usize),
}

/// The trained network of run directory `run_dir`, from its `experiment.toml` and
/// `checkpoint.npz`, without a settle trial (unless the checkpoint is older than the saved
/// settle results; `observer` then sees a `"settle"` phase).
///
/// `overrides` may change `test.*` and `record.*` keys only, what a new test may differ in;
/// relative data paths resolve against `base_dir`.
pub fn load_trained(
    run_dir: &Path,
    overrides: &[String],
    base_dir: &Path,
    observer: &mut dyn Observer,
) -> Result<LoadedTrained, LoadTrainedError> {
    let file = run_dir.join("experiment.toml");
    if !file.exists() {
        return Err(ConfigError::Data {
            path: run_dir.to_path_buf(),
            problem: "not a run directory (no experiment.toml)".into(),
        }
        .into());
    }
    for o in overrides {
        let key = o.split_once('=').map_or(o.as_str(), |(k, _)| k).trim();
        if !(key.starts_with("test.") || key.starts_with("record.")) {
            return Err(ConfigError::invalid(
                "--set",
                format!(
                    "`{key}`: only test.* and record.* keys may change when testing a trained \
                     network (the network, its training and its target are the run's)"
                ),
            )
            .into());
        }
    }
    let original = config::load(&file, &[], base_dir)?;
    if let Experiment::Rate(_) = &original.experiment {
        return Err(ConfigError::Data {
            path: run_dir.to_path_buf(),
            problem: "holds a rate run: `spikeform test` tests a trained spiking network again \
                      from its checkpoint, and rate runs keep no trained state (run the \
                      experiment again: the same seed gives the same network)"
                .into(),
        }
        .into());
    }
    let expected = fingerprint(&original.normalized_toml());
    let state = load(run_dir, expected)?;
    let planned = match &original.experiment {
        Experiment::Spiking(e) => e.training.as_ref().map_or(0, |t| t.loops),
        Experiment::Rate(_) => 0,
    };
    // The loops already done: a test reports the training curve of the checkpoint.
    let mut all = vec![format!("training.loops={}", state.loops_done.max(1))];
    all.extend(overrides.iter().cloned());
    let loaded = config::load(&file, &all, base_dir)?;
    if fingerprint(&loaded.normalized_toml()) != expected {
        return Err(ConfigError::invalid(
            "--set",
            "only test.* and record.* keys may change when testing a trained network",
        )
        .into());
    }
    let Experiment::Spiking(exp) = &loaded.experiment else {
        return Err(ConfigError::Data {
            path: file,
            problem: "a rate network keeps no trained state to load".into(),
        }
        .into());
    };
    let network = TrainedNetwork::from_state(exp, &state, observer)?;
    Ok(LoadedTrained {
        experiment: loaded,
        network,
        settled_again: state.settled.is_none(),
        loops: (state.loops_done, planned),
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

    use crate::test_support::TempDir;

    const FP: u64 = 0x0123_4567_89ab_cdef;

    fn state(p: StoredP) -> TrainingState {
        TrainingState {
            loops_done: 3,
            trial_index: (1 << 40) + 17,
            trained: vec![0, 2, 5],
            weights: vec![0.25, -1.5e-7, 3.0, f64::MIN_POSITIVE, -0.0, 1e300],
            feedforward: vec![1.0 / 3.0, -2.0],
            p,
            r_per_loop: vec![f64::NAN, 0.75, 0.125],
            loop_seconds: vec![1.5, 2.25, 0.5],
            simulator: SimulatorState {
                clock: u64::MAX - 5,
                queues: vec![0.0, 0.1, 0.2, 0.3],
                spiked_prev: vec![1.0, 0.0, 1.0],
                ff_spiked_prev: vec![0.0, 1.0],
            },
            settled: None,
            projection_weights: vec![0.5, -0.25, 1e-9],
        }
    }

    /// Settle results of two populations (groups unnamed, as a checkpoint gives them back).
    fn settled(sigma: Option<f64>, recorded_of_row: Vec<usize>) -> Settled {
        let group = |k: f64| GroupActivity {
            name: String::new(),
            rate_hz: 5.0 + k,
            cv_isi: f64::NAN,
            fano: 1.0 / 3.0 + k,
            mean_input: InputMeans {
                excitatory: 2.5 + k,
                inhibitory: -1.75 - k,
                external: 1e-300,
                net: -0.0,
            },
        };
        let series = |k: f64| (0..5).map(|t| k + t as f64 / 7.0).collect::<Vec<_>>();
        Settled {
            targets: vec![vec![0.5, -1.0 / 3.0, 2.0, 4.0], vec![1e-9, 0.0, -7.5, 3.25]],
            recorded_of_row,
            sigma,
            initial: Activity {
                populations: vec![group(0.0), group(1.0)],
                neuron_rates_hz: vec![0.0, 12.5, f64::INFINITY],
                population_rate_hz: vec![series(0.0), series(1.0)],
                input_timecourse: vec![
                    [series(0.1), series(0.2), series(0.3), series(0.4)],
                    [series(1.1), series(1.2), series(1.3), series(1.4)],
                ],
            },
        }
    }

    #[test]
    fn settle_results_round_trip_exactly_and_old_checkpoints_have_none() {
        let dir = TempDir::new("settled");
        let path = dir.path(CHECKPOINT);
        for (sigma, rows) in [(Some(0.309), vec![2, 0]), (None, vec![])] {
            let mut s = state(StoredP::F64(p64()));
            s.settled = Some(settled(sigma, rows));
            save(&path, &s, FP).unwrap();
            let back = load(dir.dir(), FP).unwrap();
            assert!(same(&s, &back), "{s:?}\n{back:?}");
        }
        // A checkpoint without the settle members loads, with nothing settled.
        save(&path, &state(StoredP::F64(p64())), FP).unwrap();
        assert_eq!(load(dir.dir(), FP).unwrap().settled, None);
        // One settle member without the others is an incomplete checkpoint.
        let mut w = crate::npy::NpzWriter::new();
        let s = state(StoredP::F64(vec![]));
        for (name, v) in [
            ("fingerprint", split(FP)),
            ("loops_done", vec![3]),
            ("trial_index", split(s.trial_index)),
            ("clock", split(s.simulator.clock)),
            ("trained", vec![0, 2, 5]),
            ("p_chunks", vec![0]),
        ] {
            w.add_i64(name, &[v.len()], &v);
        }
        for (name, v) in [
            ("weights", &s.weights),
            ("feedforward", &s.feedforward),
            ("r_per_loop", &s.r_per_loop),
            ("loop_seconds", &s.loop_seconds),
            ("queues", &s.simulator.queues),
            ("spiked_prev", &s.simulator.spiked_prev),
            ("ff_spiked_prev", &s.simulator.ff_spiked_prev),
        ] {
            w.add_f64(name, &[v.len()], v);
        }
        w.add_f64("targets", &[1, 2], &[0.5, 1.5]);
        w.write_to(&path).unwrap();
        match load(dir.dir(), FP) {
            Err(ConfigError::Data { problem, .. }) => assert_eq!(
                problem,
                "the checkpoint lacks `recorded_of_row`: it is incomplete"
            ),
            other => panic!("{other:?}"),
        }
    }

    /// Exact equality, NaN included (Debug prints f64 values exactly, and the variant).
    fn same(a: &TrainingState, b: &TrainingState) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    fn p32() -> Vec<f32> {
        (0..10)
            .map(|i| (i as f32 - 4.5) / 7.0)
            .chain([f32::MIN_POSITIVE, 1e-45, -0.0, f32::MAX])
            .collect()
    }

    fn p64() -> Vec<f64> {
        (0..10)
            .map(|i| (i as f64 - 4.5) / 7.0)
            .chain([f64::MIN_POSITIVE, 5e-324, -0.0, f64::MAX])
            .collect()
    }

    #[test]
    fn save_load_round_trip_keeps_the_precision_of_p() {
        let dir = TempDir::new("rt");
        let path = dir.path(CHECKPOINT);
        for p in [
            StoredP::F32(p32()),
            StoredP::F64(p64()),
            StoredP::F32(vec![]),
        ] {
            let s = state(p);
            // in one member, and in members of 3 values
            for chunk in [P_CHUNK, 3] {
                save_chunked(&path, &s, FP, chunk).unwrap();
                let back = load(dir.dir(), FP).unwrap();
                match (&s.p, &back.p) {
                    (StoredP::F32(a), StoredP::F32(b)) => assert_eq!(
                        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                    ),
                    (StoredP::F64(a), StoredP::F64(b)) => assert_eq!(
                        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                    ),
                    (a, b) => panic!("saved {a:?}, loaded {b:?}"),
                }
                assert!(same(&s, &back), "{s:?}\n{back:?}");
            }
        }
        // P of several members comes back whole, in order.
        let s = state(StoredP::F32(p32()));
        save_chunked(&path, &s, FP, 4).unwrap();
        let StoredP::F32(p) = load(dir.dir(), FP).unwrap().p else {
            panic!("f32 P loaded as f64")
        };
        assert_eq!(p, p32());
    }

    #[test]
    fn load_refuses_other_experiments_and_damaged_checkpoints() {
        let dir = TempDir::new("bad");
        let path = dir.path(CHECKPOINT);
        let problem = |r: Result<TrainingState, ConfigError>| match r {
            Err(ConfigError::Data { path: p, problem }) => {
                assert_eq!(p, path);
                problem
            }
            other => panic!("{other:?}"),
        };
        let e = problem(load(dir.dir(), FP));
        assert!(e.starts_with("no checkpoint here"), "{e}");

        save(&path, &state(StoredP::F32(p32())), FP).unwrap();
        let e = problem(load(dir.dir(), FP + 1));
        assert!(
            e.starts_with("this checkpoint belongs to another experiment"),
            "{e}"
        );

        // a corrupted P member
        let good = std::fs::read(&path).unwrap();
        let name = b"p_0.npy";
        let at = (0..good.len())
            .find(|&k| good[k..].starts_with(name))
            .unwrap();
        let mut bad = good.clone();
        bad[at + name.len() + 128 + 2] ^= 0x10; // a data byte of p_0
        std::fs::write(&path, &bad).unwrap();
        let e = problem(load(dir.dir(), FP));
        assert!(
            e.starts_with(&format!(
                "unreadable checkpoint: {}[p_0.npy]: CRC-32 mismatch",
                path.display()
            )),
            "{e}"
        );
        // a truncated file
        std::fs::write(&path, &good[..good.len() - 30]).unwrap();
        let e = problem(load(dir.dir(), FP));
        assert!(e.starts_with("unreadable checkpoint: "), "{e}");

        // missing members
        let mut w = crate::npy::NpzWriter::new();
        w.add_i64("fingerprint", &[4], &split(FP));
        w.write_to(&path).unwrap();
        assert_eq!(
            problem(load(dir.dir(), FP)),
            "the checkpoint lacks `loops_done`: it is incomplete"
        );
        let mut w = crate::npy::NpzWriter::new();
        for (name, v) in [
            ("fingerprint", split(FP)),
            ("loops_done", vec![1]),
            ("trial_index", split(9)),
            ("clock", split(9)),
            ("trained", vec![]),
            ("weights", vec![]),
            ("feedforward", vec![]),
            ("p_chunks", vec![2]),
            ("p_0", vec![1]),
        ] {
            w.add_i64(name, &[v.len()], &v);
        }
        w.write_to(&path).unwrap();
        assert_eq!(
            problem(load(dir.dir(), FP)),
            "the checkpoint lacks `p_1`: it is incomplete"
        );
    }

    #[test]
    fn p_chunks_of_mixed_precision_load_as_f64() {
        // f32 then f64, f64 then f32, f32 only, f64 only
        let mut p = StoredP::F32(Vec::new());
        append_p(&mut p, NpyValues::F32(vec![0.1, 0.2]), 5);
        append_p(&mut p, NpyValues::F64(vec![0.3, 0.4, 0.5]), 5);
        assert_eq!(
            p,
            StoredP::F64(vec![f64::from(0.1f32), f64::from(0.2f32), 0.3, 0.4, 0.5])
        );
        let mut p = StoredP::F64(Vec::new());
        append_p(&mut p, NpyValues::F64(vec![0.3]), 3);
        append_p(&mut p, NpyValues::F32(vec![0.1, 0.2]), 3);
        assert_eq!(
            p,
            StoredP::F64(vec![0.3, f64::from(0.1f32), f64::from(0.2f32)])
        );
        let mut p = StoredP::F32(Vec::new());
        append_p(&mut p, NpyValues::F32(vec![0.1]), 2);
        append_p(&mut p, NpyValues::F32(vec![0.2]), 2);
        assert_eq!(p, StoredP::F32(vec![0.1, 0.2]));

        // and through a checkpoint: p_0 `<f4`, p_1 `<f8`
        let dir = TempDir::new("mixed");
        let path = dir.path(CHECKPOINT);
        let s = state(StoredP::F64(vec![]));
        let mut w = crate::npy::NpzWriter::new();
        w.add_i64("fingerprint", &[4], &split(FP));
        w.add_i64("loops_done", &[1], &[3]);
        w.add_i64("trial_index", &[4], &split(s.trial_index));
        w.add_i64("clock", &[4], &split(s.simulator.clock));
        w.add_i64("trained", &[3], &[0, 2, 5]);
        w.add_f64("weights", &[6], &s.weights);
        w.add_f64("feedforward", &[2], &s.feedforward);
        w.add_i64("p_chunks", &[1], &[2]);
        w.add_f32("p_0", &[2], &[0.1, 0.2]);
        w.add_f64("p_1", &[1], &[0.3]);
        w.add_f64("r_per_loop", &[3], &s.r_per_loop);
        w.add_f64("loop_seconds", &[3], &s.loop_seconds);
        w.add_f64("queues", &[4], &s.simulator.queues);
        w.add_f64("spiked_prev", &[3], &s.simulator.spiked_prev);
        w.add_f64("ff_spiked_prev", &[2], &s.simulator.ff_spiked_prev);
        w.add_f64("projection_weights", &[3], &s.projection_weights);
        w.write_to(&path).unwrap();
        let back = load(dir.dir(), FP).unwrap();
        let expect = state(StoredP::F64(vec![
            f64::from(0.1f32),
            f64::from(0.2f32),
            0.3,
        ]));
        assert!(same(&back, &expect), "{back:?}");
    }

    /// A checkpoint of `state(F64 [])` with the given `loops_done` and training curve.
    fn crafted(path: &Path, loops_done: &[i64], r_per_loop: &[f64], trained: &[i64]) {
        let s = state(StoredP::F64(vec![]));
        let mut w = crate::npy::NpzWriter::new();
        w.add_i64("fingerprint", &[4], &split(FP));
        w.add_i64("loops_done", &[loops_done.len()], loops_done);
        w.add_i64("trial_index", &[4], &split(s.trial_index));
        w.add_i64("clock", &[4], &split(s.simulator.clock));
        w.add_i64("trained", &[trained.len()], trained);
        w.add_f64("weights", &[6], &s.weights);
        w.add_f64("feedforward", &[2], &s.feedforward);
        w.add_i64("p_chunks", &[1], &[0]);
        w.add_f64("r_per_loop", &[r_per_loop.len()], r_per_loop);
        w.add_f64("loop_seconds", &[r_per_loop.len()], r_per_loop);
        w.add_f64("queues", &[4], &s.simulator.queues);
        w.add_f64("spiked_prev", &[3], &s.simulator.spiked_prev);
        w.add_f64("ff_spiked_prev", &[2], &s.simulator.ff_spiked_prev);
        w.write_to(path).unwrap();
    }

    #[test]
    fn a_checkpoint_with_valid_crcs_but_inconsistent_counts_is_refused() {
        let dir = TempDir::new("crafted");
        let path = dir.path(CHECKPOINT);
        let problem = |r: Result<TrainingState, ConfigError>| match r {
            Err(ConfigError::Data { problem, .. }) => problem,
            other => panic!("{other:?}"),
        };
        crafted(&path, &[3], &[0.1, 0.2, 0.3], &[0, 2, 5]);
        assert_eq!(load(dir.dir(), FP).unwrap().loops_done, 3);
        crafted(&path, &[99], &[0.1, 0.2, 0.3], &[0, 2, 5]);
        let e = problem(load(dir.dir(), FP));
        assert!(
            e.contains("`r_per_loop` has 3 values but `loops_done` is 99"),
            "{e}"
        );
        crafted(&path, &[-1], &[], &[0, 2, 5]);
        let e = problem(load(dir.dir(), FP));
        assert!(e.contains("`loops_done` must hold one whole number"), "{e}");
        crafted(&path, &[2], &[0.1, 0.2, 0.3], &[0, 2, 5]);
        let e = problem(load(dir.dir(), FP));
        assert!(
            e.contains("`r_per_loop` has 3 values but `loops_done` is 2"),
            "{e}"
        );
        crafted(&path, &[3, 4], &[0.1, 0.2, 0.3], &[0, 2, 5]);
        assert!(problem(load(dir.dir(), FP)).contains("`loops_done`"));
        crafted(&path, &[3], &[0.1, 0.2, 0.3], &[0, -2, 5]);
        let e = problem(load(dir.dir(), FP));
        assert!(e.contains("`trained` holds -2"), "{e}");
    }
}
