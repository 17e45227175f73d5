//! The figure of a run with `[latent]` (a reconstruction after Gort & Renart,
//! `docs/latent.md`): per stretch of constant κ, from summary.json `latent`, the E rate, the
//! across-cell rate SD, the shift of the mean net input and the untuned cells' rate, with the
//! mean field's predictions (`latent.theory`) where they exist; and κ with the readout κ̂ over
//! time, from latent.npz, with a trained readout's target and learning window; and, for D = 2
//! grids, the R² of the single-index fits of the network against the low-rank rate baseline.

use serde_json::Value;

use crate::figures::Outcome;
use crate::plot::decimate;
use crate::plot::{Figure, Panel, Swatch};
use crate::run::{jnums, Run};
use crate::ReportError;

const ID: &str = "latent";
const TITLE: &str = "Latent variable: pinned rate, wider rate distribution, coherent mean input";
const SIM: &str = "#d62728";
const THEORY: &str = "#1f77b4";

/// `(|κ|·sign(κ₁), value)` of every stretch for `key` in `list`, sorted by κ.
fn series(list: &[Value], key: &str) -> (Vec<f64>, Vec<f64>) {
    let mut points: Vec<(f64, f64)> = list
        .iter()
        .filter_map(|s| {
            let k: Vec<f64> = s["kappa"]
                .as_array()?
                .iter()
                .filter_map(Value::as_f64)
                .collect();
            let norm = k.iter().map(|x| x * x).sum::<f64>().sqrt();
            let signed = if k.first().copied().unwrap_or(0.0) < 0.0 {
                -norm
            } else {
                norm
            };
            Some((signed, s[key].as_f64()?))
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points.into_iter().unzip()
}

/// The latent figure, or why it is not drawn.
pub(crate) fn figure(run: &Run) -> Result<Outcome, ReportError> {
    let latent = &run.summary["latent"];
    let Some(segments) = latent["segments"].as_array().filter(|s| !s.is_empty()) else {
        return Ok(Outcome::Skipped(
            ID,
            TITLE,
            "no stretches of constant κ (no [latent], or κ varies smoothly or in closed loop)"
                .into(),
        ));
    };
    let theory = latent["theory"]["segments"].as_array();
    let xlabel = "κ (signed |κ|)";
    let panel = |title: &str, ylabel: &str, key: &str, theory_key: Option<&str>| {
        let mut p = Panel::new(title, xlabel, ylabel);
        let (x, y) = series(segments, key);
        p.line(x.clone(), y.clone(), SIM).points(x, y, SIM);
        if let (Some(t), Some(k)) = (theory, theory_key) {
            let (x, y) = series(t, k);
            p.dashed(x, y, THEORY);
        }
        p
    };
    let panels = vec![
        panel("E population rate", "Hz", "rate_hz", None),
        panel(
            "SD of E rates across cells",
            "Hz",
            "rate_sd_hz",
            Some("rate_sd_hz"),
        ),
        panel(
            "shift of the E mean net input",
            "µA/cm² (input units)",
            "mean_input_shift",
            Some("mean_input_shift"),
        ),
        panel(
            "untuned cells (‖m‖ < 0.25)",
            "Hz",
            "untuned_rate_hz",
            Some("untuned_rate_hz"),
        ),
    ];
    let mut legend = vec![("simulation".to_string(), SIM, Swatch::Line)];
    if theory.is_some() {
        legend.push((
            "mean field, calibrated at κ = 0".into(),
            THEORY,
            Swatch::Dashed,
        ));
    }
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "Every stretch of constant κ ({} of them), analysed after its settling time: the E \
             population rate, the SD of the E cells' rates, the shift of the E population's mean \
             net input from κ = 0 and the mean rate of untuned cells. Balance keeps the rate \
             nearly constant while the distribution widens and the mean input falls with κ². \
             Dashed: the mean field (pinning equation) calibrated on the κ = 0 stretch. A \
             reconstruction after Gort & Renart (docs/latent.md). Source: summary.json latent.",
            segments.len()
        ),
        cols: 2,
        panel_w: 420.0,
        panel_h: 260.0,
        panels,
        legend,
    }))
}

const OVER_TIME_ID: &str = "latent_over_time";
const LEARNING: &str = "#dddddd";
/// Points drawn per series.
const MAX_POINTS: usize = 2000;

/// κ (or a trained readout's target) and the readout κ̂ against time, one panel per dimension,
/// with the learning window shaded; `None` without latent.npz.
pub(crate) fn over_time(run: &Run) -> Result<Option<Outcome>, ReportError> {
    use spikeform_io::outputs::latent as files;
    let Some(npz) = &run.latent else {
        return Ok(None);
    };
    let Some(readout) = npz.get(&files::READOUT)? else {
        return Ok(None);
    };
    // A closed loop's κ is the readout itself: drawn once.
    let reference = match npz.get(&files::TARGET)? {
        Some(target) => Some(("target κ*", target)),
        None => npz
            .get(&files::KAPPA)?
            .filter(|k| k.data != readout.data)
            .map(|k| ("κ (prescribed)", k)),
    };
    let trained = &run.summary["latent"]["readout_training"];
    let learn_ms = jnums(trained, "learn_ms").filter(|w| w.len() == 2);
    let (samples, dims) = (readout.dim(0), readout.dim(1));
    let time_s: Vec<f64> = (1..=samples).map(|k| k as f64 / 1000.0).collect();
    let column =
        |data: &[f64], c: usize| -> Vec<f64> { (0..samples).map(|k| data[k * dims + c]).collect() };
    let mut panels = Vec::new();
    for c in 0..dims {
        let mut p = Panel::new(format!("dimension {}", c + 1), "time (s)", "κ");
        let (x, y) = decimate(&time_s, &column(readout.data, c), MAX_POINTS);
        if let Some(w) = &learn_ms {
            let (lo, hi) = crate::plot::range_of([y.as_slice()]).unwrap_or((-1.0, 1.0));
            let edges = vec![w[0] / 1000.0, w[1] / 1000.0];
            p.band(edges, vec![lo, lo], vec![hi, hi], LEARNING);
        }
        if let Some((_, r)) = &reference {
            let (xr, yr) = decimate(&time_s, &column(r.data, c), MAX_POINTS);
            p.dashed(xr, yr, THEORY);
        }
        p.line(x, y, SIM);
        panels.push(p);
    }
    let mut legend = vec![("readout κ̂".to_string(), SIM, Swatch::Line)];
    if let Some((name, _)) = &reference {
        legend.push((name.to_string(), THEORY, Swatch::Dashed));
    }
    let learning = match &learn_ms {
        Some(w) => format!(
            " Shaded: the learning window ({:.0}–{:.0} ms), where RLS trains the readout of \
             {} E neurons (latent.readout_training); after it the weights are frozen and the \
             network runs alone.",
            w[0], w[1], trained["neurons"]
        ),
        None => String::new(),
    };
    Ok(Some(Outcome::Drawn(Figure {
        id: OVER_TIME_ID,
        title: "Latent variable over time".into(),
        caption: format!(
            "The readout κ̂ (E spike trains filtered with τ_s, weighted by the readout loadings \
             or the trained weights) every ms of the first trial, one panel per dimension, with \
             the prescribed κ or the target dashed (a closed loop feeds κ̂ back: κ = κ̂ \
             there).{learning} A reconstruction after Gort & Renart (docs/latent.md). \
             Source: latent.npz."
        ),
        cols: dims.min(2),
        panel_w: 520.0,
        panel_h: 240.0,
        panels,
        legend,
    })))
}

const SELECTIVITY_ID: &str = "latent_mixed_selectivity";
const BASELINE: &str = "#1f77b4";

/// The distribution of the single-index fits' R² (G5), network against the low-rank rate
/// baseline; `None` without them (not a D = 2 grid).
pub(crate) fn mixed_selectivity(run: &Run) -> Result<Option<Outcome>, ReportError> {
    use spikeform_io::outputs::latent as files;
    let Some(npz) = &run.latent else {
        return Ok(None);
    };
    let Some(network) = npz.get(&files::SINGLE_INDEX_R2)? else {
        return Ok(None);
    };
    let baseline = npz.get(&files::BASELINE_SINGLE_INDEX_R2)?;
    let bins = 40;
    let lo = network
        .data
        .iter()
        .chain(baseline.iter().flat_map(|b| b.data))
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::min)
        .max(-1.0);
    let poor =
        |data: &[f64]| data.iter().filter(|&&r| r < 0.9).count() as f64 / data.len().max(1) as f64;
    let mut panel = Panel::new(
        "single-index fits r ≈ g(a·κ₁ + b·κ₂)",
        "R²",
        "fraction of cells",
    );
    let series = std::iter::once(("balanced network", network.data, SIM))
        .chain(baseline.map(|b| ("low-rank rate baseline", b.data, BASELINE)));
    let (mut highest, mut legend) = (0.0f64, Vec::new());
    for (name, data, color) in series {
        let (edges, fractions) = crate::plot::histogram(data, lo, 1.0, bins);
        highest = fractions.iter().copied().fold(highest, f64::max);
        panel.histogram(&edges, fractions, color, 0.55);
        let label = format!("{name} ({:.0}% with R² < 0.9)", 100.0 * poor(data));
        legend.push((label, color, Swatch::Fill));
    }
    panel.dashed(vec![0.9, 0.9], vec![0.0, highest], "#555555");
    Ok(Some(Outcome::Drawn(Figure {
        id: SELECTIVITY_ID,
        title: "Nonlinear mixed selectivity (G5)".into(),
        caption: format!(
            "Each fitted E cell's rates over the D = 2 grid of constant κ, fitted by a \
             single-index model r ≈ g(a·κ₁ + b·κ₂) (g monotone, isotonic regression over 90 \
             directions): the distribution of R² for the balanced network ({} cells) and for the \
             low-rank rate baseline with the same loadings and counting noise{}. A common term \
             that depends on |κ| only (balance) makes the response depend on κ through more \
             than one projection. Dashed: R² = 0.9. A reconstruction after Gort & Renart \
             (docs/latent.md). Source: latent.npz.",
            network.data.len(),
            baseline.map_or(String::new(), |b| format!(" ({} cells)", b.data.len()))
        ),
        cols: 1,
        panel_w: 560.0,
        panel_h: 280.0,
        panels: vec![panel],
        legend,
    })))
}
