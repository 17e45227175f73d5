//! Experiment files, run directories and array artifacts for spikeform.
//!
//! - [`artifacts`] writes the arrays of a run as NumPy files;
//! - [`checkpoint`] saves and loads training states, and [`load_trained`] a trained network
//!   from its run directory;
//! - [`config`] reads TOML experiment files, parsed then validated;
//! - [`npy`] reads and writes NumPy `.npy` and `.npz` arrays;
//! - [`rundir`] manages the run directory and its atomic writes;
//! - [`summary`] builds `summary.json`.
#![deny(missing_docs)]

pub mod artifacts;
pub mod checkpoint;
pub mod config;
pub mod npy;
pub mod rundir;
pub mod summary;

pub use checkpoint::load_trained;
#[cfg(test)]
mod test_support;
