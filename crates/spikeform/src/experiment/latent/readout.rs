//! What a readout trained by RLS during the trial did (`latent.readout_training`,
//! `input/latent_readout.rs`): the online κ̂ against the target κ* every ms, before, during and
//! after the learning window, and the weights it ended with.

use super::spec::{LatentSpec, READOUT_RECORD_MS};
use crate::analysis::{mean_sd, pearson};
use crate::network::Population;

/// How well κ̂ followed κ* in one stretch of the trial.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadoutWindow {
    /// `"before"` (burn-in to the learning window), `"learning"` or `"after"` (the learning
    /// window's end to the trial's: the network alone with the learned weights).
    pub name: &'static str,
    /// Start and end (ms).
    pub window_ms: [f64; 2],
    /// Pearson correlation of κ̂_d with κ*_d, per dimension.
    pub pearson: Vec<f64>,
    /// Root mean square of κ̂_d − κ*_d, per dimension.
    pub rmse: Vec<f64>,
    /// SD of κ*_d over the window, per dimension (the scale of `rmse`).
    pub target_sd: Vec<f64>,
    /// SD of κ̂_d over the window, per dimension (an oscillation's amplitude is √2 × its SD).
    pub readout_sd: Vec<f64>,
    /// The period (ms) of κ̂_d's strongest Fourier component, per dimension (NaN for a flat
    /// series): with the phase free to drift once learning stops, a learned oscillation is
    /// judged by its period and amplitude more than by its correlation with κ*.
    pub readout_period_ms: Vec<f64>,
    /// The same of κ*_d.
    pub target_period_ms: Vec<f64>,
}

/// The trained readout of a run's first trial.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadoutTrainingResult {
    /// The trained readout neurons.
    pub neurons: Vec<usize>,
    /// RLS updates made.
    pub updates: u64,
    /// The learning window (ms).
    pub learn_ms: [f64; 2],
    /// Interval of the updates (ms).
    pub every_ms: f64,
    /// Ridge α.
    pub alpha: f64,
    /// κ̂ fed back, at the end of every ms, `[k·D + d]`.
    pub readout_ms: Vec<f64>,
    /// κ* at the same times, `[k·D + d]`.
    pub target_ms: Vec<f64>,
    /// `w(0)`, `[d·N_T + k]`.
    pub weights_initial: Vec<f64>,
    /// The weights at the trial's end.
    pub weights_final: Vec<f64>,
    /// Before, during and after the learning window (empty stretches left out).
    pub windows: Vec<ReadoutWindow>,
}

/// The result of a trained readout from the latent input's state at the end of a trial
/// (`state`, the whole input state: κ̂, κ, then the learner's); `None` without
/// `latent.readout_training`.
pub fn readout_training(
    spec: &LatentSpec,
    (seed, populations): (u64, &[Population]),
    (dt_ms, trial_steps, burn_in_ms): (f64, u64, f64),
    state: &[f64],
) -> Option<ReadoutTrainingResult> {
    let t = spec.readout_training.as_ref()?;
    let feedback = spec.build(seed, populations, (dt_ms, trial_steps));
    let learner = feedback.trained.as_ref()?;
    let parts = learner.parts(state.get(2 * spec.dims..)?);
    let d = spec.dims;
    let every = learner.record_every_steps;
    let target_ms: Vec<f64> = (1..=parts.recorded.len() / d)
        .flat_map(|k| {
            let mut out = vec![0.0; d];
            t.target.prescribed(k as u64 * every, dt_ms, &mut out);
            out
        })
        .collect();
    let learn_ms = [
        (t.learn_steps.0 - 1) as f64 * dt_ms,
        t.learn_steps.1 as f64 * dt_ms,
    ];
    let trial_ms = trial_steps as f64 * dt_ms;
    let stretches = [
        ("before", burn_in_ms, learn_ms[0]),
        ("learning", learn_ms[0], learn_ms[1]),
        ("after", learn_ms[1], trial_ms),
    ];
    let windows = stretches
        .iter()
        .filter_map(|&(name, start, end)| {
            window(name, [start, end], (parts.recorded, &target_ms), d)
        })
        .collect();
    Some(ReadoutTrainingResult {
        neurons: learner.neurons.clone(),
        updates: parts.updates,
        learn_ms,
        every_ms: t.every_steps as f64 * dt_ms,
        alpha: t.alpha,
        readout_ms: parts.recorded.to_vec(),
        target_ms,
        weights_initial: learner.initial_weights.clone(),
        weights_final: parts.weights.to_vec(),
        windows,
    })
}

/// κ̂ against κ* over the samples inside `[start, end)` ms (sample k is at `(k + 1)` ms); `None`
/// for a window with fewer than two samples.
fn window(
    name: &'static str,
    [start, end]: [f64; 2],
    (readout, target): (&[f64], &[f64]),
    d: usize,
) -> Option<ReadoutWindow> {
    let first = (start / READOUT_RECORD_MS).floor().max(0.0) as usize;
    let last = ((end / READOUT_RECORD_MS).floor() as usize).min(readout.len() / d);
    if last < first + 2 {
        return None;
    }
    let column =
        |x: &[f64], c: usize| -> Vec<f64> { (first..last).map(|k| x[k * d + c]).collect() };
    let mut w = ReadoutWindow {
        name,
        window_ms: [
            first as f64 * READOUT_RECORD_MS,
            last as f64 * READOUT_RECORD_MS,
        ],
        pearson: Vec::new(),
        rmse: Vec::new(),
        target_sd: Vec::new(),
        readout_sd: Vec::new(),
        readout_period_ms: Vec::new(),
        target_period_ms: Vec::new(),
    };
    for c in 0..d {
        let (r, y) = (column(readout, c), column(target, c));
        w.pearson.push(pearson(&r, &y));
        let n = r.len() as f64;
        w.rmse
            .push((r.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n).sqrt());
        w.target_sd.push(mean_sd(&y).1);
        w.readout_sd.push(mean_sd(&r).1);
        w.readout_period_ms
            .push(dominant_period(&r) * READOUT_RECORD_MS);
        w.target_period_ms
            .push(dominant_period(&y) * READOUT_RECORD_MS);
    }
    Some(w)
}

/// The period (in samples) of the strongest Fourier component of `x` (mean removed), between
/// 4 samples and the whole series: a grid of frequencies 4 times finer than `1/len`, then one
/// 64 times finer around its best point; NaN when `x` is flat.
fn dominant_period(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let centred: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let power = |f: f64| {
        let omega = std::f64::consts::TAU * f;
        let (mut re, mut im) = (0.0, 0.0);
        for (k, v) in centred.iter().enumerate() {
            let (s, c) = (omega * k as f64).sin_cos();
            re += v * c;
            im += v * s;
        }
        re * re + im * im
    };
    let strongest = |(from, to, step): (f64, f64, f64)| {
        let mut best = (f64::NAN, 0.0);
        let mut f = from;
        while f <= to {
            let p = power(f);
            if p > best.1 {
                best = (f, p);
            }
            f += step;
        }
        best.0
    };
    let coarse = strongest((1.0 / n, 0.25, 0.25 / n));
    if coarse.is_nan() {
        return f64::NAN;
    }
    let fine = 0.25 / n;
    1.0 / strongest((coarse - fine, coarse + fine, fine / 64.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dominant_period_of_a_noisy_sine_is_its_period() {
        let mut r = crate::rng::stream(2, "test");
        let x: Vec<f64> = (0..2000)
            .map(|k| {
                let noise: f64 = rand::Rng::random::<f64>(&mut r) - 0.5;
                (std::f64::consts::TAU * k as f64 / 251.0).sin() + 0.5 * noise
            })
            .collect();
        let p = dominant_period(&x);
        assert!((p - 251.0).abs() < 2.0, "{p}");
        assert!(dominant_period(&[1.0; 100]).is_nan());
    }

    #[test]
    fn windows_compare_the_readout_with_the_target() {
        let (readout, target): (Vec<f64>, Vec<f64>) = (0..100)
            .map(|k| {
                let y = (k as f64 / 10.0).sin();
                (0.5 * y, y)
            })
            .unzip();
        let w = window("after", [20.0, 80.0], (&readout, &target), 1).unwrap();
        assert_eq!(w.window_ms, [20.0, 80.0]);
        assert!((w.pearson[0] - 1.0).abs() < 1e-12);
        assert!((w.readout_sd[0] / w.target_sd[0] - 0.5).abs() < 1e-12);
        assert!(window("x", [20.0, 21.0], (&readout, &target), 1).is_none());
    }
}
