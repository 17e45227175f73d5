//! Activity statistics of a phase's trials: rates, CV of ISIs, Fano factors and mean input
//! components per population, per-neuron rates, and the first trial's time courses.

use crate::analysis::{self, mean_ignoring_nan, InputBalance, InputMeans};
use crate::monitor::ActivityRecorder;
use crate::network::SpikingNetwork;

use super::recorders::steps_of;
use super::spiking::{Activity, GroupActivity, SpikingExperiment};

/// Statistics per population over the given trials.
pub(crate) fn summarise_activity(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    recorders: &[ActivityRecorder],
) -> Activity {
    let window = (exp.burn_in_ms, exp.trial_steps as f64 * exp.dt_ms + 1e-9);
    let neuron_rates_hz = neuron_rates(net.n_neurons(), recorders, window);
    let balances: Vec<InputBalance> = recorders.iter().map(|r| r.input_balance()).collect();
    let populations = net
        .ranges()
        .iter()
        .zip(&net.populations)
        .map(|(range, pop)| {
            let idx: Vec<usize> = range.clone().collect();
            let rate_hz =
                idx.iter().map(|&i| neuron_rates_hz[i]).sum::<f64>() / idx.len().max(1) as f64;
            // Recorders that kept counts only have no spike trains: no CV, no Fano factor.
            let with_times = recorders.iter().filter(|r| r.spike_counts().is_none());
            let cvs: Vec<f64> = with_times
                .clone()
                .map(|r| analysis::cv_isi(&r.spikes, &idx, window.0, window.1, 3).mean)
                .collect();
            let fanos: Vec<f64> = with_times
                .map(|r| {
                    analysis::fano_factor(&r.spikes, &idx, window.0, window.1, exp.fano_window_ms)
                })
                .collect();
            GroupActivity {
                name: pop.name.clone(),
                rate_hz,
                cv_isi: mean_ignoring_nan(&cvs).mean,
                fano: mean_ignoring_nan(&fanos).mean,
                mean_input: mean_input(&balances, &idx),
            }
        })
        .collect();
    Activity {
        populations,
        neuron_rates_hz,
        population_rate_hz: population_rates(exp, net, recorders.first()),
        input_timecourse: recorders
            .first()
            .map(|r| r.input_timecourse.clone())
            .unwrap_or_default(),
    }
}

/// Per-neuron rates (Hz) in `window`, averaged over the trials.
fn neuron_rates(n: usize, recorders: &[ActivityRecorder], window: (f64, f64)) -> Vec<f64> {
    let mut rates = vec![0.0; n];
    let seconds = (window.1 - window.0) / 1000.0;
    for rec in recorders {
        // The same count over the same window, whether the times were kept or only the counts.
        let trial = match rec.spike_counts() {
            Some(counts) => counts.iter().map(|&k| f64::from(k) / seconds).collect(),
            None => analysis::firing_rates_hz(&rec.spikes, window.0, window.1),
        };
        for (acc, r) in rates.iter_mut().zip(trial) {
            *acc += r / recorders.len() as f64;
        }
    }
    rates
}

/// Input components of neurons `idx`, averaged over neurons, then over trials.
fn mean_input(balances: &[InputBalance], idx: &[usize]) -> InputMeans {
    let means: Vec<InputMeans> = balances.iter().map(|b| b.population_mean(idx)).collect();
    let k = means.len() as f64;
    InputMeans {
        excitatory: means.iter().map(|m| m.excitatory).sum::<f64>() / k,
        inhibitory: means.iter().map(|m| m.inhibitory).sum::<f64>() / k,
        external: means.iter().map(|m| m.external).sum::<f64>() / k,
        net: means.iter().map(|m| m.net).sum::<f64>() / k,
    }
}

/// Population rates (Hz) in 1-ms bins of the first trial: `[population][bin]`.
fn population_rates(
    exp: &SpikingExperiment,
    net: &SpikingNetwork,
    first: Option<&ActivityRecorder>,
) -> Vec<Vec<f64>> {
    let bin_s = 1e-3 * steps_of(exp, 1.0) as f64 * exp.dt_ms;
    first
        .map(|r| {
            r.population_counts
                .iter()
                .zip(&net.populations)
                .map(|(c, p)| {
                    c.iter()
                        .map(|&k| f64::from(k) / p.size as f64 / bin_s)
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}
