//! A trained network comes back from its training state without a settle trial, and tests as
//! the run that trained it did; resuming from a state ends as an uninterrupted run; an
//! untrained run simulates every condition.

use spikeform::experiment::components::{PlasticitySpec, RuleSpec};
use spikeform::experiment::spiking::{
    run_with_checkpoints, test_trained, CheckpointSink, Connectivity, CueSpec, NetworkSpec,
    PlasticSpec, SpikingExperiment, SpikingRunResult, SpikingTraining, TargetSpec, TrainedNetwork,
    TrainedSelection, TrainingState,
};
use spikeform::network::plastic::PenaltyWeights;
use spikeform::network::{Population, ProbabilityProjection, Sign};
use spikeform::neuron::LifParams;
use spikeform::plasticity::AdditiveStdp;
use spikeform::stimulus::Amplitude;
use spikeform::train::{LearningSchedule, RlsOptions};
use spikeform::{Observer, RunError, Silent};

/// A small network of 60 E and 30 I noisy LIF neurons without static synapses; 20 random E
/// neurons trained on sines around their settle-run mean input through 10 E and 10 I sampled
/// plastic inputs, with a cue per condition; 300-ms trials, an update every 10 ms after 100 ms.
fn experiment(conditions: usize) -> SpikingExperiment {
    let mut neuron = LifParams::tutorial();
    neuron.noise_sigma = 0.2;
    let spec = NetworkSpec::new(
        vec![
            Population::new("E", 60, Sign::Excitatory, neuron.clone(), 0.72),
            Population::new("I", 30, Sign::Inhibitory, neuron, 0.72),
        ],
        Connectivity::None,
    );
    let mut exp = SpikingExperiment::untrained("trained_network", 3, 0.1, 3000, spec);
    exp.conditions = conditions;
    exp.test_trials = 3;
    exp.cue = Some(CueSpec {
        start_step: 500,
        end_step: 1000,
        amplitude: Amplitude::Normal { std: 0.5 },
    });
    exp.training = Some(SpikingTraining {
        loops: 3,
        schedule: LearningSchedule {
            start_step: 1000,
            end_step: 3000,
            every_steps: 100,
        },
        penalty: PenaltyWeights {
            lambda: 0.5,
            mu: 0.0,
            lambda_ff: 1.0,
        },
        rls: RlsOptions::default(),
        trained: TrainedSelection::Random {
            population: 0,
            count: 20,
        },
        plastic: PlasticSpec::Sampled {
            n_exc: 10,
            n_inh: 10,
            w_exc: 0.1,
            w_inh: -0.1,
            inh_population: 1,
        },
        feedforward: None,
        target: TargetSpec::Sine {
            amplitude: 0.5,
            period_ms: 200.0,
            offset: None,
        },
        eval_every: 1,
    });
    exp
}

/// Keeps every state it is handed.
struct Keep(Vec<TrainingState>);

impl CheckpointSink for Keep {
    fn every(&self) -> usize {
        1
    }
    fn save(&mut self, state: &TrainingState) -> Result<(), String> {
        self.0.push(state.clone());
        Ok(())
    }
}

/// Records the phases it sees.
#[derive(Default)]
struct Phases(Vec<String>);

impl Observer for Phases {
    fn phase_started(&mut self, name: &str, _items: usize) {
        self.0.push(name.to_string());
    }
}

/// Exact equality of two results (NaN included), timing aside.
fn same(mut a: SpikingRunResult, mut b: SpikingRunResult) -> bool {
    a.simulated_ms_per_wall_second = 0.0;
    b.simulated_ms_per_wall_second = 0.0;
    format!("{a:?}") == format!("{b:?}")
}

fn trained_run(exp: &SpikingExperiment) -> (SpikingRunResult, Vec<TrainingState>) {
    let mut keep = Keep(Vec::new());
    let result = run_with_checkpoints(exp, &mut Silent, &mut keep, None).unwrap();
    (result, keep.0)
}

#[test]
fn a_loaded_network_tests_as_its_run_did_without_settling() {
    let exp = experiment(2);
    let (run, states) = trained_run(&exp);
    assert_eq!(states.len(), 3);
    let last = states.last().unwrap();
    assert!(last.settled.is_some());
    let mut phases = Phases::default();
    let trained = TrainedNetwork::from_state(&exp, last, &mut phases).unwrap();
    assert_eq!(trained.trial_index, last.trial_index);
    assert_eq!(trained.trained(), &run.trained[..]);
    let retest = test_trained(&exp, trained, &mut phases).unwrap();
    assert_eq!(phases.0, ["test"], "no settle trial, no training");
    assert!(run.test.as_ref().unwrap().r_mean.is_finite());
    assert!(same(run, retest));
}

#[test]
fn an_old_state_settles_again_and_tests_the_same() {
    let exp = experiment(1);
    let (run, states) = trained_run(&exp);
    let mut old = states.last().unwrap().clone();
    old.settled = None;
    let mut phases = Phases::default();
    let trained = TrainedNetwork::from_state(&exp, &old, &mut phases).unwrap();
    assert_eq!(phases.0, ["settle"]);
    assert!(same(run, test_trained(&exp, trained, &mut Silent).unwrap()));
}

#[test]
fn a_resumed_run_ends_as_an_uninterrupted_one_with_or_without_settling() {
    let exp = experiment(2);
    let (run, states) = trained_run(&exp);
    for settled in [true, false] {
        let mut after_one = states[0].clone();
        if !settled {
            after_one.settled = None;
        }
        let mut phases = Phases::default();
        let mut keep = Keep(Vec::new());
        let resumed = run_with_checkpoints(&exp, &mut phases, &mut keep, Some(&after_one)).unwrap();
        assert_eq!(
            phases.0.first().map(String::as_str),
            Some(if settled { "training" } else { "settle" })
        );
        assert_eq!(keep.0.len(), 2, "loops 2 and 3");
        assert_eq!(
            format!("{:?}", keep.0.last().unwrap().weights),
            format!("{:?}", states[2].weights)
        );
        let mut run = run.clone();
        // The resumed run timed only its own loops.
        run.loop_seconds.clone_from(&resumed.loop_seconds);
        assert!(same(run, resumed));
    }
}

#[test]
fn states_that_do_not_fit_the_experiment_are_refused() {
    let exp = experiment(2);
    let (_, states) = trained_run(&exp);
    let refused = |state: &TrainingState| match TrainedNetwork::from_state(&exp, state, &mut Silent)
    {
        Err(RunError::Invalid(m)) => m,
        other => panic!("{:?}", other.map(|t| t.trial_index)),
    };
    let mut other = states[2].clone();
    other.trained.pop();
    assert!(refused(&other).contains("different trained neurons"));
    let mut other = states[2].clone();
    other.settled.as_mut().unwrap().targets.pop();
    assert!(refused(&other).contains("targets"));
    let mut other = states[2].clone();
    other
        .settled
        .as_mut()
        .unwrap()
        .initial
        .neuron_rates_hz
        .pop();
    assert!(refused(&other).contains("settle activity"));
    let mut other = states[2].clone();
    other.weights.pop();
    assert!(refused(&other).contains("recurrent"));
    let mut untrained = exp.clone();
    untrained.training = None;
    assert!(matches!(
        TrainedNetwork::from_state(&untrained, &states[2], &mut Silent),
        Err(RunError::Invalid(_))
    ));
}

#[test]
fn an_untrained_run_simulates_every_condition() {
    let mut one = experiment(1);
    one.training = None;
    let mut two = one.clone();
    two.conditions = 2;
    let mut phases = Phases::default();
    let a = run_with_checkpoints(&one, &mut phases, &mut Keep(Vec::new()), None).unwrap();
    let b = run_with_checkpoints(&two, &mut Silent, &mut Keep(Vec::new()), None).unwrap();
    assert_eq!(phases.0, ["simulate"]);
    // The first trial of condition 0 is the same trial in both runs.
    assert_eq!(format!("{:?}", a.spikes), format!("{:?}", b.spikes));
    // Condition 1 (its own cue) enters the activity.
    assert_ne!(a.activity.neuron_rates_hz, b.activity.neuron_rates_hz);
}

/// The small experiment with random E→E synapses under additive STDP during training.
fn experiment_with_stdp() -> SpikingExperiment {
    let mut exp = experiment(2);
    exp.network.connectivity = Connectivity::Bernoulli {
        projections: vec![ProbabilityProjection {
            pre: 0,
            post: 0,
            weight: 0.02,
            probability: 0.2,
        }],
    };
    exp.plasticity.push(PlasticitySpec {
        pre: 0,
        post: 0,
        rule: RuleSpec::AdditiveStdp(AdditiveStdp {
            a_plus: 0.002,
            a_minus: 0.001,
            w_min: 0.0,
            w_max: 0.1,
        }),
        tau_ms: 20.0,
        active_steps: None,
        record_every_steps: 0,
        record_synapses: 0,
    });
    exp
}

/// STDP weights are part of the training state: a resumed run ends with the weights of an
/// uninterrupted one, and a loaded network tests as the run did.
#[test]
fn stdp_weights_survive_a_resume_and_a_reload() {
    let exp = experiment_with_stdp();
    let (run, states) = trained_run(&exp);
    let moved = &run.plastic_projections[0];
    assert!(
        moved.mean_final != moved.mean_initial,
        "STDP acted: {moved:?}"
    );
    assert_ne!(states[0].projection_weights, states[2].projection_weights);
    let mut keep = Keep(Vec::new());
    let resumed = run_with_checkpoints(&exp, &mut Silent, &mut keep, Some(&states[0])).unwrap();
    assert_eq!(
        format!("{:?}", keep.0.last().unwrap().projection_weights),
        format!("{:?}", states[2].projection_weights)
    );
    let mut run_timed = run.clone();
    run_timed.loop_seconds.clone_from(&resumed.loop_seconds);
    assert!(same(run_timed, resumed));
    let trained = TrainedNetwork::from_state(&exp, states.last().unwrap(), &mut Silent).unwrap();
    assert!(same(run, test_trained(&exp, trained, &mut Silent).unwrap()));
}
