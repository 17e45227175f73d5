//! The components an experiment adds to its network, as validated descriptions: inputs beyond
//! the populations' own (windowed currents, external Poisson layers) and plastic projections.
//! [`super::build`] turns them into [`crate::input`] and [`crate::plasticity`] objects.

use std::sync::Arc;

use crate::input::{
    CorrelatedPoissonLayer, Input, OuStimulus, PoissonLayer, Waveform, WindowedCurrent,
};
use crate::network::{ProbabilityProjection, StaticSynapses};
use crate::neuron_set::{Selection, SetContext};
use crate::plasticity::{
    AdditiveStdp, Hebbian, Homeostatic, Kohonen, Oja, PairRule, SoftHebbian, Triplet,
};
use crate::rng;

/// An input of the experiment file's `[[inputs]]`.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSpec {
    /// A current on a neuron set inside a window (see [`WindowedCurrent`]).
    WindowedCurrent {
        /// Name (streams and messages).
        name: String,
        /// The neurons and their gains.
        neurons: Selection,
        /// The window opens after this step.
        start_step: u64,
        /// The window's last step.
        end_step: u64,
        /// Time course.
        waveform: Waveform,
    },
    /// An Ornstein-Uhlenbeck current per neuron of a set inside a window (see [`OuStimulus`]).
    OuStimulus {
        /// Name (streams and messages).
        name: String,
        /// The neurons (gains are not used).
        neurons: Selection,
        /// The window opens after this step.
        start_step: u64,
        /// The window's last step.
        end_step: u64,
        /// τ (ms).
        tau_ms: f64,
        /// σ (per √ms).
        sigma: f64,
        /// Mean and starting value.
        mean: f64,
        /// `Some(seed)`: the same realisation in every trial.
        frozen_seed: Option<u64>,
    },
    /// An external layer of Poisson units (see [`PoissonLayer`]).
    PoissonLayer {
        /// Name (streams and messages).
        name: String,
        /// Number of units.
        units: usize,
        /// Rate of each unit (Hz).
        rate_hz: f64,
        /// Channel time constant (ms).
        tau_ms: f64,
        /// Per target population: weight and connection probability (`pre` is ignored).
        projections: Vec<ProbabilityProjection>,
    },
    /// A Poisson layer whose units copy a mother process with probability `correlation`,
    /// jittered by `jitter_ms` (see [`CorrelatedPoissonLayer`]); `layer` is its
    /// [`InputSpec::PoissonLayer`].
    CorrelatedPoissonLayer {
        /// The layer (an [`InputSpec::PoissonLayer`]).
        layer: Box<InputSpec>,
        /// c, in (0, 1).
        correlation: f64,
        /// Jitter SD τ_jit (ms).
        jitter_ms: f64,
    },
}

impl InputSpec {
    /// The Poisson layer this input is, if any (a correlated layer is one too).
    pub fn as_poisson_layer(&self) -> Option<&InputSpec> {
        match self {
            InputSpec::PoissonLayer { .. } => Some(self),
            InputSpec::CorrelatedPoissonLayer { layer, .. } => layer.as_poisson_layer(),
            InputSpec::WindowedCurrent { .. } | InputSpec::OuStimulus { .. } => None,
        }
    }
}

impl InputSpec {
    /// The input object, resolved against the network (its population `ranges` in `ctx`).
    pub fn build(
        &self,
        ctx: SetContext<'_>,
        dt_ms: f64,
        integration: crate::neuron::Integration,
    ) -> Result<Arc<dyn Input>, String> {
        Ok(match self {
            InputSpec::WindowedCurrent {
                name,
                neurons,
                start_step,
                end_step,
                waveform,
            } => {
                let selected = neurons.resolve(ctx, &format!("inputs.{name}"))?;
                Arc::new(WindowedCurrent {
                    name: name.clone(),
                    neurons: selected.neurons,
                    gains: selected.gains,
                    start_step: *start_step,
                    end_step: *end_step,
                    waveform: *waveform,
                    dt_ms,
                })
            }
            InputSpec::OuStimulus {
                name,
                neurons,
                start_step,
                end_step,
                tau_ms,
                sigma,
                mean,
                frozen_seed,
            } => Arc::new(OuStimulus {
                name: name.clone(),
                neurons: neurons.resolve(ctx, &format!("inputs.{name}"))?.neurons,
                start_step: *start_step,
                end_step: *end_step,
                tau_ms: *tau_ms,
                sigma: *sigma,
                mean: *mean,
                frozen_seed: *frozen_seed,
                dt_ms,
            }),
            InputSpec::PoissonLayer {
                name,
                units,
                rate_hz,
                tau_ms,
                projections,
            } => Arc::new(poisson_layer(
                name,
                (*units, *rate_hz, *tau_ms),
                projections,
                ctx,
                (dt_ms, integration),
            )),
            InputSpec::CorrelatedPoissonLayer {
                layer,
                correlation,
                jitter_ms,
            } => {
                let InputSpec::PoissonLayer {
                    name,
                    units,
                    rate_hz,
                    tau_ms,
                    projections,
                } = layer.as_ref()
                else {
                    return Err("a correlated layer must wrap a Poisson layer".into());
                };
                let layer = poisson_layer(
                    name,
                    (*units, *rate_hz, *tau_ms),
                    projections,
                    ctx,
                    (dt_ms, integration),
                );
                Arc::new(
                    CorrelatedPoissonLayer::new(layer, *correlation, *jitter_ms, dt_ms)
                        .ok_or_else(|| {
                            format!("inputs.{name}: correlation must lie in (0, 1) and rate_hz > 0")
                        })?,
                )
            }
        })
    }
}

/// A Poisson layer of `units` units at `rate_hz` with a channel of `tau_ms`, its synapses drawn
/// from the `input-synapses:NAME` stream.
fn poisson_layer(
    name: &str,
    (units, rate_hz, tau_ms): (usize, f64, f64),
    projections: &[ProbabilityProjection],
    ctx: SetContext<'_>,
    (dt_ms, integration): (f64, crate::neuron::Integration),
) -> PoissonLayer {
    let mut r = rng::stream(ctx.seed, &format!("input-synapses:{name}"));
    let projections: Vec<_> = projections
        .iter()
        .map(|p| ProbabilityProjection {
            pre: 0,
            ..p.clone()
        })
        .collect();
    let unit_range = 0..units;
    let pre = std::slice::from_ref(&unit_range);
    let synapses = StaticSynapses::bernoulli(pre, ctx.ranges, &projections, &mut r);
    let decay = integration.trace_decay(dt_ms, tau_ms);
    let n = ctx.ranges.last().map_or(0, |r| r.end);
    PoissonLayer::new(name, rate_hz, tau_ms, decay, synapses, n, dt_ms)
}

/// A synapse rule of the experiment file's `[[plasticity]]`.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleSpec {
    /// Pair-based additive STDP with hard bounds.
    AdditiveStdp(AdditiveStdp),
    /// Classical Hebbian with hard bounds.
    Hebbian(Hebbian),
    /// Weight-dependent ("soft") Hebbian.
    SoftHebbian(SoftHebbian),
    /// Kohonen's rule.
    Kohonen(Kohonen),
    /// Oja-type rule.
    Oja(Oja),
    /// Homeostatic STDP toward a postsynaptic target rate (iSTDP, Vogels, homeostatic E→I).
    Homeostatic(Homeostatic),
    /// Triplet-like rule.
    Triplet(Triplet),
}

impl RuleSpec {
    /// The rule object.
    pub fn build(&self) -> Arc<dyn PairRule> {
        match self {
            RuleSpec::AdditiveStdp(r) => Arc::new(*r),
            RuleSpec::Hebbian(r) => Arc::new(*r),
            RuleSpec::SoftHebbian(r) => Arc::new(*r),
            RuleSpec::Kohonen(r) => Arc::new(*r),
            RuleSpec::Oja(r) => Arc::new(*r),
            RuleSpec::Homeostatic(r) => Arc::new(*r),
            RuleSpec::Triplet(r) => Arc::new(*r),
        }
    }
}

/// A projection made plastic under a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct PlasticitySpec {
    /// Presynaptic population index.
    pub pre: usize,
    /// Postsynaptic population index.
    pub post: usize,
    /// The rule.
    pub rule: RuleSpec,
    /// Trace time constant τ_STDP (ms).
    pub tau_ms: f64,
    /// Steps of the trial in which the rule acts, `start < step <= end` (`None`: always).
    pub active_steps: Option<(u64, u64)>,
    /// Record the mean weight and the sampled synapses every this many steps (0: never).
    pub record_every_steps: u64,
    /// Number of synapses whose weights are recorded.
    pub record_synapses: usize,
}
