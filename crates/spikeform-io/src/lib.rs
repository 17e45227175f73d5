//! Experiment files, run directories and array artifacts for spikeform.
//!
//! - [`artifacts`]: the arrays of a run, as NumPy files;
//! - [`config`]: TOML experiment files, parsed then validated;
//! - [`npy`]: NumPy `.npy` and `.npz` arrays;
//! - [`rundir`]: the run directory and its atomic writes;
//! - [`summary`]: `summary.json`.
#![deny(missing_docs)]

pub mod artifacts;
pub mod config;
pub mod npy;
pub mod rundir;
pub mod summary;
