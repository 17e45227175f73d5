//! The subcommands: parse, dispatch to the library, write the run directory.

use std::path::Path;
use std::time::Instant;

use serde_json::json;
use spikeform_io::config::{self, Experiment, LoadedExperiment};
use spikeform_io::rundir::{RunDir, RunDirError};
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

/// `spikeform run FILE`: run end to end and write the run directory, `summary.json` last.
pub fn run(
    file: &Path,
    out: Option<&Path>,
    set: &[String],
    threads: Option<usize>,
    quiet: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let loaded = load(file, set)?;
    if let Some(n) = threads {
        if n == 0 {
            return Err(Failure::input("--threads: must be at least 1, got 0"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Failure::run(format!("cannot start {n} threads: {e}")))?;
    }
    let dir = RunDir::create(out, loaded.experiment.name()).map_err(dir_failure)?;
    dir.write("experiment.toml", loaded.normalized_toml().as_bytes())
        .map_err(dir_failure)?;
    let mut progress = Progress::new(quiet);
    let run_started = Instant::now();
    let (summary, files) = match &loaded.experiment {
        Experiment::Rate(exp) => {
            let result = spikeform::experiment::rate::run(exp, &mut progress);
            progress.finish();
            let result = result.map_err(Failure::run)?;
            let files = artifacts::write_rate(&dir, exp, &result).map_err(dir_failure)?;
            (
                summary::rate(exp, &result, run_started.elapsed().as_secs_f64()),
                files,
            )
        }
        Experiment::Spiking(exp) => {
            let result = spikeform::experiment::spiking::run(exp, &mut progress);
            progress.finish();
            let result = result.map_err(Failure::run)?;
            let files = artifacts::write_spiking(&dir, exp, &result).map_err(dir_failure)?;
            let theory = crate::theory::for_experiment(exp, &result);
            (
                summary::spiking(exp, &result, theory, run_started.elapsed().as_secs_f64()),
                files,
            )
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
        "wall_seconds": {
            "run": run_started.elapsed().as_secs_f64(),
            "total": started.elapsed().as_secs_f64(),
        },
    });
    dir.write_json("manifest.json", &manifest)
        .map_err(dir_failure)?;
    dir.write_json(spikeform_io::rundir::SUMMARY, &summary)
        .map_err(dir_failure)?;
    println!("{}", one_line(&summary));
    println!("results in {}", dir.path().display());
    Ok(())
}

/// A one-line digest of the summary for the terminal.
fn one_line(summary: &serde_json::Value) -> String {
    let mut parts = vec![format!("{}", summary["experiment"].as_str().unwrap_or("?"))];
    if let Some(r) = summary["test"]["r_mean"].as_f64() {
        parts.push(format!("test r_mean = {r:.4}"));
    }
    if let Some(t) = summary["timing"]["total_seconds"].as_f64() {
        parts.push(format!("{t:.1} s"));
    }
    parts.join(", ")
}
