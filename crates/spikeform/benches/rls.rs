//! The RLS update of 1500 trained neurons (the ALM fit's size) for M = 40, 58, 128, 340 plastic
//! inputs, in every storage, precision and block size, on all threads.
//!
//! Run: `cargo bench -p spikeform --bench rls`. Bytes of P per update are printed as throughput.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use spikeform::train::{Penalty, Precision, RlsOptions, RlsUnit, Storage};

fn bench(c: &mut Criterion) {
    let rows = 1500;
    let mut group = c.benchmark_group("rls_update_1500_neurons");
    group.sample_size(10);
    for m in [40usize, 58, 128, 340] {
        let mut pen = Penalty::ridge(m, 0.04);
        pen.add_group_sum(0..m / 2, 8.0);
        let p0 = pen.inverse().expect("positive definite");
        let rho: Vec<f64> = (0..m)
            .map(|i| 0.01 * ((i as f64) * 0.7).sin().abs())
            .collect();
        for (storage, precision, block) in [
            (Storage::Dense, Precision::F64, 1),
            (Storage::Packed, Precision::F64, 1),
            (Storage::Dense, Precision::F32, 1),
            (Storage::Packed, Precision::F32, 1),
            (Storage::Packed, Precision::F32, 8),
        ] {
            let options = RlsOptions {
                storage,
                precision,
                block,
                ..Default::default()
            };
            let mut units: Vec<RlsUnit> = (0..rows)
                .map(|_| RlsUnit::with_options(m, &p0, options))
                .collect();
            group.throughput(Throughput::Bytes((units[0].bytes() * rows) as u64));
            let id = BenchmarkId::new(format!("{storage:?}-{precision:?}-block{block}"), m);
            group.bench_function(id, |b| {
                b.iter(|| {
                    units.par_iter_mut().for_each_init(
                        || vec![0.0; m],
                        |gain, u| {
                            u.update_gain(&rho, gain);
                        },
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
