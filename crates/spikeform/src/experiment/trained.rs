//! A trained network and what training it decided: the state a test, a resumed run or an
//! analysis starts from, rebuilt from a saved [`TrainingState`] without a settle trial.

use crate::error::{Observer, RunError};
use crate::network::SpikingNetwork;
use crate::simulate::Simulator;

use super::phases::restore::restore;
use super::session::Session;
use super::spiking::{Activity, NoCheckpoints, SpikingExperiment, TrainingState};

/// What the settle trial and the targets phase decided. Checkpoints keep it, so that a trained
/// network loads without settling and matching again.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// Targets per condition: `[c][row * n_updates + k]`.
    pub targets: Vec<Vec<f64>>,
    /// For recorded targets: the recorded neuron of each row (else empty).
    pub recorded_of_row: Vec<usize>,
    /// σ of the inverse transfer function (recorded targets).
    pub sigma: Option<f64>,
    /// Activity of the settle trial.
    pub initial: Activity,
}

/// Everything decided before training: the trained neurons, [`Settled`], and the plastic
/// weights training starts from (rebuilt from the seed when a network loads).
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Trained neurons (model indices), row order.
    pub trained: Vec<usize>,
    /// Targets, matching, σ and the settle trial's activity.
    pub settled: Settled,
    /// Plastic row sums (E, I) before training.
    pub row_sums_initial: Vec<(f64, f64)>,
    /// Plastic weights before training (flattened recurrent weights).
    pub plastic_weights_initial: Vec<f64>,
}

impl Setup {
    /// The setup of `trained` neurons whose plastic synapses `net` holds as built.
    pub fn new(net: &SpikingNetwork, trained: Vec<usize>, settled: Settled) -> Self {
        Self {
            trained,
            settled,
            row_sums_initial: net.plastic.row_sums(),
            plastic_weights_initial: net.plastic.weights().to_vec(),
        }
    }
}

/// The training curve so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// r per completed loop (`None` where not evaluated).
    pub r_per_loop: Vec<Option<f64>>,
    /// Wall seconds per completed loop.
    pub loop_seconds: Vec<f64>,
}

impl History {
    /// Loops completed.
    pub fn loops_done(&self) -> usize {
        self.r_per_loop.len()
    }
}

/// A trained network ready to test or to train further: plastic weights and RLS matrices as
/// training left them, the simulator's spikes in transit, the trial counter (hence the next
/// trial's random streams), and what training decided.
#[derive(Debug, Clone)]
pub struct TrainedNetwork {
    /// The network, trained weights in place.
    pub network: SpikingNetwork,
    /// The simulator's state at the end of training.
    pub simulator: Simulator,
    /// Trials simulated so far.
    pub trial_index: u64,
    /// Trained neurons, targets, matching, σ, settle activity, initial weights.
    pub setup: Setup,
    /// The training curve.
    pub history: History,
}

impl TrainedNetwork {
    /// Rebuilds the network of `exp` (validated) and restores `state` into it. A state that
    /// carries [`Settled`] needs no settle trial and no matching; an older one (without it)
    /// settles and matches again first, which `observer` sees as a `"settle"` phase.
    pub fn from_state(
        exp: &SpikingExperiment,
        state: &TrainingState,
        observer: &mut dyn Observer,
    ) -> Result<Self, RunError> {
        let training = exp.training.as_ref().ok_or_else(|| {
            RunError::Invalid(format!(
                "{}: an untrained experiment has no trained network",
                exp.name
            ))
        })?;
        let mut sink = NoCheckpoints;
        let mut session = Session::new(exp, observer, &mut sink);
        let (setup, history) = restore(&mut session, training, state)?;
        Ok(Self::from_session(session, setup, history))
    }

    /// The network, simulator and trial counter of `session` after training.
    pub(crate) fn from_session(session: Session<'_>, setup: Setup, history: History) -> Self {
        Self {
            network: session.net,
            simulator: session.sim,
            trial_index: session.trial_index,
            setup,
            history,
        }
    }

    /// Its trained neurons.
    pub fn trained(&self) -> &[usize] {
        &self.setup.trained
    }
}
