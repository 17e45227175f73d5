//! One training loop of `examples/balanced_alm.toml` as it ships: N = 5000, 1500 trained neurons
//! matched to `../shared/data/alm`, 340 plastic inputs each, both 3000-ms conditions and their
//! 200 RLS updates. The loop is timed by the library (construction, settling, matching and the
//! test are excluded) and the evaluation trial is switched off, so a sample is what the
//! reference calls a loop.
//!
//! Run from the project root: `cargo bench -p spikeform-io --bench training_loop`. Other RLS
//! layouts through `--set`-style overrides in an environment variable, e.g. the reference's
//! arithmetic: `SPIKEFORM_BENCH_SET="training.rls.storage=dense training.rls.precision=f64"`.

use criterion::{criterion_group, criterion_main, Criterion};
use spikeform::experiment::spiking::{run_with_checkpoints, NoCheckpoints};
use spikeform::Silent;
use spikeform_io::config::{self, Experiment};
use std::path::Path;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    // Benches run in the crate's folder; the example's data paths are relative to the root.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = root.join("examples/balanced_alm.toml");
    let mut overrides: Vec<String> = [
        "training.loops=1",
        "training.eval_every=0",
        "training.checkpoint_every=0",
        "test.trials=1",
    ]
    .map(String::from)
    .to_vec();
    if let Ok(extra) = std::env::var("SPIKEFORM_BENCH_SET") {
        overrides.extend(extra.split_whitespace().map(String::from));
    }
    let loaded = match config::load(&file, &overrides, &root) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("training_loop: skipped ({e})");
            return;
        }
    };
    let Experiment::Spiking(exp) = loaded.experiment else {
        eprintln!("training_loop: skipped (not a spiking experiment)");
        return;
    };
    let mut group = c.benchmark_group("balanced_alm");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(60));
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.bench_function("training_loop", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let result = run_with_checkpoints(&exp, &mut Silent, &mut NoCheckpoints, None)
                    .expect("the example runs");
                total += Duration::from_secs_f64(result.loop_seconds[0]);
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
