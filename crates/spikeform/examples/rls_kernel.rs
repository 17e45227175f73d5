//! Times one RLS update of 1500 units with 340 inputs in each storage layout, on every thread
//! (as training runs it; a quick check, the criterion benchmarks are the measurement of record).
use rayon::prelude::*;
use spikeform::train::{Penalty, Precision, RlsOptions, RlsUnit, Storage};
use std::time::Instant;

fn main() {
    // Optional arguments: number of units and of inputs (1 unit fits in cache: compute-bound).
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a count"));
    let rows = args.next().unwrap_or(1500);
    let n = args.next().unwrap_or(340);
    let mut pen = Penalty::ridge(n, 0.04);
    pen.set_ridge(40.min(n)..n, 1.0);
    pen.add_group_sum(0..20, 8.0);
    pen.add_group_sum(20..40, 8.0);
    let p0 = pen.inverse().unwrap();
    let rho: Vec<f64> = (0..n).map(|i| 0.01 * (i as f64).sin().abs()).collect();
    for (storage, precision, block) in [
        (Storage::Dense, Precision::F64, 1),
        (Storage::Packed, Precision::F64, 1),
        (Storage::Packed, Precision::F32, 1),
        (Storage::Packed, Precision::F32, 8),
        (Storage::Dense, Precision::F32, 8),
    ] {
        let opts = RlsOptions {
            storage,
            precision,
            block,
            ..Default::default()
        };
        let mut units: Vec<RlsUnit> = (0..rows)
            .map(|_| RlsUnit::with_options(n, &p0, opts))
            .collect();
        let t = Instant::now();
        let updates = (30_000 / rows).clamp(20, 2000);
        for _ in 0..updates {
            units.par_iter_mut().for_each_init(
                || vec![0.0; n],
                |gain, u| {
                    u.update_gain(&rho, gain);
                },
            );
        }
        let per = t.elapsed().as_secs_f64() / updates as f64;
        let bytes = units[0].bytes() as f64 * rows as f64;
        println!(
            "{opts:?}: {:.1} ms per update of {rows} units ({:.2} GB of P, {:.1} GB/s read)",
            per * 1e3,
            bytes / 1e9,
            bytes / per / 1e9
        );
    }
}
