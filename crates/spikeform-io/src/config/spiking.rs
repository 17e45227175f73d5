//! Rules of spiking experiments.

use std::path::Path;

use spikeform::experiment::spiking::{
    Connectivity, CueSpec, NetworkSpec, PlasticSpec, RecordedRates, Sigma, SpikingExperiment,
    SpikingTraining, TargetSpec, TrainedSelection,
};
use spikeform::network::plastic::PenaltyWeights;
use spikeform::network::{OuCurrent, PoissonDrive, Population, Projection, Sign};
use spikeform::neuron::{Integration, LifParams};
use spikeform::stimulus::{Amplitude, OuRates};
use spikeform::train::{LearningSchedule, Precision, RlsOptions, Storage};

use super::raw::{RawExperiment, RawSpikingNetwork, RawTarget};
use super::validate::{finite, positive, positive_count, within_trial, Clock};
use super::ConfigError;

fn non_negative(key: &str, v: f64) -> Result<f64, ConfigError> {
    if finite(key, v)? < 0.0 {
        return Err(ConfigError::invalid(key, format!("must be >= 0, got {v}")));
    }
    Ok(v)
}

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

/// Checks a spiking experiment.
pub(super) fn validate(
    raw: &RawExperiment,
    net: &RawSpikingNetwork,
    clock: &Clock,
    trial_steps: u64,
    base_dir: &Path,
) -> Result<SpikingExperiment, ConfigError> {
    let dt = clock.dt_ms;
    let duration = raw.duration_ms;
    let integration = match net.integration.as_str() {
        "euler" => Integration::Euler,
        "exponential" => Integration::Exponential,
        other => {
            return Err(ConfigError::invalid(
                "network.integration",
                format!("must be \"euler\" or \"exponential\", got {other:?}"),
            ))
        }
    };
    let tau_exc_ms = non_negative("network.tau_exc_ms", net.tau_exc_ms)?;
    let tau_inh_ms = non_negative("network.tau_inh_ms", net.tau_inh_ms)?;
    let tau_plastic_ms = positive("network.tau_plastic_ms", net.tau_plastic_ms)?;
    let delay_steps = clock.positive_steps("network.delay_ms", net.delay_ms)? as usize;
    positive("network.max_rate_hz", net.max_rate_hz)?;
    if net.populations.is_empty() {
        return Err(ConfigError::invalid(
            "network.populations",
            "at least one population is required",
        ));
    }
    let mut populations = Vec::new();
    for (k, p) in net.populations.iter().enumerate() {
        let key = |f: &str| format!("network.populations[{k}].{f}");
        if p.size == 0 {
            return Err(ConfigError::invalid(
                key("size"),
                format!("population {:?} must have at least 1 neuron, got 0", p.name),
            ));
        }
        if populations.iter().any(|q: &Population| q.name == p.name) {
            return Err(ConfigError::invalid(
                key("name"),
                format!("population name {:?} is used twice", p.name),
            ));
        }
        if p.model != "lif" {
            return Err(ConfigError::invalid(
                key("model"),
                format!("must be \"lif\", got {:?}", p.model),
            ));
        }
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
        let poisson = match (p.poisson_inputs, p.poisson_rate_hz, p.poisson_weight) {
            (None, None, None) => None,
            (Some(inputs), Some(rate_hz), Some(weight)) => {
                non_negative(&key("poisson_rate_hz"), rate_hz)?;
                if weight < 0.0 {
                    return Err(ConfigError::invalid(key("poisson_weight"), format!("an excitatory weight must be >= 0, got {weight}")));
                }
                Some(PoissonDrive { inputs, rate_hz, weight })
            }
            _ => {
                return Err(ConfigError::invalid(
                    key("poisson_inputs"),
                    "poisson_inputs, poisson_rate_hz and poisson_weight go together: give all three or none",
                ))
            }
        };
        let ou_current = match (p.ou_current_sigma, p.ou_current_tau_ms) {
            (None, None) if p.ou_current_mean.is_none() => None,
            (Some(sigma), Some(tau_ms)) => {
                non_negative(&key("ou_current_sigma"), sigma)?;
                positive(&key("ou_current_tau_ms"), tau_ms)?;
                let mean = finite(&key("ou_current_mean"), p.ou_current_mean.unwrap_or(0.0))?;
                Some(OuCurrent { mean, tau_ms, sigma })
            }
            _ => {
                return Err(ConfigError::invalid(
                    key("ou_current_sigma"),
                    "an OU current needs ou_current_sigma and ou_current_tau_ms (ou_current_mean is optional)",
                ))
            }
        };
        populations.push(Population {
            name: p.name.clone(),
            size: p.size,
            sign: if p.excitatory {
                Sign::Excitatory
            } else {
                Sign::Inhibitory
            },
            neuron,
            model: spikeform::neuron::NeuronModel::Lif,
            bias: finite(&key("bias"), p.bias)?,
            poisson,
            ou_current,
        });
    }
    let n: usize = populations.iter().map(|p| p.size).sum();
    // Projections: weights by pair, sign by the presynaptic population (Dale's law).
    let mut weight = vec![vec![0.0; populations.len()]; populations.len()];
    let mut projections = Vec::new();
    for (k, pr) in net.connectivity.projections.iter().enumerate() {
        let key = |f: &str| format!("network.connectivity.projections[{k}].{f}");
        let pre = population_index(&key("pre"), &pr.pre, &populations)?;
        let post = population_index(&key("post"), &pr.post, &populations)?;
        let w = finite(&key("weight"), pr.weight)?;
        match populations[pre].sign {
            Sign::Excitatory if w < 0.0 => {
                return Err(ConfigError::invalid(
                    key("weight"),
                    format!(
                        "an excitatory weight (from {:?}) must be >= 0 (Dale's law), got {w}",
                        pr.pre
                    ),
                ))
            }
            Sign::Inhibitory if w > 0.0 => {
                return Err(ConfigError::invalid(
                    key("weight"),
                    format!(
                        "an inhibitory weight (from {:?}) must be <= 0 (Dale's law), got {w}",
                        pr.pre
                    ),
                ))
            }
            _ => {}
        }
        weight[pre][post] = w;
        if net.connectivity.rule == "fixed_in_degree" {
            let d = pr.in_degree.ok_or_else(|| {
                ConfigError::invalid(
                    key("in_degree"),
                    "is required with rule = \"fixed_in_degree\"",
                )
            })?;
            let available = populations[pre].size - usize::from(pre == post);
            if d > available {
                return Err(ConfigError::invalid(
                    key("in_degree"),
                    format!("must not exceed the {available} available neurons of population {:?}, got {d}", pr.pre),
                ));
            }
            projections.push(Projection {
                pre,
                post,
                weight: w,
                in_degree: d,
            });
        }
    }
    let connectivity = match net.connectivity.rule.as_str() {
        "none" => Connectivity::None,
        "fixed_out_degree" => {
            let d = net.connectivity.out_degree.ok_or_else(|| {
                ConfigError::invalid(
                    "network.connectivity.out_degree",
                    "is required with rule = \"fixed_out_degree\"",
                )
            })?;
            if d >= n {
                return Err(ConfigError::invalid(
                    "network.connectivity.out_degree",
                    format!("must be smaller than the number of neurons ({n}), got {d}"),
                ));
            }
            Connectivity::FixedOutDegree {
                out_degree: d,
                weight,
            }
        }
        "fixed_in_degree" => Connectivity::FixedInDegree { projections },
        other => {
            return Err(ConfigError::invalid(
                "network.connectivity.rule",
                format!("must be one of none, fixed_out_degree, fixed_in_degree; got {other:?}"),
            ))
        }
    };
    let cue = match &raw.stimulus {
        None => None,
        Some(s) => {
            within_trial("stimulus.start_ms", s.start_ms, duration)?;
            within_trial("stimulus.end_ms", s.end_ms, duration)?;
            if s.end_ms <= s.start_ms {
                return Err(ConfigError::invalid(
                    "stimulus.end_ms",
                    format!(
                        "must be later than stimulus.start_ms ({}), got {}",
                        s.start_ms, s.end_ms
                    ),
                ));
            }
            let amplitude = match s.distribution.as_str() {
                "uniform" => {
                    let min = s.amplitude_min.ok_or_else(|| {
                        ConfigError::invalid(
                            "stimulus.amplitude_min",
                            "is required for a uniform amplitude",
                        )
                    })?;
                    let max = s.amplitude_max.ok_or_else(|| {
                        ConfigError::invalid(
                            "stimulus.amplitude_max",
                            "is required for a uniform amplitude",
                        )
                    })?;
                    if max < min {
                        return Err(ConfigError::invalid(
                            "stimulus.amplitude_max",
                            format!("must be >= stimulus.amplitude_min ({min}), got {max}"),
                        ));
                    }
                    Amplitude::Uniform {
                        min: finite("stimulus.amplitude_min", min)?,
                        max: finite("stimulus.amplitude_max", max)?,
                    }
                }
                "normal" => Amplitude::Normal {
                    std: non_negative(
                        "stimulus.amplitude_std",
                        s.amplitude_std.ok_or_else(|| {
                            ConfigError::invalid(
                                "stimulus.amplitude_std",
                                "is required for a normal amplitude",
                            )
                        })?,
                    )?,
                },
                other => {
                    return Err(ConfigError::invalid(
                        "stimulus.distribution",
                        format!("must be \"uniform\" or \"normal\", got {other:?}"),
                    ))
                }
            };
            Some(CueSpec {
                start_step: clock.steps("stimulus.start_ms", s.start_ms)?,
                end_step: clock.steps("stimulus.end_ms", s.end_ms)?,
                amplitude,
            })
        }
    };
    let mut conditions = 1;
    let training = match &raw.training {
        None => None,
        Some(t) => {
            let every_steps = clock.positive_steps("training.learn_every_ms", t.learn_every_ms)?;
            let start = t
                .start_ms
                .unwrap_or_else(|| raw.stimulus.as_ref().map_or(0.0, |s| s.end_ms));
            let end = t.end_ms.unwrap_or(duration);
            within_trial("training.start_ms", start, duration)?;
            within_trial("training.end_ms", end, duration)?;
            let schedule = LearningSchedule {
                start_step: clock.steps("training.start_ms", start)?,
                end_step: clock.steps("training.end_ms", end)?,
                every_steps,
            };
            if schedule.end_step <= schedule.start_step || schedule.updates_per_trial() < 2 {
                return Err(ConfigError::invalid(
                    "training.learn_every_ms",
                    format!(
                        "at least two updates must fall in the learning window ({start}, {end}] ms"
                    ),
                ));
            }
            let penalty = PenaltyWeights {
                lambda: positive("training.penalty_lambda", t.penalty_lambda)?,
                mu: non_negative("training.penalty_mu", t.penalty_mu)?,
                lambda_ff: positive("training.penalty_ff", t.penalty_ff)?,
            };
            let trained_pop = |key: &str| -> Result<usize, ConfigError> {
                let name = t.trained_population.as_deref().ok_or_else(|| {
                    ConfigError::invalid(key, "needs training.trained_population")
                })?;
                population_index("training.trained_population", name, &populations)
            };
            let trained = match t.trained.as_deref().unwrap_or("all") {
                "all" => TrainedSelection::All,
                "random" => {
                    let population = trained_pop("training.trained")?;
                    let count =
                        positive_count("training.trained_count", t.trained_count.unwrap_or(0))?;
                    if count > populations[population].size {
                        return Err(ConfigError::invalid(
                            "training.trained_count",
                            format!(
                                "must not exceed the size of population {:?} ({}), got {count}",
                                populations[population].name, populations[population].size
                            ),
                        ));
                    }
                    TrainedSelection::Random { population, count }
                }
                "match" => TrainedSelection::MatchRecorded {
                    population: trained_pop("training.trained")?,
                },
                other => {
                    return Err(ConfigError::invalid(
                        "training.trained",
                        format!("must be \"all\", \"random\" or \"match\", got {other:?}"),
                    ))
                }
            };
            let plastic = match t.plastic.as_deref().unwrap_or("all_to_all") {
                "all_to_all" => PlasticSpec::AllToAll {
                    std: non_negative("training.plastic_std", t.plastic_std.unwrap_or(0.0))?,
                },
                "sampled" => {
                    let need = |key: &str, v: Option<f64>| {
                        v.ok_or_else(|| {
                            ConfigError::invalid(
                                key,
                                "is required with training.plastic = \"sampled\"",
                            )
                        })
                    };
                    let n_exc = t.plastic_exc_inputs.ok_or_else(|| {
                        ConfigError::invalid(
                            "training.plastic_exc_inputs",
                            "is required with training.plastic = \"sampled\"",
                        )
                    })?;
                    let n_inh = t.plastic_inh_inputs.ok_or_else(|| {
                        ConfigError::invalid(
                            "training.plastic_inh_inputs",
                            "is required with training.plastic = \"sampled\"",
                        )
                    })?;
                    let inh_name = t.plastic_inh_population.as_deref().ok_or_else(|| {
                        ConfigError::invalid(
                            "training.plastic_inh_population",
                            "is required with training.plastic = \"sampled\"",
                        )
                    })?;
                    let inh_population = population_index(
                        "training.plastic_inh_population",
                        inh_name,
                        &populations,
                    )?;
                    if n_inh > populations[inh_population].size {
                        return Err(ConfigError::invalid(
                            "training.plastic_inh_inputs",
                            format!("must not exceed the size of population {inh_name:?}"),
                        ));
                    }
                    PlasticSpec::Sampled {
                        n_exc,
                        n_inh,
                        w_exc: finite(
                            "training.plastic_exc_weight",
                            need("training.plastic_exc_weight", t.plastic_exc_weight)?,
                        )?,
                        w_inh: finite(
                            "training.plastic_inh_weight",
                            need("training.plastic_inh_weight", t.plastic_inh_weight)?,
                        )?,
                        inh_population,
                    }
                }
                other => {
                    return Err(ConfigError::invalid(
                        "training.plastic",
                        format!("must be \"all_to_all\" or \"sampled\", got {other:?}"),
                    ))
                }
            };
            let target = match &raw.target {
                None => {
                    return Err(ConfigError::invalid(
                        "target",
                        "training needs a [target] section",
                    ))
                }
                Some(RawTarget::Sine(s)) => TargetSpec::Sine {
                    amplitude: finite("target.amplitude", s.amplitude)?,
                    period_ms: positive("target.period_ms", s.period_ms)?,
                    offset: s.offset,
                },
                Some(RawTarget::Recorded(r)) => {
                    if r.files.is_empty() {
                        return Err(ConfigError::invalid(
                            "target.files",
                            "needs at least one file (one per condition)",
                        ));
                    }
                    let bin_steps = clock.positive_steps("target.bin_ms", r.bin_ms)?;
                    if bin_steps != every_steps {
                        return Err(ConfigError::invalid("target.bin_ms", format!("must equal training.learn_every_ms ({}): bin k is the target at the k-th update, got {}", t.learn_every_ms, r.bin_ms)));
                    }
                    let sigma = match &r.sigma {
                        toml::Value::Float(s) => Sigma::Given(positive("target.sigma", *s)?),
                        toml::Value::Integer(s) => {
                            Sigma::Given(positive("target.sigma", *s as f64)?)
                        }
                        toml::Value::String(s) if s == "estimate" => Sigma::Estimate,
                        other => {
                            return Err(ConfigError::invalid(
                                "target.sigma",
                                format!("must be a positive number or \"estimate\", got {other}"),
                            ))
                        }
                    };
                    let mut recorded = Vec::new();
                    for f in &r.files {
                        recorded.push(read_rates(&base_dir.join(f), f)?);
                    }
                    let (n0, b0) = (recorded[0].n_neurons, recorded[0].n_bins);
                    for (rec, f) in recorded.iter().zip(&r.files).skip(1) {
                        if rec.n_neurons != n0 || rec.n_bins != b0 {
                            return Err(ConfigError::Data {
                                path: f.into(),
                                problem: format!("has {} neurons × {} bins, but {} has {n0} × {b0}: all conditions need the same shape", rec.n_neurons, rec.n_bins, r.files[0]),
                            });
                        }
                    }
                    let updates = schedule.updates_per_trial() as usize;
                    if b0 != updates {
                        return Err(ConfigError::Data {
                            path: r.files[0].clone().into(),
                            problem: format!("has {b0} bins but the learning window ({start}, {end}] ms holds {updates} updates of {} ms: they must match", t.learn_every_ms),
                        });
                    }
                    if let TrainedSelection::MatchRecorded { population } = trained {
                        if n0 > populations[population].size {
                            return Err(ConfigError::Data {
                                path: r.files[0].clone().into(),
                                problem: format!("has {n0} recorded neurons, more than the {} neurons of population {:?} they are matched to", populations[population].size, populations[population].name),
                            });
                        }
                    } else {
                        return Err(ConfigError::invalid(
                            "training.trained",
                            "recorded targets need trained = \"match\"",
                        ));
                    }
                    conditions = recorded.len();
                    TargetSpec::Recorded {
                        conditions: recorded,
                        sigma,
                    }
                }
            };
            let feedforward = if t.feedforward_units > 0 {
                Some((
                    t.feedforward_units,
                    OuRates {
                        mean_hz: non_negative(
                            "training.feedforward_mean_hz",
                            t.feedforward_mean_hz,
                        )?,
                        tau_ms: positive("training.feedforward_tau_ms", t.feedforward_tau_ms)?,
                        sigma: non_negative("training.feedforward_sigma", t.feedforward_sigma)?,
                        smooth_ms: non_negative(
                            "training.feedforward_smooth_ms",
                            t.feedforward_smooth_ms,
                        )?,
                    },
                ))
            } else {
                None
            };
            if let PlasticSpec::Sampled { n_exc, .. } = &plastic {
                // Excitatory partners are drawn from the trained neurons of excitatory
                // populations, without the neuron itself.
                let excitatory = |p: usize| populations[p].sign == Sign::Excitatory;
                // `None`: the matched recorded neurons, counted when the data are read.
                let pool = match &trained {
                    TrainedSelection::All => Some(
                        (0..populations.len())
                            .filter(|&p| excitatory(p))
                            .map(|p| populations[p].size)
                            .sum(),
                    ),
                    TrainedSelection::Random { population, count } => {
                        Some(if excitatory(*population) { *count } else { 0 })
                    }
                    TrainedSelection::MatchRecorded { population } => {
                        if excitatory(*population) {
                            None
                        } else {
                            Some(0)
                        }
                    }
                };
                if let Some(pool) = pool.filter(|&pool| *n_exc > 0 && *n_exc >= pool) {
                    return Err(ConfigError::invalid(
                        "training.plastic_exc_inputs",
                        format!(
                            "must be smaller than the number of trained excitatory neurons \
                             ({pool}), got {n_exc}"
                        ),
                    ));
                }
            }
            let rls = RlsOptions {
                storage: match t.rls.storage.as_str() {
                    "dense" => Storage::Dense,
                    "packed" => Storage::Packed,
                    other => {
                        return Err(ConfigError::invalid(
                            "training.rls.storage",
                            format!("must be \"dense\" or \"packed\", got {other:?}"),
                        ))
                    }
                },
                precision: match t.rls.precision.as_str() {
                    "f64" => Precision::F64,
                    "f32" => Precision::F32,
                    other => {
                        return Err(ConfigError::invalid(
                            "training.rls.precision",
                            format!("must be \"f64\" or \"f32\", got {other:?}"),
                        ))
                    }
                },
                block: positive_count("training.rls.block", t.rls.block)?,
            };
            Some(SpikingTraining {
                loops: positive_count("training.loops", t.loops)?,
                schedule,
                penalty,
                rls,
                trained,
                plastic,
                feedforward,
                target,
                eval_every: t.eval_every,
            })
        }
    };
    Ok(SpikingExperiment {
        name: raw.name.clone(),
        seed: raw.seed,
        dt_ms: dt,
        trial_steps,
        network: NetworkSpec {
            integration,
            populations,
            connectivity,
            tau_exc_ms,
            tau_inh_ms,
            tau_plastic_ms,
            delay_steps,
            reset_queues: net.reset_spikes_between_trials,
            decay_on_arrival: false,
        },
        inputs: Vec::new(),
        plasticity: Vec::new(),
        cue,
        conditions,
        training,
        test_trials: positive_count("test.trials", raw.test.trials)?,
        burn_in_ms: within_trial("test.burn_in_ms", raw.test.burn_in_ms, duration)?,
        fano_window_ms: positive("test.fano_window_ms", raw.test.fano_window_ms)?,
        box_half_width_ms: positive("test.box_half_width_ms", raw.test.box_half_width_ms)?,
        psth_smooth_bins: raw.test.psth_smooth_bins,
        max_rate_hz: net.max_rate_hz,
        record_every_steps: clock.positive_steps("record.every_ms", raw.record.every_ms)?,
        record_input_trials: raw.record.input_trials,
        record_neurons: {
            if let Some((k, i)) = raw.record.neurons.iter().enumerate().find(|(_, &i)| i >= n) {
                return Err(ConfigError::invalid(
                    format!("record.neurons[{k}]"),
                    format!(
                        "neuron {i} does not exist: the network has {n} neurons (0-based indices)"
                    ),
                ));
            }
            raw.record.neurons.clone()
        },
    })
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
    if let Some((k, v)) = arr.data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(data(format!(
            "holds {v} at neuron {}, bin {}: rates must be finite",
            k / arr.shape[1],
            k % arr.shape[1]
        )));
    }
    if let Some((k, v)) = arr.data.iter().enumerate().find(|(_, v)| **v < 0.0) {
        return Err(data(format!(
            "holds the negative rate {v} at neuron {}, bin {}",
            k / arr.shape[1],
            k % arr.shape[1]
        )));
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
