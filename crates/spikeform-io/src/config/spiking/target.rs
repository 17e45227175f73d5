//! `[target]` of a trained spiking experiment: sines, or recorded rates read from .npy files.

use std::path::Path;

use spikeform::experiment::spiking::{RecordedRates, Sigma, TargetSpec, TrainedSelection};

use super::Context;
use crate::config::raw::{RawRecordedTarget, RawSigma, RawSineTarget, RawTarget, RawTraining};
use crate::config::validate::{finite, positive, LearningWindow};
use crate::config::ConfigError;

/// Checks `[target]`, which training needs.
pub(super) fn target(
    target: Option<&RawTarget>,
    training: &RawTraining,
    window: &LearningWindow,
    trained: &TrainedSelection,
    context: &Context,
) -> Result<TargetSpec, ConfigError> {
    match target {
        None => Err(ConfigError::invalid(
            "target",
            "training needs a [target] section",
        )),
        Some(RawTarget::Sine(s)) => sine(s),
        Some(RawTarget::Recorded(r)) => recorded(r, training, window, trained, context),
    }
}

fn sine(s: &RawSineTarget) -> Result<TargetSpec, ConfigError> {
    Ok(TargetSpec::Sine {
        amplitude: finite("target.amplitude", s.amplitude)?,
        period_ms: positive("target.period_ms", s.period_ms)?,
        offset: s.offset,
    })
}

/// `kind = "recorded"`: one file per condition, all of one shape, one bin per learning step,
/// matched to trained neurons of one population.
fn recorded(
    r: &RawRecordedTarget,
    training: &RawTraining,
    window: &LearningWindow,
    trained: &TrainedSelection,
    context: &Context,
) -> Result<TargetSpec, ConfigError> {
    if r.files.is_empty() {
        return Err(ConfigError::invalid(
            "target.files",
            "needs at least one file (one per condition)",
        ));
    }
    let bin_steps = context.clock.positive_steps("target.bin_ms", r.bin_ms)?;
    if bin_steps != window.schedule.every_steps {
        return Err(ConfigError::invalid(
            "target.bin_ms",
            format!(
                "must equal training.learn_every_ms ({}): bin k is the target at the k-th \
                 update, got {}",
                training.learn_every_ms, r.bin_ms
            ),
        ));
    }
    let sigma = match r.sigma {
        RawSigma::Given(s) => Sigma::Given(positive("target.sigma", s)?),
        RawSigma::Estimate => Sigma::Estimate,
    };
    let recorded = r
        .files
        .iter()
        .map(|f| read_rates(&context.base_dir.join(f), f))
        .collect::<Result<Vec<_>, _>>()?;
    check_shapes(&recorded, &r.files, window, training.learn_every_ms)?;
    check_matched(&recorded[0], &r.files[0], trained, context)?;
    for (rec, file) in recorded.iter().zip(&r.files) {
        check_not_constant(rec, file)?;
    }
    Ok(TargetSpec::Recorded {
        conditions: recorded,
        sigma,
    })
}

/// Every condition has the shape of the first, whose bins are the window's updates.
fn check_shapes(
    recorded: &[RecordedRates],
    files: &[String],
    window: &LearningWindow,
    learn_every_ms: f64,
) -> Result<(), ConfigError> {
    let (n0, b0) = (recorded[0].n_neurons, recorded[0].n_bins);
    for (rec, f) in recorded.iter().zip(files).skip(1) {
        if rec.n_neurons != n0 || rec.n_bins != b0 {
            return Err(ConfigError::Data {
                path: f.into(),
                problem: format!(
                    "has {} neurons × {} bins, but {} has {n0} × {b0}: all conditions need the \
                     same shape",
                    rec.n_neurons, rec.n_bins, files[0]
                ),
            });
        }
    }
    let updates = window.schedule.updates_per_trial() as usize;
    if b0 != updates {
        return Err(ConfigError::Data {
            path: files[0].clone().into(),
            problem: format!(
                "has {b0} bins but the learning window ({}, {}] ms holds {updates} updates of \
                 {learn_every_ms} ms: they must match",
                window.start_ms, window.end_ms
            ),
        });
    }
    Ok(())
}

/// Recorded neurons are matched to neurons of `trained_population`, which must hold enough.
fn check_matched(
    first: &RecordedRates,
    file: &str,
    trained: &TrainedSelection,
    context: &Context,
) -> Result<(), ConfigError> {
    let TrainedSelection::MatchRecorded { population } = trained else {
        return Err(ConfigError::invalid(
            "training.trained",
            "recorded targets need trained = \"match\"",
        ));
    };
    let pop = &context.populations[*population];
    if first.n_neurons > pop.size {
        return Err(ConfigError::Data {
            path: file.into(),
            problem: format!(
                "has {} recorded neurons, more than the {} neurons of population {:?} they are \
                 matched to",
                first.n_neurons, pop.size, pop.name
            ),
        });
    }
    Ok(())
}

/// Some neuron's rate must change over the bins: with constant targets (all zero, say) the
/// score r of every trained neuron would be undefined.
fn check_not_constant(rec: &RecordedRates, file: &str) -> Result<(), ConfigError> {
    let bins = rec.n_bins.max(1);
    if rec
        .rates_hz
        .chunks(bins)
        .all(|row| row.iter().all(|&v| v == row[0]))
    {
        return Err(ConfigError::Data {
            path: file.into(),
            problem: "every neuron's rate is constant over the bins (all zero, say): training \
                      would have nothing to follow and its score r would be undefined"
                .into(),
        });
    }
    Ok(())
}

/// Reads one condition's recorded rates: a 2-d .npy (neurons × bins) of finite, non-negative Hz.
fn read_rates(path: &Path, shown: &str) -> Result<RecordedRates, ConfigError> {
    let data = |problem: String| ConfigError::Data {
        path: shown.into(),
        problem,
    };
    let arr = crate::npy::read_npy_f64(path).map_err(|e| data(e.to_string()))?;
    if arr.shape.len() != 2 {
        return Err(data(format!(
            "must be a 2-d array (neurons × bins), found shape {:?}",
            arr.shape
        )));
    }
    let at = |k: usize| format!("neuron {}, bin {}", k / arr.shape[1], k % arr.shape[1]);
    if let Some((k, v)) = arr.data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(data(format!(
            "holds {v} at {}: rates must be finite",
            at(k)
        )));
    }
    if let Some((k, v)) = arr.data.iter().enumerate().find(|(_, v)| **v < 0.0) {
        return Err(data(format!("holds the negative rate {v} at {}", at(k))));
    }
    let name = Path::new(shown)
        .file_stem()
        .map_or_else(|| shown.to_string(), |s| s.to_string_lossy().into_owned());
    Ok(RecordedRates {
        name,
        n_neurons: arr.shape[0],
        n_bins: arr.shape[1],
        rates_hz: arr.data,
    })
}
