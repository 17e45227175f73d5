//! A windowed current reaches exactly the neurons of its set, each with its gain, inside its
//! window only, with the waveform's value; it adds to the other inputs (the bias here).

use spikeform::experiment::components::InputSpec;
use spikeform::experiment::spiking::{build_network, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::input::Waveform;
use spikeform::monitor::{Control, Monitor, StepView};
use spikeform::network::{Population, Sign};
use spikeform::neuron::LifParams;
use spikeform::neuron_set::{Gains, NeuronSet, Selection};
use spikeform::simulate::Simulator;

/// The external input of every neuron at every step.
#[derive(Default)]
struct External(Vec<Vec<f64>>);

impl Monitor for External {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        self.0.push(view.input_ext.to_vec());
        Ok(())
    }
}

fn external_input(waveform: Waveform, set: NeuronSet, gains: Gains) -> Vec<Vec<f64>> {
    let mut exp = SpikingExperiment::untrained(
        "window",
        5,
        0.1,
        300,
        NetworkSpec::new(
            vec![
                Population::new("E", 40, Sign::Excitatory, LifParams::tutorial(), 0.3),
                Population::new("I", 10, Sign::Inhibitory, LifParams::tutorial(), 0.0),
            ],
            Connectivity::None,
        ),
    );
    exp.inputs.push(InputSpec::WindowedCurrent {
        name: "opto".into(),
        neurons: Selection { set, gains },
        start_step: 100,
        end_step: 200,
        waveform,
    });
    let mut net = build_network(&exp);
    let mut sim = Simulator::new(&net);
    let mut rec = External::default();
    sim.run_trial(&mut net, exp.frozen_trial(0, 1, "test"), &mut [&mut rec])
        .unwrap();
    rec.0
}

#[test]
fn windowed_current_reaches_its_neurons_with_their_gains_inside_the_window_only() {
    let neurons = vec![3, 17, 41];
    let gains = vec![0.5, 2.0, -1.0];
    let cases = [
        Waveform::Constant { amplitude: 0.8 },
        Waveform::Ramp { from: 0.0, to: 1.0 },
        Waveform::Sine {
            amplitude: 1.0,
            period_ms: 4.0,
            phase: 0.3,
            mean: 0.2,
        },
    ];
    for waveform in cases {
        let ext = external_input(
            waveform,
            NeuronSet::Indices(neurons.clone()),
            Gains::Given(gains.clone()),
        );
        assert_eq!(ext.len(), 300);
        for (k, row) in ext.iter().enumerate() {
            let step = k as u64 + 1;
            let on = step > 100 && step <= 200;
            let a = waveform.value((step as f64 - 100.0) * 0.1, 10.0);
            for (i, &x) in row.iter().enumerate() {
                let bias = if i < 40 { 0.3 } else { 0.0 };
                let stim = match neurons.iter().position(|&j| j == i) {
                    Some(s) if on => gains[s] * a,
                    _ => 0.0,
                };
                assert_eq!(x, bias + stim, "neuron {i}, step {step}, {waveform:?}");
            }
        }
        // The window is really used: the stimulated neurons differ from the bias inside it.
        assert!(ext[150][17] != 0.3);
    }
}

#[test]
fn a_random_fraction_with_random_gains_is_drawn_once_per_network() {
    let set = NeuronSet::Fraction {
        population: 1,
        fraction: 0.5,
    };
    let gains = Gains::Random { min: 1.0, max: 2.0 };
    let a = external_input(
        Waveform::Constant { amplitude: 1.0 },
        set.clone(),
        gains.clone(),
    );
    let b = external_input(Waveform::Constant { amplitude: 1.0 }, set, gains);
    let stimulated: Vec<usize> = (0..50).filter(|&i| a[150][i] != a[50][i]).collect();
    assert_eq!(stimulated.len(), 5, "half of the 10 I neurons");
    assert!(stimulated.iter().all(|&i| i >= 40));
    assert!(stimulated
        .iter()
        .all(|&i| (1.0..2.0).contains(&(a[150][i] - a[50][i]))));
    assert_eq!(a, b, "same seed, same neurons and gains");
}
