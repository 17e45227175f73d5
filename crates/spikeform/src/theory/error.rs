//! The error type of the mean-field theory module.

use thiserror::Error;

/// What can go wrong in a mean-field computation.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TheoryError {
    /// A model parameter is out of its domain (for example σ ≤ 0, θ ≤ V_r, a NaN weight).
    #[error("invalid parameter {name} = {value}: {rule}")]
    InvalidParameter {
        /// The parameter, as the caller knows it (e.g. `sigma`, `W[1][0]`).
        name: String,
        /// The offending value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A firing rate cannot be converted to an input (rate ≤ 0, NaN, or above 1/τ_rp).
    #[error("cannot invert the transfer function at rate {rate_hz} Hz: {reason}")]
    InvalidRate {
        /// The requested rate (Hz).
        rate_hz: f64,
        /// Why it cannot be inverted.
        reason: &'static str,
    },
    /// Two inputs that must have matching sizes do not.
    #[error("size mismatch in {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// What was being compared (e.g. "W row 2 against the number of populations").
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size found.
        found: usize,
    },
    /// The balance matrix restricted to the active populations cannot be inverted, so
    /// W r + X = 0 has no unique solution.
    #[error(
        "the balance matrix restricted to populations {populations:?} is singular: \
         W r + X = 0 has no unique solution"
    )]
    SingularBalanceMatrix {
        /// The (0-based) populations that were still active.
        populations: Vec<usize>,
    },
    /// No interval with a sign change of the equation could be found.
    #[error("{what}: no bracketing interval found ({detail})")]
    NoBracket {
        /// The equation being solved.
        what: &'static str,
        /// Where the search stopped.
        detail: String,
    },
    /// An iterative solver did not meet its tolerance.
    #[error("{what}: no convergence after {iterations} iterations")]
    NoConvergence {
        /// The equation being solved.
        what: &'static str,
        /// Iterations spent.
        iterations: usize,
    },
}

impl TheoryError {
    /// Shorthand for [`TheoryError::InvalidParameter`].
    pub(crate) fn invalid(name: impl Into<String>, value: f64, rule: &'static str) -> Self {
        TheoryError::InvalidParameter {
            name: name.into(),
            value,
            rule,
        }
    }
}
