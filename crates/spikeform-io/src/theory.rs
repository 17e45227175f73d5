//! The `theory` block of summary.json: mean-field predictions next to the simulated rates
//! (used by the CLI and the Python package alike).

use crate::summary::{BrunelSummary, TheorySummary};
use spikeform::experiment::predictions::predictions;
use spikeform::experiment::spiking::{SpikingExperiment, SpikingRunResult};

/// Predictions for `exp`, with the simulated rates' relative deviation from Brunel's rate.
pub fn for_experiment(exp: &SpikingExperiment, res: &SpikingRunResult) -> TheorySummary {
    let p = predictions(exp);
    let mut out = TheorySummary::default();
    if let Some(rates) = &p.balanced_rates_hz {
        out.balanced_limit_rate_hz =
            Some(rates.iter().map(|(n, r)| (n.to_lowercase(), *r)).collect());
        out.silenced = Some(p.silenced.clone());
    }
    if let Some(b) = p.brunel {
        let sim: Vec<f64> = res.activity.populations.iter().map(|g| g.rate_hz).collect();
        let mean_sim = sim
            .iter()
            .zip(&exp.network.populations)
            .map(|(r, p)| r * p.size as f64)
            .sum::<f64>()
            / exp
                .network
                .populations
                .iter()
                .map(|p| p.size as f64)
                .sum::<f64>();
        out.brunel = Some(BrunelSummary {
            rate_hz: b.rate_hz,
            mu_mv: b.mu_mv,
            sigma_mv: b.sigma_mv,
            balanced_limit_rate_hz: p.brunel_limit_hz,
            simulated_rate_hz: mean_sim,
            relative_error: mean_sim / b.rate_hz - 1.0,
        });
    }
    out
}
