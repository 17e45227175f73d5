//! Pure functions over recordings: rates, variability, correlation, PSTH, PCA, selectivity, and
//! the small numerics they share (NaN-skipping means, moving averages, histograms).
//!
//! Everything here works on plain data and never on simulator internals, so the same functions
//! serve simulated runs, saved run directories and recorded data.
//!
//! # Conventions
//!
//! - **Time** is in ms, **rates** are in Hz (spikes/s): a count `n` in a window of `T` ms is the
//!   rate `n / (T / 1000)`.
//! - **Spike data** are per-neuron spike times, `spikes: &[Vec<f64>]` with `spikes[j]` the spike
//!   times of neuron `j`, **sorted ascending** (checked with `debug_assert!`).
//! - **Windows are half-open**: a window `[t0, t1)` counts the spikes with `t0 ≤ t < t1`. Consecutive
//!   windows of width `w` starting at `t0` have edges `t0 + k·w` (computed by multiplication, never
//!   by accumulation), so every spike falls in exactly one of them.
//! - **Matrices** of sampled signals are flat slices in row-major, **time-major** layout:
//!   `x[t * n_cols + j]` is signal (neuron) `j` at time bin `t`. A neuron's time series is a column.
//! - **Undefined statistics are NaN**, never a panic: the Pearson correlation of a constant series,
//!   the mean of an empty set, the CV of a neuron without enough spikes. Summaries say how many values
//!   entered them ([`MeanSummary`], [`CvSummary`]). Programming errors (a window with `t1 ≤ t0`,
//!   slices whose lengths disagree with the stated shape, an out-of-range neuron index) panic, and
//!   each function lists them under "Panics".
//! - **Variances** over windows or intervals use the population form (divide by the number of
//!   values, `ddof = 0`), as NumPy's default does; the PCA uses scikit-learn's `ddof = 1`, which
//!   does not change the explained-variance ratios.

mod balance;
mod box_average;
mod correlation;
pub mod latent;
mod matrix;
mod pca;
mod plastic_weights;
mod rates;
mod selectivity;
mod stats;
mod variability;

pub use balance::{input_balance, InputBalance, InputMeans};
pub use box_average::BoxAverager;
pub use correlation::{mean_pearson_columns, pearson, pearson_columns};
pub use matrix::{column, column_means, gather_columns};
pub use pca::{compare_components, pca_time_courses, Pca};
pub use plastic_weights::{weight_rate_stats, WeightRateStats};
pub use rates::{box_rate_hz, firing_rates_hz, mean_rate_hz, psth_hz, spike_count};
pub use selectivity::{histogram, selectivity, Histogram};
pub use stats::{
    mean_ignoring_nan, mean_sd, mean_sd_ignoring_nan, moving_average, MeanSummary, WindowSum,
};
pub use variability::{
    cv_isi, cv_isi_per_neuron, fano_factor, fano_factor_per_neuron, mean_pairwise_count_covariance,
    CvSummary,
};
