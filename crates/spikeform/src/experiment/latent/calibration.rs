//! The mean field next to a latent run (`theory::latent`), calibrated on its κ = 0 stretch.

use super::analysis::{norm, LatentAnalysis};
use crate::network::{Population, Sign};
use crate::theory::latent as theory;

/// The mean field next to a run (`theory::latent`), calibrated on its κ = 0 stretch: the
/// temporal noise σ (mV) so that the pinned mean input equals the measured one, and σ_q so that
/// the predicted rate SD equals the measured one; everything at κ ≠ 0 is then a prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentTheory {
    /// Calibrated noise of the f–I curve (mV; LIF: the model's voltage unit).
    pub sigma: f64,
    /// Calibrated quenched SD of the input.
    pub sigma_q: f64,
    /// Per stretch: predicted μ(κ) − μ(0), rate SD (Hz), untuned rate (Hz), and the
    /// Kolmogorov–Smirnov distance of the predicted rate distribution from the cells' rates.
    pub segments: Vec<[f64; 4]>,
    /// The balance-adjusted gain G(0) (Hz per input unit).
    pub gain0: f64,
    /// The critical overlap s_c = 1/(σ_m² G(0)) of the closed loop (D = 1, n = s·m).
    pub critical_overlap: f64,
    /// The mean field itself (for fixed points).
    pub field: theory::LatentMeanField,
}

/// The f–I curve of population `pop` as a function of its input current, at noise `sigma`,
/// tabulated on `[−span, span]`.
fn transfer(pop: &Population, sigma: f64, span: f64) -> theory::TabulatedTransfer {
    let p = &pop.neuron;
    match pop.model {
        crate::neuron::NeuronModel::Eif(e) => {
            let eif = theory::EifTransfer {
                tau_ms: p.tau_membrane_ms,
                v_rest: p.v_rest,
                soft_threshold: e.soft_threshold,
                slope: e.slope,
                threshold: p.threshold,
                reset: p.reset,
                refractory_ms: p.refractory_ms,
            };
            let scale = p.tau_membrane_ms / e.capacitance;
            theory::TabulatedTransfer::new(|i| eif.rate_hz(scale * i, sigma), -span, span, 321)
        }
        crate::neuron::NeuronModel::Lif => {
            let lif = crate::theory::LifTransfer::new(
                p.tau_membrane_ms,
                p.threshold - p.v_rest,
                p.reset - p.v_rest,
                p.refractory_ms,
            );
            theory::TabulatedTransfer::new(|i| lif.rate_hz(i, sigma), -span, span, 321)
        }
    }
}

/// Kolmogorov–Smirnov distance between the spike counts of the cells in a window of
/// `window_s` seconds (`rates · window_s`) and the counts the mean field predicts: Poisson counts
/// of mean `Φ(μ + √Δ x)·window_s`, `x ~ N(0, 1)` (the finite window makes slow cells silent).
fn ks_distance(
    t: &theory::TabulatedTransfer,
    (mu, delta): (f64, f64),
    rates: &[f64],
    window_s: f64,
) -> f64 {
    let mut counts: Vec<u64> = rates
        .iter()
        .map(|r| (r * window_s).round() as u64)
        .collect();
    counts.sort_unstable();
    let n = counts.len() as f64;
    let poisson_cdf = |c: u64, lambda: f64| {
        let (mut term, mut sum) = ((-lambda).exp(), 0.0);
        for k in 0..=c {
            if k > 0 {
                term *= lambda / k as f64;
            }
            sum += term;
        }
        sum.min(1.0)
    };
    let mut worst: f64 = 0.0;
    let mut k = 0;
    while k < counts.len() {
        let c = counts[k];
        let j = k + counts[k..].iter().take_while(|&&x| x == c).count();
        let predicted =
            theory::gaussian_average(|x| poisson_cdf(c, t.rate(mu + delta.sqrt() * x) * window_s));
        let below = if c == 0 {
            0.0
        } else {
            theory::gaussian_average(|x| {
                poisson_cdf(c - 1, t.rate(mu + delta.sqrt() * x) * window_s)
            })
        };
        worst = worst
            .max((predicted - j as f64 / n).abs())
            .max((below - k as f64 / n).abs());
        k = j;
    }
    worst
}

/// The mean field of population `pop` (loadings SD `sigma_m`) calibrated on a κ = 0 stretch with
/// population rate `rate_hz`, across-cell rate SD `sd_hz` and mean net input `mean_input`: the
/// noise σ of its f–I curve (found by Brent's method in `[0.05, 1.5]·(V_th − V_re)`) such that the
/// pinned μ(0) equals `mean_input`, with σ_q such that the rate SD is `sd_hz`. Returns σ, the
/// field and its μ(0); `None` where a calibration finds no root.
pub fn calibrate(
    pop: &Population,
    (rate_hz, sd_hz, mean_input): (f64, f64, f64),
    sigma_m: f64,
) -> Option<(f64, theory::LatentMeanField, f64)> {
    let span = 6.0;
    let calibrated = |sigma: f64| -> Option<(theory::TabulatedTransfer, f64, f64)> {
        let t = transfer(pop, sigma, span);
        let q = theory::calibrate_sigma_q(&t, rate_hz, sd_hz).ok()?;
        let field = theory::LatentMeanField {
            transfer: t.clone(),
            rate_hz,
            sigma_q: q,
            sigma_m,
        };
        Some((t, q, field.mean_input(0.0).ok()?))
    };
    let miss = |sigma: f64| calibrated(sigma).map_or(f64::NAN, |c| c.2 - mean_input);
    let scale = pop.neuron.threshold - pop.neuron.reset;
    let sigma = crate::theory::latent::find_root(miss, 0.05 * scale, 1.5 * scale)?;
    let (t, sigma_q, mu0) = calibrated(sigma)?;
    let field = theory::LatentMeanField {
        transfer: t,
        rate_hz,
        sigma_q,
        sigma_m,
    };
    Some((sigma, field, mu0))
}

/// The mean field of the first excitatory population next to `analysis` (D = 1 loadings SD
/// `sigma_m`), calibrated on its κ = 0 stretch; `None` without one, or where the calibration
/// finds no root.
pub fn mean_field(
    analysis: &LatentAnalysis,
    populations: &[Population],
    sigma_m: f64,
) -> Option<LatentTheory> {
    let reference = analysis.reference()?;
    let pop = populations.iter().find(|p| p.sign == Sign::Excitatory)?;
    let stretch = (
        reference.rate_hz,
        reference.rate_sd_hz,
        reference.mean_input,
    );
    let (sigma, field, mu0) = calibrate(pop, stretch, sigma_m)?;
    let (t, sigma_q) = (field.transfer.clone(), field.sigma_q);
    let segments = analysis
        .segments
        .iter()
        .map(|s| {
            let k = norm(&s.segment.kappa);
            let mu = field.mean_input(k).unwrap_or(f64::NAN);
            [
                mu - mu0,
                field.rate_sd(k).unwrap_or(f64::NAN),
                field.untuned_rate(k).unwrap_or(f64::NAN),
                ks_distance(
                    &t,
                    (mu, field.delta(k)),
                    &s.cell_rates_hz,
                    (s.segment.end_ms - s.segment.start_ms) / 1000.0,
                ),
            ]
        })
        .collect();
    let gain0 = field.gain(0.0).ok()?;
    Some(LatentTheory {
        sigma,
        sigma_q,
        segments,
        gain0,
        critical_overlap: field.critical_overlap().ok()?,
        field,
    })
}
