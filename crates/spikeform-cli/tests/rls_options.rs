//! The RLS options (`training.rls.update = "deferred"`, `precision = "f16"`) against the
//! textbook update on a small recorded-data experiment: r per loop after a few loops.

mod common;

use common::*;

/// r per loop of `file` run for 3 loops (no checkpoints) with `sets`, into `dir/label`.
fn three_loops_r(dir: &std::path::Path, file: &str, label: &str, sets: &[&str]) -> Vec<f64> {
    let mut all = vec!["training.loops=3", "training.checkpoint_every=0"];
    all.extend_from_slice(sets);
    r_per_loop(&run_summary(file, &dir.join(label), &all))
}

/// r per loop of each option stays within a stated distance of the textbook dense-f64 update
/// (the reference): the deferred update in f64 to 1e-12 (measured 4e-17: rounding only), in
/// f32 to 1e-6 (measured 2e-8; the spikes stay the same). f16 storage is not in this test: its
/// weights differ by about 1% (unit test `every_option_agrees_with_the_textbook_update`), which
/// changes this small network's spikes, and its r per loop (−0.013, 0.016, −0.026 against
/// 0.064, −0.087, 0.043, both at the noise level of so small an experiment) says nothing here.
#[test]
fn each_rls_option_gives_the_textbook_r_per_loop() {
    let dir = scratch("rls_options");
    let rates = small_alm_rates(&dir);
    let file = small_alm_experiment(&dir, [&rates[0], &rates[1]]);
    let reference = three_loops_r(&dir, &file, "textbook", &[]);
    let deferred = "training.rls.update=deferred";
    let cases: [(&str, &[&str], f64); 3] = [
        ("deferred_f64", &[deferred], 1e-12),
        (
            "deferred_f32",
            &[deferred, "training.rls.precision=f32"],
            1e-6,
        ),
        (
            "deferred_packed_f32",
            &[
                deferred,
                "training.rls.precision=f32",
                "training.rls.storage=packed",
            ],
            1e-6,
        ),
    ];
    for (label, sets, tol) in cases {
        let r = three_loops_r(&dir, &file, label, sets);
        assert_eq!(r.len(), reference.len());
        for (a, b) in r.iter().zip(&reference) {
            assert!(
                (a - b).abs() < tol,
                "{label}: r {r:?} against {reference:?}"
            );
        }
    }
}
