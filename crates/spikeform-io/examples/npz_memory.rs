//! Measures what writing and reading one large f32 `.npz` member costs, for comparing zip
//! layers (ARCHITECTURE.md, "The zip layer"). Run each step in its own process under
//! `command time -v` to read its peak resident memory:
//!
//! ```text
//! cargo build --release -p spikeform-io --example npz_memory
//! command time -v target/release/examples/npz_memory write big.npz 1.0
//! command time -v target/release/examples/npz_memory read big.npz
//! ```
//!
//! `write PATH GB` streams a member `p` of GB·10⁹ bytes of f32 values (`<f4`) to PATH with
//! [`NpzFileWriter`]; `read PATH` reads it back with [`NpzFile::read_values`] (kept as f32) and
//! checks the values.

use spikeform_io::npy::{NpyValues, NpzFile, NpzFileWriter};

/// The value stored at index `i`: distinct, exactly representable, cheap to check.
fn value(i: usize) -> f32 {
    (i % 1_000_003) as f32
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: npz_memory write PATH GB | npz_memory read PATH";
    let t0 = std::time::Instant::now();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write", path, gb] => {
            let gb: f64 = gb.parse().expect(usage);
            let n = (gb * 1e9 / 4.0) as usize;
            let data: Vec<f32> = (0..n).map(value).collect();
            let mut w = NpzFileWriter::create(path).unwrap();
            w.add_f32("p", &[n], &data).unwrap();
            w.finish().unwrap();
            println!(
                "wrote {n} f32 values in {:.2} s",
                t0.elapsed().as_secs_f64()
            );
        }
        ["read", path] => {
            let mut npz = NpzFile::open(path).unwrap();
            let (shape, values) = npz.read_values("p").unwrap();
            let NpyValues::F32(v) = values else {
                panic!("p was not read as f32")
            };
            assert_eq!(shape, vec![v.len()]);
            assert!(v.iter().enumerate().all(|(i, &x)| x == value(i)));
            println!(
                "read {} f32 values in {:.2} s",
                v.len(),
                t0.elapsed().as_secs_f64()
            );
        }
        _ => panic!("{usage}"),
    }
}
