//! `spikeform report RUN_DIR`: the run's figures and numbers as one self-contained HTML page.

use std::path::Path;

use crate::Failure;

/// Writes `RUN_DIR/report.html` and `RUN_DIR/figures/*.{svg,png}`; prints where, what was
/// left out and how long it took. Bad or missing input exits with 2, a failed write with 1.
pub fn report(run_dir: &Path) -> Result<(), Failure> {
    let r = spikeform_report::generate(run_dir).map_err(|e| {
        if e.is_input() {
            Failure::input(e)
        } else {
            Failure::run(e)
        }
    })?;
    for (id, why) in &r.skipped {
        eprintln!("note: figure {id} not drawn: {why}");
    }
    let s = r.seconds;
    println!(
        "report in {} ({} figures, {:.1} MB; figures/ has SVG and PNG of each) in {:.2} s \
         (read {:.2} s, figures {:.2} s, PNG {:.2} s, write {:.2} s)",
        r.html.display(),
        r.figures.len(),
        r.html_bytes as f64 / 1e6,
        s.total,
        s.read,
        s.figures,
        s.png,
        s.write
    );
    Ok(())
}

/// The report written at the end of `run` and `test` (unless `skip`). The run's results are
/// complete and stay in place whatever happens here, so a report that cannot be built is a
/// warning with the command to retry, not a failed run.
pub fn after_run(run_dir: &Path, skip: bool) {
    if skip {
        return;
    }
    if let Err(f) = report(run_dir) {
        eprintln!(
            "warning: report not written ({}); the results are complete, retry with \
             `spikeform report {}`",
            f.message,
            run_dir.display()
        );
    }
}
