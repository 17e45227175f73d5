//! Times the RLS updates of 1500 units with 340 inputs on inputs shaped like balanced_alm's
//! (40 recurrent traces at 6.5 Hz, 300 feed-forward traces at 20 Hz, `τ_P` = 150 ms, an update
//! every 20 ms), for the textbook and the deferred update in each storage, on every thread.
//! Prints wall and CPU seconds per update (CPU time is the steadier number on a shared machine).
//!
//! `cargo run --release -p spikeform --example rls_deferred_kernel [UNITS] [INPUTS] [UPDATES]`
use rand::Rng as _;
use rayon::prelude::*;
use spikeform::train::{Penalty, Precision, RlsOptions, RlsUnit, Storage, UpdateRule};
use std::time::Instant;

/// This process's user + system CPU seconds (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Unit {
    rls: RlsUnit,
    rho: Vec<f64>,
    gain: Vec<f64>,
    rng: spikeform::rng::Rng,
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a count"));
    let rows = args.next().unwrap_or(1500);
    let n = args.next().unwrap_or(340);
    let updates = args.next().unwrap_or(40);
    let (dt, tau, every) = (0.1, 150.0, 200);
    let decay = (1.0f64 - dt / tau).powi(every);
    let spike_probability: Vec<f64> = (0..n)
        .map(|j| {
            let hz = if j < 40 { 6.5 } else { 20.0 };
            1.0 - (-hz * every as f64 * dt / 1000.0).exp()
        })
        .collect();
    let mut pen = Penalty::ridge(n, 0.04);
    pen.set_ridge(40.min(n)..n, 0.1);
    pen.add_group_sum(0..20, 8.0);
    pen.add_group_sum(20..40, 8.0);
    let p0 = pen.inverse().unwrap();
    let textbook = |storage, precision| RlsOptions {
        storage,
        precision,
        ..Default::default()
    };
    let deferred = |storage, precision, block| RlsOptions {
        storage,
        precision,
        block,
        update: UpdateRule::Deferred,
    };
    let mut cases = vec![
        textbook(Storage::Packed, Precision::F32),
        textbook(Storage::Dense, Precision::F32),
    ];
    for b in [8, 16, 32] {
        cases.push(deferred(Storage::Dense, Precision::F32, b));
    }
    cases.push(deferred(Storage::Packed, Precision::F32, 16));
    cases.push(textbook(Storage::Packed, Precision::F16));
    cases.push(deferred(Storage::Dense, Precision::F16, 16));
    // RLS_CASE=TEXT keeps the cases whose description contains TEXT (e.g. "Deferred Dense").
    let only = std::env::var("RLS_CASE").unwrap_or_default();
    for opts in cases {
        let name = format!(
            "{:?} {:?} {:?} block {}",
            opts.update, opts.storage, opts.precision, opts.block
        );
        if !name.contains(&only) {
            continue;
        }
        let mut units: Vec<Unit> = (0..rows)
            .map(|r| Unit {
                rls: RlsUnit::with_options(n, &p0, opts),
                rho: vec![0.0; n],
                gain: vec![0.0; n],
                rng: spikeform::rng::substream(1, "inputs", r as u64),
            })
            .collect();
        let (mut wall, mut cpu) = (0.0, 0.0);
        // The first 5 updates fill the traces; the rest are timed.
        for u in 0..updates + 5 {
            let (t, c) = (Instant::now(), cpu_seconds());
            units.par_iter_mut().for_each(|unit| {
                for (r, &p) in unit.rho.iter_mut().zip(&spike_probability) {
                    *r *= decay;
                    if unit.rng.random::<f64>() < p {
                        *r += decay.sqrt() / tau;
                    }
                }
                unit.rls
                    .update_gain_with_decay(&unit.rho, Some(decay), &mut unit.gain);
            });
            if u >= 5 {
                wall += t.elapsed().as_secs_f64();
                cpu += cpu_seconds() - c;
            }
        }
        let (cols, folds) = units[0].rls.deferred_counts();
        println!(
            "{name}: {:.1} ms wall, {:.1} ms CPU per update of {rows} units ({:.1} µs CPU per \
             unit); \
             P {:.0} MB; unit 0: {cols} column updates, {folds} folds",
            wall / updates as f64 * 1e3,
            cpu / updates as f64 * 1e3,
            cpu / updates as f64 / rows as f64 * 1e6,
            units[0].rls.bytes() as f64 * rows as f64 / 1e6,
        );
    }
}
