//! The `theory` block of summary.json: mean-field predictions next to the simulated rates
//! (used by the CLI and the Python package alike).

use crate::summary::{BrunelSummary, PlasticTheorySummary, TheorySummary};
use spikeform::experiment::predictions::predictions;
use spikeform::experiment::spiking::{SpikingExperiment, SpikingRunResult};
use std::collections::BTreeMap;

use spikeform::analysis::mean_pairwise_count_covariance;
use spikeform::experiment::components::{InputSpec, RuleSpec};
use spikeform::experiment::predictions::two_population_mean_field;

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
    out.plasticity = plastic(exp, res);
    out
}

/// `theory.plasticity` for a plastic E–I network (`plasticity.md` §5): the fixed point of the
/// homeostatic rules on I→E (and I→I) or of Kohonen's rule on E→E, the rates there, τ_w, the
/// Kohonen saddle-node, the c = 0 count covariances and the finite-N rates from the measured
/// net inputs. `None` without plastic projections or correlated input, or outside the
/// two-population form.
fn plastic(exp: &SpikingExperiment, res: &SpikingRunResult) -> Option<PlasticTheorySummary> {
    let c = exp
        .inputs
        .iter()
        .find_map(|i| match i {
            InputSpec::CorrelatedPoissonLayer { correlation, .. } => Some(*correlation),
            _ => None,
        })
        .unwrap_or(0.0);
    if exp.plasticity.is_empty() && c == 0.0 {
        return None;
    }
    let mf = two_population_mean_field(exp)?;
    let pops = &exp.network.populations;
    let name = |pre: usize, post: usize| format!("{}->{}", pops[pre].name, pops[post].name);
    let mut out = PlasticTheorySummary::default();
    let hz = |r: [f64; 2]| -> BTreeMap<String, f64> {
        pops.iter()
            .zip(r)
            .map(|(p, r)| (p.name.to_lowercase(), r * 1000.0))
            .collect()
    };
    // Homeostatic targets onto E (from I) and onto I (from I): ρ = α/(2τ).
    let target = |pre: usize, post: usize| {
        exp.plasticity.iter().find_map(|p| match &p.rule {
            RuleSpec::Homeostatic(h) if (p.pre, p.post) == (pre, post) => Some((
                h.alpha / (2.0 * p.tau_ms),
                p.tau_ms,
                h.eta,
                h.multiplicative,
            )),
            _ => None,
        })
    };
    if let Some((rho_e, tau, eta, multiplicative)) = target(1, 0) {
        let fp = match target(1, 1) {
            Some((rho_i, ..)) => {
                let fp = mf.istdp_ei_ii_fixed_point((rho_e, rho_i), tau, c);
                out.fixed_point_weight.insert(name(1, 1), fp.w_ii);
                fp
            }
            None => mf.istdp_fixed_point(rho_e, tau, c),
        };
        out.fixed_point_weight.insert(name(1, 0), fp.w_ei);
        out.fixed_point_rate_hz = hz([fp.r_e, fp.r_i]);
        if multiplicative {
            out.relaxation_time_ms = Some(mf.istdp_relaxation_time(eta, tau, rho_e));
        }
    }
    for p in &exp.plasticity {
        if let (RuleSpec::Kohonen(k), (0, 0)) = (&p.rule, (p.pre, p.post)) {
            out.kohonen_saddle_node_beta = Some(mf.kohonen_saddle_node_beta(p.tau_ms));
            if let Some(fp) = mf.kohonen_fixed_points(k.beta, p.tau_ms) {
                out.fixed_point_weight.insert(name(0, 0), fp.stable);
                out.kohonen_unstable_weight = Some(fp.unstable);
                out.fixed_point_rate_hz = hz(fp.rates_at_stable);
            }
        }
    }
    if let Ok(cov) = mf.covariances(c, 250.0) {
        out.count_covariance_250ms = ["ee", "ei", "ii"]
            .iter()
            .zip(cov)
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    }
    let groups: Vec<Vec<usize>> = (0..2)
        .map(|a| {
            (0..res.population_of.len())
                .filter(|&i| res.population_of[i] == a)
                .collect()
        })
        .collect();
    let t1 = exp.trial_steps as f64 * exp.dt_ms;
    let cov = |a: usize, b: Option<usize>| {
        mean_pairwise_count_covariance(
            &res.spikes,
            &groups[a],
            b.map(|b| groups[b].as_slice()),
            exp.burn_in_ms,
            t1,
            250.0,
        )
    };
    // No spike trains with `record.spikes = false`: no simulated covariances.
    if exp.record_spikes && !res.spikes.is_empty() && t1 - exp.burn_in_ms >= 500.0 {
        out.simulated_count_covariance_250ms = [
            ("ee", cov(0, None)),
            ("ei", cov(0, Some(1))),
            ("ii", cov(1, None)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    }
    // The measured net inputs against the couplings at the final mean weights.
    let mut at_end = mf;
    for (spec, p) in exp.plasticity.iter().zip(&res.plastic_projections) {
        at_end = at_end.with_weight(spec.post, spec.pre, p.mean_final);
    }
    let mu = [0, 1].map(|a| res.activity.populations[a].mean_input.net);
    if let Ok(r) = at_end.finite_n_rates(mu, 1.0) {
        out.finite_n_rate_hz = hz(r);
    }
    Some(out)
}
