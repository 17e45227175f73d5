//! `[network]` of a spiking experiment: synapses, populations and their external inputs, and
//! static connectivity.

use spikeform::experiment::spiking::{Connectivity, NetworkSpec};
use spikeform::network::{
    OuCurrent, PoissonDrive, Population, ProbabilityProjection, Projection, Sign,
};
use spikeform::neuron::{EifParams, Integration, LifParams, NeuronModel};

use super::population_index;
use crate::config::raw::{
    RawConnectivity, RawIntegration, RawNeuronModel, RawPopulation, RawProjection,
    RawSpikingNetwork,
};
use crate::config::validate::{finite, non_negative, positive, Clock};
use crate::config::ConfigError;

/// Checks `[network]` and its populations and connectivity.
pub(super) fn network(net: &RawSpikingNetwork, clock: &Clock) -> Result<NetworkSpec, ConfigError> {
    let integration = match net.integration {
        RawIntegration::Euler => Integration::Euler,
        RawIntegration::Exponential => Integration::Exponential,
    };
    let tau_exc_ms = non_negative("network.tau_exc_ms", net.tau_exc_ms)?;
    let tau_inh_ms = non_negative("network.tau_inh_ms", net.tau_inh_ms)?;
    let tau_plastic_ms = positive("network.tau_plastic_ms", net.tau_plastic_ms)?;
    let delay_steps = clock.positive_steps("network.delay_ms", net.delay_ms)? as usize;
    positive("network.max_rate_hz", net.max_rate_hz)?;
    let populations = populations(&net.populations, clock)?;
    let connectivity = connectivity(&net.connectivity, &populations)?;
    Ok(NetworkSpec {
        integration,
        populations,
        connectivity,
        tau_exc_ms,
        tau_inh_ms,
        tau_plastic_ms,
        delay_steps,
        reset_queues: net.reset_spikes_between_trials,
        decay_on_arrival: net.decay_on_arrival,
    })
}

/// `network.populations`: at least one, names unique.
fn populations(raw: &[RawPopulation], clock: &Clock) -> Result<Vec<Population>, ConfigError> {
    if raw.is_empty() {
        return Err(ConfigError::invalid(
            "network.populations",
            "at least one population is required",
        ));
    }
    let mut populations = Vec::with_capacity(raw.len());
    for (k, p) in raw.iter().enumerate() {
        let key = |field: &str| format!("network.populations[{k}].{field}");
        if p.name.trim().is_empty() {
            return Err(ConfigError::invalid(key("name"), "must not be empty"));
        }
        if let Some(q) = populations
            .iter()
            .find(|q: &&Population| q.name.eq_ignore_ascii_case(&p.name))
        {
            return Err(ConfigError::invalid(
                key("name"),
                format!(
                    "population name {:?} is used twice (as {:?}; names that differ only in \
                     case would share a key of summary.json)",
                    p.name, q.name
                ),
            ));
        }
        populations.push(population(p, &key, clock)?);
    }
    Ok(populations)
}

/// One population; `key` names its fields (`network.populations[k].field`).
fn population(
    p: &RawPopulation,
    key: &dyn Fn(&str) -> String,
    clock: &Clock,
) -> Result<Population, ConfigError> {
    if p.size == 0 {
        return Err(ConfigError::invalid(
            key("size"),
            format!("population {:?} must have at least 1 neuron, got 0", p.name),
        ));
    }
    let neuron = lif(p, key, clock)?;
    if p.model == RawNeuronModel::Lif {
        no_eif_keys(p, key)?;
    }
    let model = match p.model {
        RawNeuronModel::Lif => NeuronModel::Lif,
        RawNeuronModel::Eif => NeuronModel::Eif(eif(p, &neuron, key)?),
    };
    Ok(Population {
        name: p.name.clone(),
        size: p.size,
        sign: if p.excitatory {
            Sign::Excitatory
        } else {
            Sign::Inhibitory
        },
        neuron,
        model,
        bias: finite(&key("bias"), p.bias)?,
        poisson: poisson_drive(p, key)?,
        ou_current: ou_current(p, key)?,
    })
}

/// LIF parameters: reset below threshold, a non-empty initial voltage range, a refractory
/// period of whole steps.
fn lif(
    p: &RawPopulation,
    key: &dyn Fn(&str) -> String,
    clock: &Clock,
) -> Result<LifParams, ConfigError> {
    let neuron = LifParams {
        tau_membrane_ms: positive(&key("tau_membrane_ms"), p.tau_membrane_ms)?,
        v_rest: finite(&key("v_rest"), p.v_rest)?,
        threshold: finite(&key("threshold"), p.threshold)?,
        reset: finite(&key("reset"), p.reset)?,
        refractory_ms: non_negative(&key("refractory_ms"), p.refractory_ms)?,
        noise_sigma: non_negative(&key("noise_sigma"), p.noise_sigma)?,
        initial_v_min: finite(&key("initial_v_min"), p.initial_v_min)?,
        initial_v_max: finite(&key("initial_v_max"), p.initial_v_max)?,
    };
    if neuron.reset >= neuron.threshold {
        return Err(ConfigError::invalid(
            key("reset"),
            format!(
                "must be below the threshold ({}), got {}",
                neuron.threshold, neuron.reset
            ),
        ));
    }
    if neuron.initial_v_max < neuron.initial_v_min {
        return Err(ConfigError::invalid(
            key("initial_v_max"),
            "must be >= initial_v_min",
        ));
    }
    if neuron.refractory_ms > 0.0 {
        clock.steps(&key("refractory_ms"), neuron.refractory_ms)?;
    }
    Ok(neuron)
}

/// EIF parameters: `soft_threshold` (V_T) and `slope` (Δ_T > 0) required, `capacitance` (> 0)
/// 1 when absent; V_T below the spike threshold; no refractory period needed.
fn eif(
    p: &RawPopulation,
    lif: &LifParams,
    key: &dyn Fn(&str) -> String,
) -> Result<EifParams, ConfigError> {
    let required = |name: &str, value: Option<f64>| {
        value.ok_or_else(|| ConfigError::invalid(key(name), "is required with model = \"eif\""))
    };
    let soft_threshold = finite(
        &key("soft_threshold"),
        required("soft_threshold", p.soft_threshold)?,
    )?;
    if soft_threshold >= lif.threshold {
        return Err(ConfigError::invalid(
            key("soft_threshold"),
            format!(
                "must be below the spike threshold ({}), got {soft_threshold}",
                lif.threshold
            ),
        ));
    }
    Ok(EifParams {
        soft_threshold,
        slope: positive(&key("slope"), required("slope", p.slope)?)?,
        capacitance: positive(&key("capacitance"), p.capacitance.unwrap_or(1.0))?,
    })
}

/// LIF populations take no EIF keys.
fn no_eif_keys(p: &RawPopulation, key: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
    for (name, value) in [
        ("soft_threshold", p.soft_threshold),
        ("slope", p.slope),
        ("capacitance", p.capacitance),
    ] {
        if value.is_some() {
            return Err(ConfigError::invalid(
                key(name),
                "is an EIF key: set model = \"eif\"",
            ));
        }
    }
    Ok(())
}

/// `poisson_inputs`, `poisson_rate_hz` and `poisson_weight`: all three or none.
fn poisson_drive(
    p: &RawPopulation,
    key: &dyn Fn(&str) -> String,
) -> Result<Option<PoissonDrive>, ConfigError> {
    match (p.poisson_inputs, p.poisson_rate_hz, p.poisson_weight) {
        (None, None, None) => Ok(None),
        (Some(inputs), Some(rate_hz), Some(weight)) => {
            non_negative(&key("poisson_rate_hz"), rate_hz)?;
            if weight < 0.0 {
                return Err(ConfigError::invalid(
                    key("poisson_weight"),
                    format!("an excitatory weight must be >= 0, got {weight}"),
                ));
            }
            Ok(Some(PoissonDrive {
                inputs,
                rate_hz,
                weight,
            }))
        }
        _ => Err(ConfigError::invalid(
            key("poisson_inputs"),
            "poisson_inputs, poisson_rate_hz and poisson_weight go together: give all three or \
             none",
        )),
    }
}

/// `ou_current_sigma` and `ou_current_tau_ms` together (`ou_current_mean` optional), or none.
fn ou_current(
    p: &RawPopulation,
    key: &dyn Fn(&str) -> String,
) -> Result<Option<OuCurrent>, ConfigError> {
    match (p.ou_current_sigma, p.ou_current_tau_ms) {
        (None, None) if p.ou_current_mean.is_none() => Ok(None),
        (Some(sigma), Some(tau_ms)) => {
            non_negative(&key("ou_current_sigma"), sigma)?;
            positive(&key("ou_current_tau_ms"), tau_ms)?;
            let mean = finite(&key("ou_current_mean"), p.ou_current_mean.unwrap_or(0.0))?;
            Ok(Some(OuCurrent {
                mean,
                tau_ms,
                sigma,
            }))
        }
        _ => Err(ConfigError::invalid(
            key("ou_current_sigma"),
            "an OU current needs ou_current_sigma and ou_current_tau_ms (ou_current_mean is \
             optional)",
        )),
    }
}

/// `network.connectivity`: the projections (known populations, Dale's law), then the rule.
fn connectivity(
    raw: &RawConnectivity,
    populations: &[Population],
) -> Result<Connectivity, ConfigError> {
    let projections = projections(raw.projections(), populations)?;
    match raw {
        RawConnectivity::None(_) => Ok(Connectivity::None),
        RawConnectivity::FixedOutDegree(c) => {
            fixed_out_degree(c.out_degree, &projections, populations)
        }
        RawConnectivity::FixedInDegree(c) => {
            fixed_in_degree(&c.projections, projections, populations)
        }
        RawConnectivity::Bernoulli(c) => bernoulli(&c.projections, projections),
    }
}

/// Each projection's populations and weight; the sign of a weight is that of its presynaptic
/// population (Dale's law).
fn projections(
    raw: &[RawProjection],
    populations: &[Population],
) -> Result<Vec<Projection>, ConfigError> {
    let mut checked: Vec<Projection> = Vec::with_capacity(raw.len());
    for (k, pr) in raw.iter().enumerate() {
        let key = |f: &str| format!("network.connectivity.projections[{k}].{f}");
        let pre = population_index(&key("pre"), &pr.pre, populations)?;
        let post = population_index(&key("post"), &pr.post, populations)?;
        if let Some(j) = checked.iter().position(|q| q.pre == pre && q.post == post) {
            return Err(ConfigError::invalid(
                key("post"),
                format!(
                    "projection {:?} -> {:?} is given twice (also as projections[{j}])",
                    pr.pre, pr.post
                ),
            ));
        }
        let w = finite(&key("weight"), pr.weight)?;
        let (wrong_sign, sign, rule) = match populations[pre].sign {
            Sign::Excitatory => (w < 0.0, "excitatory", ">= 0"),
            Sign::Inhibitory => (w > 0.0, "inhibitory", "<= 0"),
        };
        if wrong_sign {
            return Err(ConfigError::invalid(
                key("weight"),
                format!(
                    "an {sign} weight (from {:?}) must be {rule} (Dale's law), got {w}",
                    pr.pre
                ),
            ));
        }
        checked.push(Projection {
            pre,
            post,
            weight: w,
            in_degree: pr.in_degree.unwrap_or(0),
        });
    }
    Ok(checked)
}

/// `rule = "fixed_out_degree"`: fewer targets than neurons; the weight of a pair of
/// populations is its projection's (0 without one).
fn fixed_out_degree(
    out_degree: usize,
    projections: &[Projection],
    populations: &[Population],
) -> Result<Connectivity, ConfigError> {
    let n: usize = populations.iter().map(|p| p.size).sum();
    if out_degree >= n {
        return Err(ConfigError::invalid(
            "network.connectivity.out_degree",
            format!("must be smaller than the number of neurons ({n}), got {out_degree}"),
        ));
    }
    let mut weight = vec![vec![0.0; populations.len()]; populations.len()];
    for pr in projections {
        weight[pr.pre][pr.post] = pr.weight;
    }
    Ok(Connectivity::FixedOutDegree { out_degree, weight })
}

/// `rule = "fixed_in_degree"`: every projection gives an in-degree no larger than its
/// presynaptic population (less the neuron itself within a population).
fn fixed_in_degree(
    raw: &[RawProjection],
    projections: Vec<Projection>,
    populations: &[Population],
) -> Result<Connectivity, ConfigError> {
    for (k, (pr, checked)) in raw.iter().zip(&projections).enumerate() {
        let key = format!("network.connectivity.projections[{k}].in_degree");
        let d = pr.in_degree.ok_or_else(|| {
            ConfigError::invalid(&key, "is required with rule = \"fixed_in_degree\"")
        })?;
        let available = populations[checked.pre].size - usize::from(checked.pre == checked.post);
        if d > available {
            return Err(ConfigError::invalid(
                key,
                format!(
                    "must not exceed the {available} available neurons of population {:?}, \
                     got {d}",
                    pr.pre
                ),
            ));
        }
    }
    Ok(Connectivity::FixedInDegree { projections })
}

/// `rule = "bernoulli"`: every projection gives a probability in [0, 1].
fn bernoulli(
    raw: &[RawProjection],
    projections: Vec<Projection>,
) -> Result<Connectivity, ConfigError> {
    let mut checked = Vec::with_capacity(projections.len());
    for (k, (pr, p)) in raw.iter().zip(projections).enumerate() {
        let key = format!("network.connectivity.projections[{k}].probability");
        let probability = pr
            .probability
            .ok_or_else(|| ConfigError::invalid(&key, "is required with rule = \"bernoulli\""))?;
        checked.push(ProbabilityProjection {
            pre: p.pre,
            post: p.post,
            weight: p.weight,
            probability: probability_in_unit_interval(&key, probability)?,
        });
    }
    Ok(Connectivity::Bernoulli {
        projections: checked,
    })
}

/// A probability: finite and in [0, 1].
pub(super) fn probability_in_unit_interval(key: &str, p: f64) -> Result<f64, ConfigError> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(ConfigError::invalid(
            key,
            format!("must be a probability in [0, 1], got {p}"),
        ))
    }
}
