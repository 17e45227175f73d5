//! `spikeform run PERTURB.toml --from RUN_DIR`: the perturbation sweep of PERTURB.toml on the
//! network trained by RUN_DIR, loaded from its checkpoint without training again.
//!
//! PERTURB.toml describes the same experiment as RUN_DIR's (network, inputs, training, targets:
//! every key a checkpoint depends on) plus `[perturbation]`; its name, `[test]` and `[record]`
//! may differ. The trained network is tested (`test.trials`) and then perturbed.

use std::path::{Path, PathBuf};

use spikeform_io::checkpoint::{self, LoadTrainedError};
use spikeform_io::config::{self, Experiment, LoadedExperiment};
use spikeform_io::rundir::{RunDir, SUMMARY};

use crate::progress::Progress;
use crate::run::{dir_failure, execute, note_settling_again, run_failure, Procedure};
use crate::Failure;

/// Runs PERTURB.toml's sweep on RUN_DIR's trained network; results go to `out` (default
/// `runs/NAME`).
pub fn run_from(
    file: &Path,
    from: &Path,
    out: Option<&Path>,
    set: &[String],
    quiet: bool,
) -> Result<PathBuf, Failure> {
    let cwd = std::env::current_dir().map_err(Failure::run)?;
    let perturb = config::load(file, set, &cwd).map_err(Failure::input)?;
    if !matches!(&perturb.experiment, Experiment::Spiking(e) if e.perturbation.is_some()) {
        return Err(Failure::input(format!(
            "--from: {} has no [perturbation] section to run on a trained network",
            file.display()
        )));
    }
    if !from.join(SUMMARY).exists() {
        return Err(Failure::input(format!(
            "--from {}: not a finished run (no {SUMMARY}); train it with `spikeform run` first",
            from.display()
        )));
    }
    let mut progress = Progress::new(quiet);
    let trained = spikeform_io::load_trained(from, &[], &cwd, &mut progress);
    progress.finish();
    let trained = trained.map_err(|e| match e {
        LoadTrainedError::Input(e) => Failure::input(format!("--from {}: {e}", from.display())),
        LoadTrainedError::Run(e) => run_failure(e),
    })?;
    if trained.settled_again {
        note_settling_again(from);
    }
    same_network(&perturb, &trained.experiment, file, from)?;
    // The loops the checkpoint completed, as `spikeform test` reports them.
    let mut sets = set.to_vec();
    if let Some(t) = &trained.experiment.raw.training {
        sets.push(format!("training.loops={}", t.loops));
    }
    let loaded = config::load(file, &sets, &cwd).map_err(Failure::input)?;
    crate::run::check_resources(&loaded.experiment)?;
    let dir = RunDir::create(out, loaded.experiment.name()).map_err(dir_failure)?;
    let fingerprint = checkpoint::fingerprint(&loaded.normalized_toml());
    let procedure = Procedure::Test(Box::new(trained.network));
    execute(&loaded, &dir, procedure, fingerprint, &mut progress)
}

/// PERTURB.toml and the run's experiment must agree on every key a checkpoint depends on
/// (all but the name, `[test]`, `[record]`, the training's loop counts and the perturbation);
/// otherwise exit 2 naming the sections that differ.
fn same_network(
    perturb: &LoadedExperiment,
    run: &LoadedExperiment,
    file: &Path,
    from: &Path,
) -> Result<(), Failure> {
    let comparable = |loaded: &LoadedExperiment| -> serde_json::Map<String, serde_json::Value> {
        let mut v = match serde_json::to_value(&loaded.raw) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        for key in ["name", "test", "record", "perturbation"] {
            v.remove(key);
        }
        if let Some(serde_json::Value::Object(t)) = v.get_mut("training") {
            for key in ["loops", "checkpoint_every", "eval_every"] {
                t.remove(key);
            }
        }
        v
    };
    let (a, b) = (comparable(perturb), comparable(run));
    let mut differ: Vec<&str> = a
        .keys()
        .chain(b.keys())
        .map(|k| k.as_str())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    differ.sort_unstable();
    differ.dedup();
    Err(Failure::input(format!(
        "--from {}: its network does not match {} (they differ in: {}); the file must describe \
         the trained experiment plus [perturbation]",
        from.display(),
        file.display(),
        differ.join(", ")
    )))
}
