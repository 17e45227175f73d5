//! Every rule of an experiment file, checked once; the result is the library's validated
//! experiment description, with times resolved into integer steps.

use std::path::Path;

use spikeform::experiment::rate::{Pulse, RateExperiment};
use spikeform::experiment::spiking::SpikingExperiment;
use spikeform::neuron::Activation;
use spikeform::train::LearningSchedule;

use super::raw::{RawExperiment, RawNetwork, RawTarget};
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

/// Converts time values to steps and checks the rules that relate them.
pub(super) struct Clock {
    pub(super) dt_ms: f64,
}

impl Clock {
    /// `ms / dt` as an integer; `ms` must be a multiple of `dt` (to 1e-9 relative).
    pub(super) fn steps(&self, key: &str, ms: f64) -> Result<u64, ConfigError> {
        finite(key, ms)?;
        if ms < 0.0 {
            return Err(ConfigError::invalid(key, format!("must be >= 0, got {ms}")));
        }
        let s = (ms / self.dt_ms).round();
        if (s * self.dt_ms - ms).abs() > 1e-9 * ms.abs().max(1.0) {
            return Err(ConfigError::invalid(
                key,
                format!("must be a multiple of dt_ms ({}), got {ms}", self.dt_ms),
            ));
        }
        Ok(s as u64)
    }

    /// Like [`Clock::steps`], and > 0.
    pub(super) fn positive_steps(&self, key: &str, ms: f64) -> Result<u64, ConfigError> {
        let s = self.steps(key, ms)?;
        if s == 0 {
            return Err(ConfigError::invalid(
                key,
                format!(
                    "must be a positive multiple of dt_ms ({}), got {ms}",
                    self.dt_ms
                ),
            ));
        }
        Ok(s)
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

pub(super) fn positive_count(key: &str, v: usize) -> Result<usize, ConfigError> {
    if v == 0 {
        Err(ConfigError::invalid(key, "must be at least 1, got 0"))
    } else {
        Ok(v)
    }
}

pub(super) fn within_trial(key: &str, ms: f64, duration_ms: f64) -> Result<f64, ConfigError> {
    if !(0.0..=duration_ms).contains(&finite(key, ms)?) {
        return Err(ConfigError::invalid(
            key,
            format!("must lie within the trial [0, duration_ms = {duration_ms}], got {ms}"),
        ));
    }
    Ok(ms)
}

/// Checks `raw` and builds the validated experiment. `base_dir` resolves relative data paths.
pub fn validate(raw: &RawExperiment, base_dir: &Path) -> Result<Experiment, ConfigError> {
    if raw.version != 1 {
        return Err(ConfigError::invalid(
            "version",
            format!(
                "this spikeform reads version 1 experiment files, got {}",
                raw.version
            ),
        ));
    }
    if raw.name.trim().is_empty() {
        return Err(ConfigError::invalid("name", "must not be empty"));
    }
    if !raw
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(ConfigError::invalid(
            "name",
            format!("may hold letters, digits, '_', '-' and '.' only (it names the run directory), got {:?}", raw.name),
        ));
    }
    let dt_ms = positive("dt_ms", raw.dt_ms)?;
    let clock = Clock { dt_ms };
    let trial_steps = clock.positive_steps("duration_ms", raw.duration_ms)?;
    let record_every_steps = clock.positive_steps("record.every_ms", raw.record.every_ms)?;
    match &raw.network {
        RawNetwork::Spiking(net) => {
            super::spiking::validate(raw, net, &clock, trial_steps, base_dir)
                .map(|e| Experiment::Spiking(Box::new(e)))
        }
        RawNetwork::Rate(net) => {
            if !raw.record.neurons.is_empty() {
                return Err(ConfigError::invalid(
                    "record.neurons",
                    "applies to spiking networks; rate runs record every unit",
                ));
            }
            let n_units = positive_count("network.units", net.units)?;
            let tau_ms = positive("network.tau_ms", net.tau_ms)?;
            let activation = match net.activation.as_str() {
                "relu" => Activation::Relu,
                "tanh" => Activation::Tanh,
                "linear" => Activation::Linear,
                other => {
                    return Err(ConfigError::invalid(
                        "network.activation",
                        format!("must be one of relu, tanh, linear; got {other:?}"),
                    ))
                }
            };
            finite("network.weight_gain", net.weight_gain)?;
            let p = net.connection_prob;
            if !(p > 0.0 && p <= 1.0) {
                return Err(ConfigError::invalid(
                    "network.connection_prob",
                    format!("must be in (0, 1], got {p}"),
                ));
            }
            let stim = raw.stimulus.as_ref().ok_or_else(|| {
                ConfigError::invalid("stimulus", "a rate network needs a [stimulus] section")
            })?;
            let duration = raw.duration_ms;
            let start_ms = within_trial("stimulus.start_ms", stim.start_ms, duration)?;
            let end_ms = within_trial("stimulus.end_ms", stim.end_ms, duration)?;
            if end_ms < start_ms {
                return Err(ConfigError::invalid(
                    "stimulus.end_ms",
                    format!("must be >= stimulus.start_ms ({start_ms}), got {end_ms}"),
                ));
            }
            let (amplitude_min, amplitude_max) = uniform_amplitude(stim)?;
            let stimulus = Pulse {
                start_step: clock.steps("stimulus.start_ms", start_ms)?,
                end_step: clock.steps("stimulus.end_ms", end_ms)?,
                amplitude_min,
                amplitude_max,
            };
            let target = match &raw.target {
                Some(RawTarget::Sine(s)) => s,
                Some(RawTarget::Recorded(_)) => {
                    return Err(ConfigError::invalid(
                        "target.kind",
                        "recorded targets need a spiking network (network.kind = \"spiking\")",
                    ))
                }
                None => {
                    return Err(ConfigError::invalid(
                        "target",
                        "a rate network needs a [target] section",
                    ))
                }
            };
            finite("target.amplitude", target.amplitude)?;
            positive("target.period_ms", target.period_ms)?;
            let target_offset = finite("target.offset", target.offset.unwrap_or(0.0))?;
            let training = raw.training.as_ref().ok_or_else(|| {
                ConfigError::invalid("training", "a rate network needs a [training] section")
            })?;
            let every_steps =
                clock.positive_steps("training.learn_every_ms", training.learn_every_ms)?;
            let start = training.start_ms.unwrap_or(end_ms);
            let end = training.end_ms.unwrap_or(duration);
            within_trial("training.start_ms", start, duration)?;
            within_trial("training.end_ms", end, duration)?;
            let schedule = LearningSchedule {
                start_step: clock.steps("training.start_ms", start)?,
                end_step: clock.steps("training.end_ms", end)?,
                every_steps,
            };
            if schedule.end_step <= schedule.start_step {
                return Err(ConfigError::invalid(
                    "training.end_ms",
                    format!("must be later than training.start_ms ({start}), got {end}"),
                ));
            }
            if schedule.updates_per_trial() == 0 {
                return Err(ConfigError::invalid(
                    "training.learn_every_ms",
                    format!("no update falls in the learning window ({start}, {end}] ms"),
                ));
            }
            if schedule.start_step < 119 {
                return Err(ConfigError::invalid(
                    "training.start_ms",
                    "must be at least 11.9 ms at dt_ms = 0.1 so that the reference's scoring window (from step 120) holds the learning window",
                ));
            }
            let lambda = positive("training.penalty_lambda", training.penalty_lambda)?;
            let trained_units = training.trained_units.unwrap_or(n_units);
            if trained_units == 0 || trained_units > n_units {
                return Err(ConfigError::invalid(
                    "training.trained_units",
                    format!("must be between 1 and network.units ({n_units}), got {trained_units}"),
                ));
            }
            Ok(Experiment::Rate(RateExperiment {
                name: raw.name.clone(),
                seed: raw.seed,
                dt_ms,
                trial_steps,
                n_units,
                tau_ms,
                activation,
                weight_gain: net.weight_gain,
                connection_prob: p,
                stimulus,
                target_amplitude: target.amplitude,
                target_period_ms: target.period_ms,
                target_offset,
                trained_units,
                loops: positive_count("training.loops", training.loops)?,
                schedule,
                lambda,
                test_trials: positive_count("test.trials", raw.test.trials)?,
                record_every_steps,
            }))
        }
    }
}

fn uniform_amplitude(stim: &super::raw::RawStimulus) -> Result<(f64, f64), ConfigError> {
    if stim.distribution != "uniform" {
        return Err(ConfigError::invalid(
            "stimulus.distribution",
            format!(
                "a rate network's pulse must be \"uniform\", got {:?}",
                stim.distribution
            ),
        ));
    }
    let lo = stim.amplitude_min.ok_or_else(|| {
        ConfigError::invalid(
            "stimulus.amplitude_min",
            "is required for a uniform amplitude",
        )
    })?;
    let hi = stim.amplitude_max.ok_or_else(|| {
        ConfigError::invalid(
            "stimulus.amplitude_max",
            "is required for a uniform amplitude",
        )
    })?;
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
