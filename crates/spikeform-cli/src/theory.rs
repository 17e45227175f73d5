//! The `theory` block of summary.json: mean-field predictions next to the simulated rates.

use serde_json::{json, Value};
use spikeform::experiment::predictions::predictions;
use spikeform::experiment::spiking::{SpikingExperiment, SpikingRunResult};
use spikeform_io::summary::num;

/// Predictions for `exp`, with the simulated rates' relative deviation from Brunel's rate.
pub fn for_experiment(exp: &SpikingExperiment, res: &SpikingRunResult) -> Value {
    let p = predictions(exp);
    let mut out = json!({});
    if let Some(rates) = &p.balanced_rates_hz {
        let m: serde_json::Map<String, Value> = rates
            .iter()
            .map(|(n, r)| (n.to_lowercase(), num(*r)))
            .collect();
        out["balanced_limit_rate_hz"] = Value::Object(m);
        out["silenced"] = json!(p.silenced);
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
        out["brunel"] = json!({
            "rate_hz": num(b.rate_hz),
            "mu_mv": num(b.mu_mv),
            "sigma_mv": num(b.sigma_mv),
            "balanced_limit_rate_hz": p.brunel_limit_hz.map(num),
            "simulated_rate_hz": num(mean_sim),
            "relative_error": num(mean_sim / b.rate_hz - 1.0),
        });
    }
    out
}
