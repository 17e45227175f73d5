//! `spikeform report`: the report of a small trained run (recorded targets, two conditions)
//! rendered by headless Chromium, with every figure present and non-blank on screen and in the
//! PNGs written; reports of an untrained and a rate run; errors with exit code 2.
//!
//! Chromium is required (CI installs Debian's `chromium`): the test fails without it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{assert_fails, scratch, spikeform, write};
use serde_json::Value;
use spikeform_report::inspect::png_stats;

/// The figures of a trained spiking run with two conditions, in page order.
const TRAINED_FIGURES: [&str; 10] = [
    "training_curve",
    "target_vs_input",
    "psth",
    "raster",
    "population_rates",
    "rate_histograms",
    "balance",
    "pca",
    "selectivity",
    "plastic_weights",
];

/// A small balanced network (300 E, 300 I, K = 50 per population, weights scaled as
/// 1/sqrt(K) from examples/balanced_sine.toml) trained for one loop on two "recorded"
/// conditions of 20 neurons.
fn small_experiment(dir: &Path, trained: bool) -> String {
    let mut toml = String::from(
        r#"version = 1
name = "report_small"
seed = 3
dt_ms = 0.1
duration_ms = 1500.0

[network]
kind = "spiking"
tau_exc_ms = 3.0
tau_inh_ms = 3.0
tau_plastic_ms = 150.0

[[network.populations]]
name = "E"
size = 300
excitatory = true
tau_membrane_ms = 10.0
bias = 1.2728

[[network.populations]]
name = "I"
size = 300
excitatory = false
tau_membrane_ms = 10.0
bias = 0.8485

[network.connectivity]
rule = "fixed_out_degree"
out_degree = 100
projections = [
  { pre = "E", post = "E", weight = 0.4243 },
  { pre = "E", post = "I", weight = 2.828 },
  { pre = "I", post = "E", weight = -2.121 },
  { pre = "I", post = "I", weight = -2.828 },
]

[stimulus]
start_ms = 300.0
end_ms = 400.0
distribution = "uniform"
amplitude_min = -0.5
amplitude_max = 0.5

[test]
trials = 2
"#,
    );
    if trained {
        // 20 neurons × 55 bins of 20 ms: the learning window (400, 1500] ms.
        let mut files = Vec::new();
        for c in 0..2 {
            let data: Vec<f64> = (0..20)
                .flat_map(|i| {
                    (0..55).map(move |k| {
                        let phase = k as f64 / 55.0 * std::f64::consts::TAU;
                        5.0 + 4.0 * (phase + i as f64 * 0.3 + c as f64 * 1.57).sin()
                    })
                })
                .collect();
            let p = dir.join(format!("cond{}.npy", c + 1));
            spikeform_io::npy::write_npy_f64(&p, &[20, 55], &data).unwrap();
            files.push(format!("{:?}", p.to_str().unwrap()));
        }
        toml.push_str(&format!(
            r#"
[target]
kind = "recorded"
files = [{}]
bin_ms = 20.0
sigma = 0.309

[training]
loops = 1
learn_every_ms = 20.0
start_ms = 400.0
penalty_lambda = 0.04
penalty_mu = 8.0
trained = "match"
trained_population = "E"
plastic = "sampled"
plastic_exc_inputs = 5
plastic_inh_inputs = 5
plastic_exc_weight = 1.886
plastic_inh_weight = -1.021
plastic_inh_population = "I"
feedforward_units = 20
"#,
            files.join(", ")
        ));
    }
    write(dir, "small.toml", &toml)
}

/// Runs an experiment file into `out`.
fn run(file: &str, out: &Path, sets: &[&str]) {
    let mut args = vec!["run", file, "--out", out.to_str().unwrap(), "--quiet"];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = spikeform(&args);
    assert!(
        o.status.success(),
        "spikeform {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs `spikeform report DIR`; returns its stdout and stderr, and the wall seconds it took.
fn report(dir: &Path) -> (String, String, f64) {
    let t = Instant::now();
    let o = spikeform(&["report", dir.to_str().unwrap()]);
    let secs = t.elapsed().as_secs_f64();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    );
    assert!(o.status.success(), "spikeform report: {err}");
    assert!(!err.contains("panicked"), "{err}");
    (out, err, secs)
}

/// The ids of the figures on a page, in order.
fn figures_on_page(html: &str) -> Vec<String> {
    html.split("data-figure=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// Static checks of a page: self-contained, every listed figure inline once.
fn check_page(html: &str, expected: &[&str]) {
    assert_eq!(figures_on_page(html), expected);
    assert_eq!(html.matches("<svg").count(), expected.len());
    assert!(!html.contains("src="), "the page must load nothing");
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#'),
            "reference out of the page: {}",
            &href[..href.len().min(60)]
        );
    }
    for bad in [
        "http://", "https://", "file:", "url(", "@import", "<script", "<img", "<link",
    ] {
        assert!(!html.contains(bad), "the page contains {bad:?}");
    }
}

/// The headless browser, which the test needs.
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "headless Chromium is required for the report test and was not found on PATH: \
         install it (Debian: apt-get install chromium; .ci/run does this)"
    );
}

/// Runs Chromium headless on `url` with a fresh profile and the extra arguments.
fn chrome(work: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let profile = work.join(format!("profile-{}", extra.len()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url);
    let o = cmd.output().expect("chromium starts");
    assert!(
        o.status.success(),
        "chromium {extra:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A script appended to a copy of the page: measures every figure as laid out and lists
/// every resource the browser fetched and every src/href that leaves the page.
const PROBE: &str = r#"<script>
const figs = [...document.querySelectorAll('figure[data-figure]')].map(f => {
  const svg = f.querySelector('svg');
  const r = svg ? svg.getBoundingClientRect() : {left: 0, top: 0, width: 0, height: 0};
  const b = svg ? svg.getBBox() : {width: 0, height: 0};
  return {id: f.dataset.figure, x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height,
          bw: b.width, bh: b.height, shapes: f.querySelectorAll('path,rect,circle,line').length,
          texts: f.querySelectorAll('text').length};
});
const fetched = performance.getEntriesByType('resource').map(e => e.name);
const refs = [...document.querySelectorAll('[src],[href]')]
  .map(e => e.getAttribute('src') || e.getAttribute('href'))
  .filter(u => !u.startsWith('#'));
const pre = document.createElement('pre');
pre.id = 'probe';
pre.textContent = JSON.stringify({figs, fetched, refs,
  height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth});
document.body.appendChild(pre);
</script>"#;

/// Checks a report in Chromium: layout of every figure (probe) and pixels (screenshot).
fn check_in_chromium(run_dir: &Path, work: &Path, expected: &[&str]) {
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    let probe_page = work.join("probe.html");
    std::fs::write(
        &probe_page,
        html.replace("</body>", &format!("{PROBE}</body>")),
    )
    .unwrap();
    let o = chrome(
        work,
        &format!("file://{}", probe_page.display()),
        &["--window-size=1200,900", "--dump-dom"],
    );
    let dom = String::from_utf8_lossy(&o.stdout);
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let json = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let probe: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(probe["fetched"].as_array().unwrap().len(), 0, "{probe}");
    assert_eq!(probe["refs"].as_array().unwrap().len(), 0, "{probe}");
    let figs = probe["figs"].as_array().unwrap();
    let ids: Vec<&str> = figs.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, expected);
    for f in figs {
        let id = &f["id"];
        assert!(f["w"].as_f64().unwrap() > 300.0, "{id}: laid out {f}");
        assert!(f["h"].as_f64().unwrap() > 150.0, "{id}: laid out {f}");
        assert!(f["bw"].as_f64().unwrap() > 100.0, "{id}: empty drawing {f}");
        assert!(f["shapes"].as_u64().unwrap() > 5, "{id}: {f}");
        assert!(f["texts"].as_u64().unwrap() > 5, "{id}: {f}");
    }
    // The page itself, screenshot at full height; each figure's rectangle must be drawn.
    let height = probe["height"].as_f64().unwrap().ceil() as u32;
    assert!(
        probe["width"].as_f64().unwrap() <= 1200.0,
        "no horizontal overflow: {probe}"
    );
    let shot = work.join("page.png");
    chrome(
        work,
        &format!("file://{}", run_dir.join("report.html").display()),
        &[
            &format!("--window-size=1200,{height}"),
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    let page = png_stats(&png, None).unwrap();
    assert_eq!((page.width, page.height), (1200, height));
    for f in figs {
        let rect = (
            f["x"].as_f64().unwrap() as u32,
            f["y"].as_f64().unwrap() as u32,
            f["w"].as_f64().unwrap() as u32,
            f["h"].as_f64().unwrap() as u32,
        );
        let s = png_stats(&png, Some(rect)).unwrap();
        assert!(s.pixels > 50_000, "{}: {s:?}", f["id"]);
        assert!(
            s.inked > 0.01 && s.colours > 20 && s.luminance_sd > 10.0,
            "{}: blank on screen: {s:?}",
            f["id"]
        );
    }
}

/// The PNG of each figure: 2× the SVG's size and not blank.
fn check_pngs(run_dir: &Path, expected: &[&str]) {
    for id in expected {
        let svg = std::fs::read_to_string(run_dir.join(format!("figures/{id}.svg"))).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        let png = std::fs::read(run_dir.join(format!("figures/{id}.png"))).unwrap();
        let s = png_stats(&png, None).unwrap();
        assert!(s.width >= 1000 && s.height >= 400, "{id}: {s:?}");
        assert!(s.inked > 0.01 && s.colours > 20, "{id}: blank PNG {s:?}");
    }
}

#[test]
fn report_of_a_trained_run_renders_in_chromium() {
    let work = scratch("report-trained");
    let file = small_experiment(&work, true);
    let out = work.join("run");
    let t = Instant::now();
    run(&file, &out, &[]);
    let run_secs = t.elapsed().as_secs_f64();
    // `run` writes the report at its end; `spikeform report` writes it again.
    let at_end = std::fs::read_to_string(out.join("report.html")).expect("run wrote report.html");
    check_page(&at_end, &TRAINED_FIGURES);
    let (stdout, _, secs) = report(&out);
    eprintln!("small trained run: {run_secs:.2} s; spikeform report: {secs:.2} s ({stdout})");
    assert!(stdout.contains("report.html") && stdout.contains("10 figures"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    check_page(&html, &TRAINED_FIGURES);
    for needle in [
        "report_small",
        "seed",
        "recorded rate",
        "300 neurons, excitatory",
    ] {
        assert!(html.contains(needle), "page lacks {needle:?}");
    }
    check_pngs(&out, &TRAINED_FIGURES);
    let t = Instant::now();
    check_in_chromium(&out, &work, &TRAINED_FIGURES);
    eprintln!("chromium checks: {:.2} s", t.elapsed().as_secs_f64());
    // Generating the report is quick next to the run.
    assert!(secs < 30.0, "report took {secs} s");
}

#[test]
fn untrained_and_rate_runs_get_what_exists() {
    let work = scratch("report-untrained");
    let file = small_experiment(&work, false);
    let out = work.join("run");
    let o = spikeform(&[
        "run",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--no-report",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("summary.json").exists());
    assert!(
        !out.join("report.html").exists(),
        "--no-report wrote a report"
    );
    let (_, err, _) = report(&out);
    assert!(
        err.contains("training_curve not drawn: untrained run"),
        "{err}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let expected = ["raster", "population_rates", "rate_histograms", "balance"];
    check_page(&html, &expected);
    check_pngs(&out, &expected);

    let out = work.join("rate");
    run("examples/rate_sine.toml", &out, &["training.loops=2"]);
    report(&out);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let expected = [
        "training_curve",
        "target_vs_input",
        "unit_activity",
        "population_rates",
        "plastic_weights",
    ];
    check_page(&html, &expected);
    check_pngs(&out, &expected);
}

#[test]
fn bad_run_directories_exit_with_2() {
    let work = scratch("report-errors");
    let missing = work.join("missing");
    assert_fails(
        &["report", missing.to_str().unwrap()],
        2,
        &["missing", "no such run directory"],
    );
    assert_fails(
        &["report", work.to_str().unwrap()],
        2,
        &["summary.json", "not a finished run"],
    );
    std::fs::write(work.join("summary.json"), "{\"kind\": \"spiking\"}").unwrap();
    std::fs::write(work.join("manifest.json"), "{\"files\": [\"spikes.npz\"]}").unwrap();
    std::fs::write(work.join("experiment.toml"), "version = 1").unwrap();
    std::fs::write(work.join("spikes.npz"), b"PK\x03\x04 not really").unwrap();
    assert_fails(&["report", work.to_str().unwrap()], 2, &["spikes.npz"]);
    assert!(!work.join("report.html").exists());
}
