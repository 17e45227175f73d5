//! The rules of `plasticity.md` §4 (`rule = "hebbian"`, `"soft_hebbian"`, `"kohonen"`,
//! `"oja"`, `"istdp"`, `"vogels"`, `"homeostatic"`, `"triplet"`): each on an existing
//! projection, with a positive learning rate, bounds in order on the side of zero Dale's law
//! allows, the keys its equations use and no others, and an optional window inside the trial.

use spikeform::experiment::components::{PlasticitySpec, RuleSpec};
use spikeform::experiment::spiking::NetworkSpec;
use spikeform::network::Sign;
use spikeform::plasticity::{
    Hebbian, Homeostatic, Kohonen, Oja, SignedBounds, SoftHebbian, Triplet,
};

use super::population_index;
use crate::config::raw::RawPairRule;
use crate::config::validate::{finite, non_negative, positive, Clock};
use crate::config::ConfigError;

/// Which rule of the family a `[[plasticity]]` element names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `"hebbian"`.
    Hebbian,
    /// `"soft_hebbian"`.
    SoftHebbian,
    /// `"kohonen"`.
    Kohonen,
    /// `"oja"`.
    Oja,
    /// `"istdp"`: multiplicative, inhibitory presynaptic population only.
    Istdp,
    /// `"vogels"`: additive, inhibitory presynaptic population only.
    Vogels,
    /// `"homeostatic"`: multiplicative, any projection.
    Homeostatic,
    /// `"triplet"`.
    Triplet,
}

impl Kind {
    /// The rule's name in the file.
    fn name(self) -> &'static str {
        match self {
            Kind::Hebbian => "hebbian",
            Kind::SoftHebbian => "soft_hebbian",
            Kind::Kohonen => "kohonen",
            Kind::Oja => "oja",
            Kind::Istdp => "istdp",
            Kind::Vogels => "vogels",
            Kind::Homeostatic => "homeostatic",
            Kind::Triplet => "triplet",
        }
    }

    /// The optional keys the rule's equations use.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Hebbian => &[],
            Kind::SoftHebbian => &["w_target"],
            Kind::Kohonen => &["beta"],
            Kind::Oja => &["beta", "gamma"],
            Kind::Istdp | Kind::Vogels | Kind::Homeostatic => &["target_rate_hz"],
            Kind::Triplet => &["v_theta", "gamma1", "gamma2"],
        }
    }
}

/// The rule-specific optional keys of `r` with their values.
fn optional_keys(r: &RawPairRule) -> [(&'static str, Option<f64>); 7] {
    [
        ("beta", r.beta),
        ("gamma", r.gamma),
        ("w_target", r.w_target),
        ("target_rate_hz", r.target_rate_hz),
        ("v_theta", r.v_theta),
        ("gamma1", r.gamma1),
        ("gamma2", r.gamma2),
    ]
}

/// Checks one element of the family and builds its spec.
pub(super) fn pair_rule(
    kind: Kind,
    r: &RawPairRule,
    key: &dyn Fn(&str) -> String,
    network: &NetworkSpec,
    clock: &Clock,
) -> Result<PlasticitySpec, ConfigError> {
    let pops = &network.populations;
    let pre = population_index(&key("pre"), &r.pre, pops)?;
    let post = population_index(&key("post"), &r.post, pops)?;
    if !super::components::has_projection(&network.connectivity, pre, post) {
        return Err(ConfigError::invalid(
            key("post"),
            format!(
                "there is no projection from {:?} to {:?} in network.connectivity to make plastic",
                r.pre, r.post
            ),
        ));
    }
    for (name, value) in optional_keys(r) {
        let used = kind.keys().contains(&name);
        if value.is_some() && !used {
            return Err(ConfigError::invalid(
                key(name),
                format!("rule {:?} has no parameter {name}", kind.name()),
            ));
        }
        if value.is_none() && used && !(kind == Kind::Oja && name == "gamma") {
            return Err(ConfigError::invalid(
                key(name),
                format!("rule {:?} needs {name}", kind.name()),
            ));
        }
    }
    let excitatory = pops[pre].sign == Sign::Excitatory;
    if matches!(kind, Kind::Istdp | Kind::Vogels) && excitatory {
        return Err(ConfigError::invalid(
            key("pre"),
            format!(
                "rule {:?} is inhibitory STDP: its presynaptic population must be inhibitory, \
                 {:?} is excitatory (use rule = \"homeostatic\" on excitatory synapses)",
                kind.name(),
                r.pre
            ),
        ));
    }
    let bounds = bounds(r, key, excitatory, &pops[pre].name)?;
    let eta = positive(&key("eta"), r.eta)?;
    let tau_ms = positive(&key("tau_ms"), r.tau_ms)?;
    let magnitude = |name: &str, v: Option<f64>| positive(&key(name), v.unwrap_or(1.0));
    let rule = match kind {
        Kind::Hebbian => RuleSpec::Hebbian(Hebbian { eta, bounds }),
        Kind::SoftHebbian => {
            let target = finite(&key("w_target"), r.w_target.unwrap_or(0.0))?;
            RuleSpec::SoftHebbian(SoftHebbian {
                eta,
                m_max: positive(&key("w_target"), bounds.sign * target).map_err(|_| {
                    ConfigError::invalid(
                        key("w_target"),
                        format!(
                            "must be a nonzero weight of the sign of {:?}, got {target}",
                            r.pre
                        ),
                    )
                })?,
                bounds,
            })
        }
        Kind::Kohonen => RuleSpec::Kohonen(Kohonen {
            eta,
            beta: magnitude("beta", r.beta)?,
            bounds,
        }),
        Kind::Oja => RuleSpec::Oja(Oja {
            eta,
            gamma: magnitude("gamma", r.gamma)?,
            beta: magnitude("beta", r.beta)?,
            bounds,
        }),
        Kind::Istdp | Kind::Vogels | Kind::Homeostatic => {
            let rho = positive(&key("target_rate_hz"), r.target_rate_hz.unwrap_or(0.0))?;
            RuleSpec::Homeostatic(Homeostatic {
                eta,
                alpha: 2.0 * rho / 1000.0 * tau_ms,
                multiplicative: kind != Kind::Vogels,
                bounds,
            })
        }
        Kind::Triplet => RuleSpec::Triplet(Triplet {
            eta,
            v_theta: non_negative(&key("v_theta"), r.v_theta.unwrap_or(0.0))?,
            gamma1: non_negative(&key("gamma1"), r.gamma1.unwrap_or(0.0))?,
            gamma2: non_negative(&key("gamma2"), r.gamma2.unwrap_or(0.0))?,
            bounds,
        }),
    };
    Ok(PlasticitySpec {
        pre,
        post,
        rule,
        tau_ms,
        active_steps: window(r, key, clock)?,
        record_every_steps: clock.positive_steps(&key("record_every_ms"), r.record_every_ms)?,
        record_synapses: r.record_synapses,
    })
}

/// `w_min ≤ w_max`, on the side of zero Dale's law allows; missing bounds are Dale's.
fn bounds(
    r: &RawPairRule,
    key: &dyn Fn(&str) -> String,
    excitatory: bool,
    pre: &str,
) -> Result<SignedBounds, ConfigError> {
    let dale = SignedBounds::dale(excitatory);
    let w_min = match r.w_min {
        Some(v) => finite(&key("w_min"), v)?,
        None => dale.w_min,
    };
    let w_max = match r.w_max {
        Some(v) => finite(&key("w_max"), v)?,
        None => dale.w_max,
    };
    if w_max < w_min {
        return Err(ConfigError::invalid(
            key("w_max"),
            format!("must be >= w_min ({w_min}), got {w_max}"),
        ));
    }
    let broken = if excitatory && w_min < 0.0 {
        Some(("w_min", "excitatory", ">= 0", w_min))
    } else if !excitatory && w_max > 0.0 {
        Some(("w_max", "inhibitory", "<= 0", w_max))
    } else {
        None
    };
    if let Some((bound, kind, rule, value)) = broken {
        return Err(ConfigError::invalid(
            key(bound),
            format!("weights from the {kind} {pre:?} must stay {rule} (Dale's law), got {value}"),
        ));
    }
    Ok(SignedBounds {
        sign: dale.sign,
        w_min,
        w_max,
    })
}

/// `start_ms < end_ms` inside the trial, as steps; `None` when neither is given.
fn window(
    r: &RawPairRule,
    key: &dyn Fn(&str) -> String,
    clock: &Clock,
) -> Result<Option<(u64, u64)>, ConfigError> {
    if r.start_ms.is_none() && r.end_ms.is_none() {
        return Ok(None);
    }
    let start = clock.within_trial(&key("start_ms"), r.start_ms.unwrap_or(0.0))?;
    let end = clock.within_trial(&key("end_ms"), r.end_ms.unwrap_or(clock.duration_ms))?;
    if end <= start {
        return Err(ConfigError::invalid(
            key("end_ms"),
            format!("must be > start_ms ({start}), got {end}"),
        ));
    }
    Ok(Some((
        clock.steps(&key("start_ms"), start)?,
        clock.steps(&key("end_ms"), end)?,
    )))
}
