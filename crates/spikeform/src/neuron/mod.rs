//! Neuron models, one per file: parameters, state and a pure step function, with the equation in
//! the doc comment.

pub mod lif;
pub mod rate;

pub use lif::{Integration, LifParams};
pub use rate::Activation;
