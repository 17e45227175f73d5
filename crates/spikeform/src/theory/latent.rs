//! Mean field of a latent embedding on a balanced network (`../shared/spec/latent.md` §3; a
//! reconstruction after Gort & Renart, the equations derived for that spec).
//!
//! Neuron `i` of a population receives `h_i = μ(κ) + m_i·κ + z_i` plus temporal fluctuations,
//! with `z_i ~ N(0, σ_q²)` quenched and `m_i ~ N(0, σ_m²)`, and fires at `Φ(h_i)`, `Φ` the f–I
//! curve under the temporal noise (EIF: [`EifTransfer`]; LIF: the Siegert function).
//!
//! - **Pinning (§3.1).** Balance fixes the population rate `r̄` whatever κ is, so `μ(κ)` solves
//!   `∫Dx Φ(μ + √Δ(κ)·x) = r̄` with `Δ(κ) = σ_q² + σ_m²|κ|²`.
//! - **Rate distribution (§3.2).** The rates across cells are `Φ(μ(κ) + √Δ(κ)·x)`, `x ~ N(0, 1)`.
//! - **Latent dynamics (§3.3, D = 1, `n = s·m + n̄`).** `τ_s κ̇ = −κ + n̄·r̄ + s·σ_m²·G(κ)·κ` with
//!   the balance-adjusted gain `G(κ) = ∫Dx Φ'(μ(κ) + √Δ(κ)·x)`; a non-zero κ appears where
//!   `s·σ_m²·G(κ) = 1`, first (κ → 0) at `s_c = 1/(σ_m² G(0))`.
//!
//! - **Finite-K balance residual (several populations).** At finite K the rates are not exactly
//!   pinned: the mean input of population `a` is `μ_a = X_a + Σ_b W_ab r_b` (`W_ab = K_ab J_ab`
//!   per Hz), so `Δr = W⁻¹ Δμ`. [`balanced_rate_shift`] solves
//!   `F_a(μ_a(0) + Σ_b W_ab Δr_b, Δ_a(κ)) = r̄_a + Δr_a` for all populations at once, with
//!   `F_a(μ, Δ) = ∫Dx Φ_a(μ + √Δ x)`. For E and I, `Δr_E ∝ W_II Δμ_E − W_EI Δμ_I`: the E cells'
//!   own shift `Δμ_E < 0` raises r_E (`W_II < 0`), the I cells' `Δμ_I < 0` lowers it, so the
//!   I cells' loading SD sets the sign of the E drift ([`cancelling_loading_sd`]).
//!
//! Gaussian averages `∫Dx f(x)` use composite Simpson on `x ∈ [−8, 8]` (320 intervals), which is
//! exact to ~1e-10 for the smooth, at most exponentially growing integrands here.

use super::roots::brent;
use super::TheoryError;

/// `∫Dx f(x)`, the average of `f` over a standard normal `x`.
pub fn gaussian_average(f: impl Fn(f64) -> f64) -> f64 {
    const K: usize = 320;
    const L: f64 = 8.0;
    let h = 2.0 * L / K as f64;
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let g = |x: f64| f(x) * norm * (-0.5 * x * x).exp();
    let mut sum = g(-L) + g(L);
    for k in 1..K {
        let w = if k % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * g(-L + k as f64 * h);
    }
    sum * h / 3.0
}

/// The EIF neuron's stationary rate under white noise (Fourcaud-Trocmé et al. 2003), from the
/// mean first-passage time of
///
/// ```text
/// τ dV = (E_L − V + Δ_T e^{(V − V_T)/Δ_T} + μ) dt + σ √τ dW       (Brunel's noise convention)
/// ```
///
/// from the reset to the spike threshold: with drift `A(V)` and `D = σ²/(2τ)`,
/// `T = ∫_{V_r}^{V_th} H(y)/D dy`, `H(y) = e^{U(y)} ∫_{−∞}^{y} e^{−U(z)} dz`, `U' = −A/D`;
/// `H` solves `H' = 1 − (A/D)·H`, integrated upward from 10σ + 10 mV below the lower of reset
/// and rest in steps of `min(Δ_T/4, 0.02 mV)` with an exponential step (stable both where the
/// drift pushes up and where it holds the voltage down). Rate `= 1000/(τ_ref + T)` Hz.
/// `μ` is the mean input in mV (`μ = τ·I/C` for a current `I`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EifTransfer {
    /// τ_m (ms).
    pub tau_ms: f64,
    /// E_L (mV).
    pub v_rest: f64,
    /// V_T (mV).
    pub soft_threshold: f64,
    /// Δ_T (mV).
    pub slope: f64,
    /// V_th, where a spike is counted (mV).
    pub threshold: f64,
    /// V_re (mV).
    pub reset: f64,
    /// τ_ref (ms).
    pub refractory_ms: f64,
}

impl EifTransfer {
    /// Akil et al.'s neuron: τ = 15 ms, E_L = −72, V_T = −55, Δ_T = 1, V_th = −50, V_re = −75 mV.
    pub const fn akil() -> Self {
        Self {
            tau_ms: 15.0,
            v_rest: -72.0,
            soft_threshold: -55.0,
            slope: 1.0,
            threshold: -50.0,
            reset: -75.0,
            refractory_ms: 0.0,
        }
    }

    /// The rate (Hz) at mean input `mu` (mV) and noise `sigma` (mV, > 0).
    pub fn rate_hz(&self, mu: f64, sigma: f64) -> f64 {
        let d = sigma * sigma / (2.0 * self.tau_ms);
        let drift = |v: f64| {
            let e = ((v - self.soft_threshold) / self.slope).min(50.0).exp();
            (self.v_rest - v + self.slope * e + mu) / self.tau_ms
        };
        let low = self.reset.min(self.v_rest + mu) - 10.0 * sigma - 10.0;
        let h = (0.25 * self.slope).min(0.02);
        let steps = ((self.threshold - low) / h).ceil() as usize;
        let mut hv = 0.0;
        let mut t = 0.0;
        let mut y = low;
        for _ in 0..steps {
            let a = drift(y + 0.5 * h) / d;
            let next = if a.abs() < 1e-12 {
                hv + h
            } else {
                let e = (-a * h).exp();
                hv * e + (1.0 - e) / a
            };
            if y + h > self.reset {
                let lo = y.max(self.reset);
                t += 0.5 * (hv + next) / d * (y + h - lo);
            }
            hv = next;
            y += h;
            if !hv.is_finite() {
                return 0.0;
            }
        }
        1000.0 / (self.refractory_ms + t)
    }
}

/// An f–I curve tabulated on a uniform grid of inputs, interpolated linearly (constant outside).
#[derive(Debug, Clone, PartialEq)]
pub struct TabulatedTransfer {
    /// First input.
    pub from: f64,
    /// Grid step.
    pub step: f64,
    /// Rates (Hz) at `from + k·step`.
    pub rates_hz: Vec<f64>,
}

impl TabulatedTransfer {
    /// `f` on `points` inputs spanning `[from, to]`.
    pub fn new(f: impl Fn(f64) -> f64, from: f64, to: f64, points: usize) -> Self {
        let step = (to - from) / (points - 1) as f64;
        Self {
            from,
            step,
            rates_hz: (0..points).map(|k| f(from + k as f64 * step)).collect(),
        }
    }

    /// Φ(x).
    pub fn rate(&self, x: f64) -> f64 {
        let u = ((x - self.from) / self.step).clamp(0.0, (self.rates_hz.len() - 1) as f64);
        let k = (u.floor() as usize).min(self.rates_hz.len() - 2);
        let f = u - k as f64;
        self.rates_hz[k] * (1.0 - f) + self.rates_hz[k + 1] * f
    }

    /// Φ'(x), by a central difference over one grid step.
    pub fn slope(&self, x: f64) -> f64 {
        (self.rate(x + 0.5 * self.step) - self.rate(x - 0.5 * self.step)) / self.step
    }
}

/// The mean field of one population with a latent embedding (module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct LatentMeanField {
    /// Φ as a function of the mean input.
    pub transfer: TabulatedTransfer,
    /// The pinned population rate r̄ (Hz).
    pub rate_hz: f64,
    /// SD σ_q of the quenched input heterogeneity.
    pub sigma_q: f64,
    /// SD σ_m of the input loadings.
    pub sigma_m: f64,
}

impl LatentMeanField {
    /// `Δ(κ) = σ_q² + σ_m²|κ|²`.
    pub fn delta(&self, kappa_norm: f64) -> f64 {
        self.sigma_q.powi(2) + (self.sigma_m * kappa_norm).powi(2)
    }

    /// The population rate `∫Dx Φ(μ + √Δ x)`.
    pub fn population_rate(&self, mu: f64, delta: f64) -> f64 {
        let s = delta.sqrt();
        gaussian_average(|x| self.transfer.rate(mu + s * x))
    }

    /// μ(κ) from the pinning equation.
    pub fn mean_input(&self, kappa_norm: f64) -> Result<f64, TheoryError> {
        let delta = self.delta(kappa_norm);
        let t = &self.transfer;
        let hi = t.from + t.step * (t.rates_hz.len() - 1) as f64;
        brent(
            "latent pinning equation",
            |mu| self.population_rate(mu, delta) - self.rate_hz,
            t.from,
            hi,
            1e-9,
            1e-12,
            200,
        )
    }

    /// SD across cells of the rates `Φ(μ(κ) + √Δ x)`.
    pub fn rate_sd(&self, kappa_norm: f64) -> Result<f64, TheoryError> {
        let mu = self.mean_input(kappa_norm)?;
        let s = self.delta(kappa_norm).sqrt();
        let mean = gaussian_average(|x| self.transfer.rate(mu + s * x));
        let second = gaussian_average(|x| self.transfer.rate(mu + s * x).powi(2));
        Ok((second - mean * mean).max(0.0).sqrt())
    }

    /// Mean rate of untuned cells (`m_i = 0`): `∫Dx Φ(μ(κ) + σ_q x)`.
    pub fn untuned_rate(&self, kappa_norm: f64) -> Result<f64, TheoryError> {
        let mu = self.mean_input(kappa_norm)?;
        Ok(gaussian_average(|x| {
            self.transfer.rate(mu + self.sigma_q * x)
        }))
    }

    /// The balance-adjusted gain `G(κ) = ∫Dx Φ'(μ(κ) + √Δ x)` (Hz per input unit).
    pub fn gain(&self, kappa_norm: f64) -> Result<f64, TheoryError> {
        let mu = self.mean_input(kappa_norm)?;
        let s = self.delta(kappa_norm).sqrt();
        Ok(gaussian_average(|x| self.transfer.slope(mu + s * x)))
    }

    /// The right-hand side of `τ_s κ̇` (D = 1, `n = s·m + n̄`).
    pub fn flow(&self, kappa: f64, overlap: f64, n_mean: f64) -> Result<f64, TheoryError> {
        Ok(-kappa
            + n_mean * self.rate_hz
            + overlap * self.sigma_m.powi(2) * self.gain(kappa.abs())? * kappa)
    }

    /// The critical overlap `s_c = 1/(σ_m² G(0))` where κ = 0 loses stability (n̄ = 0).
    pub fn critical_overlap(&self) -> Result<f64, TheoryError> {
        Ok(1.0 / (self.sigma_m.powi(2) * self.gain(0.0)?))
    }

    /// The non-zero fixed point κ* > 0 for overlap `s` (n̄ = 0): the first root of
    /// `s σ_m² G(κ) = 1` on a grid of 200 points in `(0, kappa_max]`, refined by Brent's method;
    /// `None` where there is none (or where μ(κ) leaves the table).
    pub fn fixed_point(&self, overlap: f64, kappa_max: f64) -> Option<f64> {
        let f = |k: f64| overlap * self.sigma_m.powi(2) * self.gain(k).unwrap_or(f64::NAN) - 1.0;
        let grid: Vec<f64> = (1..=200).map(|j| kappa_max * j as f64 / 200.0).collect();
        let mut prev = (1e-6, f(1e-6));
        for &k in &grid {
            let v = f(k);
            if !v.is_finite() {
                return None;
            }
            if prev.1 * v <= 0.0 {
                return brent("latent fixed point", f, prev.0, k, 1e-9, 1e-9, 200).ok();
            }
            prev = (k, v);
        }
        None
    }
}

/// The finite-K rate shifts `Δr_a` (Hz) of all populations at |κ| = `kappa_norm` (module
/// documentation): the root of `R_a(Δr) = F_a(μ_a(0) + Σ_b W_ab Δr_b, Δ_a(κ)) − r̄_a − Δr_a`,
/// `μ_a(0)` the pinned mean input of `fields[a]` at κ = 0, `coupling_per_hz[a][b] = W_ab`, by
/// Newton's method from `Δr = 0` with the Jacobian `G_a W_ab − δ_ab` (`G_a = ∫Dx Φ_a'`), each
/// step halved until `|R|` falls; `None` where it does not reach `|R| < 1e-9` Hz in 100 steps.
pub fn balanced_rate_shift(
    fields: &[LatentMeanField],
    coupling_per_hz: &[Vec<f64>],
    kappa_norm: f64,
) -> Option<Vec<f64>> {
    use nalgebra::{DMatrix, DVector};
    let n = fields.len();
    let mu0: Vec<f64> = fields
        .iter()
        .map(|f| f.mean_input(0.0).ok())
        .collect::<Option<_>>()?;
    let delta: Vec<f64> = fields.iter().map(|f| f.delta(kappa_norm)).collect();
    let inputs = |dr: &DVector<f64>| -> Vec<f64> {
        (0..n)
            .map(|a| mu0[a] + (0..n).map(|b| coupling_per_hz[a][b] * dr[b]).sum::<f64>())
            .collect()
    };
    let residual = |dr: &DVector<f64>| -> DVector<f64> {
        let mu = inputs(dr);
        DVector::from_fn(n, |a, _| {
            fields[a].population_rate(mu[a], delta[a]) - fields[a].rate_hz - dr[a]
        })
    };
    let mut dr = DVector::zeros(n);
    let mut r = residual(&dr);
    for _ in 0..100 {
        if r.amax() < 1e-9 {
            return Some(dr.iter().copied().collect());
        }
        let mu = inputs(&dr);
        let jacobian = DMatrix::from_fn(n, n, |a, b| {
            let s = delta[a].sqrt();
            let gain = gaussian_average(|x| fields[a].transfer.slope(mu[a] + s * x));
            gain * coupling_per_hz[a][b] - if a == b { 1.0 } else { 0.0 }
        });
        let step = jacobian.lu().solve(&(-&r))?;
        let mut t = 1.0;
        loop {
            let next = &dr + &step * t;
            let rn = residual(&next);
            if rn.amax() < r.amax() || t < 1e-6 {
                dr = next;
                r = rn;
                break;
            }
            t *= 0.5;
        }
    }
    (r.amax() < 1e-9).then(|| dr.iter().copied().collect())
}

/// The loading SD of population `tune` that makes the finite-K shift of population `keep`'s rate
/// vanish at |κ| = `kappa_norm` ([`balanced_rate_shift`] with `fields[tune].sigma_m` varied),
/// by Brent's method on `[0, max_sd]`; `None` without a sign change there.
pub fn cancelling_loading_sd(
    fields: &[LatentMeanField],
    coupling_per_hz: &[Vec<f64>],
    (keep, tune): (usize, usize),
    kappa_norm: f64,
    max_sd: f64,
) -> Option<f64> {
    let shift = |sd: f64| {
        let mut f = fields.to_vec();
        f[tune].sigma_m = sd;
        balanced_rate_shift(&f, coupling_per_hz, kappa_norm).map_or(f64::NAN, |dr| dr[keep])
    };
    brent(
        "latent cancelling loading SD",
        shift,
        0.0,
        max_sd,
        1e-6,
        1e-9,
        100,
    )
    .ok()
}

/// A root of `f` in `[a, b]` by Brent's method; `None` without a sign change.
pub fn find_root(f: impl FnMut(f64) -> f64, a: f64, b: f64) -> Option<f64> {
    brent("latent calibration", f, a, b, 1e-4, 1e-6, 100).ok()
}

/// σ_q such that the predicted rate SD at κ = 0 equals `sd_hz`, μ pinned at `rate_hz` (σ_m is
/// irrelevant at κ = 0): how the quenched heterogeneity is calibrated from a run.
pub fn calibrate_sigma_q(
    transfer: &TabulatedTransfer,
    rate_hz: f64,
    sd_hz: f64,
) -> Result<f64, TheoryError> {
    let field = |q: f64| LatentMeanField {
        transfer: transfer.clone(),
        rate_hz,
        sigma_q: q,
        sigma_m: 0.0,
    };
    brent(
        "latent sigma_q calibration",
        |q| field(q).rate_sd(0.0).unwrap_or(f64::NAN) - sd_hz,
        1e-3,
        0.25 * transfer.step * (transfer.rates_hz.len() - 1) as f64,
        1e-9,
        1e-9,
        200,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::LifTransfer;

    #[test]
    fn gaussian_averages_of_moments() {
        assert!((gaussian_average(|_| 1.0) - 1.0).abs() < 1e-10);
        assert!((gaussian_average(|x| x * x) - 1.0).abs() < 1e-10);
        assert!((gaussian_average(|x| (0.5 * x).exp()) - (0.125f64).exp()).abs() < 1e-10);
    }

    /// With a tiny slope factor the EIF is a LIF with threshold V_T: its rate is Siegert's.
    #[test]
    fn eif_with_a_sharp_onset_matches_the_siegert_function() {
        let eif = EifTransfer {
            slope: 0.002,
            ..EifTransfer::akil()
        };
        // LIF in the EIF's units: threshold V_T, reset V_re, both relative to E_L.
        let lif = LifTransfer::new(15.0, -55.0 + 72.0, -75.0 + 72.0, 0.0);
        for (mu, sigma) in [(14.0, 4.0), (17.0, 3.0), (20.0, 5.0)] {
            let a = eif.rate_hz(mu, sigma);
            let b = lif.rate_hz(mu, sigma);
            assert!(
                (a / b - 1.0).abs() < 0.02,
                "mu {mu}: EIF {a} Hz, Siegert {b} Hz"
            );
        }
    }

    /// A convex f–I curve: the pinned mean input falls as Δ grows, the rate SD rises and the
    /// untuned cells' rate falls, symmetric in κ (§3.1–§3.4).
    #[test]
    fn pinning_lowers_the_mean_input_as_kappa_grows() {
        let eif = EifTransfer::akil();
        let t = TabulatedTransfer::new(|i| eif.rate_hz(15.0 * i, 5.0), -4.0, 4.0, 401);
        let q = calibrate_sigma_q(&t, 5.7, 7.7).unwrap();
        let mf = LatentMeanField {
            transfer: t,
            rate_hz: 5.7,
            sigma_q: q,
            sigma_m: 1.0,
        };
        let mu: Vec<f64> = [0.0, 0.5, 1.0, 2.0]
            .iter()
            .map(|&k| mf.mean_input(k).unwrap())
            .collect();
        assert!(mu.windows(2).all(|w| w[1] < w[0]), "{mu:?}");
        assert!((mf.rate_sd(0.0).unwrap() - 7.7).abs() < 1e-6);
        assert!(mf.rate_sd(1.0).unwrap() > mf.rate_sd(0.5).unwrap());
        assert!(mf.untuned_rate(1.0).unwrap() < mf.untuned_rate(0.0).unwrap());
        assert!((mf.population_rate(mu[2], mf.delta(1.0)) - 5.7).abs() < 1e-6);
        let sc = mf.critical_overlap().unwrap();
        assert!(sc > 0.0 && mf.flow(0.01, 1.1 * sc, 0.0).unwrap() > 0.0);
        assert!(mf.flow(0.01, 0.9 * sc, 0.0).unwrap() < 0.0);
    }

    /// Two populations with the Akil network's coupling at N = 5000 (input per Hz): the E rate
    /// rises with κ when both have unit loadings (`W_II Δμ_E` wins), a larger I loading SD
    /// lowers it, and at the cancelling SD it does not move while the equations hold.
    #[test]
    fn the_i_loadings_set_the_sign_of_the_e_drift() {
        let eif = EifTransfer::akil();
        let field = |rate: f64, sd: f64, sigma: f64| {
            let t = TabulatedTransfer::new(|i| eif.rate_hz(15.0 * i, sigma), -6.0, 6.0, 321);
            let q = calibrate_sigma_q(&t, rate, sd).unwrap();
            LatentMeanField {
                transfer: t,
                rate_hz: rate,
                sigma_q: q,
                sigma_m: 1.0,
            }
        };
        let fields = vec![field(5.7, 7.7, 8.7), field(14.6, 15.4, 9.0)];
        let w = vec![vec![0.1414, -0.2121], vec![0.6364, -0.3536]];
        let e_shift = |sd_i: f64| {
            let mut f = fields.clone();
            f[1].sigma_m = sd_i;
            balanced_rate_shift(&f, &w, 1.0).unwrap()[0]
        };
        assert!(e_shift(1.0) > 0.0, "{}", e_shift(1.0));
        assert!(e_shift(2.0) < e_shift(1.0));
        let sd = cancelling_loading_sd(&fields, &w, (0, 1), 1.0, 5.0).unwrap();
        assert!(sd > 1.0, "{sd}");
        let mut f = fields.clone();
        f[1].sigma_m = sd;
        let dr = balanced_rate_shift(&f, &w, 1.0).unwrap();
        assert!(dr[0].abs() < 1e-4, "{dr:?}");
        assert!(dr[1] > 0.0, "the I rate carries the change: {dr:?}");
        // The equations hold: F_a(μ_a(0) + Σ_b W_ab Δr_b, Δ_a) = r̄_a + Δr_a.
        for a in 0..2 {
            let mu = f[a].mean_input(0.0).unwrap() + w[a][0] * dr[0] + w[a][1] * dr[1];
            let rate = f[a].population_rate(mu, f[a].delta(1.0));
            assert!((rate - f[a].rate_hz - dr[a]).abs() < 1e-6);
        }
    }
}
