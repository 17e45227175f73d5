//! Recursive least squares (RLS), the building block of every trained network.
//!
//! Each trained unit `i` owns an independent least-squares problem over its `n` plastic inputs
//! with regressor `ρ` (the filtered activity of those inputs), weights `w` and inverse
//! correlation matrix `P`, initialised to the inverse of a penalty matrix `Π`. One update:
//!
//! ```text
//! k = P ρ
//! c = 1 / (1 + ρᵀ k)
//! P ← P − c k kᵀ
//! e = wᵀρ + b − y          (a-priori error, weights before the update)
//! w ← w − e c k            (c k = P_new ρ)
//! ```
//!
//! Open loop, after updates at times `t_1..t_m` the weights are exactly the ridge solution
//! `argmin_w Σ_s (wᵀρ_s + b_s − y_s)² + (w − w₀)ᵀ Π (w − w₀)`.
//!
//! [`RlsUnit::update_gain`] performs the `P` half and returns the gain `c k`; the caller computes
//! the error with whatever offset it knows and applies [`apply_gain`]. This split lets one `P`
//! serve weights that live in different places (recurrent weights shared by all conditions,
//! feed-forward weights per condition).

mod deferred;
mod lanes;
mod penalty;
mod storage;
mod update;

pub use penalty::Penalty;
pub use storage::{Covariance, Precision, Scratch, Storage};
pub use update::{
    apply_gain, dot, update_dense_in_place, RlsOptions, RlsUnit, StoredP, UpdateRule,
};
