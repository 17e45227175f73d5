//! Rules of spiking experiments, one function per section: [`network`] (populations and
//! connectivity), the cue (`[stimulus]`), [`training`] with its [`target`], `[test]` and
//! `[record]`. The sections after `[network]` share a [`Context`].

mod components;
mod network;
mod pair_rules;
pub(super) mod perturbation;
mod target;
mod training;

use std::path::Path;

use spikeform::experiment::spiking::{CueSpec, SpikingExperiment, TargetSpec};
use spikeform::network::Population;
use spikeform::stimulus::Amplitude;

use super::raw::{
    RawDistribution, RawExperiment, RawRecord, RawRecordNeurons, RawSpikingNetwork, RawStimulus,
    RawTest,
};
use super::validate::{non_negative, positive, positive_count, uniform_amplitude, Clock};
use super::ConfigError;

/// What the sections after `[network]` need to check their keys.
pub(super) struct Context<'a> {
    /// The time step and the trial.
    clock: &'a Clock,
    /// The validated populations, in neuron-index order.
    populations: &'a [Population],
    /// The directory relative data paths start from.
    base_dir: &'a Path,
}

/// Checks a spiking experiment.
pub(super) fn validate(
    raw: &RawExperiment,
    net: &RawSpikingNetwork,
    clock: &Clock,
    base_dir: &Path,
) -> Result<SpikingExperiment, ConfigError> {
    let network = network::network(net, clock)?;
    let n: usize = network.populations.iter().map(|p| p.size).sum();
    let context = Context {
        clock,
        populations: &network.populations,
        base_dir,
    };
    let cue = raw.stimulus.as_ref().map(|s| cue(s, clock)).transpose()?;
    let training = match &raw.training {
        Some(t) => Some(training::training(t, raw, &context)?),
        None => None,
    };
    let conditions = match training.as_ref().map(|t| &t.target) {
        Some(TargetSpec::Recorded { conditions, .. }) => conditions.len(),
        _ => 1,
    };
    let inputs = components::inputs(&raw.inputs, &context, raw.seed)?;
    let plasticity = components::plasticity(&raw.plasticity, &network, clock)?;
    let perturbation = raw
        .perturbation
        .as_ref()
        .map(|p| perturbation::perturbation(p, &context, raw.seed, raw.training.is_some()))
        .transpose()?;
    let latent = raw
        .latent
        .as_ref()
        .map(|l| super::latent::validate(l, clock, &network.populations, base_dir))
        .transpose()?;
    if latent
        .as_ref()
        .is_some_and(|l| l.readout_training.is_some())
        && (raw.training.is_some() || raw.perturbation.is_some())
    {
        return Err(ConfigError::invalid(
            "latent.readout_training",
            "trains the readout in untrained runs only: remove [training] and [perturbation]",
        ));
    }
    let test = test(&raw.test, clock)?;
    long_run(raw)?;
    let record = record(&raw.record, n, &context, raw.seed)?;
    Ok(SpikingExperiment {
        name: raw.name.clone(),
        seed: raw.seed,
        dt_ms: clock.dt_ms,
        trial_steps: clock.trial_steps,
        network,
        cue,
        inputs,
        plasticity,
        perturbation,
        latent,
        conditions,
        training,
        test_trials: test.trials,
        burn_in_ms: test.burn_in_ms,
        fano_window_ms: test.fano_window_ms,
        box_half_width_ms: test.box_half_width_ms,
        psth_smooth_bins: test.psth_smooth_bins,
        max_rate_hz: net.max_rate_hz,
        record_every_steps: record.every_steps,
        record_input_trials: record.input_trials,
        record_neurons: record.neurons,
        record_spikes: record_spikes(raw)?,
    })
}

/// `record.spikes`: `false` (spike counts only) is for plain untrained runs; every other phase
/// reads the spike times.
fn record_spikes(raw: &RawExperiment) -> Result<bool, ConfigError> {
    let readers = [
        ("[training]", raw.training.is_some()),
        ("[perturbation]", raw.perturbation.is_some()),
        ("[latent]", raw.latent.is_some()),
    ];
    match readers.iter().find(|(_, present)| *present) {
        Some((section, _)) if !raw.record.spikes => Err(ConfigError::invalid(
            "record.spikes",
            format!("must be true in a run with {section}, which reads the spike times"),
        )),
        _ => Ok(raw.record.spikes),
    }
}

/// The index of the population named `name`; `key` names the key that gave it.
fn population_index(key: &str, name: &str, pops: &[Population]) -> Result<usize, ConfigError> {
    pops.iter().position(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
        ConfigError::invalid(
            key,
            format!(
                "no population named {name:?} (populations: {})",
                names.join(", ")
            ),
        )
    })
}

/// `[stimulus]`: a cue window inside the trial, of positive length.
fn cue(s: &RawStimulus, clock: &Clock) -> Result<CueSpec, ConfigError> {
    clock.within_trial("stimulus.start_ms", s.start_ms)?;
    clock.within_trial("stimulus.end_ms", s.end_ms)?;
    if s.end_ms <= s.start_ms {
        return Err(ConfigError::invalid(
            "stimulus.end_ms",
            format!(
                "must be later than stimulus.start_ms ({}), got {}",
                s.start_ms, s.end_ms
            ),
        ));
    }
    let amplitude = match s.distribution {
        RawDistribution::Uniform => {
            let (min, max) = uniform_amplitude(s)?;
            Amplitude::Uniform { min, max }
        }
        RawDistribution::Normal => {
            let std = s.amplitude_std.ok_or_else(|| {
                ConfigError::invalid(
                    "stimulus.amplitude_std",
                    "is required for a normal amplitude",
                )
            })?;
            Amplitude::Normal {
                std: non_negative("stimulus.amplitude_std", std)?,
            }
        }
    };
    Ok(CueSpec {
        start_step: clock.steps("stimulus.start_ms", s.start_ms)?,
        end_step: clock.steps("stimulus.end_ms", s.end_ms)?,
        amplitude,
    })
}

/// The checked `[test]`.
struct Test {
    trials: usize,
    burn_in_ms: f64,
    fano_window_ms: f64,
    box_half_width_ms: f64,
    psth_smooth_bins: usize,
}

fn test(t: &RawTest, clock: &Clock) -> Result<Test, ConfigError> {
    Ok(Test {
        trials: positive_count("test.trials", t.trials)?,
        burn_in_ms: clock.within_trial("test.burn_in_ms", t.burn_in_ms)?,
        fano_window_ms: positive("test.fano_window_ms", t.fano_window_ms)?,
        box_half_width_ms: positive("test.box_half_width_ms", t.box_half_width_ms)?,
        psth_smooth_bins: t.psth_smooth_bins,
    })
}

/// `test.checkpoint_every_ms`: non-negative; when set, the run must be an untrained run of one
/// trial (training runs checkpoint by loops, `training.checkpoint_every`).
fn long_run(raw: &RawExperiment) -> Result<(), ConfigError> {
    const KEY: &str = "test.checkpoint_every_ms";
    if non_negative(KEY, raw.test.checkpoint_every_ms)? == 0.0 {
        return Ok(());
    }
    let broken = if raw.training.is_some() {
        Some("applies to untrained runs; a training run checkpoints by loops (training.checkpoint_every)")
    } else if raw.test.trials != 1 {
        Some("applies to runs of one trial (test.trials = 1)")
    } else if raw.perturbation.is_some() {
        Some("does not apply to a [perturbation] sweep")
    } else {
        None
    };
    match broken {
        Some(rule) => Err(ConfigError::invalid(KEY, rule)),
        None => Ok(()),
    }
}

/// The checked `[record]`.
struct Record {
    every_steps: u64,
    input_trials: usize,
    neurons: Vec<usize>,
}

/// `[record]`: whole steps between samples, neurons among the network's `n` (a list of
/// indices, or a neuron set resolved as an input's would be).
fn record(
    r: &RawRecord,
    n: usize,
    context: &Context<'_>,
    seed: u64,
) -> Result<Record, ConfigError> {
    let every_steps = context
        .clock
        .positive_steps("record.every_ms", r.every_ms)?;
    let neurons = match &r.neurons {
        RawRecordNeurons::Indices(list) => {
            if let Some((k, i)) = list.iter().enumerate().find(|(_, &i)| i >= n) {
                return Err(ConfigError::invalid(
                    format!("record.neurons[{k}]"),
                    format!(
                        "neuron {i} does not exist: the network has {n} neurons (0-based indices)"
                    ),
                ));
            }
            let mut seen = vec![false; n];
            if let Some((k, i)) = list
                .iter()
                .enumerate()
                .find(|(_, &i)| std::mem::replace(&mut seen[i], true))
            {
                return Err(ConfigError::invalid(
                    format!("record.neurons[{k}]"),
                    format!("neuron {i} is listed twice (each neuron is recorded once)"),
                ));
            }
            list.clone()
        }
        RawRecordNeurons::Set(set) => {
            components::resolve_set(set, "record.neurons", context, seed)?
        }
    };
    Ok(Record {
        every_steps,
        input_trials: r.input_trials,
        neurons,
    })
}
