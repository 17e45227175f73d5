//! Reports of spikeform runs: `generate(RUN_DIR)` reads a run directory and writes
//! `RUN_DIR/report.html`, one self-contained page (figures inline as SVG, no scripts, no
//! external references), and each figure as `RUN_DIR/figures/ID.svg` and `ID.png` for papers.
//!
//! - `run` reads and checks the run directory (`summary.json`, `manifest.json`,
//!   `experiment.toml`, `training_curve.csv`, `spikes.npz`, `test.npz`, `test_traces.npz`);
//! - `figures` builds the figures from the arrays; one that cannot be drawn for this run
//!   (untrained run, rate network, older run directory) is listed on the page with the reason;
//! - `plot` is a small SVG plotting layer (panels, axes, lines, bands, bars, raster ticks);
//! - `png` renders the SVG to PNG with `resvg`, using DejaVu Sans embedded from the `dejavu`
//!   crate as the only font, so PNGs look the same on any machine, with or without fonts;
//! - `html` assembles the page;
//! - [`inspect`] measures PNG images (ink, colours, contrast) to check that figures are not
//!   blank, in the PNGs written or in a browser's screenshot of the page.
//!
//! Missing or malformed input is a [`ReportError::Input`]; nothing panics on bad data.
#![deny(missing_docs)]

mod error;
mod figures;
mod html;
pub mod inspect;
mod latent;
mod perturbation;
mod plasticity;
mod plot;
mod png;
mod run;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

pub use error::ReportError;

/// Pixels per SVG unit of the PNG figures (a 1100-unit-wide figure becomes 2200 px).
pub const PNG_SCALE: f32 = 2.0;

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// `RUN_DIR/report.html`.
    pub html: PathBuf,
    /// Ids of the figures drawn, in page order; each is `figures/ID.svg` and `figures/ID.png`.
    pub figures: Vec<String>,
    /// Figures not drawn for this run: (id, reason).
    pub skipped: Vec<(String, String)>,
    /// Size of report.html in bytes.
    pub html_bytes: usize,
    /// Wall seconds spent: reading the run, building figures, rendering PNGs, writing.
    pub seconds: Seconds,
}

/// Where the time of [`generate`] went, in wall seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Seconds {
    /// Reading and checking the run directory.
    pub read: f64,
    /// Building the figures and their SVG.
    pub figures: f64,
    /// Rendering the PNGs.
    pub png: f64,
    /// Writing the files.
    pub write: f64,
    /// All of it.
    pub total: f64,
}

/// Writes `bytes` to `path` atomically and durably ([`spikeform_io::atomic`]).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    spikeform_io::atomic::write_atomic(path, bytes).map_err(|e| ReportError::write(path, e))
}

/// Reads the run directory `run_dir` and writes `report.html` and `figures/` into it.
pub fn generate(run_dir: &Path) -> Result<Report, ReportError> {
    let t0 = Instant::now();
    let run = run::load(run_dir)?;
    let t_read = t0.elapsed().as_secs_f64();

    let outcomes = figures::all(&run)?;
    let drawn: Vec<&plot::Figure> = outcomes
        .iter()
        .filter_map(|o| match o {
            figures::Outcome::Drawn(f) => Some(f),
            figures::Outcome::Skipped(..) => None,
        })
        .collect();
    let svgs: Vec<String> = drawn.par_iter().map(|f| f.to_svg()).collect();
    let t_fig = t0.elapsed().as_secs_f64();

    let fig_dir = run_dir.join("figures");
    let pngs: Vec<Result<Vec<u8>, ReportError>> = svgs
        .par_iter()
        .zip(&drawn)
        .map(|(svg, f)| {
            png::svg_to_png(svg, PNG_SCALE)
                .map_err(|e| ReportError::write(&fig_dir.join(format!("{}.png", f.id)), e))
        })
        .collect();
    let t_png = t0.elapsed().as_secs_f64();

    std::fs::create_dir_all(&fig_dir).map_err(|e| ReportError::write(&fig_dir, e))?;
    for ((f, svg), png) in drawn.iter().zip(&svgs).zip(pngs) {
        write_atomic(&fig_dir.join(format!("{}.svg", f.id)), svg.as_bytes())?;
        write_atomic(&fig_dir.join(format!("{}.png", f.id)), &png?)?;
    }
    let page = html::page(&run, &outcomes, &svgs);
    let html = run_dir.join("report.html");
    write_atomic(&html, page.as_bytes())?;
    let total = t0.elapsed().as_secs_f64();

    Ok(Report {
        html,
        figures: drawn.iter().map(|f| f.id.to_string()).collect(),
        skipped: outcomes
            .iter()
            .filter_map(|o| match o {
                figures::Outcome::Skipped(id, _, why) => Some((id.to_string(), why.clone())),
                figures::Outcome::Drawn(_) => None,
            })
            .collect(),
        html_bytes: page.len(),
        seconds: Seconds {
            read: t_read,
            figures: t_fig - t_read,
            png: t_png - t_fig,
            write: total - t_png,
            total,
        },
    })
}
