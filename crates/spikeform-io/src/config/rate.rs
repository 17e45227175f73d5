//! Rules of rate-network experiments (Part 1): one function per section.

use spikeform::experiment::rate::{Pulse, RateExperiment};
use spikeform::neuron::Activation;
use spikeform::train::LearningSchedule;

use super::raw::{
    RawActivation, RawDistribution, RawExperiment, RawRateNetwork, RawRecord, RawSineTarget,
    RawTarget, RawTraining,
};
use super::validate::{finite, positive, positive_count, shown, spelled, uniform_amplitude, Clock};
use super::ConfigError;

/// Checks a rate experiment.
pub(super) fn validate(
    raw: &RawExperiment,
    net: &RawRateNetwork,
    clock: &Clock,
) -> Result<RateExperiment, ConfigError> {
    for (section, empty) in [
        ("inputs", raw.inputs.is_empty()),
        ("plasticity", raw.plasticity.is_empty()),
        ("perturbation", raw.perturbation.is_none()),
    ] {
        if !empty {
            return Err(ConfigError::invalid(
                section,
                "only spiking networks (network.kind = \"spiking\") take this section",
            ));
        }
    }
    let record_every_steps = record(&raw.record, clock)?;
    let network = network(net)?;
    let stimulus = pulse(raw, clock)?;
    let target = target(raw.target.as_ref())?;
    let training = raw.training.as_ref().ok_or_else(|| {
        ConfigError::invalid("training", "a rate network needs a [training] section")
    })?;
    let stimulus_end_ms = raw.stimulus.as_ref().map_or(0.0, |s| s.end_ms);
    let schedule = schedule(training, stimulus_end_ms, clock)?;
    let lambda = positive("training.penalty_lambda", training.penalty_lambda)?;
    let trained_units = trained_units(training, network.units)?;
    Ok(RateExperiment {
        name: raw.name.clone(),
        seed: raw.seed,
        dt_ms: clock.dt_ms,
        trial_steps: clock.trial_steps,
        n_units: network.units,
        tau_ms: network.tau_ms,
        activation: network.activation,
        weight_gain: net.weight_gain,
        connection_prob: net.connection_prob,
        stimulus,
        target_amplitude: target.amplitude,
        target_period_ms: target.period_ms,
        target_offset: target.offset.unwrap_or(0.0),
        trained_units,
        loops: positive_count("training.loops", training.loops)?,
        schedule,
        lambda,
        test_trials: positive_count("test.trials", raw.test.trials)?,
        record_every_steps,
    })
}

/// `[record]`: whole steps between samples; every unit is recorded.
fn record(r: &RawRecord, clock: &Clock) -> Result<u64, ConfigError> {
    if !r.neurons.is_empty() {
        return Err(ConfigError::invalid(
            "record.neurons",
            "applies to spiking networks; rate runs record every unit",
        ));
    }
    clock.positive_steps("record.every_ms", r.every_ms)
}

/// `training.trained_units`: 1 to all units (the default).
fn trained_units(training: &RawTraining, units: usize) -> Result<usize, ConfigError> {
    let trained = training.trained_units.unwrap_or(units);
    if trained == 0 || trained > units {
        return Err(ConfigError::invalid(
            "training.trained_units",
            format!("must be between 1 and network.units ({units}), got {trained}"),
        ));
    }
    Ok(trained)
}

/// The checked `[network]` of a rate experiment.
struct RateNetwork {
    units: usize,
    tau_ms: f64,
    activation: Activation,
}

fn network(net: &RawRateNetwork) -> Result<RateNetwork, ConfigError> {
    let units = positive_count("network.units", net.units)?;
    let tau_ms = positive("network.tau_ms", net.tau_ms)?;
    finite("network.weight_gain", net.weight_gain)?;
    let p = net.connection_prob;
    if !(p > 0.0 && p <= 1.0) {
        return Err(ConfigError::invalid(
            "network.connection_prob",
            format!("must be in (0, 1], got {p}"),
        ));
    }
    let activation = match net.activation {
        RawActivation::Relu => Activation::Relu,
        RawActivation::Tanh => Activation::Tanh,
        RawActivation::Linear => Activation::Linear,
    };
    Ok(RateNetwork {
        units,
        tau_ms,
        activation,
    })
}

/// `[stimulus]`: a pulse with a uniform amplitude per unit, inside the trial.
fn pulse(raw: &RawExperiment, clock: &Clock) -> Result<Pulse, ConfigError> {
    let stim = raw.stimulus.as_ref().ok_or_else(|| {
        ConfigError::invalid("stimulus", "a rate network needs a [stimulus] section")
    })?;
    let start_ms = clock.within_trial("stimulus.start_ms", stim.start_ms)?;
    let end_ms = clock.within_trial("stimulus.end_ms", stim.end_ms)?;
    if end_ms < start_ms {
        return Err(ConfigError::invalid(
            "stimulus.end_ms",
            format!("must be >= stimulus.start_ms ({start_ms}), got {end_ms}"),
        ));
    }
    if stim.distribution != RawDistribution::Uniform {
        return Err(ConfigError::invalid(
            "stimulus.distribution",
            format!(
                "a rate network's pulse must be \"uniform\", got {}",
                spelled(stim.distribution)
            ),
        ));
    }
    let (amplitude_min, amplitude_max) = uniform_amplitude(stim)?;
    Ok(Pulse {
        start_step: clock.steps("stimulus.start_ms", start_ms)?,
        end_step: clock.steps("stimulus.end_ms", end_ms)?,
        amplitude_min,
        amplitude_max,
    })
}

/// `[target]`: sine targets only.
fn target(target: Option<&RawTarget>) -> Result<&RawSineTarget, ConfigError> {
    let sine = match target {
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
    finite("target.amplitude", sine.amplitude)?;
    positive("target.period_ms", sine.period_ms)?;
    finite("target.offset", sine.offset.unwrap_or(0.0))?;
    Ok(sine)
}

/// The learning window of `[training]`: after the stimulus by default, holding at least one
/// update, and inside the reference's scoring window (from step 120 at dt = 0.1 ms).
fn schedule(
    training: &RawTraining,
    stimulus_end_ms: f64,
    clock: &Clock,
) -> Result<LearningSchedule, ConfigError> {
    let window = clock.learning_window(training, stimulus_end_ms)?;
    let (schedule, start, end) = (window.schedule, window.start_ms, window.end_ms);
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
            format!(
                "must be at least {} ms (119 steps of dt_ms = {}) so that the reference's \
                 scoring window (from step 120) holds the learning window, got {}",
                shown(119.0 * clock.dt_ms),
                clock.dt_ms,
                shown(start)
            ),
        ));
    }
    Ok(schedule)
}
