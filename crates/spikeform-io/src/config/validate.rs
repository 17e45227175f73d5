//! Every rule of an experiment file, checked once; the result is the library's validated
//! experiment description, with times resolved into integer steps.
//!
//! The keys every experiment has are checked here; the network's kind then hands the rest to
//! `rate` or `spiking`, one function per section. The rules on single values
//! (`finite`, `positive`, ...) and the `Clock` that turns ms into steps are shared.

use std::path::Path;

use spikeform::experiment::rate::RateExperiment;
use spikeform::experiment::spiking::SpikingExperiment;
use spikeform::train::LearningSchedule;

use super::limits::{MAX_TRIAL_STEPS, MIN_DT_MS};
use super::raw::{RawExperiment, RawNetwork, RawStimulus, RawTraining};
use super::ConfigError;

/// A validated experiment, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Experiment {
    /// A rate network trained with RLS.
    Rate(RateExperiment),
    /// A spiking network, trained or not.
    Spiking(Box<SpikingExperiment>),
}

impl Experiment {
    /// The experiment's name.
    pub fn name(&self) -> &str {
        match self {
            Experiment::Rate(e) => &e.name,
            Experiment::Spiking(e) => &e.name,
        }
    }

    /// The experiment's seed.
    pub fn seed(&self) -> u64 {
        match self {
            Experiment::Rate(e) => e.seed,
            Experiment::Spiking(e) => e.seed,
        }
    }
}

/// Checks `raw` and builds the validated experiment. `base_dir` resolves relative data paths.
pub fn validate(raw: &RawExperiment, base_dir: &Path) -> Result<Experiment, ConfigError> {
    check_version(raw.version)?;
    check_name(&raw.name)?;
    super::limits::check(raw)?;
    let clock = Clock::new(raw.dt_ms, raw.duration_ms)?;
    match &raw.network {
        RawNetwork::Spiking(net) => super::spiking::validate(raw, net, &clock, base_dir)
            .map(|e| Experiment::Spiking(Box::new(e))),
        RawNetwork::Rate(net) => super::rate::validate(raw, net, &clock).map(Experiment::Rate),
    }
}

fn check_version(version: u32) -> Result<(), ConfigError> {
    if version != 1 {
        return Err(ConfigError::invalid(
            "version",
            format!("this spikeform reads version 1 experiment files, got {version}"),
        ));
    }
    Ok(())
}

/// The name names the run directory: not empty, letters, digits, `_`, `-` and `.` only.
fn check_name(name: &str) -> Result<(), ConfigError> {
    if name.trim().is_empty() {
        return Err(ConfigError::invalid("name", "must not be empty"));
    }
    if name == "." || name == ".." {
        return Err(ConfigError::invalid(
            "name",
            format!("names the run directory, so it must be a file name, not {name:?}"),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(ConfigError::invalid(
            "name",
            format!(
                "may hold letters, digits, '_', '-' and '.' only (it names the run directory), \
                 got {name:?}"
            ),
        ));
    }
    Ok(())
}

/// The time step and the trial: converts times in ms into steps, naming the key of a time that
/// breaks a rule. Every section's rules share it.
pub(super) struct Clock {
    /// Time step (ms).
    pub(super) dt_ms: f64,
    /// Length of a trial (ms).
    pub(super) duration_ms: f64,
    /// Steps per trial.
    pub(super) trial_steps: u64,
}

impl Clock {
    /// Checks `dt_ms` (at least [`MIN_DT_MS`]) and `duration_ms` (at most
    /// [`MAX_TRIAL_STEPS`] steps).
    fn new(dt_ms: f64, duration_ms: f64) -> Result<Self, ConfigError> {
        if positive("dt_ms", dt_ms)? < MIN_DT_MS {
            return Err(ConfigError::invalid(
                "dt_ms",
                format!("must be at least {MIN_DT_MS} ms, got {}", shown(dt_ms)),
            ));
        }
        let mut clock = Clock {
            dt_ms,
            duration_ms,
            trial_steps: 0,
        };
        let steps = finite("duration_ms", duration_ms)? / dt_ms;
        if steps > MAX_TRIAL_STEPS as f64 {
            return Err(ConfigError::invalid(
                "duration_ms",
                format!(
                    "must be at most {} ms at dt_ms = {dt_ms} ({MAX_TRIAL_STEPS} steps, \
                     spikeform's bound on a trial), got {}",
                    shown(MAX_TRIAL_STEPS as f64 * dt_ms),
                    shown(duration_ms)
                ),
            ));
        }
        clock.trial_steps = clock.positive_steps("duration_ms", duration_ms)?;
        Ok(clock)
    }

    /// `ms / dt` as an integer ([`spikeform::time::steps`]); `ms` must be a multiple of `dt`.
    pub(super) fn steps(&self, key: &str, ms: f64) -> Result<u64, ConfigError> {
        if finite(key, ms)? < 0.0 {
            return Err(ConfigError::invalid(
                key,
                format!("must be >= 0, got {}", shown(ms)),
            ));
        }
        spikeform::time::steps(ms, self.dt_ms).ok_or_else(|| {
            ConfigError::invalid(
                key,
                format!(
                    "must be a multiple of dt_ms ({}), got {}",
                    self.dt_ms,
                    shown(ms)
                ),
            )
        })
    }

    /// Like [`Clock::steps`], and > 0.
    pub(super) fn positive_steps(&self, key: &str, ms: f64) -> Result<u64, ConfigError> {
        match self.steps(key, ms)? {
            0 => Err(ConfigError::invalid(
                key,
                format!(
                    "must be a positive multiple of dt_ms ({}), got {ms}",
                    self.dt_ms
                ),
            )),
            s => Ok(s),
        }
    }

    /// `ms`, which must lie within the trial `[0, duration_ms]`.
    pub(super) fn within_trial(&self, key: &str, ms: f64) -> Result<f64, ConfigError> {
        if !(0.0..=self.duration_ms).contains(&finite(key, ms)?) {
            return Err(ConfigError::invalid(
                key,
                format!(
                    "must lie within the trial [0, duration_ms = {}], got {ms}",
                    self.duration_ms
                ),
            ));
        }
        Ok(ms)
    }

    /// The learning window of `training`: updates every `learn_every_ms` for
    /// `start_ms < t <= end_ms`, from `default_start_ms` to the trial end unless given.
    pub(super) fn learning_window(
        &self,
        training: &RawTraining,
        default_start_ms: f64,
    ) -> Result<LearningWindow, ConfigError> {
        let every_steps =
            self.positive_steps("training.learn_every_ms", training.learn_every_ms)?;
        let start = training.start_ms.unwrap_or(default_start_ms);
        let end = training.end_ms.unwrap_or(self.duration_ms);
        self.within_trial("training.start_ms", start)?;
        self.within_trial("training.end_ms", end)?;
        let schedule = LearningSchedule {
            start_step: self.steps("training.start_ms", start)?,
            end_step: self.steps("training.end_ms", end)?,
            every_steps,
        };
        Ok(LearningWindow {
            schedule,
            start_ms: start,
            end_ms: end,
        })
    }
}

/// When RLS updates happen, with the window's ends in ms for messages.
pub(super) struct LearningWindow {
    /// The update steps.
    pub(super) schedule: LearningSchedule,
    /// Updates happen after this time (ms)...
    pub(super) start_ms: f64,
    /// ... up to this time (ms).
    pub(super) end_ms: f64,
}

/// The amplitude of a `distribution = "uniform"` stimulus: `(amplitude_min, amplitude_max)`.
pub(super) fn uniform_amplitude(stim: &RawStimulus) -> Result<(f64, f64), ConfigError> {
    let required = |key: &str, v: Option<f64>| {
        v.ok_or_else(|| ConfigError::invalid(key, "is required for a uniform amplitude"))
    };
    let lo = required("stimulus.amplitude_min", stim.amplitude_min)?;
    let hi = required("stimulus.amplitude_max", stim.amplitude_max)?;
    finite("stimulus.amplitude_min", lo)?;
    finite("stimulus.amplitude_max", hi)?;
    if hi < lo {
        return Err(ConfigError::invalid(
            "stimulus.amplitude_max",
            format!("must be >= stimulus.amplitude_min ({lo}), got {hi}"),
        ));
    }
    Ok((lo, hi))
}

/// A value as the file spells it (`"normal"` for [`super::raw::RawDistribution::Normal`]).
pub(super) fn spelled<T: serde::Serialize>(value: T) -> String {
    toml::Value::try_from(value).map_or_else(|e| e.to_string(), |v| v.to_string())
}

/// `v` for a message: as written where short, in exponent form (`1e308`) where it would take
/// more than 16 digits.
pub(super) fn shown(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() > 16 {
        format!("{v:e}")
    } else {
        plain
    }
}

pub(super) fn finite(key: &str, v: f64) -> Result<f64, ConfigError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ConfigError::invalid(
            key,
            format!("must be a finite number, got {v}"),
        ))
    }
}

pub(super) fn positive(key: &str, v: f64) -> Result<f64, ConfigError> {
    if finite(key, v)? > 0.0 {
        Ok(v)
    } else {
        Err(ConfigError::invalid(key, format!("must be > 0, got {v}")))
    }
}

pub(super) fn non_negative(key: &str, v: f64) -> Result<f64, ConfigError> {
    if finite(key, v)? < 0.0 {
        return Err(ConfigError::invalid(key, format!("must be >= 0, got {v}")));
    }
    Ok(v)
}

pub(super) fn positive_count(key: &str, v: usize) -> Result<usize, ConfigError> {
    if v == 0 {
        Err(ConfigError::invalid(key, "must be at least 1, got 0"))
    } else {
        Ok(v)
    }
}
