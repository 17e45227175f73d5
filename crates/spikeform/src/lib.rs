//! # spikeform
//!
//! Recurrent networks of rate units and spiking neurons, trained with recursive least squares
//! (RLS) so that chosen neurons reproduce target activity, and the analyses that tell what the
//! trained network then does.
//!
//! The library has no file formats, plotting or command line; `spikeform-io` reads experiment
//! files and writes run directories, `spikeform-cli` is the `spikeform` program.
//!
//! Modules follow the flow of a run: [`neuron`] models, [`network`] construction, [`input`]
//! components and the [`neuron_set`]s they act on, [`stimulus`] signals, [`plasticity`] rules,
//! [`simulate`] (the one time loop of spiking networks), [`train`] (RLS), [`target`] activity, [`monitor`] recordings and guards, [`analysis`] of recordings, [`theory`]
//! (mean-field predictions), and [`experiment`], which runs settle → train → test.
#![deny(missing_docs)]

pub mod analysis;
pub mod error;
pub mod experiment;
pub mod input;
pub mod monitor;
pub mod network;
pub mod neuron;
pub mod neuron_set;
pub mod plasticity;
pub mod rng;
pub mod simulate;
pub mod snapshot;
pub mod stimulus;
pub mod target;
pub mod theory;
pub mod time;
pub mod train;

pub use error::{Observer, RunError, Silent};
