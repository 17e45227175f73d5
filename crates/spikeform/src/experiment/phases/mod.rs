//! The phases of a spiking run, each a function over one [`Session`](super::session::Session):
//!
//! 1. [`settle`] — the trained neurons that do not depend on activity get their plastic
//!    synapses; one untrained trial gives rates, mean inputs and σ;
//! 2. [`targets`] — sine targets around the settle run's mean inputs, or recorded rates turned
//!    into target inputs after matching trained neurons to recorded ones by rate;
//! 3. [`train`] — RLS loops over every condition, evaluations and checkpoints;
//! 4. [`test`] — frozen trials of every condition, in parallel;
//! 5. [`analyse`] — scores, PSTHs, group rates and the PCA comparison of the test trials.
//!
//! An untrained experiment runs [`untrained`] instead (one long trial in checkpointed
//! segments: [`long_run`]); a saved training state comes back
//! through [`restore`] without settling again.

pub(crate) mod analyse;
pub(crate) mod long_run;
pub(crate) mod perturb;
pub(crate) mod perturb_trained;
pub(crate) mod restore;
pub(crate) mod settle;
pub(crate) mod targets;
pub(crate) mod test;
pub(crate) mod train;
pub(crate) mod untrained;
