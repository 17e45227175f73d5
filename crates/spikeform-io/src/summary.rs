//! `summary.json`: the numbers a run is judged by. Key names are a contract other tools rely on:
//! extend them, never rename them.

use serde_json::{json, Value};
use spikeform::experiment::rate::{RateExperiment, RateRunResult};

/// Mean of the non-NaN values, NaN when there are none
/// ([`spikeform::analysis::mean_ignoring_nan`]).
fn mean_skipping_nan(values: &[f64]) -> f64 {
    spikeform::analysis::mean_ignoring_nan(values).mean
}

/// JSON number, or `null` for NaN and infinities (JSON has no NaN).
pub fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A list of JSON numbers.
pub fn nums(v: &[f64]) -> Value {
    Value::Array(v.iter().map(|&x| num(x)).collect())
}

/// The summary of a rate-network run.
pub fn rate(exp: &RateExperiment, res: &RateRunResult, total_seconds: f64) -> Value {
    json!({
        "experiment": exp.name,
        "kind": "rate",
        "seed": exp.seed,
        "training": {
            "loops": exp.loops,
            "trained_units": res.trained.len(),
            "updates_per_loop": exp.schedule.updates_per_trial(),
            "loop_seconds": nums(&res.loop_seconds),
            "r_per_loop": nums(&res.r_per_loop),
            "r_reference_window_per_loop": nums(&res.r_reference_window_per_loop),
            "window_ms": [exp.schedule.start_step as f64 * exp.dt_ms, exp.schedule.end_step as f64 * exp.dt_ms],
        },
        "test": {
            "trials": exp.test_trials,
            "r_mean": num(mean_skipping_nan(&res.test_r)),
            "r_per_trial": nums(&res.test_r),
            "r_reference_window": num(mean_skipping_nan(&res.test_r_reference_window)),
            "nan_dropped": res.test_nan_dropped,
        },
        "timing": {
            "total_seconds": num(total_seconds),
            "mean_loop_seconds": num(mean_skipping_nan(&res.loop_seconds)),
        },
    })
}

use spikeform::experiment::spiking::{Activity, SpikingExperiment, SpikingRunResult};

/// `{"e": x, "i": y}` keyed by lower-case population name.
fn by_population(
    activity: &Activity,
    f: impl Fn(&spikeform::experiment::spiking::GroupActivity) -> Value,
) -> Value {
    let mut m = serde_json::Map::new();
    for g in &activity.populations {
        m.insert(g.name.to_lowercase(), f(g));
    }
    Value::Object(m)
}

/// The activity block: rates, CV of ISIs, Fano factors and mean input components per population.
pub fn activity(a: &Activity) -> Value {
    json!({
        "rate_hz": by_population(a, |g| num(g.rate_hz)),
        "cv_isi": by_population(a, |g| num(g.cv_isi)),
        "fano": by_population(a, |g| num(g.fano)),
        "mean_input": by_population(a, |g| json!({
            "excitatory": num(g.mean_input.excitatory),
            "inhibitory": num(g.mean_input.inhibitory),
            "external": num(g.mean_input.external),
            "net": num(g.mean_input.net),
        })),
    })
}

/// The summary of a spiking run. `theory` holds mean-field predictions computed by the caller.
pub fn spiking(
    exp: &SpikingExperiment,
    res: &SpikingRunResult,
    theory: Value,
    total_seconds: f64,
) -> Value {
    let mut s = json!({
        "experiment": exp.name,
        "kind": "spiking",
        "seed": exp.seed,
        "network": {
            "neurons": exp.network.populations.iter().map(|p| p.size).sum::<usize>(),
            "populations": exp.network.populations.iter().map(|p| json!({"name": p.name, "size": p.size})).collect::<Vec<_>>(),
        },
        "activity": activity(&res.activity),
        "theory": theory,
        "timing": {
            "total_seconds": num(total_seconds),
            "simulated_ms_per_wall_second": num(res.simulated_ms_per_wall_second),
        },
    });
    if let (Some(training), Some(test)) = (&exp.training, &res.test) {
        let r: Vec<f64> = res
            .r_per_loop
            .iter()
            .map(|r| r.unwrap_or(f64::NAN))
            .collect();
        s["initial"] = activity(res.initial.as_ref().expect("trained runs settle first"));
        let sums = |v: &[(f64, f64)]| -> Value {
            let k = v.len().max(1) as f64;
            let e: Vec<f64> = v.iter().map(|p| p.0).collect();
            let i: Vec<f64> = v.iter().map(|p| p.1).collect();
            let sd =
                |x: &[f64], m: f64| (x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / k).sqrt();
            let (me, mi) = (e.iter().sum::<f64>() / k, i.iter().sum::<f64>() / k);
            json!({"e_mean": num(me), "e_sd": num(sd(&e, me)), "i_mean": num(mi), "i_sd": num(sd(&i, mi))})
        };
        s["training"] = json!({
            "loops": training.loops,
            "trained_neurons": res.trained.len(),
            "plastic_inputs_per_neuron": res.trained.first().map(|_| res.plastic_weights_initial.len() / res.trained.len().max(1)),
            "updates_per_loop": exp.conditions * res.n_updates,
            "conditions": exp.conditions,
            "loop_seconds": nums(&res.loop_seconds),
            "r_per_loop": nums(&r),
            "sigma": res.sigma.map(num),
            "plastic_row_sums": {"initial": sums(&res.row_sums_initial), "final": sums(&res.row_sums_final)},
        });
        let mut rate = serde_json::Map::new();
        for (name, r) in &test.group_rates_hz {
            rate.insert(name.clone(), num(*r));
        }
        s["test"] = json!({
            "trials": exp.test_trials,
            "r_mean": num(test.r_mean),
            "r_mean_by_condition": nums(&test.r_mean_by_condition),
            "r_trial_avg": num(mean_skipping_nan(&test.r_trial_avg_by_condition)),
            "r_trial_avg_by_condition": nums(&test.r_trial_avg_by_condition),
            "rate_r_mean": num(mean_skipping_nan(&test.rate_r_by_condition)),
            "rate_r_by_condition": nums(&test.rate_r_by_condition),
            "rate_hz": Value::Object(rate),
        });
        if let Some(p) = &res.pca {
            s["analysis"] = json!({
                "pc_corr_trained_e_vs_untrained_i": nums(&p.trained_e_vs_untrained_i),
                "pc_corr_trained_e_vs_untrained_e": nums(&p.trained_e_vs_untrained_e),
                "explained_variance_ratio": p.explained_variance_ratio.iter().map(|(g, v)| (g.clone(), nums(v))).collect::<serde_json::Map<_, _>>(),
            });
        }
        s["timing"]["mean_loop_seconds"] = num(mean_skipping_nan(&res.loop_seconds));
    } else {
        s["test"] = json!({"trials": exp.test_trials});
    }
    s
}
