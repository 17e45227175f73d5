//! Measures the machine's memory bandwidth (copy and read of a 1-GiB buffer, on one thread and
//! on two threads each taking half), the yardstick for the RLS kernel's traffic in
//! docs/performance.md.
//!
//! Run: `cargo run --release -p spikeform --example bandwidth`.
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let n = 1usize << 27; // 2^27 f64 = 1 GiB
    let a = vec![1.0f64; n];
    let mut b = vec![0.0f64; n];
    b.copy_from_slice(&a);
    let reps = 5;
    let t = Instant::now();
    for _ in 0..reps {
        b.copy_from_slice(black_box(&a));
        black_box(&b);
    }
    let s = t.elapsed().as_secs_f64() / reps as f64;
    let bytes = (n * 8) as f64;
    println!(
        "copy: {:.1} GB/s counted as read + write ({:.1} GB/s of data copied)",
        2.0 * bytes / s / 1e9,
        bytes / s / 1e9
    );
    let t = Instant::now();
    let mut total = 0.0;
    for _ in 0..reps {
        total += sum(black_box(&a));
    }
    let s = t.elapsed().as_secs_f64() / reps as f64;
    println!("read: {:.1} GB/s (checksum {total})", bytes / s / 1e9);

    // Two threads, each on its own half.
    let t = Instant::now();
    for _ in 0..reps {
        let (a0, a1) = a.split_at(n / 2);
        let (b0, b1) = b.split_at_mut(n / 2);
        std::thread::scope(|scope| {
            scope.spawn(|| b0.copy_from_slice(black_box(a0)));
            scope.spawn(|| b1.copy_from_slice(black_box(a1)));
        });
        black_box(&b);
    }
    let s = t.elapsed().as_secs_f64() / reps as f64;
    println!(
        "copy, 2 threads: {:.1} GB/s counted as read + write",
        2.0 * bytes / s / 1e9
    );
    let t = Instant::now();
    let mut total = 0.0;
    for _ in 0..reps {
        let (a0, a1) = a.split_at(n / 2);
        total += std::thread::scope(|scope| {
            let h = scope.spawn(|| sum(black_box(a0)));
            sum(black_box(a1)) + h.join().expect("reader thread")
        });
    }
    let s = t.elapsed().as_secs_f64() / reps as f64;
    println!(
        "read, 2 threads: {:.1} GB/s (checksum {total})",
        bytes / s / 1e9
    );
}

/// Sum of `a` in eight independent lanes (so the loop is bound by loads, not by latency).
fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    for c in a.chunks_exact(8) {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    acc.iter().sum()
}
