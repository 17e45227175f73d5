//! Neuron models, one per file: parameters, state and a pure step function, with the equation in
//! the doc comment. A population names its model ([`NeuronModel`]); the simulator dispatches on
//! it once per population and step.

pub mod eif;
pub mod lif;
pub mod rate;

pub use eif::{EifParams, EifStep};
pub use lif::{Integration, LifParams, LifStep};
pub use rate::Activation;

/// The spiking model of a population. Every model shares [`LifParams`] (membrane time
/// constant, rest, threshold, reset, refractory period, noise, initial voltages).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum NeuronModel {
    /// Leaky integrate-and-fire ([`lif`]).
    #[default]
    Lif,
    /// Exponential integrate-and-fire ([`eif`]).
    Eif(EifParams),
}

/// The per-step constants of a population's model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelStep {
    /// LIF.
    Lif(LifStep),
    /// EIF.
    Eif(EifStep),
}

impl ModelStep {
    /// The constants of `model` with parameters `p` at time step `dt_ms`.
    pub fn new(model: &NeuronModel, p: &LifParams, dt_ms: f64, integration: Integration) -> Self {
        match model {
            NeuronModel::Lif => ModelStep::Lif(LifStep::new(p, dt_ms, integration)),
            NeuronModel::Eif(e) => ModelStep::Eif(EifStep::new(p, e, dt_ms)),
        }
    }

    /// Threshold, reset, refractory steps and noise, common to all models.
    pub fn common(&self) -> &LifStep {
        match self {
            ModelStep::Lif(s) => s,
            ModelStep::Eif(s) => &s.common,
        }
    }
}
