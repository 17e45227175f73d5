//! `[perturbation]`: an optogenetic-style stimulus on a neuron set and a sweep of amplitudes
//! (`../shared/spec/perturbation.md`). The file's keys and their rules:
//!
//! ```toml
//! [perturbation]
//! neurons = { population = "I" }        # any neuron set, as in [[inputs]]; also "trained"/"untrained"
//! gains = 1.0                           # per-cell expression: a number, a list, or { min, max }
//! stimulus = { kind = "constant" }      # "constant", "ramp", "sine" (period_ms, random_phase),
//!                                       # or "poisson_layer" (units, tau_ms, weight, probability)
//! amplitudes = [0, 0.01, 0.02]          # at least one
//! amplitude_units = "sqrt_n"            # "raw" (default), "sqrt_n", "sqrt_k" (needs k)
//! start_ms = 1500.0                     # the stimulus is on for start_ms < t <= end_ms
//! end_ms = 7000.0
//! onset_ms = 500.0                      # the stimulus window's statistics skip this much
//! baseline_ms = [500.0, 1500.0]         # statistics window before the stimulus
//! post_ms = [7000.0, 8000.0]            # optional statistics window after it
//! ```

use serde::{Deserialize, Serialize};
use spikeform::experiment::perturbation::{
    AmplitudeUnits, PerturbationSpec, StepWindow, Stimulus, STREAM,
};
use spikeform::neuron_set::{NeuronSet, Selection};

use super::components::{gains, neuron_set, resolve};
use super::Context;
use crate::config::raw::{RawGains, RawNamedSet, RawNeuronSet};
use crate::config::validate::{finite, positive, Clock};
use crate::config::ConfigError;

/// `[perturbation]` as the file spells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct RawPerturbation {
    /// The stimulated neurons.
    pub neurons: RawNeuronSet,
    /// Their gains (expression levels).
    #[serde(default = "unit_gain")]
    pub gains: RawGains,
    /// What they receive.
    #[serde(default)]
    pub stimulus: RawPerturbationStimulus,
    /// The amplitudes of the sweep.
    pub amplitudes: Vec<f64>,
    /// Their units.
    #[serde(default)]
    pub amplitude_units: RawAmplitudeUnits,
    /// K for `amplitude_units = "sqrt_k"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<f64>,
    /// The stimulus is on after this time (ms)...
    pub start_ms: f64,
    /// ... up to this time (ms).
    pub end_ms: f64,
    /// The stimulus window's statistics start this long after `start_ms` (ms).
    #[serde(default)]
    pub onset_ms: f64,
    /// Baseline statistics window `[start, end]` (ms), before the stimulus; default
    /// `[0, start_ms]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_ms: Option<[f64; 2]>,
    /// Post-stimulus statistics window `[start, end]` (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_ms: Option<[f64; 2]>,
}

fn unit_gain() -> RawGains {
    RawGains::Uniform(1.0)
}

/// `perturbation.amplitude_units`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawAmplitudeUnits {
    /// Raw current.
    #[default]
    Raw,
    /// Given · √N.
    SqrtN,
    /// Given · √K.
    SqrtK,
}

/// `perturbation.stimulus`, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a table with `kind = \"constant\"`, `\"ramp\"`, `\"sine\"` or `\"poisson_layer\"`"
)]
pub enum RawPerturbationStimulus {
    /// `g_i · A`.
    #[default]
    Constant,
    /// `g_i · A · t/T`.
    Ramp,
    /// `g_i · A · sin(2π t/period + φ_i)`.
    Sine {
        /// Period (ms).
        period_ms: f64,
        /// A random phase per neuron.
        #[serde(default)]
        random_phase: bool,
    },
    /// Poisson units at rate A (Hz) onto the stimulated neurons only.
    PoissonLayer {
        /// Number of units.
        units: usize,
        /// Channel time constant (ms).
        tau_ms: f64,
        /// Synaptic weight.
        weight: f64,
        /// Connection probability.
        probability: f64,
    },
}

const KEY: &str = "perturbation";

fn key(field: &str) -> String {
    format!("{KEY}.{field}")
}

/// Checks `[perturbation]`.
pub(super) fn perturbation(
    raw: &RawPerturbation,
    ctx: &Context<'_>,
    seed: u64,
    trained: bool,
) -> Result<PerturbationSpec, ConfigError> {
    let clock = ctx.clock;
    let selection = Selection {
        set: set(&raw.neurons, ctx)?,
        gains: gains(&raw.gains, &key("gains"))?,
    };
    if !matches!(selection.set, NeuronSet::Trained | NeuronSet::Untrained) {
        resolve(&selection, &key("neurons"), STREAM, ctx, seed)?;
    } else if !trained {
        return Err(ConfigError::invalid(
            key("neurons"),
            "selects trained or untrained neurons, but the experiment trains none (no [training])",
        ));
    }
    let stimulus = stimulus(&raw.stimulus)?;
    let units = units(raw, &stimulus)?;
    let amplitudes = amplitudes(&raw.amplitudes, &stimulus)?;
    let (on, onset_steps) = stimulus_window(raw, clock)?;
    let baseline = baseline(raw, clock)?;
    let post = raw
        .post_ms
        .map(|w| window(w, &key("post_ms"), clock))
        .transpose()?;
    if let (Some(p), Some(w)) = (post, raw.post_ms) {
        if p.start < on.end {
            return Err(ConfigError::invalid(
                key("post_ms"),
                format!(
                    "must start at or after end_ms ({}), got {}",
                    raw.end_ms, w[0]
                ),
            ));
        }
    }
    Ok(PerturbationSpec {
        neurons: selection,
        stimulus,
        amplitudes,
        units,
        on,
        onset_steps,
        baseline,
        post,
    })
}

/// The neuron set: any set of `[[inputs]]`, and the trained or untrained neurons (resolved
/// when a trained network is perturbed).
fn set(raw: &RawNeuronSet, ctx: &Context<'_>) -> Result<NeuronSet, ConfigError> {
    match raw {
        RawNeuronSet::Named(RawNamedSet::Trained) => Ok(NeuronSet::Trained),
        RawNeuronSet::Named(RawNamedSet::Untrained) => Ok(NeuronSet::Untrained),
        other => neuron_set(other, &key("neurons"), ctx),
    }
}

fn stimulus(raw: &RawPerturbationStimulus) -> Result<Stimulus, ConfigError> {
    let k = |f: &str| key(&format!("stimulus.{f}"));
    Ok(match *raw {
        RawPerturbationStimulus::Constant => Stimulus::Constant,
        RawPerturbationStimulus::Ramp => Stimulus::Ramp,
        RawPerturbationStimulus::Sine {
            period_ms,
            random_phase,
        } => Stimulus::Sine {
            period_ms: positive(&k("period_ms"), period_ms)?,
            random_phase,
        },
        RawPerturbationStimulus::PoissonLayer {
            units,
            tau_ms,
            weight,
            probability,
        } => {
            if units == 0 {
                return Err(ConfigError::invalid(
                    k("units"),
                    "must be at least 1, got 0",
                ));
            }
            if !(0.0..=1.0).contains(&finite(&k("probability"), probability)?) {
                return Err(ConfigError::invalid(
                    k("probability"),
                    format!("must be in [0, 1], got {probability}"),
                ));
            }
            if finite(&k("weight"), weight)? < 0.0 {
                return Err(ConfigError::invalid(
                    k("weight"),
                    format!("must be >= 0 (the layer is excitatory), got {weight}"),
                ));
            }
            Stimulus::PoissonLayer {
                units,
                tau_ms: positive(&k("tau_ms"), tau_ms)?,
                weight,
                probability,
            }
        }
    })
}

/// Units: `sqrt_k` needs `k > 0`; an opto layer's amplitudes are rates, always raw.
fn units(raw: &RawPerturbation, stimulus: &Stimulus) -> Result<AmplitudeUnits, ConfigError> {
    let units = match raw.amplitude_units {
        RawAmplitudeUnits::Raw => AmplitudeUnits::Raw,
        RawAmplitudeUnits::SqrtN => AmplitudeUnits::SqrtN,
        RawAmplitudeUnits::SqrtK => {
            let k = raw.k.ok_or_else(|| {
                ConfigError::invalid(key("k"), "is required with amplitude_units = \"sqrt_k\"")
            })?;
            AmplitudeUnits::SqrtK(positive(&key("k"), k)?)
        }
    };
    if matches!(stimulus, Stimulus::PoissonLayer { .. }) && units != AmplitudeUnits::Raw {
        return Err(ConfigError::invalid(
            key("amplitude_units"),
            "must be \"raw\" for a poisson_layer stimulus (its amplitudes are rates in Hz)",
        ));
    }
    Ok(units)
}

/// At least one finite amplitude; rates (an opto layer) ≥ 0.
fn amplitudes(raw: &[f64], stimulus: &Stimulus) -> Result<Vec<f64>, ConfigError> {
    if raw.is_empty() {
        return Err(ConfigError::invalid(
            key("amplitudes"),
            "must hold at least one amplitude, got an empty list",
        ));
    }
    for (k, &a) in raw.iter().enumerate() {
        let akey = format!("{}[{k}]", key("amplitudes"));
        finite(&akey, a)?;
        if a < 0.0 && matches!(stimulus, Stimulus::PoissonLayer { .. }) {
            return Err(ConfigError::invalid(
                akey,
                format!("a poisson_layer's amplitude is a rate and must be >= 0, got {a}"),
            ));
        }
    }
    Ok(raw.to_vec())
}

/// The stimulus window inside the trial, of positive length, and the onset its statistics skip
/// (shorter than the window).
fn stimulus_window(raw: &RawPerturbation, clock: &Clock) -> Result<(StepWindow, u64), ConfigError> {
    clock.within_trial(&key("start_ms"), raw.start_ms)?;
    clock.within_trial(&key("end_ms"), raw.end_ms)?;
    if raw.end_ms <= raw.start_ms {
        return Err(ConfigError::invalid(
            key("end_ms"),
            format!(
                "must be later than start_ms ({}), got {}",
                raw.start_ms, raw.end_ms
            ),
        ));
    }
    let on = StepWindow {
        start: clock.steps(&key("start_ms"), raw.start_ms)?,
        end: clock.steps(&key("end_ms"), raw.end_ms)?,
    };
    let onset = clock.steps(&key("onset_ms"), raw.onset_ms)?;
    if onset >= on.end - on.start {
        return Err(ConfigError::invalid(
            key("onset_ms"),
            format!(
                "must be shorter than the stimulus window ({} ms), got {}",
                raw.end_ms - raw.start_ms,
                raw.onset_ms
            ),
        ));
    }
    Ok((on, onset))
}

/// The baseline window, inside the trial and ending by `start_ms`.
fn baseline(raw: &RawPerturbation, clock: &Clock) -> Result<StepWindow, ConfigError> {
    let w = raw.baseline_ms.unwrap_or([0.0, raw.start_ms]);
    let b = window(w, &key("baseline_ms"), clock)?;
    if w[1] > raw.start_ms {
        return Err(ConfigError::invalid(
            key("baseline_ms"),
            format!(
                "must end by start_ms ({}) (before the stimulus), got {}",
                raw.start_ms, w[1]
            ),
        ));
    }
    Ok(b)
}

/// `[start, end]` (ms) inside the trial with `end > start`, in steps.
fn window(w: [f64; 2], k: &str, clock: &Clock) -> Result<StepWindow, ConfigError> {
    clock.within_trial(k, w[0])?;
    clock.within_trial(k, w[1])?;
    if w[1] <= w[0] {
        return Err(ConfigError::invalid(
            k,
            format!("must end after it starts, got [{}, {}]", w[0], w[1]),
        ));
    }
    Ok(StepWindow {
        start: clock.steps(k, w[0])?,
        end: clock.steps(k, w[1])?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::load_str;

    const OPTO: &str = include_str!("../../../../../examples/opto_subset.toml");

    /// The message of loading the example with `overrides`.
    fn error(overrides: &[&str]) -> String {
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        match load_str(OPTO, Path::new("e.toml"), &o, Path::new(".")) {
            Ok(_) => panic!("accepted {overrides:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_examples_load_and_amplitudes_can_be_set() {
        let o = vec!["perturbation.amplitudes=[0, 0.5]".to_string()];
        let loaded = load_str(OPTO, Path::new("e.toml"), &o, Path::new(".")).unwrap();
        let crate::config::Experiment::Spiking(exp) = loaded.experiment else {
            panic!("spiking")
        };
        let p = exp.perturbation.unwrap();
        assert_eq!(p.amplitudes, vec![0.0, 0.5]);
        assert_eq!(
            (p.on.start, p.on.end, p.onset_steps),
            (15_000, 70_000, 5_000)
        );
    }

    #[test]
    fn bad_perturbations_name_the_key_and_the_rule() {
        #[rustfmt::skip]
        let cases: [(&[&str], &[&str]); 9] = [
            (&["perturbation.amplitudes=[]"], &["perturbation.amplitudes", "at least one"]),
            (&["perturbation.neurons.fraction=0.0001"], &["perturbation.neurons", "selects no neuron"]),
            (&["perturbation.neurons.population=X"], &["perturbation.neurons.population", "no population named \"X\""]),
            (&["perturbation.end_ms=8000"], &["perturbation.end_ms", "within the trial"]),
            (&["perturbation.start_ms=7000", "perturbation.end_ms=6000"], &["perturbation.end_ms", "later than start_ms"]),
            (&["perturbation.baseline_ms=[1000, 2000]"], &["perturbation.baseline_ms", "end by start_ms"]),
            (&["perturbation.post_ms=[6000, 9000]"], &["perturbation.post_ms", "within the trial"]),
            (&["perturbation.onset_ms=6000"], &["perturbation.onset_ms", "shorter than the stimulus window"]),
            (&["perturbation.amplitude_units=sqrt_k"], &["perturbation.k", "required"]),
        ];
        for (overrides, needles) in cases {
            let message = error(overrides);
            for n in needles {
                assert!(
                    message.contains(n),
                    "{overrides:?}: {n:?} not in {message:?}"
                );
            }
        }
    }
}
