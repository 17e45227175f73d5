//! The Siegert (Ricciardi) transfer function of a leaky integrate-and-fire neuron driven by
//! Gaussian white noise, its derivative and its inverse.
//!
//! # Model
//!
//! τ dV = (μ − V) dt + σ√τ dW (Brunel's noise convention: per Euler step
//! V ← V + (dt/τ)(μ − V) + σ√(dt/τ)·ξ), threshold θ, reset V_r < θ, refractory period τ_rp.
//! The stationary rate is
//!
//! ν(μ, σ) = 1 / ( τ_rp + τ·√π·∫_{y_r}^{y_θ} e^{u²}(1 + erf u) du ),
//! y_θ = (θ − μ)/σ,  y_r = (V_r − μ)/σ,
//!
//! and e^{u²}(1 + erf u) = erfcx(−u). With τ and τ_rp in ms the bracket is in ms, so the rate in
//! Hz is 1000 times its inverse.
//!
//! # Evaluation
//!
//! Write S(y_r, y_θ) = √π∫_{y_r}^{y_θ} erfcx(−u) du and split at u = 0 with two auxiliary
//! functions of one variable:
//!
//! - A(z) = √π∫₀^z erfcx(t) dt (z ≥ 0), so that √π∫_{−b}^{−a} erfcx(−u) du = A(b) − A(a);
//! - P(y) = √π·e^{−y²}∫₀^y erfcx(−u) du = 2√π·D(y) − e^{−y²}·A(y) (y ≥ 0), with
//!   D(y) = e^{−y²}∫₀^y e^{t²} dt Dawson's function (because erfcx(−u) = 2e^{u²} − erfcx(u)).
//!
//! Then, with Δ = y_θ − y_r = (θ − V_r)/σ:
//!
//! - y_θ ≤ 0: S = A(−y_r) − A(−y_θ);
//! - y_r < 0 < y_θ: S = e^{y_θ²}·P(y_θ) + A(−y_r);
//! - 0 ≤ y_r: S = e^{y_θ²}·( P(y_θ) − e^{−Δ(y_θ + y_r)}·P(y_r) ).
//!
//! A and P are tabulated on [0, 8) as piecewise Chebyshev interpolants (16 pieces, 18 nodes
//! each), built on first use from composite 20-point Gauss–Legendre quadrature of erfcx and of
//! e^{t² − y²}; beyond 8 their asymptotic series are used:
//!
//! - A(z) = ln(2z) + γ/2 + Σ_{k≥1} (−1)^{k+1}·(2k−1)!/(k!·(2z)^{2k})  (γ: Euler's constant),
//!   from A(z) = ∫₀^∞ e^{−s²}(1 − e^{−2zs})/s ds;
//! - D(y) = (1/(2y))·Σ_{k≥0} (2k−1)!!/(2y²)^k.
//!
//! When both −y_θ and −y_r exceed 8, A(−y_r) − A(−y_θ) is formed as ln(1 + Δ/|y_θ|) plus the
//! difference of the series tails, so that strongly suprathreshold inputs lose no accuracy to
//! cancellation. If y_θ > 25 the rate is below 1e-270 Hz and 0 is returned (the cap of
//! `balanced-theory.md` §5; e^{y²} overflows beyond y ≈ 26.6).
//!
//! The derivative is dν/dμ = ν²·τ·√π/σ·[erfcx(−y_θ) − erfcx(−y_r)] > 0.
//!
//! The inverse μ = ν⁻¹(rate) solves ln ν(μ) − ln(rate) = 0 with a safeguarded Newton method
//! that keeps a bracket [lo, hi] with a sign change (expanding it when needed) and falls back to
//! bisection whenever a Newton step would leave it.
//!
//! Accuracy: S and ν are accurate to about 1e-14 relative (checked against 40-digit quadrature
//! in the tests); forward(inverse(rate)) reproduces the rate to about 1e-14 relative.

use std::f64::consts::PI;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::special::{erfcx, SQRT_PI};
use super::TheoryError;

/// The rate that replaces a recorded rate of exactly 0 Hz before inversion
/// (`rls-training.md` §4.3): ln 0 is undefined and the input for 0 Hz is −∞.
pub const ZERO_RATE_REPLACEMENT_HZ: f64 = 0.1;

/// If y_θ = (θ − μ)/σ exceeds this, [`LifTransfer::rate_hz`] returns 0 (the true rate is below
/// 1e-270 Hz).
pub const Y_THRESHOLD_CAP: f64 = 25.0;

/// Euler–Mascheroni constant γ.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
/// Where the Chebyshev tables end and the asymptotic series take over.
const ASYMPTOTIC_FROM: f64 = 8.0;
const PIECE_WIDTH: f64 = 0.5;
const N_PIECES: usize = 16;
const CHEB_N: usize = 18;
const GL_N: usize = 20;

/// A leaky integrate-and-fire neuron's transfer function under white-noise input (the Siegert
/// function; see the module documentation for the formula and the noise convention).
///
/// `threshold`, `reset` and the μ, σ passed to the methods share one unit (dimensionless in the
/// tutorial network, mV in Brunel's model); times are in ms and rates in Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifTransfer {
    /// Membrane time constant τ (ms), > 0.
    pub tau_ms: f64,
    /// Spike threshold θ.
    pub threshold: f64,
    /// Reset potential V_r, < θ.
    pub reset: f64,
    /// Absolute refractory period τ_rp (ms), ≥ 0; the rate cannot exceed 1000/τ_rp Hz.
    pub refractory_ms: f64,
}

impl LifTransfer {
    /// A transfer function with the given τ (ms), θ, V_r and τ_rp (ms).
    pub const fn new(tau_ms: f64, threshold: f64, reset: f64, refractory_ms: f64) -> Self {
        LifTransfer {
            tau_ms,
            threshold,
            reset,
            refractory_ms,
        }
    }

    /// The tutorial's neuron (`rls-training.md` §4.3): τ = 10 ms, θ = 1, V_r = 0, no refractory
    /// period. With σ = 0.309 its inverse converts recorded ALM rates into target inputs.
    pub const fn tutorial() -> Self {
        LifTransfer::new(10.0, 1.0, 0.0, 0.0)
    }

    /// Checks τ > 0, θ > V_r (both finite) and τ_rp ≥ 0.
    pub fn validate(&self) -> Result<(), TheoryError> {
        if !(self.tau_ms > 0.0 && self.tau_ms.is_finite()) {
            return Err(TheoryError::invalid(
                "tau_ms",
                self.tau_ms,
                "the membrane time constant must be positive and finite",
            ));
        }
        if !self.threshold.is_finite() {
            return Err(TheoryError::invalid(
                "threshold",
                self.threshold,
                "must be finite",
            ));
        }
        if !(self.reset.is_finite() && self.reset < self.threshold) {
            return Err(TheoryError::invalid(
                "reset",
                self.reset,
                "the reset must be finite and below the threshold",
            ));
        }
        if !(self.refractory_ms >= 0.0 && self.refractory_ms.is_finite()) {
            return Err(TheoryError::invalid(
                "refractory_ms",
                self.refractory_ms,
                "the refractory period must be finite and non-negative",
            ));
        }
        Ok(())
    }

    /// The largest possible rate, 1000/τ_rp Hz (infinite without a refractory period).
    pub fn max_rate_hz(&self) -> f64 {
        if self.refractory_ms > 0.0 {
            1000.0 / self.refractory_ms
        } else {
            f64::INFINITY
        }
    }

    /// The stationary rate ν(μ, σ) in Hz.
    ///
    /// For σ = 0 this is the noiseless limit ν = 1/(τ_rp + τ·ln((μ − V_r)/(μ − θ))) for μ > θ and
    /// 0 otherwise. Returns NaN if σ < 0, an argument is NaN or the parameters are invalid
    /// (see [`LifTransfer::validate`]).
    pub fn rate_hz(&self, mu: f64, sigma: f64) -> f64 {
        if self.validate().is_err() || mu.is_nan() || sigma.is_nan() || sigma < 0.0 {
            return f64::NAN;
        }
        if sigma == 0.0 {
            return self.noiseless_rate_hz(mu);
        }
        let (s, _, _) = self.integral(mu, sigma);
        1000.0 / (self.refractory_ms + self.tau_ms * s)
    }

    /// The gain dν/dμ in Hz per unit of μ:
    /// dν/dμ = ν²·τ·√π/σ·[erfcx(−y_θ) − erfcx(−y_r)] (ν in 1/ms, then ×1000).
    ///
    /// 0 where the rate is capped at 0; NaN under the same conditions as
    /// [`LifTransfer::rate_hz`].
    pub fn d_rate_d_mu(&self, mu: f64, sigma: f64) -> f64 {
        if self.validate().is_err() || mu.is_nan() || sigma.is_nan() || sigma < 0.0 {
            return f64::NAN;
        }
        if sigma == 0.0 {
            if mu <= self.threshold {
                return 0.0;
            }
            let nu_ms = self.noiseless_rate_hz(mu) / 1000.0;
            let dlog = (self.threshold - self.reset) / ((mu - self.reset) * (mu - self.threshold));
            return 1000.0 * nu_ms * nu_ms * self.tau_ms * dlog;
        }
        let (s, y_t, y_r) = self.integral(mu, sigma);
        let nu_ms = 1.0 / (self.refractory_ms + self.tau_ms * s);
        if nu_ms == 0.0 {
            return 0.0;
        }
        1000.0 * nu_ms * nu_ms * self.tau_ms * SQRT_PI / sigma * (erfcx(-y_t) - erfcx(-y_r))
    }

    /// The mean input μ whose rate ν(μ, σ) equals `rate_hz`: the unique root of
    /// ln ν(μ) − ln(rate) (ν is strictly increasing in μ), found by safeguarded Newton steps
    /// inside an expanding bracket.
    ///
    /// Errors: invalid parameters, σ ≤ 0 or not finite, a rate that is ≤ 0, NaN, infinite or
    /// not below 1000/τ_rp, or a rate too small to be represented (below about 1e-270 Hz).
    /// A recorded rate of 0 Hz must first be replaced (see
    /// [`LifTransfer::input_for_recorded_rate`]).
    pub fn inverse_rate(&self, rate_hz: f64, sigma: f64) -> Result<f64, TheoryError> {
        self.validate()?;
        if !(sigma > 0.0 && sigma.is_finite()) {
            return Err(TheoryError::invalid(
                "sigma",
                sigma,
                "the noise intensity must be positive and finite to invert the transfer function",
            ));
        }
        if rate_hz.is_nan() || rate_hz <= 0.0 {
            return Err(TheoryError::InvalidRate {
                rate_hz,
                reason: "the rate must be positive (a recorded 0 Hz is replaced by 0.1 Hz, \
                         see input_for_recorded_rate)",
            });
        }
        if !rate_hz.is_finite() || rate_hz >= self.max_rate_hz() {
            return Err(TheoryError::InvalidRate {
                rate_hz,
                reason: "the rate must be finite and below the maximum rate 1000/refractory_ms",
            });
        }
        let target = rate_hz.ln();
        let eval = |mu: f64| -> (f64, f64) {
            let (s, y_t, y_r) = self.integral(mu, sigma);
            let nu_ms = 1.0 / (self.refractory_ms + self.tau_ms * s);
            if nu_ms == 0.0 {
                return (f64::NEG_INFINITY, 0.0);
            }
            let value = (1000.0 * nu_ms).ln() - target;
            let dlog = nu_ms * self.tau_ms * SQRT_PI / sigma * (erfcx(-y_t) - erfcx(-y_r));
            (value, dlog)
        };
        solve_increasing(
            eval,
            self.threshold,
            2.0 * sigma,
            (self.threshold - self.reset).max(sigma),
            sigma,
        )
        .map_err(|e| match e {
            TheoryError::NoConvergence { .. } => TheoryError::InvalidRate {
                rate_hz,
                reason:
                    "no input reaches this rate within double precision (is it below 1e-270 Hz?)",
            },
            other => other,
        })
    }

    /// The input for a recorded rate, with the rule of `rls-training.md` §4.3: a rate of exactly
    /// 0 Hz is replaced by [`ZERO_RATE_REPLACEMENT_HZ`] (0.1 Hz) before inverting. Negative or
    /// NaN rates are errors.
    pub fn input_for_recorded_rate(&self, rate_hz: f64, sigma: f64) -> Result<f64, TheoryError> {
        if rate_hz.is_nan() || rate_hz < 0.0 {
            return Err(TheoryError::InvalidRate {
                rate_hz,
                reason: "a recorded rate must be non-negative",
            });
        }
        let rate = if rate_hz == 0.0 {
            ZERO_RATE_REPLACEMENT_HZ
        } else {
            rate_hz
        };
        self.inverse_rate(rate, sigma)
    }

    /// [`LifTransfer::input_for_recorded_rate`] for every entry of `rates_hz` (in parallel),
    /// in the same order; the first error found is returned.
    pub fn inputs_for_recorded_rates(
        &self,
        rates_hz: &[f64],
        sigma: f64,
    ) -> Result<Vec<f64>, TheoryError> {
        rates_hz
            .par_iter()
            .with_min_len(1024)
            .map(|&r| self.input_for_recorded_rate(r, sigma))
            .collect()
    }

    /// The noiseless (σ = 0) rate in Hz.
    fn noiseless_rate_hz(&self, mu: f64) -> f64 {
        if mu <= self.threshold {
            return 0.0;
        }
        let log = ((self.threshold - self.reset) / (mu - self.threshold)).ln_1p();
        1000.0 / (self.refractory_ms + self.tau_ms * log)
    }

    /// (S, y_θ, y_r) with S = √π∫_{y_r}^{y_θ} erfcx(−u) du; σ > 0 assumed.
    fn integral(&self, mu: f64, sigma: f64) -> (f64, f64, f64) {
        let y_t = (self.threshold - mu) / sigma;
        let y_r = (self.reset - mu) / sigma;
        let delta = (self.threshold - self.reset) / sigma;
        (siegert_integral(y_r, y_t, delta), y_t, y_r)
    }
}

/// S(y_r, y_θ) = √π∫_{y_r}^{y_θ} erfcx(−u) du for y_r ≤ y_θ, with Δ = y_θ − y_r supplied
/// separately (it is known more accurately than the difference). +∞ if y_θ > 25.
pub(crate) fn siegert_integral(y_r: f64, y_t: f64, delta: f64) -> f64 {
    if y_t.is_nan() || y_r.is_nan() || delta.is_nan() {
        return f64::NAN;
    }
    if y_t > Y_THRESHOLD_CAP {
        return f64::INFINITY;
    }
    if y_t <= 0.0 {
        let a = -y_t;
        let b = -y_r;
        if a >= ASYMPTOTIC_FROM {
            (delta / a).ln_1p() + a_series_tail(b) - a_series_tail(a)
        } else {
            a_func(b) - a_func(a)
        }
    } else if y_r < 0.0 {
        (y_t * y_t).exp() * p_func(y_t) + a_func(-y_r)
    } else {
        (y_t * y_t).exp() * (p_func(y_t) - (-delta * (y_t + y_r)).exp() * p_func(y_r))
    }
}

/// A(z) = √π∫₀^z erfcx(t) dt for z ≥ 0.
fn a_func(z: f64) -> f64 {
    if z < ASYMPTOTIC_FROM {
        tables().a.eval(z)
    } else {
        a_asymptotic(z)
    }
}

/// P(y) = √π·e^{−y²}∫₀^y erfcx(−u) du for y ≥ 0.
fn p_func(y: f64) -> f64 {
    if y < ASYMPTOTIC_FROM {
        tables().p.eval(y)
    } else {
        2.0 * SQRT_PI * dawson_asymptotic(y) - (-y * y).exp() * a_asymptotic(y)
    }
}

/// A(z) for z ≥ 8: ln(2z) + γ/2 + tail(z).
fn a_asymptotic(z: f64) -> f64 {
    (2.0 * z).ln() + 0.5 * EULER_GAMMA + a_series_tail(z)
}

/// Σ_{k≥1} (−1)^{k+1}·(2k−1)!/(k!·(2z)^{2k}) for z ≥ 8 (0 for z = ∞).
fn a_series_tail(z: f64) -> f64 {
    let inv = 1.0 / (4.0 * z * z);
    let mut term = inv; // k = 1: 1!/(1!·(2z)²)
    let mut sum = 0.0;
    let mut sign = 1.0;
    for k in 1..40 {
        sum += sign * term;
        let kf = k as f64;
        term *= (2.0 * kf) * (2.0 * kf + 1.0) / (kf + 1.0) * inv;
        sign = -sign;
        if term < 1e-18 {
            break;
        }
    }
    sum
}

/// Dawson's function D(y) = e^{−y²}∫₀^y e^{t²} dt for y ≥ 8: (1/(2y))·Σ (2k−1)!!/(2y²)^k.
fn dawson_asymptotic(y: f64) -> f64 {
    let inv = 1.0 / (2.0 * y * y);
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..60 {
        term *= (2 * k - 1) as f64 * inv;
        sum += term;
        if term < 1e-18 {
            break;
        }
    }
    sum / (2.0 * y)
}

/// Piecewise Chebyshev interpolant on [0, N_PIECES·PIECE_WIDTH).
struct ChebTable {
    coeffs: Vec<[f64; CHEB_N]>,
}

impl ChebTable {
    fn build(f: impl Fn(f64) -> f64) -> Self {
        let n = CHEB_N as f64;
        let coeffs = (0..N_PIECES)
            .map(|piece| {
                let lo = piece as f64 * PIECE_WIDTH;
                let mid = lo + 0.5 * PIECE_WIDTH;
                let mut values: Vec<f64> = (0..CHEB_N)
                    .map(|j| {
                        let t = (PI * (j as f64 + 0.5) / n).cos();
                        f(mid + 0.5 * PIECE_WIDTH * t)
                    })
                    .collect();
                // Transform the variation about the mean only: the rounding noise of the
                // cosine sums then scales with the variation, not with the value.
                let mean = values.iter().sum::<f64>() / n;
                values.iter_mut().for_each(|v| *v -= mean);
                let mut c = [0.0; CHEB_N];
                for (k, ck) in c.iter_mut().enumerate() {
                    let s: f64 = values
                        .iter()
                        .enumerate()
                        .map(|(j, v)| v * (PI * k as f64 * (j as f64 + 0.5) / n).cos())
                        .sum();
                    *ck = 2.0 * s / n;
                }
                c[0] = 0.5 * c[0] + mean;
                c
            })
            .collect();
        ChebTable { coeffs }
    }

    /// Clenshaw summation of the piece containing x (0 ≤ x < 8).
    fn eval(&self, x: f64) -> f64 {
        let piece = ((x / PIECE_WIDTH) as usize).min(N_PIECES - 1);
        let mid = (piece as f64 + 0.5) * PIECE_WIDTH;
        let t = (x - mid) * (2.0 / PIECE_WIDTH);
        let c = &self.coeffs[piece];
        let (mut b1, mut b2) = (0.0, 0.0);
        for &ck in c[1..].iter().rev() {
            let b0 = ck + 2.0 * t * b1 - b2;
            b2 = b1;
            b1 = b0;
        }
        c[0] + t * b1 - b2
    }
}

struct Tables {
    a: ChebTable,
    p: ChebTable,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables {
        a: ChebTable::build(a_reference),
        p: ChebTable::build(p_reference),
    })
}

/// ∫_a^b f by composite 20-point Gauss–Legendre on pieces no longer than 0.5.
fn composite_gauss_legendre(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    static RULE: OnceLock<(Vec<f64>, Vec<f64>)> = OnceLock::new();
    let (x, w) = RULE.get_or_init(|| gauss_legendre(GL_N));
    let pieces = ((b - a) / PIECE_WIDTH).ceil().max(1.0) as usize;
    let h = (b - a) / pieces as f64;
    let mut total = 0.0;
    for p in 0..pieces {
        let mid = a + (p as f64 + 0.5) * h;
        let s: f64 = x
            .iter()
            .zip(w)
            .map(|(xi, wi)| wi * f(mid + 0.5 * h * xi))
            .sum();
        total += 0.5 * h * s;
    }
    total
}

/// A(z) by quadrature (slow; used to build the table).
fn a_reference(z: f64) -> f64 {
    SQRT_PI * composite_gauss_legendre(erfcx, 0.0, z)
}

/// P(y) = 2√π·D(y) − e^{−y²}·A(y) by quadrature (slow; used to build the table), with
/// D(y) = ∫₀^y e^{t² − y²} dt = ∫₀^y e^{−s(2y − s)} ds (s = y − t, so that rounding the nodes
/// near the peak s = 0 costs no accuracy).
fn p_reference(y: f64) -> f64 {
    let dawson = composite_gauss_legendre(|s| (-s * (2.0 * y - s)).exp(), 0.0, y);
    2.0 * SQRT_PI * dawson - (-y * y).exp() * a_reference(y)
}

/// Nodes and weights of n-point Gauss–Legendre quadrature on [−1, 1].
fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let nf = n as f64;
    for i in 0..n.div_ceil(2) {
        let mut z = (PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (1.0, 0.0);
            for j in 1..=n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = ((2.0 * jf - 1.0) * z * p2 - (jf - 1.0) * p3) / jf;
            }
            dp = nf * (z * p1 - p2) / (z * z - 1.0);
            let z_old = z;
            z = z_old - p1 / dp;
            if (z - z_old).abs() < 1e-16 {
                break;
            }
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
        w[n - 1 - i] = w[i];
    }
    (x, w)
}

/// Root of an increasing function f with derivative, given as `eval(x) = (f(x), f'(x))`
/// (f may be −∞ where it underflows). Starts at x0, expands a bracket downwards in steps of
/// `down_step` and upwards in steps of `up_step` (doubling each time), takes Newton steps that
/// stay inside the bracket and bisects otherwise. Converged when a step is below
/// 4e-15·(|x| + scale); the residual must then be below 1e-9.
fn solve_increasing(
    eval: impl Fn(f64) -> (f64, f64),
    x0: f64,
    mut down_step: f64,
    mut up_step: f64,
    scale: f64,
) -> Result<f64, TheoryError> {
    const WHAT: &str = "inverse of the Siegert transfer function";
    const MAX_ITER: usize = 300;
    let mut x = x0;
    let mut lo: Option<f64> = None;
    let mut hi: Option<f64> = None;
    for _ in 0..MAX_ITER {
        let (fx, dfx) = eval(x);
        if fx.is_nan() {
            return Err(TheoryError::NoBracket {
                what: WHAT,
                detail: format!("the equation is NaN at mu = {x}"),
            });
        }
        if fx == 0.0 {
            return Ok(x);
        }
        if fx < 0.0 {
            lo = Some(x);
        } else {
            hi = Some(x);
        }
        let newton = if fx.is_finite() && dfx > 0.0 && dfx.is_finite() {
            Some(x - fx / dfx)
        } else {
            None
        };
        let next = match (lo, hi) {
            (Some(l), Some(h)) => match newton {
                Some(n) if n > l && n < h => n,
                _ => 0.5 * (l + h),
            },
            (Some(l), None) => match newton {
                Some(n) if n > l && n <= l + up_step => n,
                _ => {
                    let n = l + up_step;
                    up_step *= 2.0;
                    n
                }
            },
            (None, Some(h)) => match newton {
                Some(n) if n < h && n >= h - down_step => n,
                _ => {
                    let n = h - down_step;
                    down_step *= 2.0;
                    n
                }
            },
            (None, None) => unreachable!("f(x) is either negative or positive here"),
        };
        let tol = 4e-15 * (x.abs() + scale);
        let bracket_small = matches!((lo, hi), (Some(l), Some(h)) if h - l <= tol);
        if (next - x).abs() <= tol || bracket_small {
            if fx.abs() <= 1e-9 {
                return Ok(if bracket_small { x } else { next });
            }
            return Err(TheoryError::NoConvergence {
                what: WHAT,
                iterations: MAX_ITER,
            });
        }
        if !next.is_finite() {
            return Err(TheoryError::NoBracket {
                what: WHAT,
                detail: format!("the search left the finite numbers from mu = {x}"),
            });
        }
        x = next;
    }
    Err(TheoryError::NoConvergence {
        what: WHAT,
        iterations: MAX_ITER,
    })
}

#[cfg(test)]
// Reference values are quoted with all the digits mpmath gave.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    const SIGMA: f64 = 0.309;

    #[test]
    fn theory_siegert_checkable_values() {
        let f = LifTransfer::tutorial();
        // (μ, 20-digit mpmath value, value printed in balanced-theory.md §5)
        let table = [
            (0.0, 0.004_884_471_319_779_618_859_9, 0.0049),
            (0.2, 0.162_609_065_693_084_546_67, 0.1626),
            (0.5, 5.209_561_653_353_473_581_1, 5.2096),
            (0.8, 26.446_242_198_739_136_866, 26.446),
            (1.0, 45.902_083_564_133_959_496, 45.902),
            (1.2, 66.261_010_733_007_671_305, 66.261),
        ];
        for (mu, exact, printed) in table {
            let got = f.rate_hz(mu, SIGMA);
            assert!(rel(got, exact) < 1e-13, "nu({mu}) = {got}, want {exact}");
            if printed > 0.1 {
                assert!(
                    rel(got, printed) < 1e-4,
                    "nu({mu}) = {got}, table {printed}"
                );
            } else {
                // 0.0049 has two significant digits
                assert!((got - printed).abs() <= 0.000_05);
            }
        }
    }

    #[test]
    fn theory_siegert_inverse_reference_points() {
        let f = LifTransfer::tutorial();
        // (rate Hz, μ from rls-training.md §4.3 (4 decimals), 20-digit mpmath root)
        let table = [
            (0.1, 0.1688, 0.168_762_519_430_031_761_72),
            (1.0, 0.3338, 0.333_838_052_146_951_935_23),
            (5.0, 0.4949, 0.494_911_835_838_277_772_99),
            (10.0, 0.5922, 0.592_181_965_520_539_554_45),
            (20.0, 0.7271, 0.727_066_547_537_574_197_14),
            (40.0, 0.9410, 0.940_989_883_601_336_803_13),
            (60.0, 1.1388, 1.138_784_751_227_966_989_6),
        ];
        for (rate, printed, exact) in table {
            let mu = f.inverse_rate(rate, SIGMA).unwrap();
            assert!(
                (mu - exact).abs() < 1e-13,
                "mu({rate} Hz) = {mu}, want {exact}"
            );
            assert!(
                (mu - printed).abs() <= 0.5e-4,
                "mu({rate} Hz) = {mu}, table {printed}"
            );
        }
        let zero = f.input_for_recorded_rate(0.0, SIGMA).unwrap();
        assert!((zero - 0.168_762_519_430_031_761_72).abs() < 1e-13);
    }

    /// Values of S(y_r, y_θ) = √π∫ erfcx(−u) du from mpmath quadrature at 40 digits.
    const INTEGRAL_TABLE: [(f64, f64, f64); 12] = [
        (-20.0, -17.0, 0.162_279_942_684_630_095_52),
        (-12.0, -9.0, 0.286_350_832_549_549_200_74),
        (-9.5, -6.5, 0.376_421_070_608_943_121_16),
        (-8.2, -7.9, 0.036_990_074_323_755_158_476),
        (-3.0, 0.2, 2.505_981_448_076_358_442_7),
        (-1.0, 2.2, 117.917_556_306_354_220_37),
        (1.0, 4.0, 4_074_512.741_288_058_520_1),
        (6.0, 9.0, 2.984_757_010_713_858_448_4e34),
        (7.9, 8.1, 6.591_393_066_942_773_487_6e27),
        (20.0, 23.0, 4.256_371_121_480_097_198_1e228),
        (-10003.0, -10000.0, 2.999_550_074_986_502_384_6e-4),
        (-4.0, -1.0, 1.235_770_834_253_188_542_2),
    ];

    #[test]
    fn theory_siegert_integral_matches_high_precision_quadrature() {
        for (y_r, y_t, exact) in INTEGRAL_TABLE {
            let got = siegert_integral(y_r, y_t, y_t - y_r);
            assert!(
                rel(got, exact) < 2e-14,
                "S({y_r}, {y_t}) = {got:e}, want {exact:e} (rel {:e})",
                rel(got, exact)
            );
        }
    }

    #[test]
    fn theory_siegert_integral_matches_direct_quadrature_of_erfcx() {
        // Independent route: composite Gauss–Legendre of erfcx(−u) itself.
        let (x, w) = gauss_legendre(GL_N);
        let direct = |a: f64, b: f64| {
            let pieces = ((b - a) / 0.25).ceil() as usize;
            let h = (b - a) / pieces as f64;
            (0..pieces)
                .map(|p| {
                    let mid = a + (p as f64 + 0.5) * h;
                    0.5 * h
                        * x.iter()
                            .zip(&w)
                            .map(|(xi, wi)| wi * erfcx(-(mid + 0.5 * h * xi)))
                            .sum::<f64>()
                })
                .sum::<f64>()
                * SQRT_PI
        };
        let mut worst: f64 = 0.0;
        for i in 0..=70 {
            let y_t = -6.0 + 0.17 * i as f64;
            for delta in [0.3, 1.0, 3.236, 6.0] {
                let y_r = y_t - delta;
                let got = siegert_integral(y_r, y_t, delta);
                let want = direct(y_r, y_t);
                worst = worst.max(rel(got, want));
            }
        }
        assert!(worst < 5e-14, "worst relative difference {worst:e}");
    }

    #[test]
    fn theory_siegert_tables_are_continuous_at_the_asymptotic_switch() {
        // the largest double below the switch point
        let below = f64::from_bits(ASYMPTOTIC_FROM.to_bits() - 1);
        assert!(rel(a_func(below), a_func(ASYMPTOTIC_FROM)) < 1e-15);
        assert!(rel(p_func(below), p_func(ASYMPTOTIC_FROM)) < 2e-15);
        // and monotone through it
        let f = LifTransfer::tutorial();
        let mut last = 0.0;
        for i in 0..2000 {
            let mu = -2.0 + 0.01 * i as f64;
            let r = f.rate_hz(mu, 0.1);
            assert!(r >= last, "rate not increasing at mu = {mu}");
            last = r;
        }
    }

    #[test]
    fn theory_siegert_inverse_is_identity() {
        let transfers = [
            LifTransfer::tutorial(),
            LifTransfer::new(20.0, 20.0, 10.0, 2.0),
            LifTransfer::new(5.0, -50.0, -60.0, 0.5),
        ];
        for f in transfers {
            let span = f.threshold - f.reset;
            for sigma in [0.05 * span, 0.309 * span, span, 3.0 * span] {
                for i in 0..=60 {
                    let mu = f.reset - 2.0 * span + i as f64 * 0.1 * span;
                    let rate = f.rate_hz(mu, sigma);
                    if rate < 1e-200 {
                        continue;
                    }
                    let back = f.inverse_rate(rate, sigma).unwrap();
                    let again = f.rate_hz(back, sigma);
                    assert!(
                        rel(again, rate) < 1e-12,
                        "{f:?} sigma {sigma} mu {mu}: rate {rate} -> {back} -> {again}"
                    );
                    let dmu = rate / f.d_rate_d_mu(mu, sigma);
                    assert!(
                        (back - mu).abs() < 1e-9 * (mu.abs() + sigma).max(dmu.min(1.0)),
                        "{f:?} sigma {sigma}: mu {mu} came back as {back}"
                    );
                }
            }
        }
    }

    #[test]
    fn theory_siegert_derivative_matches_finite_differences() {
        let f = LifTransfer::new(20.0, 20.0, 10.0, 2.0);
        for i in 0..40 {
            let mu = 5.0 + 0.5 * i as f64;
            let sigma = 4.0;
            let h = 1e-4;
            let fd = (f.rate_hz(mu - 2.0 * h, sigma) - 8.0 * f.rate_hz(mu - h, sigma)
                + 8.0 * f.rate_hz(mu + h, sigma)
                - f.rate_hz(mu + 2.0 * h, sigma))
                / (12.0 * h);
            let d = f.d_rate_d_mu(mu, sigma);
            assert!(d > 0.0);
            assert!(rel(d, fd) < 1e-8, "mu {mu}: {d} vs {fd}");
        }
    }

    #[test]
    fn theory_siegert_limits() {
        let f = LifTransfer::new(20.0, 20.0, 10.0, 2.0);
        // cap: y_θ > 25 gives 0
        assert_eq!(f.rate_hz(20.0 - 26.0, 1.0), 0.0);
        assert_eq!(f.d_rate_d_mu(20.0 - 26.0, 1.0), 0.0);
        // strongly driven: the rate approaches 1/τ_rp
        let r = f.rate_hz(1e9, 1.0);
        assert!(r < 500.0 && r > 499.9, "{r}");
        // σ → 0 approaches the noiseless rate
        let noiseless = f.rate_hz(25.0, 0.0);
        let want = 1000.0 / (2.0 + 20.0 * (15.0f64 / 5.0).ln());
        assert!(rel(noiseless, want) < 1e-15);
        assert!(rel(f.rate_hz(25.0, 1e-3), noiseless) < 1e-5);
        assert_eq!(f.rate_hz(19.0, 0.0), 0.0);
        assert!(f.rate_hz(1.0, -1.0).is_nan());
        assert!(f.rate_hz(f64::NAN, 1.0).is_nan());
        assert!(LifTransfer::new(10.0, 0.0, 1.0, 0.0)
            .rate_hz(0.5, 0.3)
            .is_nan());
    }

    #[test]
    fn theory_siegert_inverse_errors() {
        let f = LifTransfer::tutorial();
        assert!(matches!(
            f.inverse_rate(0.0, SIGMA),
            Err(TheoryError::InvalidRate { .. })
        ));
        assert!(matches!(
            f.inverse_rate(-1.0, SIGMA),
            Err(TheoryError::InvalidRate { .. })
        ));
        assert!(matches!(
            f.inverse_rate(f64::NAN, SIGMA),
            Err(TheoryError::InvalidRate { .. })
        ));
        assert!(matches!(
            f.input_for_recorded_rate(-0.5, SIGMA),
            Err(TheoryError::InvalidRate { .. })
        ));
        assert!(matches!(
            f.inverse_rate(5.0, 0.0),
            Err(TheoryError::InvalidParameter { .. })
        ));
        let g = LifTransfer::new(20.0, 20.0, 10.0, 2.0);
        assert!(matches!(
            g.inverse_rate(500.0, 5.0),
            Err(TheoryError::InvalidRate { .. })
        ));
        // just below the maximum still works
        let mu = g.inverse_rate(499.0, 5.0).unwrap();
        assert!(rel(g.rate_hz(mu, 5.0), 499.0) < 1e-12);
        // too small to represent
        assert!(f.inverse_rate(1e-300, SIGMA).is_err());
        let msg = f.inverse_rate(0.0, SIGMA).unwrap_err().to_string();
        assert!(msg.contains("0.1 Hz"), "{msg}");
    }

    #[test]
    fn theory_siegert_inverts_300k_rates_quickly() {
        let f = LifTransfer::tutorial();
        let rates: Vec<f64> = (0..300_000)
            .map(|i| {
                let k = i % 1000;
                if k == 0 {
                    0.0
                } else {
                    0.1 * (700f64).powf(k as f64 / 999.0)
                }
            })
            .collect();
        let start = std::time::Instant::now();
        let mut sum = 0.0;
        for &r in &rates {
            sum += f.input_for_recorded_rate(r, SIGMA).unwrap();
        }
        let elapsed = start.elapsed().as_secs_f64();
        println!(
            "300000 sequential inversions: {elapsed:.3} s (mean input {})",
            sum / 3e5
        );
        assert!(elapsed < 3.0, "took {elapsed} s");
        let par = f.inputs_for_recorded_rates(&rates[..2000], SIGMA).unwrap();
        for (r, mu) in rates[..2000].iter().zip(&par) {
            assert_eq!(*mu, f.input_for_recorded_rate(*r, SIGMA).unwrap());
        }
    }
}
