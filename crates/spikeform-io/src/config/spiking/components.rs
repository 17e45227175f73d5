//! `[[inputs]]` and `[[plasticity]]`: one function per kind, each element checked under its
//! key path (`inputs[2].end_ms`).

use spikeform::experiment::components::{InputSpec, PlasticitySpec, RuleSpec};
use spikeform::experiment::spiking::{Connectivity, NetworkSpec};
use spikeform::input::Waveform;
use spikeform::network::{ProbabilityProjection, Sign};
use spikeform::neuron_set::{Gains, NeuronSet, Selected, Selection, SetContext};
use spikeform::plasticity::AdditiveStdp;

use super::network::probability_in_unit_interval;
use super::pair_rules::{self, Kind};
use super::{population_index, Context};
use crate::config::raw::{
    RawAdditiveStdp, RawCorrelatedPoissonLayer, RawGains, RawInput, RawNamedSet, RawNeuronSet,
    RawOuStimulus, RawPlasticity, RawPoissonLayer, RawWaveform, RawWindowedCurrent,
};
use crate::config::validate::{finite, non_negative, positive, Clock};
use crate::config::ConfigError;

/// Every `[[inputs]]` element; names unique.
pub(super) fn inputs(
    raw: &[RawInput],
    ctx: &Context<'_>,
    seed: u64,
) -> Result<Vec<InputSpec>, ConfigError> {
    let mut checked: Vec<InputSpec> = Vec::with_capacity(raw.len());
    let mut names: Vec<&str> = Vec::new();
    for (k, input) in raw.iter().enumerate() {
        let key = |f: &str| format!("inputs[{k}].{f}");
        let name = match input {
            RawInput::WindowedCurrent(w) => &w.name,
            RawInput::OuStimulus(o) => &o.name,
            RawInput::PoissonLayer(l) => &l.name,
            RawInput::CorrelatedPoissonLayer(l) => &l.name,
        };
        if names.contains(&name.as_str()) {
            return Err(ConfigError::invalid(
                key("name"),
                format!("input name {name:?} is used twice"),
            ));
        }
        names.push(name);
        checked.push(match input {
            RawInput::WindowedCurrent(w) => windowed_current(w, &key, ctx, seed)?,
            RawInput::OuStimulus(o) => ou_stimulus(o, &key, ctx, seed)?,
            RawInput::PoissonLayer(l) => poisson_layer(l, &key, ctx)?,
            RawInput::CorrelatedPoissonLayer(l) => correlated_layer(l, &key, ctx)?,
        });
    }
    Ok(checked)
}

/// A windowed current: a window inside the trial, of positive length; a neuron set that
/// selects at least one neuron; gains that fit it.
fn windowed_current(
    w: &RawWindowedCurrent,
    key: &dyn Fn(&str) -> String,
    ctx: &Context<'_>,
    seed: u64,
) -> Result<InputSpec, ConfigError> {
    let clock = ctx.clock;
    clock.within_trial(&key("start_ms"), w.start_ms)?;
    clock.within_trial(&key("end_ms"), w.end_ms)?;
    if w.end_ms <= w.start_ms {
        return Err(ConfigError::invalid(
            key("end_ms"),
            format!(
                "must be later than start_ms ({}), got {}",
                w.start_ms, w.end_ms
            ),
        ));
    }
    let selection = Selection {
        set: neuron_set(&w.neurons, &key("neurons"), ctx)?,
        gains: gains(&w.gains, &key("gains"))?,
    };
    resolve(
        &selection,
        &key("neurons"),
        &format!("inputs.{}", w.name),
        ctx,
        seed,
    )?;
    Ok(InputSpec::WindowedCurrent {
        name: w.name.clone(),
        neurons: selection,
        start_step: clock.steps(&key("start_ms"), w.start_ms)?,
        end_step: clock.steps(&key("end_ms"), w.end_ms)?,
        waveform: waveform(&w.waveform, &key("waveform"))?,
    })
}

/// An OU stimulus: a window as a windowed current's, τ > 0, σ ≥ 0, a finite mean, a neuron
/// set that selects at least one neuron.
fn ou_stimulus(
    o: &RawOuStimulus,
    key: &dyn Fn(&str) -> String,
    ctx: &Context<'_>,
    seed: u64,
) -> Result<InputSpec, ConfigError> {
    let clock = ctx.clock;
    clock.within_trial(&key("start_ms"), o.start_ms)?;
    clock.within_trial(&key("end_ms"), o.end_ms)?;
    if o.end_ms <= o.start_ms {
        return Err(ConfigError::invalid(
            key("end_ms"),
            format!(
                "must be later than start_ms ({}), got {}",
                o.start_ms, o.end_ms
            ),
        ));
    }
    let selection = Selection::plain(neuron_set(&o.neurons, &key("neurons"), ctx)?);
    resolve(
        &selection,
        &key("neurons"),
        &format!("inputs.{}", o.name),
        ctx,
        seed,
    )?;
    Ok(InputSpec::OuStimulus {
        name: o.name.clone(),
        neurons: selection,
        start_step: clock.steps(&key("start_ms"), o.start_ms)?,
        end_step: clock.steps(&key("end_ms"), o.end_ms)?,
        tau_ms: positive(&key("tau_ms"), o.tau_ms)?,
        sigma: non_negative(&key("sigma"), o.sigma)?,
        mean: finite(&key("mean"), o.mean)?,
        frozen_seed: o.frozen.then_some(seed),
    })
}

/// The neurons of a set as the file spells it (gains 1), resolved against the populations; the
/// key names the set in messages and its random stream.
pub(super) fn resolve_set(
    raw: &RawNeuronSet,
    key: &str,
    ctx: &Context<'_>,
    seed: u64,
) -> Result<Vec<usize>, ConfigError> {
    let selection = Selection::plain(neuron_set(raw, key, ctx)?);
    resolve(&selection, key, key, ctx, seed).map(|s| s.neurons)
}

/// A selection resolved as the network will resolve it when it is built (same populations,
/// seed and stream `name`), so that what is checked here is what runs; `key` names it in
/// messages.
pub(super) fn resolve(
    selection: &Selection,
    key: &str,
    name: &str,
    ctx: &Context<'_>,
    seed: u64,
) -> Result<Selected, ConfigError> {
    let ranges = spikeform::network::population_ranges(ctx.populations);
    let set_context = SetContext {
        ranges: &ranges,
        trained: None,
        seed,
    };
    selection
        .resolve(set_context, name)
        .map_err(|e| ConfigError::invalid(key, e))
}

/// A neuron set as the file spells it.
pub(super) fn neuron_set(
    raw: &RawNeuronSet,
    key: &str,
    ctx: &Context<'_>,
) -> Result<NeuronSet, ConfigError> {
    let set =
        match raw {
            RawNeuronSet::Named(RawNamedSet::All) => NeuronSet::All,
            RawNeuronSet::Named(_) => return Err(ConfigError::invalid(
                key,
                "the trained neurons are chosen after the network is built, so an input cannot \
                 select them (or the untrained ones) yet; select a population, a fraction of \
                 one, or indices",
            )),
            RawNeuronSet::Table(t) => {
                match (&t.population, t.fraction, &t.indices) {
                    (Some(name), None, None) => NeuronSet::Population(population_index(
                        &format!("{key}.population"),
                        name,
                        ctx.populations,
                    )?),
                    (Some(name), Some(fraction), None) => {
                        let fkey = format!("{key}.fraction");
                        if !(fraction > 0.0 && fraction <= 1.0) {
                            return Err(ConfigError::invalid(
                                fkey,
                                format!("must be in (0, 1], got {fraction}"),
                            ));
                        }
                        NeuronSet::Fraction {
                            population: population_index(
                                &format!("{key}.population"),
                                name,
                                ctx.populations,
                            )?,
                            fraction,
                        }
                    }
                    (None, None, Some(indices)) => NeuronSet::Indices(indices.clone()),
                    _ => return Err(ConfigError::invalid(
                        key,
                        "give `population` (with an optional `fraction`) or `indices`, not both",
                    )),
                }
            }
        };
    Ok(set)
}

/// Gains: finite numbers; `min ≤ max`.
pub(super) fn gains(raw: &RawGains, key: &str) -> Result<Gains, ConfigError> {
    Ok(match raw {
        RawGains::Uniform(g) => Gains::Uniform(finite(key, *g)?),
        RawGains::Given(g) => {
            for (k, &x) in g.iter().enumerate() {
                finite(&format!("{key}[{k}]"), x)?;
            }
            Gains::Given(g.clone())
        }
        RawGains::Random { min, max } => {
            let (min, max) = (
                finite(&format!("{key}.min"), *min)?,
                finite(&format!("{key}.max"), *max)?,
            );
            if max < min {
                return Err(ConfigError::invalid(
                    format!("{key}.max"),
                    format!("must be >= min ({min}), got {max}"),
                ));
            }
            Gains::Random { min, max }
        }
    })
}

/// A waveform: finite values, a positive period.
fn waveform(raw: &RawWaveform, key: &str) -> Result<Waveform, ConfigError> {
    let k = |f: &str| format!("{key}.{f}");
    Ok(match *raw {
        RawWaveform::Constant { amplitude } => Waveform::Constant {
            amplitude: finite(&k("amplitude"), amplitude)?,
        },
        RawWaveform::Ramp { from, to } => Waveform::Ramp {
            from: finite(&k("from"), from)?,
            to: finite(&k("to"), to)?,
        },
        RawWaveform::Sine {
            amplitude,
            period_ms,
            phase,
            mean,
        } => Waveform::Sine {
            amplitude: finite(&k("amplitude"), amplitude)?,
            period_ms: positive(&k("period_ms"), period_ms)?,
            phase: finite(&k("phase"), phase)?,
            mean: finite(&k("mean"), mean)?,
        },
    })
}

/// A Poisson layer: at least one unit, a rate ≥ 0, τ > 0, excitatory weights onto known
/// populations with probabilities in [0, 1].
fn poisson_layer(
    l: &RawPoissonLayer,
    key: &dyn Fn(&str) -> String,
    ctx: &Context<'_>,
) -> Result<InputSpec, ConfigError> {
    if l.units == 0 {
        return Err(ConfigError::invalid(
            key("units"),
            "must be at least 1, got 0",
        ));
    }
    let mut projections = Vec::with_capacity(l.projections.len());
    for (k, p) in l.projections.iter().enumerate() {
        let pkey = |f: &str| key(&format!("projections[{k}].{f}"));
        projections.push(ProbabilityProjection {
            pre: 0,
            post: population_index(&pkey("post"), &p.post, ctx.populations)?,
            weight: non_negative(&pkey("weight"), p.weight)?,
            probability: probability_in_unit_interval(&pkey("probability"), p.probability)?,
        });
    }
    Ok(InputSpec::PoissonLayer {
        name: l.name.clone(),
        units: l.units,
        rate_hz: non_negative(&key("rate_hz"), l.rate_hz)?,
        tau_ms: positive(&key("tau_ms"), l.tau_ms)?,
        projections,
    })
}

/// A correlated Poisson layer: a Poisson layer's rules, a rate > 0, `0 < correlation < 1`,
/// `jitter_ms ≥ 0`.
fn correlated_layer(
    l: &RawCorrelatedPoissonLayer,
    key: &dyn Fn(&str) -> String,
    ctx: &Context<'_>,
) -> Result<InputSpec, ConfigError> {
    let layer = RawPoissonLayer {
        name: l.name.clone(),
        units: l.units,
        rate_hz: positive(&key("rate_hz"), l.rate_hz)?,
        tau_ms: l.tau_ms,
        projections: l.projections.clone(),
    };
    let correlation = finite(&key("correlation"), l.correlation)?;
    if !(correlation > 0.0 && correlation < 1.0) {
        return Err(ConfigError::invalid(
            key("correlation"),
            format!(
                "must lie in (0, 1) (use kind = \"poisson_layer\" for c = 0), got {correlation}"
            ),
        ));
    }
    Ok(InputSpec::CorrelatedPoissonLayer {
        layer: Box::new(poisson_layer(&layer, key, ctx)?),
        correlation,
        jitter_ms: non_negative(&key("jitter_ms"), l.jitter_ms)?,
    })
}

/// Every `[[plasticity]]` element: each on an existing projection, at most one rule each.
pub(super) fn plasticity(
    raw: &[RawPlasticity],
    network: &NetworkSpec,
    clock: &Clock,
) -> Result<Vec<PlasticitySpec>, ConfigError> {
    let mut checked: Vec<PlasticitySpec> = Vec::with_capacity(raw.len());
    let mut homeostatic: Vec<(usize, usize)> = Vec::new();
    for (k, rule) in raw.iter().enumerate() {
        let key = |f: &str| format!("plasticity[{k}].{f}");
        let family = |kind, r| pair_rules::pair_rule(kind, r, &key, network, clock);
        let spec = match rule {
            RawPlasticity::AdditiveStdp(r) => additive_stdp(r, &key, network)?,
            RawPlasticity::Hebbian(r) => family(Kind::Hebbian, r)?,
            RawPlasticity::SoftHebbian(r) => family(Kind::SoftHebbian, r)?,
            RawPlasticity::Kohonen(r) => family(Kind::Kohonen, r)?,
            RawPlasticity::Oja(r) => family(Kind::Oja, r)?,
            RawPlasticity::Istdp(r) => family(Kind::Istdp, r)?,
            RawPlasticity::Vogels(r) => family(Kind::Vogels, r)?,
            RawPlasticity::Homeostatic(r) => family(Kind::Homeostatic, r)?,
            RawPlasticity::Triplet(r) => family(Kind::Triplet, r)?,
        };
        if let RuleSpec::Homeostatic(_) = spec.rule {
            homeostatic.push((spec.pre, spec.post));
        }
        if checked
            .iter()
            .any(|c| (c.pre, c.post) == (spec.pre, spec.post))
        {
            return Err(ConfigError::invalid(
                key("post"),
                "this projection already has a rule (one rule per projection)",
            ));
        }
        checked.push(spec);
    }
    homeostasis_needs_istdp_onto_e(&homeostatic, network)?;
    Ok(checked)
}

/// Homeostatic plasticity onto an inhibitory population (E→I, I→I) destabilises the network
/// unless inhibition onto the excitatory population is homeostatic too (`plasticity.md` §4:
/// "the network also needs EI homeostatic STDP ON to maintain stability").
fn homeostasis_needs_istdp_onto_e(
    homeostatic: &[(usize, usize)],
    network: &NetworkSpec,
) -> Result<(), ConfigError> {
    let pops = &network.populations;
    let onto_e_from_i = homeostatic.iter().any(|&(pre, post)| {
        pops[pre].sign == Sign::Inhibitory && pops[post].sign == Sign::Excitatory
    });
    match homeostatic
        .iter()
        .position(|&(_, post)| pops[post].sign == Sign::Inhibitory)
    {
        Some(_) if !onto_e_from_i => Err(ConfigError::invalid(
            "plasticity",
            "homeostatic plasticity onto an inhibitory population needs homeostatic iSTDP from              an inhibitory onto an excitatory population as well (rule = \"istdp\"), or the              network is unstable",
        )),
        _ => Ok(()),
    }
}

/// Additive STDP: amplitudes ≥ 0, `w_min ≤ w_max` with the sign of the presynaptic population
/// (Dale's law), τ > 0, on a projection the connectivity builds.
fn additive_stdp(
    r: &RawAdditiveStdp,
    key: &dyn Fn(&str) -> String,
    network: &NetworkSpec,
) -> Result<PlasticitySpec, ConfigError> {
    let pops = &network.populations;
    let pre = population_index(&key("pre"), &r.pre, pops)?;
    let post = population_index(&key("post"), &r.post, pops)?;
    if !has_projection(&network.connectivity, pre, post) {
        return Err(ConfigError::invalid(
            key("post"),
            format!(
                "there is no projection from {:?} to {:?} in network.connectivity to make plastic",
                r.pre, r.post
            ),
        ));
    }
    let (w_min, w_max) = bounds(r, key, pops[pre].sign)?;
    Ok(PlasticitySpec {
        pre,
        post,
        rule: RuleSpec::AdditiveStdp(AdditiveStdp {
            a_plus: non_negative(&key("a_plus"), r.a_plus)?,
            a_minus: non_negative(&key("a_minus"), r.a_minus)?,
            w_min,
            w_max,
        }),
        tau_ms: positive(&key("tau_ms"), r.tau_ms)?,
        active_steps: None,
        record_every_steps: 0,
        record_synapses: 0,
    })
}

/// `w_min ≤ w_max`, on the side of zero the presynaptic population's sign allows (Dale's law).
fn bounds(
    r: &RawAdditiveStdp,
    key: &dyn Fn(&str) -> String,
    sign: Sign,
) -> Result<(f64, f64), ConfigError> {
    let (w_min, w_max) = (
        finite(&key("w_min"), r.w_min)?,
        finite(&key("w_max"), r.w_max)?,
    );
    if w_max < w_min {
        return Err(ConfigError::invalid(
            key("w_max"),
            format!("must be >= w_min ({w_min}), got {w_max}"),
        ));
    }
    let broken = match sign {
        Sign::Excitatory if w_min < 0.0 => Some(("w_min", "excitatory", ">= 0", w_min)),
        Sign::Inhibitory if w_max > 0.0 => Some(("w_max", "inhibitory", "<= 0", w_max)),
        _ => None,
    };
    if let Some((bound, kind, rule, value)) = broken {
        return Err(ConfigError::invalid(
            key(bound),
            format!(
                "weights from the {kind} {:?} must stay {rule} (Dale's law), got {value}",
                r.pre
            ),
        ));
    }
    Ok((w_min, w_max))
}

/// Whether the connectivity builds synapses from population `pre` to `post`.
pub(super) fn has_projection(connectivity: &Connectivity, pre: usize, post: usize) -> bool {
    match connectivity {
        Connectivity::None => false,
        Connectivity::FixedOutDegree { weight, .. } => weight[pre][post] != 0.0,
        Connectivity::FixedInDegree { projections } => projections
            .iter()
            .any(|p| (p.pre, p.post) == (pre, post) && p.in_degree > 0 && p.weight != 0.0),
        Connectivity::Bernoulli { projections } => projections
            .iter()
            .any(|p| (p.pre, p.post) == (pre, post) && p.probability > 0.0),
    }
}
