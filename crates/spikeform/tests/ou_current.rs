//! An Ornstein-Uhlenbeck current (`network::OuCurrent`) has the mean, the stationary variance
//! `σ²τ/2` and the correlation time `τ` of its definition, independently in every neuron.

use spikeform::experiment::spiking::{build_network, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::monitor::{Control, Monitor, StepView};
use spikeform::network::{OuCurrent, Population, Sign};
use spikeform::neuron::LifParams;
use spikeform::simulate::Simulator;

/// Keeps the external input of every neuron at every step after `from_step`.
struct ExternalInput {
    from_step: u64,
    samples: Vec<Vec<f64>>,
}

impl Monitor for ExternalInput {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        if view.step > self.from_step {
            self.samples.push(view.input_ext.to_vec());
        }
        Ok(())
    }
}

#[test]
fn ou_current_has_its_mean_variance_and_correlation_time() {
    let (mean, tau_ms, sigma, bias) = (0.5, 20.0, 0.2, 0.3);
    let dt_ms = 0.1;
    let mut neuron = LifParams::tutorial();
    neuron.threshold = 1e9; // no spikes: the current alone
    let mut population = Population::new("E", 100, Sign::Excitatory, neuron, bias);
    population.ou_current = Some(OuCurrent {
        mean,
        tau_ms,
        sigma,
    });
    let exp = SpikingExperiment::untrained(
        "ou",
        5,
        dt_ms,
        20_000,
        NetworkSpec::new(vec![population], Connectivity::None),
    );
    let mut net = build_network(&exp);
    let mut sim = Simulator::new(&net);
    // The process starts at its mean with zero variance: skip 10 τ.
    let mut rec = ExternalInput {
        from_step: 2_000,
        samples: Vec::new(),
    };
    sim.run_trial(&mut net, exp.frozen_trial(0, 1, "test"), &mut [&mut rec])
        .unwrap();
    let x: Vec<Vec<f64>> = rec
        .samples
        .iter()
        .map(|s| s.iter().map(|v| v - bias).collect())
        .collect();
    let (t, n) = (x.len(), x[0].len());
    let m = x.iter().flatten().sum::<f64>() / (t * n) as f64;
    let var = x.iter().flatten().map(|v| (v - m).powi(2)).sum::<f64>() / (t * n) as f64;
    // 100 neurons × 1800 ms / 20 ms ≈ 9000 independent samples: SE of the mean ≈ 0.007.
    assert!((m - mean).abs() < 0.03, "mean {m}, expected {mean}");
    let expected_var = sigma * sigma * tau_ms / 2.0;
    assert!(
        (var / expected_var - 1.0).abs() < 0.1,
        "variance {var}, expected {expected_var}"
    );
    // Autocorrelation at lag τ is e^{-1}.
    let lag = (tau_ms / dt_ms) as usize;
    let cov = (0..t - lag)
        .flat_map(|k| (0..n).map(move |i| (k, i)))
        .map(|(k, i)| (x[k][i] - m) * (x[k + lag][i] - m))
        .sum::<f64>()
        / ((t - lag) * n) as f64;
    let rho = cov / var;
    assert!(
        (rho - (-1.0f64).exp()).abs() < 0.05,
        "autocorrelation at τ {rho}, expected {}",
        (-1.0f64).exp()
    );
    // Neurons have independent processes.
    let corr01 = x.iter().map(|s| (s[0] - m) * (s[1] - m)).sum::<f64>() / t as f64 / var;
    assert!(corr01.abs() < 0.2, "neurons 0 and 1 correlate: {corr01}");
}
