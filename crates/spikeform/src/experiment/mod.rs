//! Validated experiment descriptions and the procedure that runs them: build the network,
//! settle it, train it loop by loop, and test it with frozen weights.
//!
//! The descriptions here are correct by construction: `spikeform-io` parses experiment files
//! and checks every rule before it builds them.

mod build;
pub mod components;
mod matching;
pub mod predictions;
pub mod rate;
pub mod spiking;

pub use matching::greedy_rate_match;

pub use rate::{RateExperiment, RateRunResult};
