//! All-to-all plastic synapses (the tutorial's Part 2 layout) with two conditions and
//! feed-forward units: every trained neuron holds feed-forward weights for each condition, and
//! training both conditions runs (before, the layout kept one condition and no feed-forward
//! weights, and a second condition's learning step indexed past them).

use spikeform::experiment::spiking::{
    self, Connectivity, CueSpec, NetworkSpec, PlasticSpec, SpikingExperiment, SpikingTraining,
    TargetSpec, TrainedSelection,
};
use spikeform::network::plastic::PenaltyWeights;
use spikeform::network::{Population, Sign};
use spikeform::neuron::LifParams;
use spikeform::stimulus::{Amplitude, OuRates};
use spikeform::train::{LearningSchedule, RlsOptions};

#[test]
fn all_to_all_plastic_synapses_learn_two_conditions_with_feedforward_units() {
    let neurons = vec![Population::new(
        "N",
        30,
        Sign::Excitatory,
        LifParams::tutorial(),
        0.9,
    )];
    let mut exp = SpikingExperiment::untrained(
        "a2a",
        3,
        0.1,
        3000,
        NetworkSpec::new(neurons, Connectivity::None),
    );
    exp.conditions = 2;
    exp.cue = Some(CueSpec {
        start_step: 500,
        end_step: 1000,
        amplitude: Amplitude::Normal { std: 0.5 },
    });
    exp.training = Some(SpikingTraining {
        loops: 2,
        schedule: LearningSchedule {
            start_step: 1000,
            end_step: 3000,
            every_steps: 100,
        },
        penalty: PenaltyWeights {
            lambda: 1.0,
            mu: 0.0,
            lambda_ff: 1.0,
        },
        rls: RlsOptions::default(),
        trained: TrainedSelection::All,
        plastic: PlasticSpec::AllToAll { std: 0.1 },
        feedforward: Some((
            4,
            OuRates {
                mean_hz: 20.0,
                tau_ms: 400.0,
                sigma: 0.2,
                smooth_ms: 50.0,
            },
        )),
        target: TargetSpec::Sine {
            amplitude: 0.3,
            period_ms: 200.0,
            offset: None,
        },
        eval_every: 1,
    });
    let result = spiking::run(&exp, &mut spikeform::Silent).expect("both conditions train");
    assert_eq!(result.r_per_loop.len(), 2);
    let test = result.test.expect("trained runs are tested");
    assert_eq!(test.r_mean_by_condition.len(), 2);
    assert!(test.r_mean_by_condition.iter().all(|r| r.is_finite()));
}
