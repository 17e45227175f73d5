//! Settle: the network runs one untrained trial of condition 0 before training, for the rates
//! that matching needs, the mean inputs that sine targets sit on, and σ.

use crate::error::RunError;
use crate::monitor::{ActivityRecorder, Control, Monitor, StepView};
use crate::rng;

use super::super::activity::summarise_activity;
use super::super::build::build_plastic;
use super::super::recorders::{activity_recorder, steps_of};
use super::super::session::Session;
use super::super::spiking::{Activity, SpikingExperiment, SpikingTraining, TrainedSelection};
use crate::network::SpikingNetwork;

/// What the settle trial recorded.
pub(crate) struct SettleRun {
    /// Spikes and input components of the trial.
    pub recorder: ActivityRecorder,
    /// Running moments of every neuron's static input, for σ.
    pub input_sd: InputSdRecorder,
    /// Its activity statistics.
    pub initial: Activity,
}

/// Trained neurons whose choice does not depend on the settle run (every neuron, or a random
/// draw from the `"trained-neurons"` stream); empty when they are matched to recorded neurons.
pub(crate) fn trained_before_settle(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    training: &SpikingTraining,
) -> Vec<usize> {
    match &training.trained {
        TrainedSelection::All => (0..net.n_neurons()).collect(),
        TrainedSelection::Random { population, count } => {
            let range = net.ranges()[*population].clone();
            let mut r = rng::stream(exp.seed, "trained-neurons");
            rng::choose_subset(range.len(), *count, &mut r)
                .into_iter()
                .map(|i| i + range.start)
                .collect()
        }
        TrainedSelection::MatchRecorded { .. } => Vec::new(),
    }
}

/// Gives the neurons chosen before the settle run their plastic synapses, so that the settle
/// run sees the network that will be trained (Part 2), then runs the settle trial.
pub(crate) fn settle(
    session: &mut Session<'_>,
    training: &SpikingTraining,
) -> Result<(Vec<usize>, SettleRun), RunError> {
    let exp = session.exp;
    let trained = trained_before_settle(exp, &session.net, training);
    if !trained.is_empty() {
        session.net.plastic = build_plastic(exp, training, &session.net, &trained);
    }
    session.observer.phase_started("settle", 1);
    let mut recorder = activity_recorder(exp, &session.net);
    let mut input_sd = InputSdRecorder::new(
        session.net.n_neurons(),
        steps_of(exp, 10.0),
        1000.0f64.min(session.trial_ms() / 2.0),
    );
    session.run_trial(0, None, "settle", &mut [&mut recorder, &mut input_sd])?;
    session.observer.item_done(1, "");
    let initial = summarise_activity(exp, &session.net, std::slice::from_ref(&recorder));
    Ok((
        trained,
        SettleRun {
            recorder,
            input_sd,
            initial,
        },
    ))
}

/// Per-neuron running mean and variance of the static input `x_E + x_I` after `from_ms`.
pub(crate) struct InputSdRecorder {
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    samples: usize,
    every: u64,
    from_ms: f64,
}

impl InputSdRecorder {
    fn new(n: usize, every: u64, from_ms: f64) -> Self {
        Self {
            sum: vec![0.0; n],
            sum_sq: vec![0.0; n],
            samples: 0,
            every,
            from_ms,
        }
    }

    /// σ = mean over `neurons` of SD_t(x_E + x_I), divided by √(1.3 τ_E) (the reference's
    /// recipe; the factor 1.3 "was calibrated manually").
    pub(crate) fn sigma(&self, neurons: &std::ops::Range<usize>, tau_exc_ms: f64) -> f64 {
        let k = self.samples as f64;
        let sd: f64 = neurons
            .clone()
            .map(|i| {
                let m = self.sum[i] / k;
                (self.sum_sq[i] / k - m * m).max(0.0).sqrt()
            })
            .sum::<f64>()
            / neurons.len() as f64;
        sd / (1.3 * tau_exc_ms).sqrt()
    }
}

impl Monitor for InputSdRecorder {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        if view.step.is_multiple_of(self.every) && view.t_ms > self.from_ms {
            self.samples += 1;
            for i in 0..self.sum.len() {
                let x = view.input_exc[i] + view.input_inh[i];
                self.sum[i] += x;
                self.sum_sq[i] += x * x;
            }
        }
        Ok(())
    }
}
