//! Mean-field predictions: balanced-limit rates, the Siegert transfer function, Brunel model A.
//!
//! - [`balance`]: the linear balance equations W r + X = 0 of strongly coupled E–I networks
//!   (any number of populations, semi-balanced solutions, the two-population conditions).
//! - [`siegert`]: the rate of a leaky integrate-and-fire neuron under white-noise input,
//!   ν(μ, σ) = 1/(τ_rp + τ√π∫_{(V_r−μ)/σ}^{(θ−μ)/σ} e^{u²}(1 + erf u) du), its gain and its
//!   inverse (recorded rates → target inputs).
//! - [`brunel`]: Brunel's (2000) model A self-consistent rate and its balanced limit.
//! - [`plastic`]: the mean field of Akil et al.'s E–I network under plasticity: balanced
//!   rates and their finite-N form, spike-count covariances, rule fixed points, τ_w.
//! - [`special`]: erf, erfc and the scaled complementary error function erfcx.
//!
//! Specification: `balanced-theory.md` §1, §2, §4, §5 and `rls-training.md` §4.3.

pub mod balance;
pub mod brunel;
mod error;
pub mod latent;
pub mod plastic;
mod roots;
pub mod siegert;
pub mod special;

pub use balance::{
    balanced_rates, two_population_conditions, BalancedSolution, PopulationCoupling,
    TwoPopulationConditions,
};
pub use brunel::{BrunelModelA, BrunelState};
pub use error::TheoryError;
pub use plastic::{IstdpFixedPoint, KohonenFixedPoints, TwoPopulationMeanField};
pub use siegert::{LifTransfer, Y_THRESHOLD_CAP, ZERO_RATE_REPLACEMENT_HZ};
pub use special::{erf, erfc, erfcx};
