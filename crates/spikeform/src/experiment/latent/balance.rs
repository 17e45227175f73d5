//! The finite-K balance residual of a latent run (`docs/latent.md`, "Pinning the E rate"; a
//! reconstruction after Gort & Renart, not in `../shared/spec/latent.md`).
//!
//! Balance pins the population rates only to leading order. The mean net input of population `a`
//! is `μ_a = X_a + Σ_b W_ab r_b` with `W_ab = K_ab J_ab / 1000` (input per Hz; unit-area
//! synaptic kernels), and the loadings are centred per population, so the feedback adds nothing
//! to it. Hence the rates move as
//!
//! ```text
//! Δr = W⁻¹ Δμ,      for E and I:   Δr_E = (W_II Δμ_E − W_EI Δμ_I) / det W
//! ```
//!
//! where each `Δμ_a < 0` is the population's pinning shift (G2). With `det W > 0` and `W_II < 0`
//! the E cells' own shift raises r_E while the I cells' lowers it: the I cells' loading SD sets
//! the E drift, and one value cancels it. This module measures every population per stretch
//! (rate, rate SD, mean input), checks `W⁻¹ Δμ` against the measured `Δr`, and, for two
//! populations, calibrates each one's mean field at κ = 0 and predicts `Δr` and the cancelling
//! I loading SD (`theory::latent::balanced_rate_shift`, `cancelling_loading_sd`).

use crate::analysis::latent::{segment_stats, SampledInput, SegmentStats};
use crate::analysis::mean_sd;
use crate::network::{Population, Sign};
use crate::theory::latent as theory;

/// One population's statistics per stretch of constant κ.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationStretches {
    /// Population name.
    pub name: String,
    /// RMS of its input loadings over its cells and dimensions.
    pub loading_sd: f64,
    /// Population rate per stretch (Hz).
    pub rate_hz: Vec<f64>,
    /// Across-cell rate SD per stretch (Hz).
    pub rate_sd_hz: Vec<f64>,
    /// Population-mean net input per stretch.
    pub mean_input: Vec<f64>,
}

/// The two-population mean field of the residual, calibrated at κ = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceTheory {
    /// Calibrated noise σ of each population's f–I curve (mV).
    pub sigma: Vec<f64>,
    /// Calibrated quenched SD σ_q of each population's input.
    pub sigma_q: Vec<f64>,
    /// Per stretch, per population: the predicted rate change `Δr_a` (Hz) with the run's
    /// loadings.
    pub rate_change_hz: Vec<Vec<f64>>,
    /// Per stretch: the I loading SD that cancels the E rate change (NaN at κ = 0 or without a
    /// root in `[0, 5·σ_m,E]`).
    pub cancelling_loading_sd: Vec<f64>,
}

/// The balance residual of a run (module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceResidual {
    /// Position of the κ = 0 stretch every change is taken from.
    pub reference: usize,
    /// Every population, in network order.
    pub populations: Vec<PopulationStretches>,
    /// `W_ab` (input of a per Hz of b).
    pub coupling_per_hz: Vec<Vec<f64>>,
    /// Per stretch, per population: `W⁻¹ (μ(κ) − μ(0))` (Hz), the rate change the measured
    /// mean-input shifts imply (NaN where W is singular).
    pub rate_change_from_inputs_hz: Vec<Vec<f64>>,
    /// The two-population mean field (E and I only).
    pub theory: Option<BalanceTheory>,
}

/// What [`residual`] reads.
#[derive(Debug, Clone, Copy)]
pub struct BalanceRun<'a> {
    /// Spike times of every neuron.
    pub spikes: &'a [Vec<f64>],
    /// Populations.
    pub populations: &'a [Population],
    /// Each population's mean net input (sampled), in network order.
    pub inputs: &'a [SampledInput<'a>],
    /// `W_ab` (input per Hz).
    pub coupling_per_hz: &'a [Vec<f64>],
    /// Input loadings of every neuron, `[i·D + d]`.
    pub loadings: &'a [f64],
    /// D.
    pub dims: usize,
}

/// `W⁻¹ v`, NaN where W is singular.
fn solve(w: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    let n = v.len();
    let m = nalgebra::DMatrix::from_fn(n, n, |a, b| w[a][b]);
    m.lu()
        .solve(&nalgebra::DVector::from_column_slice(v))
        .map_or(vec![f64::NAN; n], |x| x.iter().copied().collect())
}

/// The balance residual over `segments` (the E stretches of the run; the first is κ = 0 when
/// `reference` is its position); `None` without a reference stretch.
pub fn residual(
    run: BalanceRun<'_>,
    segments: &[SegmentStats],
    reference: Option<usize>,
) -> Option<BalanceResidual> {
    let r0 = reference?;
    let d = run.dims;
    let ranges = crate::network::population_ranges(run.populations);
    let populations: Vec<PopulationStretches> = run
        .populations
        .iter()
        .zip(&ranges)
        .zip(run.inputs)
        .map(|((p, range), input)| {
            let cells: Vec<usize> = range.clone().collect();
            let stats: Vec<SegmentStats> = segments
                .iter()
                .map(|s| segment_stats(run.spikes, &cells, &[], &s.segment, Some(*input)))
                .collect();
            PopulationStretches {
                name: p.name.clone(),
                loading_sd: mean_sd(&run.loadings[range.start * d..range.end * d]).1,
                rate_hz: stats.iter().map(|s| s.rate_hz).collect(),
                rate_sd_hz: stats.iter().map(|s| s.rate_sd_hz).collect(),
                mean_input: stats.iter().map(|s| s.mean_input).collect(),
            }
        })
        .collect();
    let rate_change_from_inputs_hz = (0..segments.len())
        .map(|k| {
            let shift: Vec<f64> = populations
                .iter()
                .map(|p| p.mean_input[k] - p.mean_input[r0])
                .collect();
            solve(run.coupling_per_hz, &shift)
        })
        .collect();
    let theory = two_population_theory(run, &populations, segments, r0);
    Some(BalanceResidual {
        reference: r0,
        populations,
        coupling_per_hz: run.coupling_per_hz.to_vec(),
        rate_change_from_inputs_hz,
        theory,
    })
}

/// The mean field of an E–I network (exactly one excitatory and one inhibitory population),
/// each population calibrated on the κ = 0 stretch (`super::calibrate`).
fn two_population_theory(
    run: BalanceRun<'_>,
    populations: &[PopulationStretches],
    segments: &[SegmentStats],
    r0: usize,
) -> Option<BalanceTheory> {
    let [e, i] = match run.populations {
        [a, b] if a.sign == Sign::Excitatory && b.sign == Sign::Inhibitory => [0, 1],
        [a, b] if a.sign == Sign::Inhibitory && b.sign == Sign::Excitatory => [1, 0],
        _ => return None,
    };
    let mut sigma = Vec::new();
    let mut fields = Vec::new();
    for (p, s) in run.populations.iter().zip(populations) {
        let stretch = (s.rate_hz[r0], s.rate_sd_hz[r0], s.mean_input[r0]);
        let (sg, field, _) = super::calibrate(p, stretch, s.loading_sd)?;
        sigma.push(sg);
        fields.push(field);
    }
    let norm = |s: &SegmentStats| s.segment.kappa.iter().map(|k| k * k).sum::<f64>().sqrt();
    let max_sd = 5.0 * populations[e].loading_sd;
    Some(BalanceTheory {
        sigma,
        sigma_q: fields.iter().map(|f| f.sigma_q).collect(),
        rate_change_hz: segments
            .iter()
            .map(|s| {
                theory::balanced_rate_shift(&fields, run.coupling_per_hz, norm(s))
                    .unwrap_or_else(|| vec![f64::NAN; fields.len()])
            })
            .collect(),
        cancelling_loading_sd: segments
            .iter()
            .map(|s| match norm(s) {
                k if k > 0.0 => {
                    theory::cancelling_loading_sd(&fields, run.coupling_per_hz, (e, i), k, max_sd)
                        .unwrap_or(f64::NAN)
                }
                _ => f64::NAN,
            })
            .collect(),
    })
}
