//! The inverse Siegert function against the shipped ALM reference inputs
//! (`rls-training.md` §4.3, `shared/data/alm/README.md`).
//!
//! reference_input = f⁻¹(rate) element-wise, with f the LIF rate under white noise (τ = 10 ms,
//! θ = 1, V_r = 0, no refractory period), rates of 0 Hz replaced by 0.1 Hz, and a σ that the
//! reference estimated per neuron (0.3075–0.3102). With the project's σ = 0.309 the inverse
//! must reproduce the reference to a maximum absolute error below 5e-3 and a mean below 2e-3.

use std::path::PathBuf;

use spikeform::theory::{LifTransfer, ZERO_RATE_REPLACEMENT_HZ};
use spikeform_io::npy::{npy_bytes, read_npy_f64, NpyArray};

const SIGMA: f64 = 0.309;

/// `shared/data/alm`, which lies beside the project root (CI always has it there).
fn alm_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/alm");
    assert!(
        dir.join("rates_lick_right.npy").is_file(),
        "the ALM test data are missing: expected {}/rates_lick_right.npy \
         (shared/data/alm must lie beside the project root, see shared/data/alm/README.md)",
        dir.display()
    );
    dir
}

fn read(name: &str) -> NpyArray {
    let path = alm_dir().join(name);
    let a = read_npy_f64(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.shape, vec![1500, 100], "{}", path.display());
    a
}

fn check_condition(condition: &str) -> (f64, f64) {
    let rates = read(&format!("rates_lick_{condition}.npy"));
    let reference = read(&format!("reference_input_lick_{condition}.npy"));
    let f = LifTransfer::tutorial();
    let inputs = f
        .inputs_for_recorded_rates(&rates.data, SIGMA)
        .unwrap_or_else(|e| panic!("lick {condition}: {e}"));
    let mut max_err: f64 = 0.0;
    let mut worst = 0;
    let mut sum_err = 0.0;
    let mut worst_round_trip: f64 = 0.0;
    let mut zeros = 0;
    for (k, ((&rate, &mu), &want)) in rates
        .data
        .iter()
        .zip(&inputs)
        .zip(&reference.data)
        .enumerate()
    {
        let err = (mu - want).abs();
        if err > max_err {
            max_err = err;
            worst = k;
        }
        sum_err += err;
        let used = if rate == 0.0 {
            zeros += 1;
            ZERO_RATE_REPLACEMENT_HZ
        } else {
            rate
        };
        let back = f.rate_hz(mu, SIGMA);
        let rel = ((back - used) / used).abs();
        worst_round_trip = worst_round_trip.max(rel);
        assert!(
            rel < 1e-9,
            "lick {condition}, neuron {}, bin {}: rate {used} Hz -> mu {mu} -> {back} Hz",
            k / 100,
            k % 100
        );
    }
    let mean_err = sum_err / inputs.len() as f64;
    println!(
        "lick {condition}: largest difference at neuron {}, bin {}: rate {} Hz, input {:.6}, \
         reference {:.6}",
        worst / 100,
        worst % 100,
        rates.data[worst],
        inputs[worst],
        reference.data[worst]
    );
    println!(
        "lick {condition}: {} entries ({zeros} zero rates -> 0.1 Hz), input range {:.4}..{:.4}; \
         |inverse - reference|: max {max_err:.3e}, mean {mean_err:.3e}; \
         worst forward(inverse(rate)) relative error {worst_round_trip:.1e}",
        inputs.len(),
        inputs.iter().cloned().fold(f64::INFINITY, f64::min),
        inputs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    );
    (max_err, mean_err)
}

#[test]
fn inverse_siegert_reproduces_reference_input_lick_right() {
    let (max_err, mean_err) = check_condition("right");
    assert!(max_err < 5e-3, "max abs error {max_err:e}");
    assert!(mean_err < 2e-3, "mean abs error {mean_err:e}");
}

#[test]
fn inverse_siegert_reproduces_reference_input_lick_left() {
    let (max_err, mean_err) = check_condition("left");
    assert!(max_err < 5e-3, "max abs error {max_err:e}");
    assert!(mean_err < 2e-3, "mean abs error {mean_err:e}");
}

#[test]
fn npy_writer_reproduces_numpy_file_byte_for_byte() {
    // The shipped files were written by numpy.save; writing the same array back must give the
    // same bytes.
    let path = alm_dir().join("rates_lick_right.npy");
    let original = std::fs::read(&path).unwrap();
    let a = read_npy_f64(&path).unwrap();
    assert_eq!(npy_bytes(&a.shape, &a.data).unwrap(), original);
}
