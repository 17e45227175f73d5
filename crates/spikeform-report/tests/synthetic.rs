//! Reports of synthetic run directories written here with the run-directory contract's names
//! and shapes: every figure of a trained spiking run, graceful degradation (older run
//! directories, untrained runs, rate networks, degenerate data) and clear errors for missing or
//! corrupt files.

use std::path::{Path, PathBuf};

use serde_json::json;
use spikeform_io::npy::NpzWriter;
use spikeform_report::inspect::png_stats;
use spikeform_report::{generate, ReportError, PNG_SCALE};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const N_E: usize = 40;
const N_I: usize = 20;
const N: usize = N_E + N_I;
const BINS: usize = 20;
const TRIALS: usize = 3;
const DURATION: usize = 1000;

/// What a synthetic spiking run has.
#[derive(Clone, Copy)]
struct Spec {
    trained: bool,
    /// The arrays added for the report (input_timecourse, initial rates, PCA, ...).
    new_arrays: bool,
    conditions: usize,
}

fn trained_neurons() -> Vec<usize> {
    (0..8).map(|k| 5 * k).collect()
}

fn experiment_toml(trained: bool) -> String {
    let mut t = format!(
        "version = 1\nname = \"synthetic\"\nseed = 7\ndt_ms = 0.1\nduration_ms = {DURATION}.0\n\n\
         [network]\nkind = \"spiking\"\n\n\
         [[network.populations]]\nname = \"E\"\nsize = {N_E}\nexcitatory = true\nbias = 1.5\n\n\
         [[network.populations]]\nname = \"I\"\nsize = {N_I}\nexcitatory = false\nbias = 1.0\n\n\
         [stimulus]\nstart_ms = 300.0\nend_ms = 400.0\n"
    );
    if trained {
        t.push_str(
            "\n[target]\nkind = \"recorded\"\n\n[training]\nloops = 3\nplastic = \"sampled\"\n\
             plastic_exc_inputs = 6\nplastic_inh_inputs = 4\ntrained_population = \"E\"\n",
        );
    }
    t
}

fn summary(spec: Spec) -> serde_json::Value {
    let inputs = json!({
        "e": {"excitatory": 0.5, "inhibitory": -0.9, "external": 1.5, "net": 1.1},
        "i": {"excitatory": 1.2, "inhibitory": -1.4, "external": 1.0, "net": 0.8},
    });
    let mut s = json!({
        "experiment": "synthetic",
        "kind": "spiking",
        "seed": 7,
        "network": {"neurons": N, "populations": [{"name": "E", "size": N_E}, {"name": "I", "size": N_I}]},
        "activity": {"rate_hz": {"e": 5.0, "i": 9.0}, "cv_isi": {"e": 0.9, "i": 1.0},
                     "fano": {"e": 1.0, "i": 1.1}, "mean_input": inputs},
        "timing": {"total_seconds": 2.0, "simulated_ms_per_wall_second": 1500.0},
    });
    if spec.trained {
        s["initial"] = json!({"rate_hz": {"e": 4.0, "i": 8.0}, "mean_input": inputs});
        s["training"] = json!({"loops": 3, "r_per_loop": [0.2, null, 0.6],
                               "loop_seconds": [0.5, 0.6, 0.55], "trained_neurons": 8});
        s["test"] = json!({"r_mean": 0.55, "r_mean_by_condition": [0.55]});
        s["analysis"] = json!({"pc_corr_trained_e_vs_untrained_e": [0.9, 0.4],
                               "pc_corr_trained_e_vs_untrained_i": [0.8, 0.3]});
    }
    s
}

/// A smooth, neuron-dependent test signal.
fn wave(i: usize, t: f64) -> f64 {
    (t / 150.0 + i as f64 * 0.7).sin()
}

fn write_spiking(dir: &Path, spec: Spec) {
    let mut files = vec!["experiment.toml", "spikes.npz"];
    std::fs::write(dir.join("experiment.toml"), experiment_toml(spec.trained)).unwrap();
    // spikes.npz: a few spikes per neuron, deterministic.
    let (mut neuron, mut time) = (Vec::new(), Vec::new());
    for i in 0..N {
        for k in 0..(5 + i % 7) {
            neuron.push(i as i64);
            time.push(((i * 37 + k * 97) % DURATION) as f64 + 0.5);
        }
    }
    let mut sp = NpzWriter::new();
    sp.add_i64("neuron", &[neuron.len()], &neuron);
    sp.add_f64("time_ms", &[time.len()], &time);
    let pr: Vec<f64> = (0..2 * DURATION)
        .map(|k| 5.0 + 3.0 * wave(k / DURATION, (k % DURATION) as f64))
        .collect();
    sp.add_f64("population_rate_hz", &[2, DURATION], &pr);
    let rates: Vec<f64> = (0..N).map(|i| 2.0 + (i % 13) as f64).collect();
    sp.add_f64("neuron_rate_hz", &[N], &rates);
    if spec.new_arrays {
        let pop: Vec<i64> = (0..N).map(|i| i64::from(i >= N_E)).collect();
        sp.add_i64("population_of", &[N], &pop);
        if spec.trained {
            let init: Vec<f64> = rates.iter().map(|r| r * 0.8).collect();
            sp.add_f64("initial_neuron_rate_hz", &[N], &init);
        }
        let tc: Vec<f64> = (0..2 * 4 * DURATION)
            .map(|k| [0.5, -0.9, 1.5, 1.1][(k / DURATION) % 4] + 0.1 * wave(k, k as f64))
            .collect();
        sp.add_f64("input_timecourse", &[2, 4, DURATION], &tc);
    }
    sp.write_to(dir.join("spikes.npz")).unwrap();

    if spec.trained {
        files.push("training_curve.csv");
        files.push("test.npz");
        std::fs::write(
            dir.join("training_curve.csv"),
            "loop,r,seconds\n1,0.2,0.5\n2,,0.6\n3,0.6,0.55\n",
        )
        .unwrap();
        let c = spec.conditions;
        let rows = trained_neurons();
        let m = rows.len();
        let centres: Vec<f64> = (0..BINS).map(|b| 525.0 + 25.0 * b as f64).collect();
        let mut t = NpzWriter::new();
        t.add_f64("bin_centre_ms", &[BINS], &centres);
        let idx: Vec<i64> = rows.iter().map(|&i| i as i64).collect();
        t.add_i64("trained_neurons", &[m], &idx);
        t.add_i64(
            "recorded_neuron_of_row",
            &[m],
            &(0..m as i64).collect::<Vec<_>>(),
        );
        let mut mean = Vec::new();
        for ci in 0..c {
            for &x in &centres {
                for i in 0..N {
                    mean.push(wave(i + ci, x) - 1.5);
                }
            }
        }
        t.add_f64("input_mean", &[c, BINS, N], &mean);
        let mut trials = Vec::new();
        for ci in 0..c {
            for k in 0..TRIALS {
                for &x in &centres {
                    for i in 0..N {
                        trials.push(wave(i + ci, x) - 1.5 + 0.1 * (k as f64 - 1.0));
                    }
                }
            }
        }
        t.add_f64("input_trials", &[c, TRIALS, BINS, N], &trials);
        let per_row = |f: &dyn Fn(usize, usize, f64) -> f64| -> Vec<f64> {
            let mut v = Vec::new();
            for ci in 0..c {
                for &x in &centres {
                    for (r, &i) in rows.iter().enumerate() {
                        v.push(f(ci, r, x + i as f64));
                    }
                }
            }
            v
        };
        t.add_f64(
            "target",
            &[c, BINS, m],
            &per_row(&|ci, r, x| 1.2 * wave(r + ci, x)),
        );
        t.add_f64(
            "psth_hz",
            &[c, BINS, m],
            &per_row(&|ci, r, x| 5.0 + 2.0 * wave(r + ci, x)),
        );
        if spec.new_arrays {
            t.add_f64(
                "recorded_rate_hz",
                &[c, BINS, m],
                &per_row(&|ci, r, x| 5.0 + 2.5 * wave(r + ci, x)),
            );
            let load: Vec<f64> = (0..3 * 2 * BINS)
                .map(|k| wave(k / BINS, centres[k % BINS]))
                .collect();
            t.add_f64("pca_loadings", &[3, 2, BINS], &load);
            let evr = [
                0.4, 0.2, 0.1, 0.05, 0.05, 0.3, 0.2, 0.1, 0.1, 0.05, 0.2, 0.15, 0.1, 0.1, 0.1,
            ];
            t.add_f64("pca_explained_variance_ratio", &[3, 5], &evr);
            for (name, len) in [
                ("selectivity_trained", m),
                ("selectivity_untrained", N_E - m),
                ("selectivity_other", N_I),
            ] {
                let v: Vec<f64> = if c > 1 {
                    (0..len).map(|k| wave(k, 3.0) * 0.2).collect()
                } else {
                    Vec::new()
                };
                t.add_f64(name, &[v.len()], &v);
            }
        }
        let w0: Vec<f64> = (0..m * 10)
            .map(|k| if k % 10 < 6 { 1.9 } else { -1.0 })
            .collect();
        let w1: Vec<f64> = w0
            .iter()
            .enumerate()
            .map(|(k, w)| w + 0.3 * wave(k, 1.0))
            .collect();
        t.add_f64("plastic_weights_initial", &[m, 10], &w0);
        t.add_f64("plastic_weights_final", &[m, 10], &w1);
        t.write_to(dir.join("test.npz")).unwrap();
    }
    files.push("manifest.json");
    files.push("summary.json");
    let manifest = json!({"program": "spikeform", "version": "0.1.0", "seed": 7, "threads": 2,
                          "arguments": ["run", "synthetic.toml"], "files": files,
                          "wall_seconds": {"run": 2.0, "total": 2.1}});
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(dir.join("summary.json"), summary(spec).to_string()).unwrap();
}

fn write_rate(dir: &Path) {
    let (n, t, m, trials) = (12usize, 300usize, 4usize, 2usize);
    std::fs::write(
        dir.join("experiment.toml"),
        "version = 1\nname = \"rate\"\nseed = 1\ndt_ms = 0.1\nduration_ms = 300.0\n\n[network]\n\
         kind = \"rate\"\nunits = 12\n\n[stimulus]\nstart_ms = 100.0\nend_ms = 110.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("training_curve.csv"),
        "loop,r,r_reference_window,seconds\n1,0.5,0.4,0.01\n2,0.9,0.85,0.01\n",
    )
    .unwrap();
    let mut z = NpzWriter::new();
    z.add_f64(
        "time_ms",
        &[t],
        &(0..t).map(|k| k as f64).collect::<Vec<_>>(),
    );
    z.add_i64("trained_units", &[m], &[0, 3, 6, 9]);
    let q: Vec<f64> = (0..trials * t * m)
        .map(|k| wave(k % m, (k / m % t) as f64))
        .collect();
    z.add_f64("trained_quantity", &[trials, t, m], &q);
    let tg: Vec<f64> = (0..t * m).map(|k| wave(k % m, (k / m) as f64)).collect();
    z.add_f64("target", &[t, m], &tg);
    let r: Vec<f64> = (0..trials * t * n)
        .map(|k| wave(k % n, (k / n % t) as f64).max(0.0))
        .collect();
    z.add_f64("rates", &[trials, t, n], &r);
    let w: Vec<f64> = (0..n * n)
        .map(|k| if k % (n + 1) == 0 { 0.0 } else { wave(k, 0.0) })
        .collect();
    z.add_f64("weights", &[n, n], &w);
    z.write_to(dir.join("test_traces.npz")).unwrap();
    let files = [
        "experiment.toml",
        "training_curve.csv",
        "test_traces.npz",
        "manifest.json",
        "summary.json",
    ];
    std::fs::write(
        dir.join("manifest.json"),
        json!({"program": "spikeform", "version": "0.1.0", "files": files}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("summary.json"),
        json!({"experiment": "rate", "kind": "rate", "seed": 1,
               "training": {"r_per_loop": [0.5, 0.9], "loop_seconds": [0.01, 0.01]},
               "test": {"r_mean": 0.9}})
        .to_string(),
    )
    .unwrap();
}

/// Checks the files of every drawn figure and the page; returns the page.
fn check_outputs(dir: &Path, figures: &[String]) -> String {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for id in figures {
        let svg = std::fs::read_to_string(dir.join(format!("figures/{id}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{id}"
        );
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "{id}: non-finite coordinates"
        );
        let width: f32 = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let png = std::fs::read(dir.join(format!("figures/{id}.png"))).unwrap();
        let st = png_stats(&png, None).unwrap();
        assert_eq!(st.width, (width * PNG_SCALE).ceil() as u32, "{id}");
        // Not blank: a fair share of inked pixels, in several colours.
        assert!(
            st.inked > 0.01,
            "{id}: only {:.4} of the PNG is inked",
            st.inked
        );
        assert!(st.colours > 10, "{id}: {} colours", st.colours);
        assert_eq!(
            html.matches(&format!("data-figure=\"{id}\"")).count(),
            1,
            "{id}"
        );
    }
    // Self-contained: inline SVG only, anchors only, nothing fetched.
    assert_eq!(html.matches("<svg").count(), figures.len());
    assert!(!html.contains("src="), "the page must not load anything");
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#'),
            "external reference: {}",
            &href[..40.min(href.len())]
        );
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script") && !html.contains("url("));
    html
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn trained_spiking_run_gets_every_figure() {
    let dir = scratch("full");
    write_spiking(
        &dir,
        Spec {
            trained: true,
            new_arrays: true,
            conditions: 2,
        },
    );
    let r = generate(&dir).unwrap();
    assert_eq!(
        r.figures,
        ids(&[
            "training_curve",
            "target_vs_input",
            "psth",
            "raster",
            "population_rates",
            "rate_histograms",
            "balance",
            "pca",
            "selectivity",
            "plastic_weights"
        ])
    );
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    let html = check_outputs(&dir, &r.figures);
    // The experiment's numbers and the captions' sources are on the page.
    for needle in [
        "synthetic",
        "seed",
        "0.55",
        "recorded rate",
        "plastic_weights_initial",
        "bias of population E (1.5000)",
    ] {
        assert!(html.contains(needle), "page lacks {needle:?}");
    }
    // Before/after histograms, target and trial band, both conditions.
    let svg = std::fs::read_to_string(dir.join("figures/rate_histograms.svg")).unwrap();
    assert!(svg.contains("settle"));
    let svg = std::fs::read_to_string(dir.join("figures/target_vs_input.svg")).unwrap();
    assert!(svg.contains("condition 2") && svg.contains("fill-opacity=\"0.22\""));
    assert_eq!(
        svg.matches("stroke-dasharray").count(),
        6 * 2 + 1,
        "targets and legend"
    );
    // Raster: trained, untrained E and I rows with their labels.
    let svg = std::fs::read_to_string(dir.join("figures/raster.svg")).unwrap();
    for label in [
        "trained E (8 shown)",
        "untrained E (25 shown)",
        "I (20 shown)",
    ] {
        assert!(svg.contains(label), "raster lacks {label}");
    }
    assert!(r.seconds.total > 0.0 && r.seconds.total >= r.seconds.png);
    // A second report overwrites the first.
    let again = generate(&dir).unwrap();
    assert_eq!(again.figures, r.figures);
}

#[test]
fn older_run_directory_without_the_report_arrays_degrades() {
    let dir = scratch("older");
    write_spiking(
        &dir,
        Spec {
            trained: true,
            new_arrays: false,
            conditions: 1,
        },
    );
    let r = generate(&dir).unwrap();
    assert_eq!(
        r.figures,
        ids(&[
            "training_curve",
            "target_vs_input",
            "psth",
            "raster",
            "population_rates",
            "rate_histograms",
            "balance",
            "plastic_weights"
        ])
    );
    let skipped: Vec<&str> = r.skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(skipped, ["pca", "selectivity"]);
    let html = check_outputs(&dir, &r.figures);
    assert!(html.contains("no recorded rates"));
    assert!(html.contains("data-skipped=\"pca\""));
    assert!(html.contains("only time averages are shown"));
}

#[test]
fn one_condition_has_no_selectivity() {
    let dir = scratch("one-condition");
    write_spiking(
        &dir,
        Spec {
            trained: true,
            new_arrays: true,
            conditions: 1,
        },
    );
    let r = generate(&dir).unwrap();
    assert!(r.figures.contains(&"pca".to_string()));
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].0, "selectivity");
    assert!(
        r.skipped[0].1.contains("two conditions"),
        "{}",
        r.skipped[0].1
    );
    check_outputs(&dir, &r.figures);
}

#[test]
fn untrained_run_gets_experiment_rates_raster_and_balance() {
    let dir = scratch("untrained");
    write_spiking(
        &dir,
        Spec {
            trained: false,
            new_arrays: true,
            conditions: 1,
        },
    );
    let r = generate(&dir).unwrap();
    assert_eq!(
        r.figures,
        ids(&["raster", "population_rates", "rate_histograms", "balance"])
    );
    let skipped: Vec<&str> = r.skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "training_curve",
            "target_vs_input",
            "psth",
            "pca",
            "selectivity",
            "plastic_weights"
        ]
    );
    let html = check_outputs(&dir, &r.figures);
    assert!(html.contains("untrained run"));
    assert!(html.contains("Experiment") && html.contains("300 – 400"));
}

#[test]
fn rate_run_gets_its_own_figures() {
    let dir = scratch("rate");
    write_rate(&dir);
    let r = generate(&dir).unwrap();
    assert_eq!(
        r.figures,
        ids(&[
            "training_curve",
            "target_vs_input",
            "unit_activity",
            "population_rates",
            "plastic_weights"
        ])
    );
    let html = check_outputs(&dir, &r.figures);
    assert!(html.contains("rate network: no separate excitatory"));
    let svg = std::fs::read_to_string(dir.join("figures/training_curve.svg")).unwrap();
    assert!(svg.contains("r, reference window"));
}

#[test]
fn degenerate_data_draws_without_panicking() {
    let dir = scratch("degenerate");
    write_spiking(
        &dir,
        Spec {
            trained: true,
            new_arrays: true,
            conditions: 2,
        },
    );
    // No spikes at all, constant and NaN-ridden arrays.
    let mut sp = NpzWriter::new();
    sp.add_i64("neuron", &[0], &[]);
    sp.add_f64("time_ms", &[0], &[]);
    sp.add_f64("population_rate_hz", &[2, 3], &[f64::NAN; 6]);
    sp.add_f64("neuron_rate_hz", &[N], &[0.0; N]);
    sp.write_to(dir.join("spikes.npz")).unwrap();
    std::fs::write(dir.join("training_curve.csv"), "loop,r,seconds\n1,,0.5\n").unwrap();
    let r = generate(&dir).unwrap();
    assert!(r.figures.contains(&"raster".to_string()));
    let svg = std::fs::read_to_string(dir.join("figures/training_curve.svg")).unwrap();
    assert!(
        svg.contains("no data"),
        "r panel without any evaluated loop"
    );
    assert!(!std::fs::read_to_string(dir.join("report.html"))
        .unwrap()
        .contains("NaN"));
}

fn input_error(dir: &Path) -> (PathBuf, String) {
    match generate(dir) {
        Err(ReportError::Input { path, problem }) => (path, problem),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn missing_and_corrupt_files_are_input_errors_naming_the_file() {
    let dir = scratch("errors");
    // No directory.
    let (p, why) = input_error(&dir.join("nope"));
    assert!(p.ends_with("nope") && why.contains("no such run directory"));
    // An unfinished run: no summary.json.
    let d = dir.join("unfinished");
    std::fs::create_dir_all(&d).unwrap();
    let (p, why) = input_error(&d);
    assert!(
        p.ends_with("summary.json") && why.contains("not a finished run"),
        "{why}"
    );

    let fresh = |name: &str| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        write_spiking(
            &d,
            Spec {
                trained: true,
                new_arrays: true,
                conditions: 2,
            },
        );
        d
    };
    let d = fresh("bad-json");
    std::fs::write(d.join("summary.json"), "{\"kind\": ").unwrap();
    let (p, why) = input_error(&d);
    assert!(
        p.ends_with("summary.json") && why.contains("not valid JSON"),
        "{why}"
    );

    let d = fresh("bad-kind");
    std::fs::write(d.join("summary.json"), "{\"kind\": \"quantum\"}").unwrap();
    let (_, why) = input_error(&d);
    assert!(why.contains("\"quantum\""), "{why}");

    let d = fresh("truncated-npz");
    let bytes = std::fs::read(d.join("test.npz")).unwrap();
    std::fs::write(d.join("test.npz"), &bytes[..bytes.len() / 2]).unwrap();
    let (p, _) = input_error(&d);
    assert!(p.ends_with("test.npz"), "{p:?}");

    let d = fresh("listed-but-missing");
    std::fs::remove_file(d.join("spikes.npz")).unwrap();
    let (p, why) = input_error(&d);
    assert!(
        p.ends_with("spikes.npz") && why.contains("manifest.json lists it"),
        "{why}"
    );

    let d = fresh("bad-csv");
    std::fs::write(d.join("training_curve.csv"), "loop,r,seconds\n1,abc,0.5\n").unwrap();
    let (p, why) = input_error(&d);
    assert!(
        p.ends_with("training_curve.csv") && why.contains("line 2"),
        "{why}"
    );

    let d = fresh("bad-toml");
    std::fs::write(d.join("experiment.toml"), "name = ").unwrap();
    let (p, why) = input_error(&d);
    assert!(
        p.ends_with("experiment.toml") && why.contains("TOML"),
        "{why}"
    );

    // Arrays that disagree in shape.
    let d = fresh("bad-shape");
    let mut t = NpzWriter::new();
    t.add_f64("bin_centre_ms", &[BINS], &[0.0; BINS]);
    t.add_i64("trained_neurons", &[2], &[0, 1]);
    t.add_f64("input_mean", &[1, BINS, N + 1], &vec![0.0; BINS * (N + 1)]);
    t.add_f64("target", &[1, BINS, 2], &vec![0.0; BINS * 2]);
    t.write_to(d.join("test.npz")).unwrap();
    let (p, why) = input_error(&d);
    assert!(
        p.ends_with("test.npz") && why.contains("input_mean"),
        "{why}"
    );

    // A trained neuron index out of range.
    let d = fresh("bad-index");
    let mut t = NpzWriter::new();
    t.add_i64("trained_neurons", &[1], &[N as i64]);
    t.write_to(d.join("test.npz")).unwrap();
    let (_, why) = input_error(&d);
    assert!(
        why.contains("trained_neurons") && why.contains("not an index"),
        "{why}"
    );
    // Nothing was written for a failed report.
    assert!(!d.join("report.html").exists());
}
