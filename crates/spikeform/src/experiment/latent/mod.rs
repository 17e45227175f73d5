//! A latent embedding on a spiking network (`../shared/spec/latent.md` §2, a reconstruction
//! after Gort & Renart): the validated `[latent]` description, its loadings drawn from named
//! streams, the feedback input it builds, and the analysis of a run driven by it.
//!
//! Loadings: `m_i ~ N(0, std²)` per dimension for every neuron, centred per population (so that
//! `Σ_{i∈a} m_i = 0`, the spec's zero-mean loadings), from the `latent:input-loadings` stream;
//! the readout neurons are the excitatory ones, with `n_j = overlap·m_j + mean + std·ξ_j`
//! (`ξ` from `latent:readout-loadings`), so that `Σ_nm = overlap·std²` (§2, closed loop).
//!
//! Files by concern: `spec.rs` (the validated section and its loadings), `analysis.rs` (what a
//! run shows, the single-index fits and the low-rank rate baseline), `calibration.rs` (the mean
//! field calibrated at κ = 0), `balance.rs` (the finite-K balance residual of every population),
//! `weights.rs` (the feedback as low-rank weights under Dale's law), `readout.rs` (what a
//! readout trained by RLS during the trial did).

mod analysis;
pub mod balance;
mod calibration;
mod readout;
mod spec;
pub mod weights;

pub use analysis::{
    analyse, rate_baseline_fits, readout_from_spikes, single_index_fits, LatentAnalysis, LatentRun,
    SingleIndexFits,
};
pub use calibration::{calibrate, mean_field, LatentTheory};
pub use readout::{readout_training, ReadoutTrainingResult, ReadoutWindow};
pub use spec::{
    excitatory_neurons, FeedbackForm, InputLoadings, LatentAnalysisSpec, LatentSpec,
    ReadoutLoadings, ReadoutTrainingSpec, READOUT_RECORD_MS,
};
