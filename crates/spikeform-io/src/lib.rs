//! Experiment files, run directories and array artifacts for spikeform.
#![deny(missing_docs)]

pub mod npy;
