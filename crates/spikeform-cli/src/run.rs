//! The subcommands: parse, dispatch to the library, write the run directory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use spikeform::experiment::spiking::{
    self, CheckpointSink, SimulationState, TrainedNetwork, TrainingState,
};
use spikeform::RunError;
use spikeform_io::checkpoint::{self, LoadTrainedError, CHECKPOINT};
use spikeform_io::config::{self, Experiment, LoadedExperiment};
use spikeform_io::rundir::{RunDir, RunDirError, WrittenFile, SUMMARY};
use spikeform_io::summary::Summary;
use spikeform_io::{artifacts, estimate, summary};

use crate::progress::Progress;
use crate::Failure;

fn load(file: &Path, set: &[String]) -> Result<LoadedExperiment, Failure> {
    let cwd = std::env::current_dir().map_err(Failure::run)?;
    config::load(file, set, &cwd).map_err(Failure::input)
}

/// `spikeform check FILE`: validate and print the normalized experiment.
pub fn check(file: &Path, set: &[String]) -> Result<(), Failure> {
    let loaded = load(file, set)?;
    print!("{}", loaded.normalized_toml());
    let estimate = estimate::estimate(&loaded.experiment, rayon::current_num_threads());
    for line in estimate.describe().lines() {
        println!("# {line}");
    }
    if let Some(available) = estimate::available_memory() {
        if estimate.memory_bytes() > available {
            println!(
                "# more than the {} available: `spikeform run` would refuse it",
                estimate::bytes(available)
            );
        }
    }
    Ok(())
}

/// Refuses (exit 2) a run whose estimated memory exceeds the memory available.
pub(crate) fn check_resources(experiment: &Experiment) -> Result<(), Failure> {
    let estimate = estimate::estimate(experiment, rayon::current_num_threads());
    let (needed, available) = (estimate.memory_bytes(), estimate::available_memory());
    match available {
        Some(available) if needed > available => Err(Failure::input(format!(
            "this run needs about {} of memory (estimate; `spikeform check` itemises it) but \
             only {} is available: make the network, the recordings or the test smaller",
            estimate::bytes(needed),
            estimate::bytes(available)
        ))),
        _ => Ok(()),
    }
}

pub(crate) fn dir_failure(e: RunDirError) -> Failure {
    match e {
        RunDirError::Io { .. } => Failure::run(e),
        _ => Failure::input(e),
    }
}

/// A bad checkpoint is bad input (exit 2); a stop asked for by a signal exits with 128 + its
/// number; anything else that stops a run is exit 1.
pub(crate) fn run_failure(e: RunError) -> Failure {
    match (e, crate::signals::requested()) {
        (e @ RunError::Invalid(_), _) => Failure::input(e),
        (e @ RunError::Interrupted { .. }, Some(signal)) => Failure::interrupted(
            signal,
            format!(
                "{e} ({}); a run's checkpoint holds every finished training loop \
                 (or segment of a long untrained run), and `spikeform run FILE --resume DIR` \
                 continues it",
                crate::signals::name(signal)
            ),
        ),
        (e, _) => Failure::run(e),
    }
}

fn set_threads(threads: Option<usize>) -> Result<(), Failure> {
    if let Some(n) = threads {
        let max = spikeform_io::config::limits::MAX_THREADS;
        if n == 0 || n > max {
            return Err(Failure::input(format!(
                "--threads: must be at least 1 and at most {max}, got {n}"
            )));
        }
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        if n > cores {
            eprintln!(
                "warning: --threads {n} is more than the {cores} cores here: the extra threads \
                 only slow the run (results do not depend on the thread count)"
            );
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Failure::run(format!("cannot start {n} threads: {e}")))?;
    }
    Ok(())
}

/// Writes `checkpoint.npz` into the run directory when the library hands over a state. A
/// checkpoint that cannot be written is reported and the run goes on: its results are worth
/// more than the ability to resume it.
struct CheckpointFiles<'a> {
    dir: &'a RunDir,
    path: PathBuf,
    every: usize,
    /// `test.checkpoint_every_ms` (untrained runs of one trial).
    every_ms: f64,
    fingerprint: u64,
    error: Option<String>,
}

impl CheckpointSink for CheckpointFiles<'_> {
    fn every(&self) -> usize {
        self.every
    }

    fn save(&mut self, state: &TrainingState) -> Result<(), String> {
        let saved = checkpoint::save(&self.path, state, self.fingerprint)
            .and_then(|()| self.dir.record_file(CHECKPOINT).map_err(|e| e.to_string()));
        if let Err(e) = saved {
            eprintln!(
                "warning: checkpoint after loop {} not written: {e}",
                state.loops_done
            );
            self.error = Some(e);
        }
        Ok(())
    }

    fn every_ms(&self) -> f64 {
        self.every_ms
    }

    fn save_simulation(&mut self, state: &SimulationState) -> Result<(), String> {
        let saved = spikeform_io::simulation_checkpoint::save(&self.path, state, self.fingerprint)
            .and_then(|()| self.dir.record_file(CHECKPOINT).map_err(|e| e.to_string()));
        if let Err(e) = saved {
            eprintln!(
                "warning: checkpoint at step {} not written: {e}",
                state.steps_done
            );
            self.error = Some(e);
        }
        Ok(())
    }
}

/// `spikeform run FILE`: run end to end and write the run directory, `summary.json` last.
pub fn run(
    file: &Path,
    out: Option<&Path>,
    set: &[String],
    threads: Option<usize>,
    quiet: bool,
    resume: Option<&Path>,
    from: Option<&Path>,
) -> Result<PathBuf, Failure> {
    set_threads(threads)?;
    if let Some(from) = from {
        return crate::perturb::run_from(file, from, out, set, quiet);
    }
    let loaded = load(file, set)?;
    check_resources(&loaded.experiment)?;
    let fingerprint = checkpoint::fingerprint(&loaded.normalized_toml());
    let (dir, state) = match resume {
        None => (
            RunDir::create(out, loaded.experiment.name()).map_err(dir_failure)?,
            None,
        ),
        Some(from) => {
            if !matches!(loaded.experiment, Experiment::Spiking(_)) {
                return Err(Failure::input(
                    "--resume: only spiking runs keep checkpoints",
                ));
            }
            if let Experiment::Spiking(exp) = &loaded.experiment {
                if exp.training.is_none() {
                    return crate::long_run::resume(&loaded, exp, from, out, fingerprint, quiet);
                }
            }
            let state = checkpoint::load(from, fingerprint).map_err(Failure::input)?;
            checkpoint::check_resumable(&state, &loaded.experiment, from)
                .map_err(Failure::input)?;
            if state.settled.is_none() {
                note_settling_again(from);
            }
            (
                resume_dir(from, out, loaded.experiment.name())?,
                Some(state),
            )
        }
    };
    let procedure = Procedure::Run {
        resume: state.as_ref(),
    };
    execute(
        &loaded,
        &dir,
        procedure,
        fingerprint,
        &mut Progress::new(quiet),
    )
}

/// An old checkpoint: the network settles and matches again to load.
pub(crate) fn note_settling_again(run_dir: &Path) {
    eprintln!(
        "note: {} predates saved settle results; the network settles again to load",
        run_dir.join(CHECKPOINT).display()
    );
}

/// What a run directory is filled by.
pub(crate) enum Procedure<'a> {
    /// A run from the start, or from a checkpoint's state.
    Run { resume: Option<&'a TrainingState> },
    /// An untrained run of one trial continued from a state saved between two segments.
    Continue(&'a SimulationState),
    /// A test of a trained network.
    Test(Box<TrainedNetwork>),
}

/// `spikeform test RUN_DIR`: the trained network of RUN_DIR, loaded from its checkpoint
/// without settling or training again, tested again.
pub fn test(
    run_dir: &Path,
    out: Option<&Path>,
    set: &[String],
    threads: Option<usize>,
    quiet: bool,
) -> Result<PathBuf, Failure> {
    set_threads(threads)?;
    let cwd = std::env::current_dir().map_err(Failure::run)?;
    let mut progress = Progress::new(quiet);
    let loaded = spikeform_io::load_trained(run_dir, set, &cwd, &mut progress);
    progress.finish();
    let loaded = loaded.map_err(|e| match e {
        LoadTrainedError::Input(e) => Failure::input(e),
        LoadTrainedError::Run(e) => run_failure(e),
    })?;
    if loaded.settled_again {
        note_settling_again(run_dir);
    }
    let (done, planned) = loaded.loops;
    {
        if done < planned {
            eprintln!(
                "warning: {} holds {done} of the run's {planned} training loops (the run was \
                 interrupted): this tests the partly trained network; `spikeform run FILE \
                 --resume {}` finishes the training",
                run_dir.join(CHECKPOINT).display(),
                run_dir.display()
            );
        }
    }
    check_resources(&loaded.experiment.experiment)?;
    let out = match out {
        Some(o) => o.to_path_buf(),
        None => free_retest_dir(run_dir),
    };
    let dir =
        RunDir::create(Some(&out), loaded.experiment.experiment.name()).map_err(dir_failure)?;
    let fingerprint = checkpoint::fingerprint(&loaded.experiment.normalized_toml());
    let procedure = Procedure::Test(Box::new(loaded.network));
    execute(
        &loaded.experiment,
        &dir,
        procedure,
        fingerprint,
        &mut progress,
    )
}

/// RUN_DIR/retest, or RUN_DIR/retest.2, ... : the first that holds no finished run.
fn free_retest_dir(run_dir: &Path) -> PathBuf {
    (1..)
        .map(|k| match k {
            1 => run_dir.join("retest"),
            _ => run_dir.join(format!("retest.{k}")),
        })
        .find(|candidate| !candidate.join(SUMMARY).exists())
        .expect("some retest directory is free")
}

pub(crate) fn execute(
    loaded: &LoadedExperiment,
    dir: &RunDir,
    procedure: Procedure<'_>,
    fingerprint: u64,
    progress: &mut Progress,
) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    dir.write("experiment.toml", loaded.normalized_toml().as_bytes())
        .map_err(dir_failure)?;
    let summary = match &loaded.experiment {
        Experiment::Rate(exp) => {
            let result = spikeform::experiment::rate::run(exp, progress);
            progress.finish();
            let result = result.map_err(run_failure)?;
            artifacts::write_rate(dir, exp, &result).map_err(dir_failure)?;
            summary::rate(exp, &result, started.elapsed().as_secs_f64())
        }
        Experiment::Spiking(exp) => {
            let every = loaded
                .raw
                .training
                .as_ref()
                .map_or(0, |t| t.checkpoint_every);
            let mut sink = CheckpointFiles {
                dir,
                path: dir.file(CHECKPOINT),
                every,
                every_ms: loaded.raw.test.checkpoint_every_ms,
                fingerprint,
                error: None,
            };
            let (result, resumed_after) = match procedure {
                Procedure::Run { resume } => (
                    spiking::run_with_checkpoints(exp, progress, &mut sink, resume),
                    resume.map(|s| s.loops_done),
                ),
                Procedure::Continue(state) => (
                    spiking::resume_simulation(exp, progress, &mut sink, state),
                    None,
                ),
                Procedure::Test(trained) => {
                    let loops = trained.history.loops_done();
                    (spiking::test_trained(exp, *trained, progress), Some(loops))
                }
            };
            progress.finish();
            let result = result.map_err(run_failure)?;
            let recorded = dir.written().iter().any(|f| f.name == CHECKPOINT);
            if !recorded && dir.file(CHECKPOINT).exists() {
                dir.record_file(CHECKPOINT).map_err(dir_failure)?;
            }
            artifacts::write_spiking(dir, exp, &result).map_err(dir_failure)?;
            let theory = spikeform_io::theory::for_experiment(exp, &result);
            let mut s = summary::spiking(exp, &result, theory, started.elapsed().as_secs_f64());
            if let Summary::Spiking(spiking) = &mut s {
                if let Some(t) = &mut spiking.training {
                    t.resumed_after_loop = resumed_after;
                    t.checkpoint_error = sink.error.clone();
                }
            }
            s
        }
    };
    // Every file in the order written, with size and CRC-32: summary.json (written last) is
    // checksummed before it is written; manifest.json cannot hold its own checksum.
    let summary_bytes = spikeform_io::rundir::json_bytes(&summary);
    let mut details = dir.written();
    details.push(WrittenFile::of(SUMMARY, &summary_bytes));
    let mut files: Vec<String> = details.iter().map(|f| f.name.clone()).collect();
    files.insert(files.len() - 1, "manifest.json".into());
    let manifest = json!({
        "program": "spikeform",
        "version": env!("CARGO_PKG_VERSION"),
        "experiment": loaded.experiment.name(),
        "seed": loaded.experiment.seed(),
        "threads": rayon::current_num_threads(),
        "arguments": std::env::args().skip(1).collect::<Vec<_>>(),
        "files": files,
        "file_details": details,
        "wall_seconds": { "total": started.elapsed().as_secs_f64() },
    });
    dir.write_json("manifest.json", &manifest)
        .map_err(dir_failure)?;
    dir.write(SUMMARY, &summary_bytes).map_err(dir_failure)?;
    println!("{}", summary.one_line());
    println!("results in {}", dir.path().display());
    Ok(dir.path().to_path_buf())
}

/// The directory a resumed run writes to: `out` (a new run directory) or `from` itself; refused
/// when it already holds a finished run.
pub(crate) fn resume_dir(from: &Path, out: Option<&Path>, name: &str) -> Result<RunDir, Failure> {
    let target = out.unwrap_or(from);
    if target.join(SUMMARY).exists() {
        return Err(Failure::input(format!(
            "{}: holds a finished run; give --out NEW_DIR to continue it there",
            target.display()
        )));
    }
    match out {
        Some(o) => RunDir::create(Some(o), name),
        None => RunDir::resume(from),
    }
    .map_err(dir_failure)
}
