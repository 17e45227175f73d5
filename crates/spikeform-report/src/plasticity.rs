//! Figures of a run with recording `[[plasticity]]` rules (`plasticity.md`): the mean weight of
//! each plastic projection against time (a few sampled synapses faint behind it, the theory's
//! fixed point dashed), the final weight distribution per projection, the recorded synapses'
//! weights against their presynaptic rates on Kohonen projections (the theory's line β·τ·r
//! dashed), and the simulated population spike-count covariances against the theory's.

use spikeform_io::outputs::plasticity as npz;

use crate::figures::{spread, Outcome};
use crate::plot::{histogram, range_of, Figure, Panel, Swatch};
use crate::run::{jget, jnum, Run};
use crate::ReportError;

/// Colour of the mean weight.
const MEAN: &str = "#1f77b4";
/// Colour of the sampled synapses (faint).
const SAMPLE: &str = "#c7d7e8";
/// Colour of the theory.
const THEORY: &str = "#d62728";
/// Sampled synapses drawn per projection.
const SAMPLES_SHOWN: usize = 8;

/// The figures of a run with `plasticity.npz` and/or `theory.plasticity` (none otherwise).
pub(crate) fn figures(run: &Run) -> Result<Vec<Outcome>, ReportError> {
    let mut out = Vec::new();
    let names = projection_names(run);
    if let Some(f) = weights_over_time(run, &names)? {
        out.push(f);
    }
    if let Some(f) = final_distribution(run, &names)? {
        out.push(f);
    }
    if let Some(f) = weight_against_rate(run, &names)? {
        out.push(f);
    }
    if let Some(f) = covariances(run) {
        out.push(f);
    }
    Ok(out)
}

/// `PRE->POST` of each `[[plasticity]]` rule, in file order (the npz's R axis).
fn projection_names(run: &Run) -> Vec<String> {
    let Some(rules) = run.experiment.get("plasticity").and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    rules
        .iter()
        .map(|r| {
            let field = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_string();
            format!("{}->{}", field("pre"), field("post"))
        })
        .collect()
}

/// Name of projection `r` (its index where experiment.toml does not say).
fn name_of(names: &[String], r: usize) -> String {
    names
        .get(r)
        .cloned()
        .unwrap_or_else(|| format!("projection {r}"))
}

/// Mean weight per projection against time; sampled synapses faint; fixed point dashed.
fn weights_over_time(run: &Run, names: &[String]) -> Result<Option<Outcome>, ReportError> {
    let Some(arch) = &run.plasticity else {
        return Ok(None);
    };
    let (Some(time), Some(mean)) = (arch.get(&npz::TIME_MS)?, arch.get(&npz::MEAN_WEIGHT)?) else {
        return Ok(None);
    };
    arch.check_dim(&mean, 0, time.dim(0), "one row per projection, as time_ms")?;
    arch.check_dim(
        &mean,
        1,
        time.dim(1),
        "one column per recording, as time_ms",
    )?;
    let samples = arch.get(&npz::SAMPLE_WEIGHT)?;
    if let Some(s) = &samples {
        arch.check_dim(s, 0, time.dim(0), "one per projection, as time_ms")?;
        arch.check_dim(s, 1, time.dim(1), "one per recording, as time_ms")?;
    }
    let mut panels = Vec::new();
    for r in 0..time.dim(0) {
        let name = name_of(names, r);
        let t = time.slice(&[r]).to_vec();
        let mut panel = Panel::new(name.clone(), "time (ms)", "weight");
        if let Some(s) = &samples {
            for k in spread(s.dim(2), SAMPLES_SHOWN) {
                let w: Vec<f64> = (0..s.dim(1)).map(|i| s.at(&[r, i, k])).collect();
                panel.line(t.clone(), w, SAMPLE);
            }
        }
        panel.line(t.clone(), mean.slice(&[r]).to_vec(), MEAN);
        let fixed = jnum(
            &run.summary,
            &format!("theory.plasticity.fixed_point_weight.{name}"),
        );
        if let Some(w) = fixed.filter(|w| w.is_finite()) {
            if let Some((lo, hi)) = range_of([t.as_slice()]) {
                panel.dashed(vec![lo, hi], vec![w, w], THEORY);
            }
        }
        panels.push(panel);
    }
    let n = panels.len();
    Ok(Some(Outcome::Drawn(Figure {
        id: "plasticity_weights",
        title: "Plastic weights over time".into(),
        caption: format!(
            "Population-mean weight of each plastic projection over the run (plasticity.npz \
             mean_weight), with up to {SAMPLES_SHOWN} of the recorded synapses faint behind it \
             (sample_weight); dashed: the mean-field fixed point of the mean weight \
             (summary.json theory.plasticity.fixed_point_weight) where the theory has one."
        ),
        cols: n.clamp(1, 2),
        panel_w: if n == 1 { 800.0 } else { 520.0 },
        panel_h: 320.0,
        panels,
        legend: vec![
            ("mean weight".into(), MEAN, Swatch::Line),
            ("sampled synapses".into(), SAMPLE, Swatch::Line),
            ("theory: fixed point".into(), THEORY, Swatch::Dashed),
        ],
    })))
}

/// Histogram of every plastic synapse's final weight, per projection.
fn final_distribution(run: &Run, names: &[String]) -> Result<Option<Outcome>, ReportError> {
    let Some(arch) = &run.plasticity else {
        return Ok(None);
    };
    let (Some(w), Some(proj)) = (
        arch.get(&npz::FINAL_WEIGHT)?,
        arch.get(&npz::FINAL_PROJECTION)?,
    ) else {
        return Ok(None);
    };
    arch.check_dim(&proj, 0, w.dim(0), "one per entry of final_weight")?;
    let count = proj.data.iter().map(|&p| p as usize + 1).max().unwrap_or(0);
    let mut panels = Vec::new();
    for r in 0..count {
        let values: Vec<f64> = w
            .data
            .iter()
            .zip(proj.data)
            .filter(|(_, &p)| p as usize == r)
            .map(|(&v, _)| v)
            .collect();
        let (lo, hi) = range_of([values.as_slice()]).unwrap_or((0.0, 1.0));
        let mut panel = Panel::new(
            format!("{} ({} synapses)", name_of(names, r), values.len()),
            "final weight",
            "fraction of synapses",
        );
        let (edges, h) = histogram(&values, lo, hi, 40);
        panel.histogram(&edges, h, MEAN, 0.7);
        panels.push(panel);
    }
    let n = panels.len();
    Ok(Some(Outcome::Drawn(Figure {
        id: "plasticity_final_weights",
        title: "Final weight distribution".into(),
        caption: "Distribution of every plastic synapse's weight at the end of the run, per \
                  projection (plasticity.npz final_weight, final_projection)."
            .into(),
        cols: n.clamp(1, 2),
        panel_w: if n == 1 { 800.0 } else { 520.0 },
        panel_h: 280.0,
        panels,
        legend: vec![("final weights".into(), MEAN, Swatch::Fill)],
    })))
}

/// β and τ_STDP (ms) of `[[plasticity]]` rule `r` when it is a Kohonen rule.
fn kohonen_beta_tau(run: &Run, r: usize) -> Option<(f64, f64)> {
    let rule = run.experiment.get("plasticity")?.as_array()?.get(r)?;
    if rule.get("rule")?.as_str()? != "kohonen" {
        return None;
    }
    let num = |k: &str| {
        let v = rule.get(k)?;
        v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
    };
    Some((num("beta")?, num("tau_ms")?))
}

/// Presynaptic rates (Hz) and weights of recorded synapses, synapse by synapse.
type RatesAndWeights = (Vec<f64>, Vec<f64>);

/// The recorded synapses of projection `r` at its last recording: (presynaptic rate in Hz,
/// weight) per synapse, from plasticity.npz (`sample_pre`, `sample_weight`, `time_ms`) and
/// spikes.npz (`neuron_rate_hz`).
fn sampled_weight_rate(run: &Run, r: usize) -> Result<Option<RatesAndWeights>, ReportError> {
    let (Some(arch), Some(spikes)) = (&run.plasticity, &run.spikes) else {
        return Ok(None);
    };
    let (Some(time), Some(w), Some(pre), Some(rates)) = (
        arch.get(&npz::TIME_MS)?,
        arch.get(&npz::SAMPLE_WEIGHT)?,
        arch.get(&npz::SAMPLE_PRE)?,
        spikes.get(&spikeform_io::outputs::spikes::NEURON_RATE_HZ)?,
    ) else {
        return Ok(None);
    };
    arch.check_dim(&w, 0, time.dim(0), "one per projection, as time_ms")?;
    arch.check_dim(&w, 1, time.dim(1), "one per recording, as time_ms")?;
    arch.check_dim(
        &pre,
        1,
        w.dim(2),
        "one per sampled synapse, as sample_weight",
    )?;
    let Some(last) = (0..time.dim(1))
        .rev()
        .find(|&i| time.at(&[r, i]).is_finite())
    else {
        return Ok(None);
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for k in 0..w.dim(2) {
        let rate = rates.data.get(pre.at(&[r, k]) as usize).copied();
        x.push(rate.unwrap_or(f64::NAN));
        y.push(w.at(&[r, last, k]));
    }
    Ok(Some((x, y)))
}

/// Kohonen projections: each recorded synapse's final weight against its presynaptic neuron's
/// rate, with the theory's per-synapse fixed point `J* = β·τ·r_k` (r in kHz, sign of the
/// projection) dashed.
fn weight_against_rate(run: &Run, names: &[String]) -> Result<Option<Outcome>, ReportError> {
    let count = run
        .experiment
        .get("plasticity")
        .and_then(|v| v.as_array())
        .map_or(0, Vec::len);
    let mut panels = Vec::new();
    for r in 0..count {
        let Some((beta, tau)) = kohonen_beta_tau(run, r) else {
            continue;
        };
        let Some((rates, weights)) = sampled_weight_rate(run, r)? else {
            continue;
        };
        let name = name_of(names, r);
        let measured = jnum(
            &run.summary,
            &format!("plasticity.{name}.weight_rate.slope_per_khz"),
        );
        let title = match measured.filter(|s| s.is_finite()) {
            Some(s) => format!(
                "{name}: slope {s:.4} per kHz (theory β·τ = {:.4})",
                beta * tau
            ),
            None => format!("{name} (theory β·τ = {:.4} per kHz)", beta * tau),
        };
        let mut panel = Panel::new(title, "presynaptic rate (Hz)", "weight");
        let sign = if weights.iter().sum::<f64>() < 0.0 {
            -1.0
        } else {
            1.0
        };
        if let Some((lo, hi)) = range_of([rates.as_slice()]) {
            let line = |r: f64| sign * beta * tau * r / 1000.0;
            panel.dashed(vec![lo, hi], vec![line(lo), line(hi)], THEORY);
        }
        panel.points(rates, weights, MEAN);
        panels.push(panel);
    }
    if panels.is_empty() {
        return Ok(None);
    }
    let n = panels.len();
    Ok(Some(Outcome::Drawn(Figure {
        id: "plasticity_weight_rate",
        title: "Weight against presynaptic rate (Kohonen)".into(),
        caption: "Each recorded synapse's weight at the last recording (plasticity.npz                   sample_weight, sample_pre) against its presynaptic neuron's rate over the final                   phase (spikes.npz neuron_rate_hz); dashed: the mean-field fixed point of                   Kohonen's rule, J = β·τ·r_pre (r in kHz). The title gives the least-squares                   slope over all synapses (summary.json plasticity.PRE->POST.weight_rate)."
            .into(),
        cols: n.clamp(1, 2),
        panel_w: if n == 1 { 800.0 } else { 520.0 },
        panel_h: 360.0,
        panels,
        legend: vec![
            ("recorded synapses".into(), MEAN, Swatch::Fill),
            ("theory: J = β·τ·r".into(), THEORY, Swatch::Dashed),
        ],
    })))
}

/// Simulated spike-count covariances (250-ms windows) against the theory's, when summary.json
/// has both.
fn covariances(run: &Run) -> Option<Outcome> {
    let theory = jget(&run.summary, "theory.plasticity.count_covariance_250ms")?.as_object()?;
    let sim = jget(
        &run.summary,
        "theory.plasticity.simulated_count_covariance_250ms",
    )?
    .as_object()?;
    let pairs: Vec<(&String, f64, f64)> = theory
        .iter()
        .filter_map(|(k, t)| Some((k, t.as_f64()?, sim.get(k)?.as_f64()?)))
        .filter(|(_, t, s)| t.is_finite() && s.is_finite())
        .collect();
    if pairs.is_empty() {
        return None;
    }
    const PALETTE: [&str; 3] = ["#1f77b4", "#2ca02c", "#9467bd"];
    let mut panel = Panel::new(
        "population spike-count covariance (250-ms windows)",
        "theory (spikes²)",
        "simulated (spikes²)",
    );
    let all: Vec<f64> = pairs.iter().flat_map(|&(_, t, s)| [t, s]).collect();
    let (lo, hi) = range_of([all.as_slice()]).unwrap_or((0.0, 1.0));
    panel.dashed(vec![lo, hi], vec![lo, hi], "#7f7f7f");
    let mut legend = Vec::new();
    for (i, (k, t, s)) in pairs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        panel.points(vec![*t], vec![*s], color);
        legend.push((k.to_string(), color, Swatch::Fill));
    }
    legend.push(("simulated = theory".into(), "#7f7f7f", Swatch::Dashed));
    Some(Outcome::Drawn(Figure {
        id: "plasticity_covariances",
        title: "Spike-count covariances against theory".into(),
        caption: "Population spike-count covariances in 250-ms windows after the burn-in, \
                  measured by the population-sum method \
                  (theory.plasticity.simulated_count_covariance_250ms), against the mean-field \
                  prediction at the initial weights (count_covariance_250ms); dashed: equality."
            .into(),
        cols: 1,
        panel_w: 520.0,
        panel_h: 380.0,
        panels: vec![panel],
        legend,
    }))
}
