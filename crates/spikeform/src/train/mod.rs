//! Training: recursive least squares and the schedule on which it runs.

pub mod rls;
pub mod schedule;

pub use rls::{apply_gain, dot, Penalty, Precision, RlsOptions, RlsUnit, Storage, StoredP};
pub use schedule::LearningSchedule;
