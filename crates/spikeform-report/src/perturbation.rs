//! Figures of a perturbation sweep: the laser-power curve (rate against amplitude per group,
//! with 95% confidence bands over cells and the balanced-limit prediction as dashed lines) and
//! the population rates over the trial per amplitude with the stimulus window shaded (and, for
//! a trained network, the two conditions' difference on the coding direction).

use serde_json::Value;
use spikeform_io::outputs::perturbation as npz;

use crate::figures::Outcome;
use crate::plot::{Figure, Panel, Swatch};
use crate::run::{jget, jnums, tnum, Run};
use crate::ReportError;

/// One colour per group or amplitude, in order.
const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f",
];

/// The figures of a run with a `perturbation` block (none otherwise).
pub(crate) fn figures(run: &Run) -> Result<Vec<Outcome>, ReportError> {
    let Some(p) = jget(&run.summary, "perturbation") else {
        return Ok(Vec::new());
    };
    let mut out = vec![laser_power(p)];
    if let Some(f) = timecourses(run)? {
        out.push(f);
    }
    Ok(out)
}

/// Rate against amplitude per group: simulated (points, line, 95% band) and theory (dashed).
fn laser_power(p: &Value) -> Outcome {
    let amplitudes = jnums(p, "amplitudes").unwrap_or_default();
    let units = jget(p, "amplitude_units")
        .and_then(Value::as_str)
        .unwrap_or("raw");
    let mut panel = Panel::new(
        "stimulus-window rate per group",
        &format!("amplitude ({units})"),
        "rate (Hz)",
    );
    let mut legend = Vec::new();
    let groups: Vec<String> = jget(p, "rate_hz")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for (k, g) in groups.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let rates = jnums(p, &format!("rate_hz.{g}")).unwrap_or_default();
        if let Some(ci) = jget(p, &format!("rate_ci95_hz.{g}")).and_then(Value::as_array) {
            let bound = |i: usize| -> Vec<f64> {
                ci.iter()
                    .map(|c| c.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN))
                    .collect()
            };
            panel.band(amplitudes.clone(), bound(0), bound(1), color);
        }
        panel.line(amplitudes.clone(), rates.clone(), color);
        panel.points(amplitudes.clone(), rates, color);
        legend.push((g.clone(), color, Swatch::Line));
        if let Some(theory) = jnums(p, &format!("theory_rate_hz.{g}")) {
            if theory.iter().any(|x| x.is_finite()) {
                panel.dashed(amplitudes.clone(), theory, color);
            }
        }
    }
    legend.push(("balanced limit (N = ∞)".into(), PALETTE[9], Swatch::Dashed));
    Outcome::Drawn(Figure {
        id: "laser_power",
        title: "Laser-power curve".into(),
        caption: "Mean rate of each group in the stimulus window against the stimulus \
                  amplitude (summary.json perturbation.rate_hz), with the 95% confidence band \
                  over cells; dashed: the balanced-limit prediction for stimulation of whole \
                  populations, −W⁻¹δX with silenced populations removed \
                  (perturbation.theory_rate_hz)."
            .into(),
        cols: 1,
        panel_w: 800.0,
        panel_h: 380.0,
        panels: vec![panel],
        legend,
    })
}

/// Population rates over the trial per amplitude (perturbation.npz), stimulus shaded.
fn timecourses(run: &Run) -> Result<Option<Outcome>, ReportError> {
    let Some(arch) = &run.perturbation else {
        return Ok(None);
    };
    let (Some(amp), Some(time), Some(rates)) = (
        arch.get(&npz::AMPLITUDE)?,
        arch.get(&npz::TIME_MS)?,
        arch.get(&npz::POPULATION_RATE_HZ)?,
    ) else {
        return Ok(None);
    };
    let a = amp.dim(0);
    arch.check_dim(&rates, 0, a, "one per amplitude")?;
    arch.check_dim(&rates, 2, time.dim(0), "one per time bin")?;
    let shade = match (
        tnum(&run.experiment, "perturbation.start_ms"),
        tnum(&run.experiment, "perturbation.end_ms"),
    ) {
        (Some(s), Some(e)) => vec![(s, e)],
        _ => Vec::new(),
    };
    let mut panels = Vec::new();
    for (k, pop) in run.populations.iter().enumerate().take(rates.dim(1)) {
        let mut panel = Panel::new(format!("population {}", pop.name), "time (ms)", "rate (Hz)");
        for j in 0..a {
            panel.line(
                time.data.to_vec(),
                rates.slice(&[j, k]).to_vec(),
                PALETTE[j % PALETTE.len()],
            );
        }
        panel.shade = shade.clone();
        panels.push(panel);
    }
    if let Some(cd) = arch.get(&npz::CODING_PROJECTION_HZ)? {
        arch.check_dim(&cd, 0, a, "one per amplitude")?;
        let mut panel = Panel::new(
            "conditions' difference on the coding direction",
            "time (ms)",
            "projection (Hz)",
        );
        for j in 0..a {
            panel.line(
                time.data.to_vec(),
                cd.slice(&[j]).to_vec(),
                PALETTE[j % PALETTE.len()],
            );
        }
        panel.shade = shade.clone();
        panels.push(panel);
    }
    let legend = amp
        .data
        .iter()
        .enumerate()
        .map(|(j, v)| {
            (
                format!("amplitude {v}"),
                PALETTE[j % PALETTE.len()],
                Swatch::Line,
            )
        })
        .collect();
    let n = panels.len();
    Ok(Some(Outcome::Drawn(Figure {
        id: "perturbation_timecourses",
        title: "Population rates under the perturbation".into(),
        caption: "Rate of each population over the trial (10-ms bins, condition 1) for every \
                  amplitude of the sweep (perturbation.npz population_rate_hz); the grey band is \
                  when the stimulus is on. For a trained network with two conditions, the last \
                  panel is the difference of the conditions' E activity projected on the coding \
                  direction (coding_projection_hz)."
            .into(),
        cols: n.min(3),
        panel_w: 420.0,
        panel_h: 300.0,
        panels,
        legend,
    })))
}
