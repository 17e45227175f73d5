//! Target activity: synthetic patterns, and recorded firing rates turned into target inputs.

pub mod sine;

pub use sine::SineTargets;
