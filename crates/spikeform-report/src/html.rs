//! The report page: one HTML file with the figures inline as SVG, no scripts, no external
//! references (only `#` anchors), readable in any browser.

use std::fmt::Write;

use serde_json::Value;

use crate::figures::Outcome;
use crate::plot::esc;
use crate::run::{jget, jnum, tget, tnum, Kind, Run};

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;max-width:1180px;\
margin:0 auto;padding:16px 20px 40px;color:#222;background:#fff;line-height:1.4}\
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;border-bottom:1px solid #ddd;\
padding-bottom:4px;margin-top:34px}h3{font-size:15px;margin:14px 0 6px}\
.sub{color:#555;font-size:14px}.tables{display:flex;flex-wrap:wrap;gap:8px 32px}\
table.kv{border-collapse:collapse;font-size:13px}table.kv td{border-bottom:1px solid #eee;\
padding:3px 14px 3px 0;vertical-align:top}table.kv td:first-child{color:#555}\
figure{margin:26px 0}figure svg{max-width:100%;height:auto;display:block;border:1px solid #eee}\
figcaption{font-size:13px;color:#333;margin-top:6px}figcaption .files{color:#777}\
pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}nav{font-size:13px}\
nav a{margin-right:12px;white-space:nowrap}ul.skipped{font-size:13px}";

/// A number for people: integers as such, others with 4 significant digits.
pub(crate) fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        format!("{v:.3e}")
    } else {
        let digits = (3 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// A JSON value in a table cell.
fn fmt_json(v: &Value) -> String {
    match v {
        Value::Null => "n/a".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), fmt_num),
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let shown: Vec<String> = a.iter().take(12).map(fmt_json).collect();
            let more = if a.len() > 12 {
                format!(", … ({} values)", a.len())
            } else {
                String::new()
            };
            format!("[{}{more}]", shown.join(", "))
        }
        Value::Object(_) => serde_json::to_string(v).unwrap_or_default(),
    }
}

/// Every leaf of a JSON object as (dotted key, value); arrays of objects stay whole.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        _ => out.push((prefix.to_string(), fmt_json(v))),
    }
}

fn table(out: &mut String, title: &str, rows: &[(String, String)]) {
    if rows.is_empty() {
        return;
    }
    let _ = write!(out, "<div><h3>{}</h3><table class=\"kv\">", esc(title));
    for (k, v) in rows {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    out.push_str("</table></div>");
}

/// Key parameters and results, grouped.
fn key_tables(run: &Run) -> Vec<(&'static str, Vec<(String, String)>)> {
    let s = &run.summary;
    let m = &run.manifest;
    let e = &run.experiment;
    let mut runs = Vec::new();
    let push = |rows: &mut Vec<(String, String)>, k: &str, v: Option<String>| {
        if let Some(v) = v {
            rows.push((k.to_string(), v));
        }
    };
    let js = |v: &Value, p: &str| jget(v, p).map(fmt_json);
    let ts = |p: &str| {
        tget(e, p).map(|v| match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Float(f) => fmt_num(*f),
            other => other.to_string(),
        })
    };
    push(
        &mut runs,
        "experiment",
        js(s, "experiment").or_else(|| ts("name")),
    );
    push(&mut runs, "network kind", js(s, "kind"));
    push(&mut runs, "seed", js(m, "seed").or_else(|| js(s, "seed")));
    push(
        &mut runs,
        "program",
        match (jget(m, "program"), jget(m, "version")) {
            (Some(p), Some(v)) => Some(format!("{} {}", fmt_json(p), fmt_json(v))),
            _ => None,
        },
    );
    push(&mut runs, "threads", js(m, "threads"));
    push(
        &mut runs,
        "command",
        jget(m, "arguments").and_then(Value::as_array).map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(" ")
        }),
    );
    push(
        &mut runs,
        "wall time, run (s)",
        jnum(m, "wall_seconds.run").map(fmt_num),
    );
    push(
        &mut runs,
        "wall time, total (s)",
        jnum(m, "wall_seconds.total").map(fmt_num),
    );
    push(
        &mut runs,
        "mean seconds per loop",
        jnum(s, "timing.mean_loop_seconds").map(fmt_num),
    );
    push(
        &mut runs,
        "simulated ms per wall second",
        jnum(s, "timing.simulated_ms_per_wall_second").map(fmt_num),
    );

    let mut net = Vec::new();
    push(&mut net, "dt (ms)", ts("dt_ms"));
    push(&mut net, "trial duration (ms)", ts("duration_ms"));
    match run.kind {
        Kind::Spiking => {
            for p in &run.populations {
                net.push((
                    format!("population {}", p.name),
                    format!(
                        "{} neurons, {}, bias {}",
                        p.size,
                        if p.excitatory {
                            "excitatory"
                        } else {
                            "inhibitory"
                        },
                        fmt_num(p.bias)
                    ),
                ));
            }
            push(&mut net, "integration", ts("network.integration"));
            push(&mut net, "connectivity", ts("network.connectivity.rule"));
            push(
                &mut net,
                "out-degree",
                ts("network.connectivity.out_degree"),
            );
            push(&mut net, "in-degree", ts("network.connectivity.in_degree"));
            push(
                &mut net,
                "τ exc / inh / plastic (ms)",
                match (
                    tnum(e, "network.tau_exc_ms"),
                    tnum(e, "network.tau_inh_ms"),
                    tnum(e, "network.tau_plastic_ms"),
                ) {
                    (Some(a), Some(b), Some(c)) => {
                        Some(format!("{} / {} / {}", fmt_num(a), fmt_num(b), fmt_num(c)))
                    }
                    _ => None,
                },
            );
        }
        Kind::Rate => {
            push(&mut net, "units", ts("network.units"));
            push(&mut net, "τ (ms)", ts("network.tau_ms"));
            push(&mut net, "activation", ts("network.activation"));
            push(&mut net, "weight gain", ts("network.weight_gain"));
        }
    }
    push(
        &mut net,
        "stimulus (ms)",
        match (tnum(e, "stimulus.start_ms"), tnum(e, "stimulus.end_ms")) {
            (Some(a), Some(b)) => Some(format!("{} – {}", fmt_num(a), fmt_num(b))),
            _ => None,
        },
    );

    let mut train = Vec::new();
    push(&mut train, "target", ts("target.kind"));
    push(&mut train, "loops", ts("training.loops"));
    push(
        &mut train,
        "learn every (ms)",
        ts("training.learn_every_ms"),
    );
    push(&mut train, "training starts (ms)", ts("training.start_ms"));
    push(
        &mut train,
        "trained neurons",
        js(s, "training.trained_neurons").or_else(|| ts("training.trained_units")),
    );
    push(
        &mut train,
        "trained population",
        ts("training.trained_population"),
    );
    push(&mut train, "plastic inputs", ts("training.plastic"));
    push(
        &mut train,
        "plastic inputs per neuron",
        js(s, "training.plastic_inputs_per_neuron"),
    );
    push(
        &mut train,
        "feed-forward units",
        ts("training.feedforward_units"),
    );
    push(&mut train, "penalty λ", ts("training.penalty_lambda"));
    push(&mut train, "conditions", js(s, "training.conditions"));
    push(
        &mut train,
        "test trials",
        ts("test.trials").or_else(|| js(s, "test.trials")),
    );

    let mut res = Vec::new();
    // A spiking run scores its first test trial (the reference's metric); a rate run averages
    // the r of its test trials.
    let r_label = if s["kind"] == "rate" {
        "test r (mean over trials)"
    } else {
        "test r (first trial)"
    };
    push(&mut res, r_label, js(s, "test.r_mean"));
    push(
        &mut res,
        "test r by condition",
        js(s, "test.r_mean_by_condition"),
    );
    push(
        &mut res,
        "test r of the trial average",
        js(s, "test.r_trial_avg"),
    );
    push(
        &mut res,
        "test rate r (recorded targets)",
        js(s, "test.rate_r_mean"),
    );
    push(
        &mut res,
        "final r per loop",
        jget(s, "training.r_per_loop")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().rev().find(|v| !v.is_null()))
            .map(fmt_json),
    );
    if let Some(Value::Object(rates)) = jget(s, "activity.rate_hz") {
        for (k, v) in rates {
            let init = jget(s, &format!("initial.rate_hz.{k}"))
                .map(|i| format!(" (before training {})", fmt_json(i)))
                .unwrap_or_default();
            res.push((format!("rate {k} (Hz)"), format!("{}{init}", fmt_json(v))));
        }
    }
    if let Some(Value::Object(rates)) = jget(s, "test.rate_hz") {
        for (k, v) in rates {
            res.push((format!("test rate {k} (Hz)"), fmt_json(v)));
        }
    }
    for (label, key) in [
        ("CV of ISI", "activity.cv_isi"),
        ("Fano factor", "activity.fano"),
    ] {
        if let Some(Value::Object(m)) = jget(s, key) {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k} {}", fmt_json(v)))
                .collect();
            res.push((label.to_string(), parts.join(", ")));
        }
    }
    if let Some(Value::Object(m)) = jget(s, "theory.balanced_limit_rate_hz") {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{k} {}", fmt_json(v)))
            .collect();
        res.push(("balanced-limit rate (Hz)".into(), parts.join(", ")));
    }
    vec![
        ("Run", runs),
        ("Network", net),
        ("Training and test", train),
        ("Results", res),
    ]
}

/// The page. `svgs` holds the SVG of each drawn figure, in the order of `outcomes`.
pub(crate) fn page(run: &Run, outcomes: &[Outcome], svgs: &[String]) -> String {
    let name = jget(&run.summary, "experiment")
        .and_then(Value::as_str)
        .or_else(|| tget(&run.experiment, "name").and_then(|v| v.as_str()))
        .unwrap_or("run")
        .to_string();
    let mut out = String::with_capacity(svgs.iter().map(String::len).sum::<usize>() + 20_000);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{n} — spikeform report</title><style>{STYLE}</style></head><body>\n\
         <h1>{n}</h1><div class=\"sub\">spikeform report of {dir} · {kind} network · \
         made by {prog} {ver}</div>\n",
        n = esc(&name),
        dir = esc(&run.dir.display().to_string()),
        kind = esc(jget(&run.summary, "kind")
            .and_then(Value::as_str)
            .unwrap_or("?")),
        prog = esc(jget(&run.manifest, "program")
            .and_then(Value::as_str)
            .unwrap_or("spikeform")),
        ver = esc(jget(&run.manifest, "version")
            .and_then(Value::as_str)
            .unwrap_or("")),
    );
    out.push_str("<nav><a href=\"#experiment\">Experiment</a>");
    for o in outcomes {
        if let Outcome::Drawn(f) = o {
            let _ = write!(out, " <a href=\"#fig-{}\">{}</a>", f.id, esc(&f.title));
        }
    }
    out.push_str(" <a href=\"#details\">Details</a></nav>\n");
    out.push_str("<h2 id=\"experiment\">Experiment</h2><div class=\"tables\">");
    for (title, rows) in key_tables(run) {
        table(&mut out, title, &rows);
    }
    out.push_str("</div>\n<h2 id=\"figures\">Figures</h2>\n");
    let mut svg = svgs.iter();
    let mut skipped = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Drawn(f) => {
                let body = svg.next().map(String::as_str).unwrap_or("");
                // Inline SVG needs no namespace declaration in HTML.
                let body = body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
                let _ = writeln!(
                    out,
                    "<figure id=\"fig-{id}\" data-figure=\"{id}\">{body}<figcaption><b>{t}.</b> \
                     {c} <span class=\"files\">Files: figures/{id}.svg, figures/{id}.png.\
                     </span></figcaption></figure>",
                    id = f.id,
                    t = esc(&f.title),
                    c = esc(&f.caption),
                );
            }
            Outcome::Skipped(id, title, reason) => skipped.push((id, title, reason)),
        }
    }
    if !skipped.is_empty() {
        out.push_str("<h3>Not shown for this run</h3><ul class=\"skipped\">");
        for (id, title, reason) in skipped {
            let _ = write!(
                out,
                "<li data-skipped=\"{id}\"><b>{}</b>: {}</li>",
                esc(title),
                esc(reason)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2 id=\"details\">Details</h2>");
    let mut all = Vec::new();
    flatten("", &run.summary, &mut all);
    let _ = write!(
        out,
        "<details><summary>All numbers of summary.json ({} entries)</summary>",
        all.len()
    );
    table(&mut out, "summary.json", &all);
    out.push_str("</details>");
    let _ = write!(
        out,
        "<details><summary>experiment.toml (the normalized experiment)</summary><pre>{}</pre></details>",
        esc(&run.experiment_text)
    );
    let _ = write!(
        out,
        "<details><summary>manifest.json</summary><pre>{}</pre></details>",
        esc(&serde_json::to_string_pretty(&run.manifest).unwrap_or_default())
    );
    out.push_str("\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(0.086587), "0.08659");
        assert_eq!(fmt_num(61.4818), "61.48");
        assert_eq!(fmt_num(0.1), "0.1");
        assert_eq!(fmt_num(0.04), "0.04");
        assert_eq!(fmt_num(f64::NAN), "n/a");
        assert_eq!(fmt_num(1.5e-5), "1.500e-5");
    }

    #[test]
    fn flatten_names_leaves_by_dotted_path() {
        let v: Value = serde_json::json!({"a": {"b": 1.5, "c": [1, 2]}, "d": null});
        let mut out = Vec::new();
        flatten("", &v, &mut out);
        assert_eq!(
            out,
            vec![
                ("a.b".to_string(), "1.5".to_string()),
                ("a.c".to_string(), "[1, 2]".to_string()),
                ("d".to_string(), "n/a".to_string())
            ]
        );
    }
}
