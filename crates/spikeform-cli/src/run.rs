//! The subcommands: parse, dispatch to the library, write the run directory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use spikeform::experiment::spiking::{self, CheckpointSink, TrainingState};
use spikeform::RunError;
use spikeform_io::checkpoint::{self, CHECKPOINT};
use spikeform_io::config::{self, Experiment, LoadedExperiment};
use spikeform_io::rundir::{RunDir, RunDirError, SUMMARY};
use spikeform_io::summary::Summary;
use spikeform_io::{artifacts, summary};

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
    Ok(())
}

fn dir_failure(e: RunDirError) -> Failure {
    match e {
        RunDirError::Finished(_) => Failure::input(e),
        RunDirError::Io { .. } => Failure::run(e),
    }
}

/// A bad checkpoint is bad input (exit 2); anything else that stops a run is exit 1.
fn run_failure(e: RunError) -> Failure {
    match e {
        RunError::Invalid(_) => Failure::input(e),
        _ => Failure::run(e),
    }
}

fn set_threads(threads: Option<usize>) -> Result<(), Failure> {
    if let Some(n) = threads {
        if n == 0 {
            return Err(Failure::input("--threads: must be at least 1, got 0"));
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
struct CheckpointFiles {
    path: PathBuf,
    every: usize,
    fingerprint: u64,
    error: Option<String>,
}

impl CheckpointSink for CheckpointFiles {
    fn every(&self) -> usize {
        self.every
    }

    fn save(&mut self, state: &TrainingState) -> Result<(), String> {
        if let Err(e) = checkpoint::save(&self.path, state, self.fingerprint) {
            eprintln!(
                "warning: checkpoint after loop {} not written: {e}",
                state.loops_done
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
) -> Result<PathBuf, Failure> {
    let loaded = load(file, set)?;
    set_threads(threads)?;
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
            let state = checkpoint::load(from, fingerprint).map_err(Failure::input)?;
            let target = out.unwrap_or(from);
            if target.join(SUMMARY).exists() {
                return Err(Failure::input(format!(
                    "{}: holds a finished run; give --out NEW_DIR to continue it there",
                    target.display()
                )));
            }
            (
                RunDir::create(Some(target), loaded.experiment.name()).map_err(dir_failure)?,
                Some(state),
            )
        }
    };
    execute(&loaded, &dir, state.as_ref(), fingerprint, quiet)
}

/// `spikeform test RUN_DIR`: the trained network of RUN_DIR, tested again without training.
pub fn test(
    run_dir: &Path,
    out: Option<&Path>,
    set: &[String],
    threads: Option<usize>,
    quiet: bool,
) -> Result<PathBuf, Failure> {
    let file = run_dir.join("experiment.toml");
    if !file.exists() {
        return Err(Failure::input(format!(
            "{}: not a run directory (no experiment.toml)",
            run_dir.display()
        )));
    }
    let original = load(&file, &[])?;
    let fingerprint = checkpoint::fingerprint(&original.normalized_toml());
    let state = checkpoint::load(run_dir, fingerprint).map_err(Failure::input)?;
    // Train for exactly the loops already done: training is skipped, testing runs.
    let mut overrides = vec![format!("training.loops={}", state.loops_done.max(1))];
    overrides.extend(set.iter().cloned());
    let loaded = load(&file, &overrides)?;
    if checkpoint::fingerprint(&loaded.normalized_toml()) != fingerprint {
        return Err(Failure::input(
            "--set: only test.* and record.* keys may change when testing a trained network",
        ));
    }
    set_threads(threads)?;
    let out = match out {
        Some(o) => o.to_path_buf(),
        None => {
            let mut k = 1;
            loop {
                let name = if k == 1 {
                    "retest".to_string()
                } else {
                    format!("retest.{k}")
                };
                let candidate = run_dir.join(name);
                if !candidate.join(SUMMARY).exists() {
                    break candidate;
                }
                k += 1;
            }
        }
    };
    let dir = RunDir::create(Some(&out), loaded.experiment.name()).map_err(dir_failure)?;
    execute(&loaded, &dir, Some(&state), fingerprint, quiet)
}

fn execute(
    loaded: &LoadedExperiment,
    dir: &RunDir,
    resume: Option<&TrainingState>,
    fingerprint: u64,
    quiet: bool,
) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    dir.write("experiment.toml", loaded.normalized_toml().as_bytes())
        .map_err(dir_failure)?;
    let mut progress = Progress::new(quiet);
    let (summary, files) = match &loaded.experiment {
        Experiment::Rate(exp) => {
            let result = spikeform::experiment::rate::run(exp, &mut progress);
            progress.finish();
            let result = result.map_err(Failure::run)?;
            let files = artifacts::write_rate(dir, exp, &result).map_err(dir_failure)?;
            (
                summary::rate(exp, &result, started.elapsed().as_secs_f64()),
                files,
            )
        }
        Experiment::Spiking(exp) => {
            let every = loaded
                .raw
                .training
                .as_ref()
                .map_or(0, |t| t.checkpoint_every);
            let mut sink = CheckpointFiles {
                path: dir.file(CHECKPOINT),
                every,
                fingerprint,
                error: None,
            };
            let result = spiking::run_with_checkpoints(exp, &mut progress, &mut sink, resume);
            progress.finish();
            let result = result.map_err(run_failure)?;
            let mut files = artifacts::write_spiking(dir, exp, &result).map_err(dir_failure)?;
            if dir.file(CHECKPOINT).exists() {
                files.push(CHECKPOINT.into());
            }
            let theory = crate::theory::for_experiment(exp, &result);
            let mut s = summary::spiking(exp, &result, theory, started.elapsed().as_secs_f64());
            if let Summary::Spiking(spiking) = &mut s {
                if let Some(t) = &mut spiking.training {
                    t.resumed_after_loop = resume.map(|state| state.loops_done);
                    t.checkpoint_error = sink.error.clone();
                }
            }
            (s, files)
        }
    };
    let manifest = json!({
        "program": "spikeform",
        "version": env!("CARGO_PKG_VERSION"),
        "experiment": loaded.experiment.name(),
        "seed": loaded.experiment.seed(),
        "threads": rayon::current_num_threads(),
        "arguments": std::env::args().skip(1).collect::<Vec<_>>(),
        "files": files,
        "wall_seconds": { "total": started.elapsed().as_secs_f64() },
    });
    dir.write_json("manifest.json", &manifest)
        .map_err(dir_failure)?;
    dir.write_json(SUMMARY, &summary).map_err(dir_failure)?;
    println!("{}", summary.one_line());
    println!("results in {}", dir.path().display());
    Ok(dir.path().to_path_buf())
}
