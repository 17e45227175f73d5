//! `spikeform report` of short plastic runs (examples/plastic_istdp.toml and
//! plastic_kohonen.toml, 2 s): the plasticity figures exist, the drawn mean-weight line is
//! plasticity.npz's mean_weight, and the Kohonen weight-against-rate points are the recorded
//! synapses' weights and presynaptic rates, with the theory's slope β·τ.

mod common;

use common::{run_summary, scratch};
use spikeform_io::npy::read_npz;

/// The (x, y) pixel points of an SVG path's `d` attribute (`M x y L x y ...`).
fn path_points(d: &str) -> Vec<(f64, f64)> {
    let nums: Vec<f64> = d
        .split(|c: char| c == 'M' || c == 'L' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    nums.chunks(2).map(|p| (p[0], p[1])).collect()
}

/// The `d` of every `<path>` stroked in `color`.
fn paths_in(svg: &str, color: &str) -> Vec<String> {
    svg.split("<path d=\"")
        .skip(1)
        .filter(|p| p.contains(&format!("stroke=\"{color}\"")))
        .map(|p| p[..p.find('"').unwrap()].to_string())
        .collect()
}

/// Checks that pixel values `px` are an increasing (`sign` = 1) or decreasing (−1) affine
/// image of `v` (least-squares fit), to the SVG's 0.1-px rounding.
fn assert_affine(v: &[f64], px: &[f64], sign: f64) {
    let n = v.len() as f64;
    let (mv, mp) = (v.iter().sum::<f64>() / n, px.iter().sum::<f64>() / n);
    let cov: f64 = v.iter().zip(px).map(|(a, p)| (a - mv) * (p - mp)).sum();
    let var: f64 = v.iter().map(|a| (a - mv).powi(2)).sum();
    let slope = cov / var;
    assert!(slope * sign > 0.0, "wrong direction: {v:?} -> {px:?}");
    for (a, p) in v.iter().zip(px) {
        let want = mp + slope * (a - mv);
        assert!(
            (p - want).abs() <= 0.15,
            "{a} drawn at {p}, expected {want}"
        );
    }
}

#[test]
fn plastic_run_report_draws_the_recorded_weights() {
    let out = scratch("plasticity_report");
    let summary = run_summary(
        "examples/plastic_istdp.toml",
        &out,
        &["duration_ms=2000", "test.burn_in_ms=1000"],
    );
    let report = spikeform_report::generate(&out).unwrap();
    for id in ["plasticity_weights", "plasticity_final_weights"] {
        assert!(report.figures.iter().any(|f| f == id), "{id} missing");
        assert!(out.join(format!("figures/{id}.svg")).exists());
    }
    let has_cov = summary["theory"]["plasticity"]["simulated_count_covariance_250ms"]["ee"]
        .as_f64()
        .is_some();
    assert_eq!(
        report.figures.iter().any(|f| f == "plasticity_covariances"),
        has_cov
    );

    // One projection (I->E): one mean line, 8 faint samples, the dashed fixed point.
    let npz = read_npz(out.join("plasticity.npz")).unwrap();
    let (time, mean) = (&npz["time_ms"], &npz["mean_weight"]);
    assert_eq!(time.shape[0], 1);
    let svg = std::fs::read_to_string(out.join("figures/plasticity_weights.svg")).unwrap();
    let means = paths_in(&svg, "#1f77b4");
    assert_eq!(means.len(), 1);
    assert_eq!(paths_in(&svg, "#c7d7e8").len(), 8);
    assert_eq!(paths_in(&svg, "#d62728").len(), 1, "theory fixed point");
    let points = path_points(&means[0]);
    let recorded: Vec<(f64, f64)> = (time.data.iter().zip(&mean.data))
        .filter(|(t, w)| t.is_finite() && w.is_finite())
        .map(|(&t, &w)| (t, w))
        .collect();
    assert!(recorded.len() >= 10, "{} recordings", recorded.len());
    assert_eq!(points.len(), recorded.len());
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let ts: Vec<f64> = recorded.iter().map(|r| r.0).collect();
    let ws: Vec<f64> = recorded.iter().map(|r| r.1).collect();
    assert_affine(&ts, &xs, 1.0);
    assert_affine(&ws, &ys, -1.0); // SVG y grows downwards
}

/// The (cx, cy) of every circle in the `<g fill="COLOR">` groups of `svg`.
fn circles_in(svg: &str, color: &str) -> Vec<(f64, f64)> {
    let attr = |c: &str, name: &str| -> f64 {
        let start = c.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        c[start..start + c[start..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    svg.split(&format!("<g fill=\"{color}\">"))
        .skip(1)
        .flat_map(|g| {
            g[..g.find("</g>").unwrap()]
                .split("<circle ")
                .skip(1)
                .map(|c| (attr(c, "cx"), attr(c, "cy")))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Kohonen (examples/plastic_kohonen.toml, 2 s): the weight-against-rate figure draws every
/// recorded synapse at (its presynaptic neuron's rate in spikes.npz, its weight at the last
/// recording in plasticity.npz), and the theory's line J = β·τ·r dashed.
#[test]
fn kohonen_report_draws_weights_against_presynaptic_rates() {
    let out = scratch("plasticity_report_kohonen");
    run_summary(
        "examples/plastic_kohonen.toml",
        &out,
        &["duration_ms=2000", "test.burn_in_ms=1000"],
    );
    let report = spikeform_report::generate(&out).unwrap();
    let id = "plasticity_weight_rate";
    assert!(report.figures.iter().any(|f| f == id), "{id} missing");
    let svg = std::fs::read_to_string(out.join(format!("figures/{id}.svg"))).unwrap();
    let npz = read_npz(out.join("plasticity.npz")).unwrap();
    let rates = &read_npz(out.join("spikes.npz")).unwrap()["neuron_rate_hz"].data;
    let (w, pre) = (&npz["sample_weight"], &npz["sample_pre"]);
    let (t, s) = (w.shape[1], w.shape[2]);
    assert_eq!(w.shape[0], 1);
    assert!(npz["time_ms"].data[t - 1].is_finite());
    let x: Vec<f64> = (0..s).map(|k| rates[pre.data[k] as usize]).collect();
    let y: Vec<f64> = (0..s).map(|k| w.data[(t - 1) * s + k]).collect();
    let drawn = circles_in(&svg, "#1f77b4");
    assert_eq!(drawn.len(), s, "one point per recorded synapse");
    let px: Vec<f64> = drawn.iter().map(|p| p.0).collect();
    let py: Vec<f64> = drawn.iter().map(|p| p.1).collect();
    assert_affine(&x, &px, 1.0);
    assert_affine(&y, &py, -1.0);
    let line = paths_in(&svg, "#d62728");
    assert_eq!(line.len(), 1, "theory line");
    // Back to data units with the points' own pixel scales: slope β·τ per kHz.
    let scale = |v: &[f64], p: &[f64]| {
        let (i, j) = (0..v.len()).fold((0, 0), |(lo, hi), k| {
            (
                if v[k] < v[lo] { k } else { lo },
                if v[k] > v[hi] { k } else { hi },
            )
        });
        (p[j] - p[i]) / (v[j] - v[i])
    };
    let ends = path_points(&line[0]);
    let slope_px = (ends[1].1 - ends[0].1) / (ends[1].0 - ends[0].0);
    let slope = slope_px * scale(&x, &px) / scale(&y, &py) * 1000.0;
    let beta_tau = 0.0282842712474619 * 200.0;
    assert!((slope / beta_tau - 1.0).abs() < 0.02, "line slope {slope}");
}
