//! Spiking networks: populations, static synapses stored by presynaptic neuron, and plastic
//! synapses onto trained neurons.
//!
//! Neurons are numbered globally, population by population (the tutorial's E neurons first,
//! then I). Static weights never change; their sign follows the presynaptic population (Dale's
//! law by construction). Plastic weights are trained by RLS and may change sign, as in the
//! reference.

pub mod connectivity;
pub mod plastic;

pub use connectivity::{ProbabilityProjection, Projection, StaticSynapses};
pub use plastic::{PlasticRow, PlasticSynapses};

use crate::neuron::{LifParams, NeuronModel};

/// Whether a population's outgoing static synapses excite or inhibit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Excitatory: outgoing static weights ≥ 0, delivered to the excitatory channel.
    Excitatory,
    /// Inhibitory: outgoing static weights ≤ 0, delivered to the inhibitory channel.
    Inhibitory,
}

/// Independent Poisson inputs onto every neuron of a population (Brunel's external drive):
/// `inputs` sources at `rate_hz` each, every spike adding `weight` to the excitatory channel.
#[derive(Debug, Clone, PartialEq)]
pub struct PoissonDrive {
    /// Number of independent sources per neuron.
    pub inputs: usize,
    /// Rate of each source (Hz).
    pub rate_hz: f64,
    /// Weight of each spike.
    pub weight: f64,
}

/// An Ornstein-Uhlenbeck current added to every neuron's external input, one independent process
/// per neuron, started at `mean` at the beginning of every trial and advanced by Euler-Maruyama
/// before the membrane update of each step:
///
/// ```text
/// I ← I + (dt/τ)(mean − I) + σ √dt ξ,   ξ ~ N(0, 1)
/// ```
///
/// Its stationary SD is `σ √(τ/2)` (the older tutorial cue: mean 0, τ = 20 ms, σ = 0.2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OuCurrent {
    /// Mean the current relaxes to.
    pub mean: f64,
    /// Time constant τ (ms).
    pub tau_ms: f64,
    /// Noise amplitude σ (input units per √ms).
    pub sigma: f64,
}

/// A population of neurons sharing a model and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Name (`"E"`, `"I"`, ...); summary keys use it in lower case.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Sign of its outgoing static synapses.
    pub sign: Sign,
    /// Neuron parameters shared by every model.
    pub neuron: LifParams,
    /// The neuron model (LIF unless stated).
    pub model: NeuronModel,
    /// Constant external input (the tutorial's μ).
    pub bias: f64,
    /// External Poisson drive, if any.
    pub poisson: Option<PoissonDrive>,
    /// Ornstein-Uhlenbeck current, if any.
    pub ou_current: Option<OuCurrent>,
}

impl Population {
    /// A population driven by its constant `bias` alone (no Poisson drive, no OU current).
    pub fn new(name: &str, size: usize, sign: Sign, neuron: LifParams, bias: f64) -> Self {
        Self {
            name: name.into(),
            size,
            sign,
            neuron,
            model: NeuronModel::Lif,
            bias,
            poisson: None,
            ou_current: None,
        }
    }
}

/// Ranges of neuron indices per population.
pub fn population_ranges(populations: &[Population]) -> Vec<std::ops::Range<usize>> {
    let mut start = 0;
    populations
        .iter()
        .map(|p| {
            let r = start..start + p.size;
            start += p.size;
            r
        })
        .collect()
}

use crate::input::Input;
use crate::neuron::Integration;
use crate::plasticity::PlasticProjection;
use crate::stimulus::FeedForward;

/// A spiking network, ready to simulate: neurons, synapses and external inputs.
///
/// Synaptic channels (each an exponentially filtered current with unit-area kernel, or
/// instantaneous voltage jumps when its time constant is 0):
/// - excitatory static input `x_E` (time constant `tau_exc_ms`), which also receives the
///   Poisson drive;
/// - inhibitory static input `x_I` (`tau_inh_ms`);
/// - plastic input `x_P` (`tau_plastic_ms`): recurrent plastic and feed-forward synapses.
///
/// Each neuron's own filtered spike train `r_j` and each feed-forward unit's `s_k` use
/// `tau_plastic_ms` too, so that `x_P,i = Σ_j w_ij r_j + Σ_k w_ik s_k` exactly while the weights
/// are constant; `r` and `s` are what RLS sees.
#[derive(Debug, Clone)]
pub struct SpikingNetwork {
    /// Time step (ms).
    pub dt_ms: f64,
    /// Membrane and trace integration scheme.
    pub integration: Integration,
    /// Populations, in neuron-index order.
    pub populations: Vec<Population>,
    /// Population index of every neuron.
    pub population_of: Vec<usize>,
    /// Static synapses.
    pub static_synapses: StaticSynapses,
    /// Plastic synapses onto trained neurons.
    pub plastic: PlasticSynapses,
    /// Excitatory channel time constant (ms); 0 for voltage jumps.
    pub tau_exc_ms: f64,
    /// Inhibitory channel time constant (ms); 0 for voltage jumps.
    pub tau_inh_ms: f64,
    /// Plastic channel and presynaptic trace time constant (ms).
    pub tau_plastic_ms: f64,
    /// Transmission delay in steps (≥ 1; the reference's one-step delay is 1).
    pub delay_steps: usize,
    /// Whether arriving E and I spikes decay over their arrival step: `x ← d·(x + F/τ)` as in
    /// Akil et al.'s step order (a spike enters the current in its own step and decays at the
    /// step's end) instead of the tutorial's `x ← d·x + F/τ`.
    pub decay_on_arrival: bool,
    /// External inputs, in the order they are added (bias, cue, Poisson drive, OU currents,
    /// then the experiment's own inputs).
    pub inputs: Vec<std::sync::Arc<dyn Input>>,
    /// Projections whose synapses change under a pair rule (taken out of `static_synapses`).
    pub projections: Vec<PlasticProjection>,
    /// Feed-forward units, if any.
    pub feedforward: Option<FeedForward>,
}

impl SpikingNetwork {
    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.population_of.len()
    }

    /// Neuron index ranges of the populations.
    pub fn ranges(&self) -> Vec<std::ops::Range<usize>> {
        population_ranges(&self.populations)
    }

    /// The divisor of arriving spikes in a channel of time constant `tau_ms`: `τ`, or `τ/d`
    /// when spikes decay over their arrival step (see [`SpikingNetwork::decay_on_arrival`]).
    pub fn arrival_tau(&self, tau_ms: f64) -> f64 {
        if self.decay_on_arrival {
            tau_ms / self.integration.trace_decay(self.dt_ms, tau_ms)
        } else {
            tau_ms
        }
    }
}
