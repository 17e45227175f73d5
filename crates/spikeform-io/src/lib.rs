//! Experiment files, run directories and array artifacts for spikeform.
//!
//! - [`atomic`] writes every file atomically and durably (temporary file, fsync, rename);
//! - [`artifacts`] writes the arrays of a run as NumPy files;
//! - [`checkpoint`] saves and loads training states, and [`load_trained`] a trained network
//!   from its run directory;
//! - [`config`] reads TOML experiment files, parsed then validated;
//! - [`estimate`] estimates the memory and work of a run before it starts;
//! - [`npy`] reads and writes NumPy `.npy` and `.npz` arrays;
//! - [`outputs`] declares every array a run writes (name, dtype, shape, units, meaning);
//! - [`rundir`] manages the run directory and its atomic writes;
//! - [`summary`] builds `summary.json` ([`perturbation_summary`] its `perturbation` block), and
//!   [`theory`] its mean-field `theory` block.
#![deny(missing_docs)]

pub mod artifacts;
pub mod atomic;
pub mod checkpoint;
pub mod config;
pub mod estimate;
pub mod npy;
pub mod outputs;
pub mod perturbation_summary;
pub mod rundir;
pub mod simulation_checkpoint;
pub mod summary;
pub mod theory;

pub use checkpoint::load_trained;
#[cfg(test)]
mod test_support;
