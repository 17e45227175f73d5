//! Measures the machine's memory bandwidth (copy and read of a 1-GiB buffer), the yardstick for
//! the RLS kernel's traffic in docs/performance.md.
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
        let mut acc = [0.0f64; 8];
        for c in black_box(&a).chunks_exact(8) {
            for l in 0..8 {
                acc[l] += c[l];
            }
        }
        total += acc.iter().sum::<f64>();
    }
    let s = t.elapsed().as_secs_f64() / reps as f64;
    println!("read: {:.1} GB/s (checksum {total})", bytes / s / 1e9);
}
