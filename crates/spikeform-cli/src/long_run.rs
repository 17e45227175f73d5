//! `spikeform run FILE --resume DIR` for an untrained run of one trial: its checkpoint holds the
//! state between two segments (`test.checkpoint_every_ms`), and the run continues from there to
//! the results an uninterrupted run gives.

use std::path::{Path, PathBuf};

use spikeform::experiment::spiking::SpikingExperiment;
use spikeform_io::checkpoint::CHECKPOINT;
use spikeform_io::config::LoadedExperiment;
use spikeform_io::rundir::{RunDir, SUMMARY};
use spikeform_io::simulation_checkpoint;

use crate::progress::Progress;
use crate::run::{dir_failure, execute, Procedure};
use crate::Failure;

/// Continues the untrained run saved in `from` (in `out`, or in `from` itself).
pub(crate) fn resume(
    loaded: &LoadedExperiment,
    exp: &SpikingExperiment,
    from: &Path,
    out: Option<&Path>,
    fingerprint: u64,
    quiet: bool,
) -> Result<PathBuf, Failure> {
    if !simulation_checkpoint::is_simulation(from) {
        return Err(Failure::input(format!(
            "--resume: {} holds no checkpoint of an untrained run (one is written every \
             test.checkpoint_every_ms of network time when that key is set)",
            from.join(CHECKPOINT).display()
        )));
    }
    let state =
        simulation_checkpoint::load(from, fingerprint, exp.trial_steps).map_err(Failure::input)?;
    let target = out.unwrap_or(from);
    if target.join(SUMMARY).exists() {
        return Err(Failure::input(format!(
            "{}: holds a finished run; give --out NEW_DIR to continue it there",
            target.display()
        )));
    }
    let dir = match out {
        Some(o) => RunDir::create(Some(o), loaded.experiment.name()),
        None => RunDir::resume(from),
    }
    .map_err(dir_failure)?;
    let procedure = Procedure::Continue(&state);
    execute(
        loaded,
        &dir,
        procedure,
        fingerprint,
        &mut Progress::new(quiet),
    )
}
