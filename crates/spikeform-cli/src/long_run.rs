//! `spikeform run FILE --resume DIR` for an untrained run of one trial: its checkpoint holds the
//! state between two segments (`test.checkpoint_every_ms`), and the run continues from there to
//! the results an uninterrupted run gives.

use std::path::{Path, PathBuf};

use spikeform::experiment::spiking::SpikingExperiment;
use spikeform_io::checkpoint::CHECKPOINT;
use spikeform_io::config::LoadedExperiment;
use spikeform_io::simulation_checkpoint;

use crate::progress::Progress;
use crate::run::{execute, resume_dir, Procedure};
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
    let dir = resume_dir(from, out, loaded.experiment.name())?;
    let procedure = Procedure::Continue(&state);
    execute(
        loaded,
        &dir,
        procedure,
        fingerprint,
        &mut Progress::new(quiet),
    )
}
