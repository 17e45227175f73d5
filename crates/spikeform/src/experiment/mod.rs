//! Validated experiment descriptions and the procedure that runs them: build the network,
//! settle it, train it loop by loop, and test it with frozen weights.
//!
//! The descriptions here are correct by construction: `spikeform-io` parses experiment files
//! and checks every rule before it builds them. The procedure of a spiking run is a sequence of
//! phases (`phases/`) over one session (`session.rs`); a trained network comes back from a
//! saved training state as a [`spiking::TrainedNetwork`].

mod activity;
mod build;
pub mod components;
pub mod latent;
mod matching;
pub mod perturbation;
mod phases;
pub mod predictions;
pub mod rate;
mod recorders;
mod session;
pub mod spiking;
mod trained;

pub use matching::greedy_rate_match;

pub use rate::{RateExperiment, RateRunResult};
