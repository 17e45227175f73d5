//! Training: recursive least squares and the schedule on which it runs.

pub mod rls;
mod rls_rule;
pub mod schedule;

pub use rls::{
    apply_gain, dot, Penalty, Precision, RlsOptions, RlsUnit, Storage, StoredP, UpdateRule,
};
pub use rls_rule::Learning;
pub use schedule::LearningSchedule;
