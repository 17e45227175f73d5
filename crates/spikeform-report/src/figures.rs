//! The report's figures, built from a run directory's arrays. Each builder returns the figure,
//! or the reason it is not drawn (an untrained run has no training curve, a rate network no
//! raster, an older run directory lacks some arrays); arrays that exist but disagree in shape
//! are errors.

use spikeform_io::outputs::{spikes as spikes_npz, test as test_npz, test_traces};

use crate::plot::{decimate, histogram, range_of, Figure, Item, Panel, Swatch};
use crate::run::{jnum, jnums, tget, tnum, Archive, Arr, Kind, Run};
use crate::ReportError;

/// Colours: trained neurons, untrained neurons of the trained population, other populations.
const TRAINED: &str = "#d62728";
const UNTRAINED: &str = "#1f77b4";
const OTHERS: [&str; 4] = ["#2ca02c", "#9467bd", "#8c564b", "#e377c2"];
/// Before training (settle run).
const BEFORE: &str = "#9a9a9a";
/// Targets and recorded data.
const TARGET: &str = "#111111";

/// How many trained neurons the per-neuron figures show.
const SAMPLE_NEURONS: usize = 6;
/// How many neurons of each group the raster shows.
const RASTER_PER_GROUP: usize = 25;
/// Most points drawn per line.
const MAX_POINTS: usize = 600;

/// A figure, or why it is not drawn.
pub(crate) enum Outcome {
    /// The figure.
    Drawn(Figure),
    /// Not drawn: (figure id, title, reason).
    Skipped(&'static str, &'static str, String),
}

type Built = Result<Outcome, ReportError>;

fn skip(id: &'static str, title: &'static str, reason: impl Into<String>) -> Built {
    Ok(Outcome::Skipped(id, title, reason.into()))
}

/// `k` indices spread evenly over `0..n` (all of them when `n <= k`).
pub(crate) fn spread(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        (0..n).collect()
    } else if k == 1 {
        vec![0]
    } else {
        (0..k).map(|i| i * (n - 1) / (k - 1)).collect()
    }
}

/// Mean and sample standard deviation of the non-NaN values
/// ([`spikeform::analysis::mean_sd_ignoring_nan`]).
fn mean_sd(v: impl IntoIterator<Item = f64>) -> (f64, f64) {
    spikeform::analysis::mean_sd_ignoring_nan(&v.into_iter().collect::<Vec<_>>())
}

/// The value below which a fraction `q` of the finite values lie.
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(|a, b| a.total_cmp(b));
    s[((s.len() - 1) as f64 * q).round() as usize]
}

/// Integer indices stored as floats, each in `0..bound`.
fn indices(arch: &Archive, a: &Arr<'_>, bound: usize) -> Result<Vec<usize>, ReportError> {
    a.data
        .iter()
        .map(|&v| {
            if v >= 0.0 && v.fract() == 0.0 && (v as usize) < bound {
                Ok(v as usize)
            } else {
                Err(arch.bad(format!(
                    "member '{}' holds {v}, not an index below {bound}",
                    a.name
                )))
            }
        })
        .collect()
}

/// A group of neurons drawn in one colour.
struct Group {
    label: String,
    color: &'static str,
    members: Vec<usize>,
}

/// What the spiking figures share: populations, trained neurons, groups.
struct Spiking<'a> {
    run: &'a Run,
    /// Number of neurons.
    n: usize,
    /// Trained neurons (model indices), in row order; empty for untrained runs.
    trained: Vec<usize>,
    /// Index of the trained population.
    trained_pop: Option<usize>,
    /// Trained, untrained of the trained population, then each other population.
    groups: Vec<Group>,
}

impl<'a> Spiking<'a> {
    fn new(run: &'a Run) -> Result<Self, ReportError> {
        let n: usize = run.populations.iter().map(|p| p.size).sum();
        let mut population_of = vec![0; n];
        for (k, p) in run.populations.iter().enumerate() {
            population_of[p.start..p.start + p.size].fill(k);
        }
        if let Some(s) = &run.spikes {
            if let Some(a) = s.get(&spikes_npz::POPULATION_OF)? {
                s.check_dim(&a, 0, n, "one entry per neuron")?;
                population_of = indices(s, &a, run.populations.len())?;
            }
        }
        let mut trained = Vec::new();
        if let Some(t) = &run.test {
            if let Some(a) = t.get(&test_npz::TRAINED_NEURONS)? {
                trained = indices(t, &a, n)?;
            }
        }
        let trained_pop = trained.first().map(|&i| population_of[i]);
        let mut is_trained = vec![false; n];
        for &i in &trained {
            is_trained[i] = true;
        }
        let mut groups = Vec::new();
        let mut other = 0;
        for (k, p) in run.populations.iter().enumerate() {
            let members: Vec<usize> = (0..n).filter(|&i| population_of[i] == k).collect();
            if Some(k) == trained_pop {
                groups.push(Group {
                    label: format!("trained {}", p.name),
                    color: TRAINED,
                    members: trained.clone(),
                });
                groups.push(Group {
                    label: format!("untrained {}", p.name),
                    color: UNTRAINED,
                    members: members.into_iter().filter(|&i| !is_trained[i]).collect(),
                });
            } else {
                groups.push(Group {
                    label: p.name.clone(),
                    color: if trained_pop.is_none() && k == 0 {
                        UNTRAINED
                    } else {
                        let c = OTHERS[other % OTHERS.len()];
                        other += 1;
                        c
                    },
                    members,
                });
            }
        }
        Ok(Spiking {
            run,
            n,
            trained,
            trained_pop,
            groups,
        })
    }

    fn trained_name(&self) -> String {
        self.trained_pop
            .map(|k| self.run.populations[k].name.clone())
            .unwrap_or_default()
    }
}

/// Conditions shown per neuron.
const MAX_CONDITIONS: usize = 3;

/// Every figure of a run, in report order.
pub(crate) fn all(run: &Run) -> Result<Vec<Outcome>, ReportError> {
    match run.kind {
        Kind::Spiking => {
            let s = Spiking::new(run)?;
            let mut all = vec![
                training_curve(run)?,
                target_vs_input(&s)?,
                psth(&s)?,
                raster(&s)?,
                population_rates(&s)?,
                rate_histograms(&s)?,
                balance(&s)?,
                pca(&s)?,
                selectivity(&s)?,
                plastic_weights(&s)?,
            ];
            if run.summary.get("latent").is_some() {
                all.push(crate::latent::figure(run)?);
            }
            if let Some(f) = crate::latent::over_time(run)? {
                all.push(f);
            }
            if let Some(f) = crate::latent::mixed_selectivity(run)? {
                all.push(f);
            }
            all.extend(crate::perturbation::figures(run)?);
            all.extend(crate::plasticity::figures(run)?);
            Ok(all)
        }
        Kind::Rate => Ok(vec![
            training_curve(run)?,
            rate_target(run)?,
            rate_activity(run)?,
            rate_population(run)?,
            rate_weights(run)?,
            skip(
                "balance",
                "Excitation, inhibition and net input",
                "rate network: no separate excitatory and inhibitory inputs",
            )?,
            skip(
                "pca",
                "PCA time courses",
                "rate network: PCA of trained and untrained groups is computed for spiking runs",
            )?,
        ]),
    }
}

fn training_curve(run: &Run) -> Built {
    const ID: &str = "training_curve";
    const TITLE: &str = "Training curve";
    let (loops, r, r_ref, seconds, source) = match &run.curve {
        Some(c) => (
            c.loops.clone(),
            c.r.clone(),
            c.r_reference.clone(),
            c.seconds.clone(),
            "training_curve.csv",
        ),
        None => {
            let r = jnums(&run.summary, "training.r_per_loop").unwrap_or_default();
            let s = jnums(&run.summary, "training.loop_seconds").unwrap_or_default();
            let n = r.len().max(s.len());
            if n == 0 {
                return skip(ID, TITLE, "untrained run: no training loops");
            }
            let pad = |mut v: Vec<f64>| {
                v.resize(n, f64::NAN);
                v
            };
            (
                (1..=n).map(|l| l as f64).collect(),
                pad(r),
                None,
                pad(s),
                "summary.json (training.r_per_loop, training.loop_seconds)",
            )
        }
    };
    if loops.is_empty() {
        return skip(ID, TITLE, "the training curve has no loops");
    }
    let mut pr = Panel::new("r per loop", "training loop", "r");
    pr.line(loops.clone(), r.clone(), TRAINED)
        .points(loops.clone(), r.clone(), TRAINED);
    let mut legend = vec![("r (evaluated loops)".to_string(), TRAINED, Swatch::Line)];
    if let Some(rr) = r_ref {
        pr.dashed(loops.clone(), rr, UNTRAINED);
        legend.push(("r, reference window".into(), UNTRAINED, Swatch::Dashed));
    }
    if let Some(t) = jnum(&run.summary, "test.r_mean") {
        pr.items.push(Item::HLine {
            y: t,
            color: TARGET,
        });
        legend.push((format!("test r_mean = {t:.3}"), TARGET, Swatch::Dashed));
    }
    let integer_ticks = |n: usize| {
        (n <= 12).then(|| {
            (1..=n)
                .map(|l| (l as f64, l.to_string()))
                .collect::<Vec<_>>()
        })
    };
    pr.xticks = integer_ticks(loops.len());
    let (ms, _) = mean_sd(seconds.iter().copied());
    let mut ps = Panel::new(
        format!("wall time per loop (mean {ms:.2} s)"),
        "training loop",
        "seconds",
    );
    ps.line(loops.clone(), seconds.clone(), "#555555")
        .points(loops.clone(), seconds, "#555555");
    ps.xticks = integer_ticks(loops.len());
    let evaluated = r.iter().filter(|v| v.is_finite()).count();
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "Left: r, the correlation between the trained neurons' targets and their activity on \
             the evaluation trial of each loop ({evaluated} of {} loops evaluated; loops without \
             an evaluation are left out). The dashed line is the test score (summary.json \
             test.r_mean). Right: wall-clock seconds per training loop. Source: {source}.",
            loops.len()
        ),
        cols: 2,
        panel_w: 480.0,
        panel_h: 280.0,
        panels: vec![pr, ps],
        legend,
    }))
}

/// Test archive members shared by the per-neuron figures: bin centres and condition count.
fn test_axes<'t>(
    test: &'t Archive,
    id: &'static str,
    title: &'static str,
) -> Result<Result<(Arr<'t>, Arr<'t>), Built>, ReportError> {
    let (Some(bins), Some(rows)) = (
        test.get(&test_npz::BIN_CENTRE_MS)?,
        test.get(&test_npz::TRAINED_NEURONS)?,
    ) else {
        return Ok(Err(skip(
            id,
            title,
            "test.npz lacks bin_centre_ms or trained_neurons",
        )));
    };
    Ok(Ok((bins, rows)))
}

fn target_vs_input(s: &Spiking<'_>) -> Built {
    const ID: &str = "target_vs_input";
    const TITLE: &str = "Target vs model input of trained neurons";
    let Some(test) = &s.run.test else {
        return skip(ID, TITLE, "no test.npz (untrained run)");
    };
    let (bins, rows) = match test_axes(test, ID, TITLE)? {
        Ok(v) => v,
        Err(b) => return b,
    };
    let (Some(mean), Some(target)) = (
        test.get(&test_npz::INPUT_MEAN)?,
        test.get(&test_npz::TARGET)?,
    ) else {
        return skip(ID, TITLE, "test.npz lacks input_mean or target");
    };
    let nb = bins.dim(0);
    let nr = rows.dim(0);
    test.check_dim(&mean, 1, nb, "one per bin_centre_ms")?;
    test.check_dim(&mean, 2, s.n, "one per neuron")?;
    let nc = mean.dim(0);
    test.check_dim(&target, 0, nc, "one per condition of input_mean")?;
    test.check_dim(&target, 2, nr, "one per trained neuron")?;
    if target.dim(1) != nb {
        return skip(
            ID,
            TITLE,
            format!(
                "target has {} time steps but input_mean {nb} bins: cannot align them",
                target.dim(1)
            ),
        );
    }
    let trials = test.get(&test_npz::INPUT_TRIALS)?;
    if let Some(t) = &trials {
        test.check_dim(t, 0, nc, "one per condition")?;
        test.check_dim(t, 2, nb, "one per bin")?;
        test.check_dim(t, 3, s.n, "one per neuron")?;
    }
    let n_trials = trials.map_or(0, |t| t.dim(1));
    let pop = s.trained_pop.map(|k| &s.run.populations[k]);
    let bias = pop.map_or(0.0, |p| p.bias);
    let x = bins.data.to_vec();
    let mut panels = Vec::new();
    let shown_c = nc.min(MAX_CONDITIONS);
    for row in spread(nr, SAMPLE_NEURONS) {
        let neuron = s.trained[row];
        for c in 0..shown_c {
            let m: Vec<f64> = (0..nb).map(|b| mean.at(&[c, b, neuron]) + bias).collect();
            let tg: Vec<f64> = (0..nb).map(|b| target.at(&[c, b, row])).collect();
            let mut p = Panel::new(
                if nc > 1 {
                    format!("neuron {neuron}, condition {}", c + 1)
                } else {
                    format!("neuron {neuron}")
                },
                "time (ms)",
                "total input",
            );
            if let (Some(t), true) = (&trials, n_trials >= 2) {
                let (mut lo, mut hi) = (Vec::new(), Vec::new());
                for (b, &mb) in m.iter().enumerate() {
                    let (_, sd) = mean_sd((0..n_trials).map(|k| t.at(&[c, k, b, neuron])));
                    lo.push(mb - sd);
                    hi.push(mb + sd);
                }
                p.band(x.clone(), lo, hi, TRAINED);
            }
            p.line(x.clone(), m, TRAINED).dashed(x.clone(), tg, TARGET);
            panels.push(p);
        }
    }
    let cols = if shown_c > 1 { shown_c } else { 3 };
    let mut legend = vec![("model input, test mean".to_string(), TRAINED, Swatch::Line)];
    if n_trials >= 2 {
        legend.push(("± 1 SD across test trials".into(), TRAINED, Swatch::Fill));
    }
    legend.push(("target".into(), TARGET, Swatch::Dashed));
    let pop_name = pop.map_or("the trained".to_string(), |p| p.name.clone());
    // input_mean averages every test trial; input_trials may keep only the first ones.
    let all_trials = jnum(&s.run.summary, "test.trials").map_or(n_trials, |t| t as usize);
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "{} of the {nr} trained neurons (evenly spaced over the trained rows){}. Solid: the \
             model's input x_E + x_I + x_P averaged over {all_trials} test trial(s) in 100-ms \
             boxes around the target times, plus the constant bias of population {pop_name} \
             ({bias:.4}) so that it is on the scale of the target, which includes the bias; band: \
             ± 1 SD across the {n_trials} test trial(s) kept in input_trials. Dashed: the target \
             total input. Source: test.npz (input_mean, input_trials, target), experiment.toml \
             (bias).",
            nr.min(SAMPLE_NEURONS),
            if nc > shown_c {
                format!("; the first {shown_c} of {nc} conditions")
            } else {
                String::new()
            }
        ),
        cols,
        panel_w: 320.0,
        panel_h: 210.0,
        panels,
        legend,
    }))
}

fn psth(s: &Spiking<'_>) -> Built {
    const ID: &str = "psth";
    const TITLE: &str = "Model PSTH vs recorded rate";
    let Some(test) = &s.run.test else {
        return skip(ID, TITLE, "no test.npz (untrained run)");
    };
    let (bins, rows) = match test_axes(test, ID, TITLE)? {
        Ok(v) => v,
        Err(b) => return b,
    };
    let Some(ps) = test.get(&test_npz::PSTH_HZ)? else {
        return skip(ID, TITLE, "test.npz lacks psth_hz");
    };
    let (nb, nr, nc) = (bins.dim(0), rows.dim(0), ps.dim(0));
    test.check_dim(&ps, 1, nb, "one per bin_centre_ms")?;
    test.check_dim(&ps, 2, nr, "one per trained neuron")?;
    let rec = test.get(&test_npz::RECORDED_RATE_HZ)?;
    if let Some(r) = &rec {
        test.check_dim(r, 0, nc, "one per condition of psth_hz")?;
        test.check_dim(r, 1, nb, "one per bin")?;
        test.check_dim(r, 2, nr, "one per trained neuron")?;
    }
    let recorded_of_row = match test.get(&test_npz::RECORDED_NEURON_OF_ROW)? {
        Some(a) => Some(indices(test, &a, usize::MAX)?),
        None => None,
    };
    let x = bins.data.to_vec();
    let shown_c = nc.min(MAX_CONDITIONS);
    let mut panels = Vec::new();
    for row in spread(nr, SAMPLE_NEURONS) {
        let neuron = s.trained[row];
        for c in 0..shown_c {
            let mut title = format!("neuron {neuron}");
            if let Some(r) = recorded_of_row.as_ref().and_then(|v| v.get(row)) {
                title.push_str(&format!(" (recorded {r})"));
            }
            if nc > 1 {
                title.push_str(&format!(", cond. {}", c + 1));
            }
            let mut p = Panel::new(title, "time (ms)", "rate (Hz)");
            p.line(
                x.clone(),
                ps.slice(&[c])
                    .iter()
                    .skip(row)
                    .step_by(nr)
                    .copied()
                    .collect(),
                TRAINED,
            );
            if let Some(r) = &rec {
                p.dashed(
                    x.clone(),
                    (0..nb).map(|b| r.at(&[c, b, row])).collect(),
                    TARGET,
                );
            }
            panels.push(p);
        }
    }
    let mut legend = vec![("model PSTH (smoothed)".to_string(), TRAINED, Swatch::Line)];
    let note = if rec.is_some() {
        legend.push(("recorded rate".into(), TARGET, Swatch::Dashed));
        "Dashed: the recorded rate of the neuron each row was matched to (recorded_rate_hz)."
            .to_string()
    } else {
        format!(
            "This run has no recorded rates (target.kind = {}): only the model PSTH is shown.",
            tget(&s.run.experiment, "target.kind")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
        )
    };
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "The same trained neurons as above. Solid: the model's peri-stimulus time histogram \
             over the test trials, smoothed (psth_hz). {note} Source: test.npz."
        ),
        cols: if shown_c > 1 { shown_c } else { 3 },
        panel_w: 320.0,
        panel_h: 210.0,
        panels,
        legend,
    }))
}

/// Spike arrays of spikes.npz: (neuron, time_ms), checked.
/// Spikes of one trial: the neuron of each spike and its time (ms).
type Spikes<'r> = (Vec<usize>, &'r [f64]);

fn spikes<'r>(s: &Spiking<'r>) -> Result<Option<Spikes<'r>>, ReportError> {
    let Some(sp) = &s.run.spikes else {
        return Ok(None);
    };
    let (Some(nrn), Some(t)) = (sp.get(&spikes_npz::NEURON)?, sp.get(&spikes_npz::TIME_MS)?) else {
        return Ok(None);
    };
    sp.check_dim(&t, 0, nrn.dim(0), "one per entry of neuron")?;
    Ok(Some((indices(sp, &nrn, s.n)?, t.data)))
}

fn stimulus(run: &Run) -> Vec<(f64, f64)> {
    match (
        tnum(&run.experiment, "stimulus.start_ms"),
        tnum(&run.experiment, "stimulus.end_ms"),
    ) {
        (Some(a), Some(b)) if b > a => vec![(a, b)],
        _ => Vec::new(),
    }
}

fn trial_words(s: &Spiking<'_>) -> &'static str {
    if s.run.test.is_some() {
        "the first test trial of condition 1"
    } else {
        "the simulation's first trial"
    }
}

fn raster(s: &Spiking<'_>) -> Built {
    const ID: &str = "raster";
    const TITLE: &str = "Spike raster";
    let Some((neuron, time)) = spikes(s)? else {
        return skip(ID, TITLE, "no spikes.npz with neuron and time_ms");
    };
    // Rows: a sample of each group, first group on top.
    let mut row_of = vec![usize::MAX; s.n];
    let mut yticks = Vec::new();
    let mut blocks = Vec::new();
    let mut row = 0;
    for g in &s.groups {
        let pick: Vec<usize> = spread(g.members.len(), RASTER_PER_GROUP)
            .into_iter()
            .map(|i| g.members[i])
            .collect();
        if pick.is_empty() {
            continue;
        }
        for &i in &pick {
            row_of[i] = row;
            row += 1;
        }
        blocks.push((g, row - pick.len(), row));
    }
    let total = row as f64;
    let y = |r: usize| total - 0.5 - r as f64;
    let mut p = Panel::new(
        format!(
            "up to {RASTER_PER_GROUP} neurons per group, {}",
            trial_words(s)
        ),
        "time (ms)",
        "",
    );
    for (g, a, b) in &blocks {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for (&i, &t) in neuron.iter().zip(time) {
            let r = row_of[i];
            if r != usize::MAX && r >= *a && r < *b {
                xs.push(t);
                ys.push(y(r));
            }
        }
        yticks.push(((y(*a) + y(b - 1)) / 2.0, g.label.clone()));
        p.items.push(Item::Ticks {
            x: xs,
            y: ys,
            half: 0.4,
            color: g.color,
        });
    }
    p.ylim = Some((0.0, total));
    p.yticks = Some(yticks);
    p.xlim = tnum(&s.run.experiment, "duration_ms").map(|d| (0.0, d));
    p.shade = stimulus(s.run);
    let legend = blocks
        .iter()
        .map(|(g, a, b)| {
            (
                format!("{} ({} shown)", g.label, b - a),
                g.color,
                Swatch::Fill,
            )
        })
        .collect();
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "Spikes of {} (spikes.npz): up to {RASTER_PER_GROUP} neurons of each group, evenly \
             spaced over the group's indices; trained neurons in red. The grey band is the \
             stimulus window.",
            trial_words(s)
        ),
        cols: 1,
        panel_w: 1100.0,
        panel_h: (total * 5.0 + 80.0).clamp(260.0, 620.0),
        panels: vec![p],
        legend,
    }))
}

fn population_rates(s: &Spiking<'_>) -> Built {
    const ID: &str = "population_rates";
    const TITLE: &str = "Population rates";
    let spk = spikes(s)?;
    let pop_rate = match &s.run.spikes {
        Some(sp) => sp.get(&spikes_npz::POPULATION_RATE_HZ)?,
        None => None,
    };
    if spk.is_none() && pop_rate.is_none() {
        return skip(ID, TITLE, "no spikes.npz");
    }
    let duration = tnum(&s.run.experiment, "duration_ms");
    let mut panels = Vec::new();
    let mut legend = Vec::new();
    let bin = 20.0;
    if let Some((neuron, time)) = &spk {
        let end = duration
            .or_else(|| range_of([*time]).map(|(_, b)| b))
            .unwrap_or(1.0);
        let nbins = ((end / bin).ceil() as usize).max(1);
        let mut group_of = vec![usize::MAX; s.n];
        for (k, g) in s.groups.iter().enumerate() {
            for &i in &g.members {
                group_of[i] = k;
            }
        }
        let mut counts = vec![vec![0.0; nbins]; s.groups.len()];
        for (&i, &t) in neuron.iter().zip(time.iter()) {
            let k = group_of[i];
            if k != usize::MAX && t >= 0.0 {
                let b = ((t / bin) as usize).min(nbins - 1);
                counts[k][b] += 1.0;
            }
        }
        let mut p = Panel::new(
            format!("per group, {} ({bin:.0}-ms bins)", trial_words(s)),
            "time (ms)",
            "rate (Hz)",
        );
        let x: Vec<f64> = (0..nbins).map(|b| (b as f64 + 0.5) * bin).collect();
        for (g, c) in s.groups.iter().zip(&counts) {
            if g.members.is_empty() {
                continue;
            }
            let scale = 1000.0 / (bin * g.members.len() as f64);
            p.line(x.clone(), c.iter().map(|v| v * scale).collect(), g.color);
            legend.push((
                format!("{} ({} neurons)", g.label, g.members.len()),
                g.color,
                Swatch::Line,
            ));
        }
        p.shade = stimulus(s.run);
        panels.push(p);
    }
    if let (Some(sp), Some(pr)) = (&s.run.spikes, &pop_rate) {
        sp.check_dim(pr, 0, s.run.populations.len(), "one per population")?;
        let mut p = Panel::new(
            "per population (population_rate_hz, 20-ms means)",
            "time (ms)",
            "rate (Hz)",
        );
        let nb = pr.dim(1);
        let x: Vec<f64> = (0..nb).map(|b| b as f64 + 0.5).collect();
        for (k, pop) in s.run.populations.iter().enumerate() {
            let color = s
                .groups
                .iter()
                .find(|g| g.label == pop.name)
                .map_or(UNTRAINED, |g| g.color);
            let (xs, ys) = decimate(&x, pr.slice(&[k]), nb.div_ceil(20).max(1));
            p.line(xs, ys, color);
            if !legend.iter().any(|(l, _, _)| *l == pop.name) && spk.is_none() {
                legend.push((pop.name.clone(), color, Swatch::Line));
            }
        }
        p.shade = stimulus(s.run);
        panels.push(p);
    }
    let n = panels.len();
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "{}Firing rate of each group (spike count / neurons / bin) over time, from the spikes \
             of {}.{} The grey band is the stimulus window.",
            if n == 2 { "Left: " } else { "" },
            trial_words(s),
            if n == 2 {
                " Right: the population rates of the final phase as written in \
                 spikes.npz population_rate_hz (1-ms bins, averaged here over 20 ms)."
            } else {
                ""
            }
        ),
        cols: n,
        panel_w: if n == 2 { 550.0 } else { 1100.0 },
        panel_h: 300.0,
        panels,
        legend,
    }))
}

fn rate_histograms(s: &Spiking<'_>) -> Built {
    const ID: &str = "rate_histograms";
    const TITLE: &str = "Firing-rate distributions";
    let Some(sp) = &s.run.spikes else {
        return skip(ID, TITLE, "no spikes.npz");
    };
    let Some(after) = sp.get(&spikes_npz::NEURON_RATE_HZ)? else {
        return skip(ID, TITLE, "spikes.npz lacks neuron_rate_hz");
    };
    sp.check_dim(&after, 0, s.n, "one per neuron")?;
    let before = sp.get(&spikes_npz::INITIAL_NEURON_RATE_HZ)?;
    if let Some(b) = &before {
        sp.check_dim(b, 0, s.n, "one per neuron")?;
    }
    let hi = quantile(after.data, 0.995).max(before.map_or(0.0, |b| quantile(b.data, 0.995)));
    let hi = if hi.is_finite() && hi > 0.0 { hi } else { 1.0 };
    let mut panels = Vec::new();
    for g in s.groups.iter().filter(|g| !g.members.is_empty()) {
        let a: Vec<f64> = g.members.iter().map(|&i| after.data[i]).collect();
        let (ma, _) = mean_sd(a.iter().copied());
        let mut title = format!("{}: {ma:.2} Hz", g.label);
        let mut p = Panel::new("", "rate (Hz)", "fraction of neurons");
        if let Some(b) = &before {
            let bv: Vec<f64> = g.members.iter().map(|&i| b.data[i]).collect();
            let (mb, _) = mean_sd(bv.iter().copied());
            title.push_str(&format!(" (settle {mb:.2} Hz)"));
            let (edges, h) = histogram(&bv, 0.0, hi, 30);
            p.histogram(&edges, h, BEFORE, 0.55);
        }
        let (edges, h) = histogram(&a, 0.0, hi, 30);
        p.histogram(&edges, h, g.color, 0.55);
        p.title = title;
        panels.push(p);
    }
    let mut legend = Vec::new();
    if before.is_some() {
        legend.push((
            "before training (settle run)".to_string(),
            BEFORE,
            Swatch::Fill,
        ));
        legend.push((
            "after training (test trials), group colour".into(),
            TRAINED,
            Swatch::Fill,
        ));
    } else {
        legend.push(("final phase, group colour".into(), UNTRAINED, Swatch::Fill));
    }
    let n = panels.len();
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "Time-averaged firing rate of each neuron, per group (neuron_rate_hz{}). Rates above \
             the 99.5th percentile ({hi:.1} Hz) fall in the last bin. Titles give group means.{}",
            if before.is_some() {
                "; grey: initial_neuron_rate_hz of the settle run before training"
            } else {
                ""
            },
            if before.is_none() && s.trained_pop.is_some() {
                " This run directory has no initial_neuron_rate_hz, so only the rates after \
                 training are shown."
            } else {
                ""
            }
        ),
        cols: n.min(3),
        panel_w: 360.0,
        panel_h: 250.0,
        panels,
        legend,
    }))
}

fn balance(s: &Spiking<'_>) -> Built {
    const ID: &str = "balance";
    const TITLE: &str = "Excitation, inhibition and net input";
    const NAMES: [&str; 4] = ["excitatory", "inhibitory", "external", "net"];
    const COLORS: [&str; 4] = ["#d62728", "#1f77b4", "#7f7f7f", "#111111"];
    let tc = match &s.run.spikes {
        Some(sp) => sp.get(&spikes_npz::INPUT_TIMECOURSE)?,
        None => None,
    };
    let mut panels = Vec::new();
    if let (Some(sp), Some(tc)) = (&s.run.spikes, &tc) {
        sp.check_dim(tc, 0, s.run.populations.len(), "one per population")?;
        sp.check_dim(tc, 1, 4, "excitatory, inhibitory, external, net")?;
        let nb = tc.dim(2);
        let x: Vec<f64> = (0..nb).map(|b| b as f64 + 0.5).collect();
        for (k, pop) in s.run.populations.iter().enumerate() {
            let mut p = Panel::new(
                format!("population {} (mean over its neurons)", pop.name),
                "time (ms)",
                "input",
            );
            for (c, color) in COLORS.iter().enumerate() {
                let (xs, ys) = decimate(&x, tc.slice(&[k, c]), MAX_POINTS);
                p.line(xs, ys, color);
            }
            p.items.push(Item::HLine {
                y: 0.0,
                color: "#999999",
            });
            p.shade = stimulus(s.run);
            panels.push(p);
        }
    }
    // Time averages from summary.json, per population.
    let mut bars = Panel::new("time-averaged (summary.json)", "", "mean input");
    let mut xt = Vec::new();
    let mut any = false;
    let mut any_initial = false;
    for (k, pop) in s.run.populations.iter().enumerate() {
        let key = pop.name.to_lowercase();
        for (c, (name, color)) in NAMES.iter().zip(COLORS).enumerate() {
            let x0 = k as f64 * 5.0 + c as f64;
            // Before training (settle run), paler, on the left half of the slot.
            let initial = jnum(&s.run.summary, &format!("initial.mean_input.{key}.{name}"));
            if let Some(v) = initial {
                any_initial = true;
                bars.items.push(Item::Bars {
                    left: vec![x0 + 0.1],
                    right: vec![x0 + 0.5],
                    height: vec![v],
                    color,
                    opacity: 0.35,
                });
            }
            let Some(v) = jnum(&s.run.summary, &format!("activity.mean_input.{key}.{name}")) else {
                continue;
            };
            any = true;
            let left = if initial.is_some() { 0.5 } else { 0.1 };
            bars.items.push(Item::Bars {
                left: vec![x0 + left],
                right: vec![x0 + 0.9],
                height: vec![v],
                color,
                opacity: 0.85,
            });
        }
        xt.push((k as f64 * 5.0 + 2.0, pop.name.clone()));
    }
    if any {
        bars.xticks = Some(xt);
        bars.items.push(Item::HLine {
            y: 0.0,
            color: "#999999",
        });
        panels.push(bars);
    }
    if panels.is_empty() {
        return skip(
            ID,
            TITLE,
            "neither spikes.npz input_timecourse nor summary.json activity.mean_input",
        );
    }
    let n = panels.len();
    let legend = NAMES
        .iter()
        .zip(COLORS)
        .map(|(n, c)| (n.to_string(), c, Swatch::Line))
        .collect();
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "{}The last panel shows the time averages of the same components from summary.json \
             (activity.mean_input{}). Excitatory and inhibitory recurrent input largely cancel; \
             the net input (black) is their sum plus the external input (bias, and feed-forward \
             and stimulus input where present).",
            if tc.is_some() {
                format!(
                    "Population-mean input components over time in 1-ms bins (spikes.npz \
                     input_timecourse, {}; shown as means of {} bins at most). ",
                    trial_words(s),
                    MAX_POINTS
                )
            } else {
                "This run directory has no input_timecourse in spikes.npz, so only time \
                 averages are shown. "
                    .to_string()
            },
            if any_initial {
                "; pale left bars: before training, initial.mean_input of the settle run"
            } else {
                ""
            }
        ),
        cols: n.min(3),
        panel_w: if n == 1 { 500.0 } else { 380.0 },
        panel_h: 280.0,
        panels,
        legend,
    }))
}

/// Names of the three PCA/selectivity groups.
fn group_names(s: &Spiking<'_>) -> [String; 3] {
    let t = s.trained_name();
    let others: Vec<String> = s
        .run
        .populations
        .iter()
        .enumerate()
        .filter(|(k, _)| Some(*k) != s.trained_pop)
        .map(|(_, p)| p.name.clone())
        .collect();
    [
        format!("trained {t}"),
        format!("untrained {t}"),
        if others.is_empty() {
            "other populations".into()
        } else {
            others.join(", ")
        },
    ]
}

fn pca(s: &Spiking<'_>) -> Built {
    const ID: &str = "pca";
    const TITLE: &str = "PCA time courses";
    let Some(test) = &s.run.test else {
        return skip(ID, TITLE, "no test.npz (untrained run)");
    };
    let (Some(bins), Some(load)) = (
        test.get(&test_npz::BIN_CENTRE_MS)?,
        test.get(&test_npz::PCA_LOADINGS)?,
    ) else {
        return skip(
            ID,
            TITLE,
            "test.npz has no pca_loadings (groups too small for PCA, or an older run directory)",
        );
    };
    test.check_dim(&load, 2, bins.dim(0), "one per bin_centre_ms")?;
    let evr = test.get(&test_npz::PCA_EXPLAINED_VARIANCE_RATIO)?;
    let names = group_names(s);
    let colors = [TRAINED, UNTRAINED, OTHERS[0]];
    let x = bins.data.to_vec();
    let mut panels = Vec::new();
    for g in 0..load.dim(0).min(3) {
        let mut title = names[g].clone();
        if let Some(e) = &evr {
            if g < e.dim(0) && e.dim(1) >= 2 {
                title.push_str(&format!(
                    " (PC1 {:.0}%, PC2 {:.0}%)",
                    100.0 * e.at(&[g, 0]),
                    100.0 * e.at(&[g, 1])
                ));
            }
        }
        let mut p = Panel::new(title, "time (ms)", "PC time course");
        p.line(x.clone(), load.slice(&[g, 0]).to_vec(), colors[g]);
        if load.dim(1) > 1 {
            p.dashed(x.clone(), load.slice(&[g, 1]).to_vec(), colors[g]);
        }
        panels.push(p);
    }
    let corr = |k: &str| {
        jnums(&s.run.summary, k)
            .map(|v| {
                v.iter()
                    .map(|c| format!("{c:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "n/a".into())
    };
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "Time courses of the first two principal components of each group's test-mean input \
             (condition 1, 100-ms boxes; test.npz pca_loadings), with the fraction of variance \
             each explains. A component's sign is arbitrary. |corr| of PC1, PC2 time courses \
             (summary.json analysis): {} vs {}: {}; {} vs {}: {}.",
            names[0],
            names[1],
            corr("analysis.pc_corr_trained_e_vs_untrained_e"),
            names[0],
            names[2],
            corr("analysis.pc_corr_trained_e_vs_untrained_i"),
        ),
        cols: 3,
        panel_w: 360.0,
        panel_h: 260.0,
        panels,
        legend: vec![
            ("PC1".into(), "#444444", Swatch::Line),
            ("PC2".into(), "#444444", Swatch::Dashed),
        ],
    }))
}

fn selectivity(s: &Spiking<'_>) -> Built {
    const ID: &str = "selectivity";
    const TITLE: &str = "Selectivity";
    let Some(test) = &s.run.test else {
        return skip(ID, TITLE, "no test.npz (untrained run)");
    };
    let arrays = test_npz::SELECTIVITY
        .iter()
        .map(|spec| test.get(spec))
        .collect::<Result<Vec<_>, _>>()?;
    if arrays.iter().all(Option::is_none) {
        return skip(ID, TITLE, "test.npz has no selectivity arrays");
    }
    if arrays.iter().flatten().all(|a| a.data.is_empty()) {
        let nc = test.get(&test_npz::INPUT_MEAN)?.map_or(0, |a| a.dim(0));
        return skip(
            ID,
            TITLE,
            format!("selectivity needs two conditions; this run has {nc}"),
        );
    }
    let all: Vec<&[f64]> = arrays.iter().flatten().map(|a| a.data).collect();
    let (lo, hi) = range_of(all.iter().copied()).unwrap_or((-1.0, 1.0));
    let m = lo.abs().max(hi.abs());
    let names = group_names(s);
    let colors = [TRAINED, UNTRAINED, OTHERS[0]];
    let mut panels = Vec::new();
    for (g, a) in arrays.iter().enumerate() {
        let Some(a) = a else { continue };
        let (mean, sd) = mean_sd(a.data.iter().copied());
        let mut p = Panel::new(
            "",
            "selectivity (cond. 1 − cond. 2 input)",
            "fraction of neurons",
        );
        let (edges, h) = histogram(a.data, -m, m, 31);
        p.histogram(&edges, h, colors[g], 0.75);
        p.title = format!(
            "{} (n = {}, mean {mean:.3}, SD {sd:.3})",
            names[g],
            a.data.len()
        );
        panels.push(p);
    }
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: "Selectivity of each neuron: its test-mean input in condition 1 minus that in \
                  condition 2, averaged over time (test.npz selectivity_trained, \
                  selectivity_untrained, selectivity_other), per group on a common axis."
            .into(),
        cols: 3,
        panel_w: 360.0,
        panel_h: 250.0,
        panels,
        legend: Vec::new(),
    }))
}

fn plastic_weights(s: &Spiking<'_>) -> Built {
    const ID: &str = "plastic_weights";
    const TITLE: &str = "Plastic weights before and after training";
    let Some(test) = &s.run.test else {
        return skip(ID, TITLE, "no test.npz (untrained run)");
    };
    let (Some(w0), Some(w1)) = (
        test.get(&test_npz::PLASTIC_WEIGHTS_INITIAL)?,
        test.get(&test_npz::PLASTIC_WEIGHTS_FINAL)?,
    ) else {
        return skip(
            ID,
            TITLE,
            "test.npz lacks plastic_weights_initial or plastic_weights_final",
        );
    };
    test.check_dim(&w1, 0, w0.dim(0), "as plastic_weights_initial")?;
    test.check_dim(&w1, 1, w0.dim(1), "as plastic_weights_initial")?;
    let (rows, cols) = (w0.dim(0), w0.dim(1));
    let exp = &s.run.experiment;
    let sampled = tget(exp, "training.plastic").and_then(|v| v.as_str()) == Some("sampled");
    let ne = tnum(exp, "training.plastic_exc_inputs").unwrap_or(-1.0);
    let ni = tnum(exp, "training.plastic_inh_inputs").unwrap_or(-1.0);
    let split = sampled && ne >= 0.0 && ni >= 0.0 && (ne + ni) as usize == cols;
    let parts: Vec<(String, std::ops::Range<usize>)> = if split {
        let ne = ne as usize;
        vec![
            (format!("excitatory inputs ({ne} per neuron)"), 0..ne),
            (
                format!("inhibitory inputs ({} per neuron)", cols - ne),
                ne..cols,
            ),
        ]
    } else {
        vec![(format!("all plastic inputs ({cols} per neuron)"), 0..cols)]
    };
    let mut panels = Vec::new();
    for (title, range) in parts {
        if range.is_empty() {
            continue;
        }
        let take = |w: &Arr<'_>| -> Vec<f64> {
            (0..rows)
                .flat_map(|r| w.slice(&[r])[range.clone()].to_vec())
                .collect()
        };
        let (a, b) = (take(&w0), take(&w1));
        let (lo, hi) = range_of([a.as_slice(), b.as_slice()]).unwrap_or((0.0, 1.0));
        let (ma, _) = mean_sd(a.iter().copied());
        let (mb, sb) = mean_sd(b.iter().copied());
        let mut p = Panel::new(
            format!("{title}: mean {ma:.3} → {mb:.3}, SD after {sb:.3}"),
            "weight",
            "fraction of weights",
        );
        let (e, h) = histogram(&a, lo, hi, 40);
        p.histogram(&e, h, BEFORE, 0.6);
        let (e, h) = histogram(&b, lo, hi, 40);
        p.histogram(&e, h, TRAINED, 0.55);
        panels.push(p);
    }
    let n = panels.len();
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "Distribution of the recurrent plastic weights of the {rows} trained neurons before \
             (grey, plastic_weights_initial) and after (red, plastic_weights_final) training. \
             Source: test.npz{}.",
            if split {
                "; inputs split into excitatory and inhibitory by training.plastic_exc_inputs"
            } else {
                ""
            }
        ),
        cols: n.max(1),
        panel_w: if n == 1 { 600.0 } else { 540.0 },
        panel_h: 270.0,
        panels,
        legend: vec![
            ("before training".into(), BEFORE, Swatch::Fill),
            ("after training".into(), TRAINED, Swatch::Fill),
        ],
    }))
}

/// Rate networks: test_traces.npz, checked.
struct Traces<'t> {
    time: Arr<'t>,
    units: Vec<usize>,
    quantity: Arr<'t>,
    target: Arr<'t>,
    rates: Option<Arr<'t>>,
    n_units: usize,
}

fn traces(run: &Run) -> Result<Option<Traces<'_>>, ReportError> {
    let Some(a) = &run.traces else {
        return Ok(None);
    };
    let (Some(time), Some(units), Some(quantity), Some(target)) = (
        a.get(&test_traces::TIME_MS)?,
        a.get(&test_traces::TRAINED_UNITS)?,
        a.get(&test_traces::TRAINED_QUANTITY)?,
        a.get(&test_traces::TARGET)?,
    ) else {
        return Ok(None);
    };
    let rates = a.get(&test_traces::RATES)?;
    let n_units = rates
        .map(|r| r.dim(2))
        .or_else(|| jnum(&run.summary, "network.units").map(|u| u as usize))
        .unwrap_or(usize::MAX);
    let nt = time.dim(0);
    let m = units.dim(0);
    a.check_dim(&quantity, 1, nt, "one per time_ms")?;
    a.check_dim(&quantity, 2, m, "one per trained unit")?;
    a.check_dim(&target, 0, nt, "one per time_ms")?;
    a.check_dim(&target, 1, m, "one per trained unit")?;
    if let Some(r) = &rates {
        a.check_dim(r, 1, nt, "one per time_ms")?;
    }
    let units = indices(a, &units, n_units)?;
    Ok(Some(Traces {
        time,
        units,
        quantity,
        target,
        rates,
        n_units,
    }))
}

fn rate_target(run: &Run) -> Built {
    const ID: &str = "target_vs_input";
    const TITLE: &str = "Target vs trained quantity";
    let Some(t) = traces(run)? else {
        return skip(
            ID,
            TITLE,
            "no test_traces.npz with time_ms, trained_units, trained_quantity and target",
        );
    };
    let m = t.units.len();
    let trials = t.quantity.dim(0);
    let nt = t.time.dim(0);
    let x = t.time.data;
    let mut panels = Vec::new();
    for j in spread(m, SAMPLE_NEURONS) {
        let col = |k: usize| -> Vec<f64> { (0..nt).map(|i| t.quantity.at(&[k, i, j])).collect() };
        let per_trial: Vec<Vec<f64>> = (0..trials).map(col).collect();
        let (mut mean, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..nt {
            let (mu, sd) = mean_sd(per_trial.iter().map(|v| v[i]));
            mean.push(mu);
            lo.push(mu - sd);
            hi.push(mu + sd);
        }
        let tg: Vec<f64> = (0..nt).map(|i| t.target.at(&[i, j])).collect();
        let mut p = Panel::new(
            format!("unit {}", t.units[j]),
            "time (ms)",
            "trained quantity",
        );
        if trials >= 2 {
            let (xs, l) = decimate(x, &lo, MAX_POINTS);
            let (_, h) = decimate(x, &hi, MAX_POINTS);
            p.band(xs, l, h, TRAINED);
        }
        let (xs, ys) = decimate(x, &mean, MAX_POINTS);
        p.line(xs, ys, TRAINED);
        let (xs, ys) = decimate(x, &tg, MAX_POINTS);
        p.dashed(xs, ys, TARGET);
        panels.push(p);
    }
    let mut legend = vec![("model, test mean".to_string(), TRAINED, Swatch::Line)];
    if trials >= 2 {
        legend.push(("± 1 SD across test trials".into(), TRAINED, Swatch::Fill));
    }
    legend.push(("target".into(), TARGET, Swatch::Dashed));
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "{} of the {m} trained units (evenly spaced). Solid: the trained quantity averaged \
             over {trials} test trial(s); band ± 1 SD across trials; dashed: the target. \
             Rate networks have no bias, so both are shown as written. Source: test_traces.npz.",
            m.min(SAMPLE_NEURONS)
        ),
        cols: 3,
        panel_w: 320.0,
        panel_h: 210.0,
        panels,
        legend,
    }))
}

fn rate_activity(run: &Run) -> Built {
    const ID: &str = "unit_activity";
    const TITLE: &str = "Unit activity on one test trial";
    let Some(t) = traces(run)? else {
        return skip(ID, TITLE, "no test_traces.npz");
    };
    let Some(r) = t.rates else {
        return skip(ID, TITLE, "test_traces.npz lacks rates");
    };
    let n = r.dim(2);
    let trained: std::collections::BTreeSet<usize> = t.units.iter().copied().collect();
    let untrained: Vec<usize> = (0..n).filter(|i| !trained.contains(i)).collect();
    let nt = t.time.dim(0);
    let mut panels = Vec::new();
    let palette = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];
    for (label, set) in [
        ("trained units", t.units.clone()),
        ("untrained units", untrained),
    ] {
        if set.is_empty() {
            continue;
        }
        let mut p = Panel::new(label, "time (ms)", "rate");
        for (k, i) in spread(set.len(), 5).into_iter().enumerate() {
            let u = set[i];
            let y: Vec<f64> = (0..nt).map(|s| r.at(&[0, s, u])).collect();
            let (xs, ys) = decimate(t.time.data, &y, MAX_POINTS);
            p.line(xs, ys, palette[k % palette.len()]);
        }
        p.shade = stimulus(run);
        panels.push(p);
    }
    let n_p = panels.len();
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: "Rates of up to 5 trained and 5 untrained units (evenly spaced) on the first \
                  test trial (test_traces.npz rates). A rate network has no spikes, so this \
                  replaces the raster. The grey band is the stimulus window."
            .into(),
        cols: n_p.max(1),
        panel_w: 550.0,
        panel_h: 280.0,
        panels,
        legend: Vec::new(),
    }))
}

fn rate_population(run: &Run) -> Built {
    const ID: &str = "population_rates";
    const TITLE: &str = "Mean activity and rate distribution";
    let Some(t) = traces(run)? else {
        return skip(ID, TITLE, "no test_traces.npz");
    };
    let Some(r) = t.rates else {
        return skip(ID, TITLE, "test_traces.npz lacks rates");
    };
    let n = r.dim(2);
    let nt = t.time.dim(0);
    let mut is_trained = vec![false; n];
    for &u in &t.units {
        is_trained[u] = true;
    }
    let groups = [
        ("trained units", true, TRAINED),
        ("untrained units", false, UNTRAINED),
    ];
    let mut pt = Panel::new("mean over units, first test trial", "time (ms)", "rate");
    let mut ph = Panel::new("time-averaged rate per unit", "rate", "fraction of units");
    let mut legend = Vec::new();
    let unit_means: Vec<f64> = (0..n)
        .map(|u| mean_sd((0..nt).map(|s| r.at(&[0, s, u]))).0)
        .collect();
    let (lo, hi) = range_of([unit_means.as_slice()]).unwrap_or((0.0, 1.0));
    for (label, flag, color) in groups {
        let members: Vec<usize> = (0..n).filter(|&u| is_trained[u] == flag).collect();
        if members.is_empty() {
            continue;
        }
        let y: Vec<f64> = (0..nt)
            .map(|s| members.iter().map(|&u| r.at(&[0, s, u])).sum::<f64>() / members.len() as f64)
            .collect();
        let (xs, ys) = decimate(t.time.data, &y, MAX_POINTS);
        pt.line(xs, ys, color);
        let v: Vec<f64> = members.iter().map(|&u| unit_means[u]).collect();
        let (e, h) = histogram(&v, lo, hi, 25);
        ph.histogram(&e, h, color, 0.55);
        legend.push((format!("{label} ({})", members.len()), color, Swatch::Line));
    }
    pt.shade = stimulus(run);
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: format!(
            "Left: mean rate of trained and untrained units over the first test trial. Right: \
             each unit's time-averaged rate on that trial ({} units). Only the network after \
             training is recorded for rate networks. Source: test_traces.npz rates.",
            t.n_units.min(n)
        ),
        cols: 2,
        panel_w: 550.0,
        panel_h: 280.0,
        panels: vec![pt, ph],
        legend,
    }))
}

fn rate_weights(run: &Run) -> Built {
    const ID: &str = "plastic_weights";
    const TITLE: &str = "Recurrent weights after training";
    let Some(a) = &run.traces else {
        return skip(ID, TITLE, "no test_traces.npz");
    };
    let Some(w) = a.get(&test_traces::WEIGHTS)? else {
        return skip(ID, TITLE, "test_traces.npz lacks weights");
    };
    a.check_dim(&w, 1, w.dim(0), "a square matrix")?;
    let nz: Vec<f64> = w.data.iter().copied().filter(|v| *v != 0.0).collect();
    let (lo, hi) = range_of([nz.as_slice()]).unwrap_or((-1.0, 1.0));
    let (m, sd) = mean_sd(nz.iter().copied());
    let mut p = Panel::new(
        format!("{} non-zero weights: mean {m:.3}, SD {sd:.3}", nz.len()),
        "weight",
        "fraction of weights",
    );
    let (e, h) = histogram(&nz, lo, hi, 50);
    p.histogram(&e, h, TRAINED, 0.7);
    Ok(Outcome::Drawn(Figure {
        id: ID,
        title: TITLE.into(),
        caption: "Distribution of the non-zero entries of the recurrent weight matrix after \
                  training (test_traces.npz weights). Rate runs do not save the initial matrix, \
                  so no before/after comparison is possible."
            .into(),
        cols: 1,
        panel_w: 600.0,
        panel_h: 280.0,
        panels: vec![p],
        legend: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_picks_ends_and_is_distinct() {
        assert_eq!(spread(50, 6), vec![0, 9, 19, 29, 39, 49]);
        assert_eq!(spread(3, 6), vec![0, 1, 2]);
        assert_eq!(spread(10, 1), vec![0]);
        assert!(spread(0, 6).is_empty());
    }

    #[test]
    fn mean_sd_and_quantile_ignore_nan() {
        let (m, s) = mean_sd([1.0, 3.0, f64::NAN]);
        assert_eq!(m, 2.0);
        assert!((s - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(quantile(&[3.0, 1.0, 2.0, f64::NAN], 1.0), 3.0);
        assert!(mean_sd([]).0.is_nan());
    }
}
