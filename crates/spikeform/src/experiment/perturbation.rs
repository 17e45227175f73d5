//! Optogenetic-style perturbations (`../shared/spec/perturbation.md`): which neurons are
//! stimulated, with what, when, and the sweep of amplitudes ("laser power curve"); and the
//! balanced-state prediction for each amplitude.
//!
//! Every amplitude runs one trial of the same network from the same simulator state with the
//! same random streams, so amplitudes differ only in the stimulus. A trial has three windows:
//! a baseline before the stimulus, the stimulus window (the stimulus is on for
//! `start < t ≤ end`; its statistics may skip an onset transient), and an optional post window.
//!
//! # Units
//!
//! Amplitudes are given as in the file and turned into raw currents by one factor: raw = given
//! (`raw`), given·√N (`sqrt_n`, the Akil network's mean-field units s' = A/√N), or given·√K
//! (`sqrt_k`, K-scaled networks). A Poisson opto layer takes its amplitude as the units' rate
//! (Hz) and is always raw.
//!
//! # Theory
//!
//! The balance equations with the stimulus added to the external drive,
//! Σ_b K_ab J_ab r_b + X_a + δX_a = 0, give the population rates for each amplitude; while no
//! population is silenced the response is linear, **δr = −W⁻¹ δX**. When a population's rate
//! would become negative it is silenced and the reduced system is solved for the others
//! (semi-balanced state), which makes the inhibitory response V-shaped when all I cells are
//! stimulated. δX_a is the stimulus's mean current over the neurons of population a (exact for
//! whole-population stimulation; for a subset it predicts the population mean only).

use std::sync::Arc;

use rand::Rng as _;

use crate::input::{Input, OptoLayer, Waveform, WindowedCurrent};
use crate::network::StaticSynapses;
use crate::neuron_set::{Selected, Selection, SetContext};
use crate::rng;
use crate::theory::PopulationCoupling;

use super::spiking::SpikingExperiment;

/// How given amplitudes become raw currents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AmplitudeUnits {
    /// Raw current (or rate, for an opto layer).
    Raw,
    /// Mean-field units: raw = given · √N.
    SqrtN,
    /// Mean-field units: raw = given · √K.
    SqrtK(f64),
}

impl AmplitudeUnits {
    /// The factor raw/given for a network of `n` neurons.
    pub fn factor(&self, n: usize) -> f64 {
        match *self {
            AmplitudeUnits::Raw => 1.0,
            AmplitudeUnits::SqrtN => (n as f64).sqrt(),
            AmplitudeUnits::SqrtK(k) => k.sqrt(),
        }
    }

    /// The name as experiment files spell it.
    pub fn name(&self) -> &'static str {
        match self {
            AmplitudeUnits::Raw => "raw",
            AmplitudeUnits::SqrtN => "sqrt_n",
            AmplitudeUnits::SqrtK(_) => "sqrt_k",
        }
    }
}

/// What the stimulated neurons receive at raw amplitude `A` (each neuron `i` with its gain
/// `g_i`, its expression level).
#[derive(Debug, Clone, PartialEq)]
pub enum Stimulus {
    /// `g_i · A` during the window.
    Constant,
    /// `g_i · A · t/T` over the window of length `T`.
    Ramp,
    /// `g_i · A · sin(2π t/period + φ_i)`, `φ_i` uniform on `[0, 2π)` per neuron when
    /// `random_phase` (the spec's §1.4 perturbation), else 0.
    Sine {
        /// Period (ms).
        period_ms: f64,
        /// Draw a phase per neuron.
        random_phase: bool,
    },
    /// A layer of Poisson units at rate `A` (Hz) with synapses only onto the stimulated
    /// neurons: each (unit, neuron) pair connected with `probability`, weight `g_i · weight`,
    /// into a channel of time constant `tau_ms` (Akil et al.'s X2 layer).
    PoissonLayer {
        /// Number of units.
        units: usize,
        /// Channel time constant (ms).
        tau_ms: f64,
        /// Weight of a synapse (times the neuron's gain).
        weight: f64,
        /// Connection probability.
        probability: f64,
    },
}

/// A window of steps `start < n ≤ end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepWindow {
    /// The window opens after this step.
    pub start: u64,
    /// Its last step.
    pub end: u64,
}

impl StepWindow {
    /// The window in ms: `(start·dt, end·dt)`.
    pub fn ms(&self, dt_ms: f64) -> (f64, f64) {
        (self.start as f64 * dt_ms, self.end as f64 * dt_ms)
    }
}

/// A validated `[perturbation]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PerturbationSpec {
    /// The stimulated neurons and their gains.
    pub neurons: Selection,
    /// What they receive.
    pub stimulus: Stimulus,
    /// Amplitudes as given in the file.
    pub amplitudes: Vec<f64>,
    /// How they become raw amplitudes.
    pub units: AmplitudeUnits,
    /// When the stimulus is on.
    pub on: StepWindow,
    /// Statistics of the stimulus window skip its first this many steps (onset transient).
    pub onset_steps: u64,
    /// Baseline statistics window (before the stimulus).
    pub baseline: StepWindow,
    /// Post-stimulus statistics window, if any.
    pub post: Option<StepWindow>,
}

/// Name of the random streams of the perturbation's neuron set, gains and synapses.
pub const STREAM: &str = "perturbation";

impl PerturbationSpec {
    /// The statistics windows: baseline, stimulus (after the onset), post.
    pub fn windows(&self) -> Vec<(&'static str, StepWindow)> {
        let mut w = vec![
            ("baseline", self.baseline),
            (
                "stimulus",
                StepWindow {
                    start: self.on.start + self.onset_steps,
                    end: self.on.end,
                },
            ),
        ];
        if let Some(p) = self.post {
            w.push(("post", p));
        }
        w
    }

    /// Raw amplitudes for a network of `n` neurons.
    pub fn raw_amplitudes(&self, n: usize) -> Vec<f64> {
        let f = self.units.factor(n);
        self.amplitudes.iter().map(|a| a * f).collect()
    }

    /// The stimulated neurons and gains in `ctx`.
    pub fn selected(&self, ctx: SetContext<'_>) -> Result<Selected, String> {
        self.neurons.resolve(ctx, STREAM)
    }

    /// The inputs that deliver raw amplitude `amplitude` to `selected` (none at amplitude 0).
    pub fn inputs(
        &self,
        selected: &Selected,
        amplitude: f64,
        ctx: SetContext<'_>,
        dt_ms: f64,
        integration: crate::neuron::Integration,
    ) -> Vec<Arc<dyn Input>> {
        if amplitude == 0.0 {
            return Vec::new();
        }
        let current = |name: &str, gains: Vec<f64>, waveform| -> Arc<dyn Input> {
            Arc::new(WindowedCurrent {
                name: name.into(),
                neurons: selected.neurons.clone(),
                gains,
                start_step: self.on.start,
                end_step: self.on.end,
                waveform,
                dt_ms,
            })
        };
        match self.stimulus {
            Stimulus::Constant => vec![current(
                STREAM,
                selected.gains.clone(),
                Waveform::Constant { amplitude },
            )],
            Stimulus::Ramp => vec![current(
                STREAM,
                selected.gains.clone(),
                Waveform::Ramp {
                    from: 0.0,
                    to: amplitude,
                },
            )],
            Stimulus::Sine {
                period_ms,
                random_phase,
            } => self.sine(
                selected,
                amplitude,
                period_ms,
                random_phase,
                ctx.seed,
                current,
            ),
            Stimulus::PoissonLayer {
                units,
                tau_ms,
                weight,
                probability,
            } => {
                let synapses = opto_synapses(selected, units, weight, probability, ctx);
                let n = ctx.ranges.last().map_or(0, |r| r.end);
                let decay = integration.trace_decay(dt_ms, tau_ms);
                vec![Arc::new(OptoLayer::new(
                    STREAM, amplitude, tau_ms, decay, synapses, n, dt_ms, self.on,
                ))]
            }
        }
    }

    /// `g_i A sin(ωt + φ_i) = g_i A cos φ_i · sin ωt + g_i A sin φ_i · sin(ωt + π/2)`: two
    /// windowed sines with per-neuron gains.
    fn sine(
        &self,
        selected: &Selected,
        amplitude: f64,
        period_ms: f64,
        random_phase: bool,
        seed: u64,
        current: impl Fn(&str, Vec<f64>, Waveform) -> Arc<dyn Input>,
    ) -> Vec<Arc<dyn Input>> {
        let sine = |phase| Waveform::Sine {
            amplitude,
            period_ms,
            phase,
            mean: 0.0,
        };
        if !random_phase {
            return vec![current(STREAM, selected.gains.clone(), sine(0.0))];
        }
        let mut r = rng::stream(seed, &format!("phases:{STREAM}"));
        let phases: Vec<f64> = selected
            .gains
            .iter()
            .map(|_| std::f64::consts::TAU * r.random::<f64>())
            .collect();
        let (cos, sin): (Vec<f64>, Vec<f64>) = selected
            .gains
            .iter()
            .zip(&phases)
            .map(|(g, p)| (g * p.cos(), g * p.sin()))
            .unzip();
        vec![
            current(STREAM, cos, sine(0.0)),
            current(
                &format!("{STREAM}-quadrature"),
                sin,
                sine(std::f64::consts::FRAC_PI_2),
            ),
        ]
    }

    /// Mean over the stimulus statistics window of the current a neuron of gain 1 receives at
    /// raw amplitude 1 (the opto layer: per unit of rate, per unit of weight·gain).
    fn mean_drive_per_amplitude(&self) -> f64 {
        match self.stimulus {
            Stimulus::Constant => 1.0,
            Stimulus::Ramp => {
                // a(t) = t/T averaged over [d, T].
                let t = (self.on.end - self.on.start) as f64;
                let d = self.onset_steps as f64;
                (d + t) / (2.0 * t)
            }
            Stimulus::Sine { .. } => 0.0,
            Stimulus::PoissonLayer {
                units,
                weight,
                probability,
                ..
            } => probability * units as f64 * weight / 1000.0,
        }
    }
}

/// The opto layer's synapses: unit `k` onto each stimulated neuron `i` with `probability`,
/// weight `g_i · weight`, from the `input-synapses:perturbation` stream.
fn opto_synapses(
    selected: &Selected,
    units: usize,
    weight: f64,
    probability: f64,
    ctx: SetContext<'_>,
) -> StaticSynapses {
    let mut r = rng::stream(ctx.seed, &format!("input-synapses:{STREAM}"));
    let mut offsets = vec![0];
    let (mut targets, mut weights) = (Vec::new(), Vec::new());
    for _ in 0..units {
        for (&i, &g) in selected.neurons.iter().zip(&selected.gains) {
            if r.random::<f64>() < probability {
                targets.push(i as u32);
                weights.push(g * weight);
            }
        }
        offsets.push(targets.len());
    }
    StaticSynapses::new(offsets, targets, weights)
}

/// The balanced-state prediction of a sweep (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct PerturbationTheory {
    /// Rates (Hz) per population per amplitude: `[population][amplitude]`; `None` where the
    /// system is singular.
    pub rate_hz: Vec<Vec<Option<f64>>>,
    /// Slope of the unconstrained linear response dr/ds per population (Hz per given unit of
    /// amplitude): `−W⁻¹ δX` per unit amplitude.
    pub slope_hz: Vec<f64>,
    /// The amplitude (given units) at which the linear response silences the first population
    /// (`Some` for that population only): where the semi-balanced branch begins (s* of the
    /// spec when all I cells are stimulated).
    pub silenced_at: Vec<Option<f64>>,
}

/// The balanced-limit rates with the perturbation's mean drive added, for every amplitude.
pub fn theory(
    exp: &SpikingExperiment,
    spec: &PerturbationSpec,
    coupling: &PopulationCoupling,
) -> PerturbationTheory {
    let ranges = crate::network::population_ranges(&exp.network.populations);
    let n = ranges.last().map_or(0, |r| r.end);
    let ctx = SetContext {
        ranges: &ranges,
        trained: None,
        seed: exp.seed,
    };
    let np = ranges.len();
    // δX_a per unit of raw amplitude: mean over population a of gain × drive.
    let mut per_unit = vec![0.0; np];
    if let Ok(sel) = spec.selected(ctx) {
        let drive = spec.mean_drive_per_amplitude();
        for (&i, &g) in sel.neurons.iter().zip(&sel.gains) {
            let a = ranges.iter().position(|r| r.contains(&i)).unwrap_or(0);
            per_unit[a] += g * drive / ranges[a].len() as f64;
        }
    }
    let factor = spec.units.factor(n);
    let rates_at = |amplitude: f64| -> Option<Vec<f64>> {
        let mut c = coupling.clone();
        for (b, d) in c.bias.iter_mut().zip(&per_unit) {
            *b += d * amplitude * factor;
        }
        c.balanced_rates()
            .ok()
            .map(|s| s.rates.iter().map(|r| r * 1000.0).collect())
    };
    let mut rate_hz = vec![Vec::with_capacity(spec.amplitudes.len()); np];
    for &a in &spec.amplitudes {
        let r = rates_at(a);
        for (p, row) in rate_hz.iter_mut().enumerate() {
            row.push(r.as_ref().map(|r| r[p]));
        }
    }
    let (slope_hz, silenced_at) = linear_response(coupling, &per_unit, factor);
    PerturbationTheory {
        rate_hz,
        slope_hz,
        silenced_at,
    }
}

/// The unconstrained linear response r(s) = r(0) + s · slope, slope = −W⁻¹ δX per given unit,
/// and where each decreasing population reaches 0.
fn linear_response(
    coupling: &PopulationCoupling,
    per_unit: &[f64],
    factor: f64,
) -> (Vec<f64>, Vec<Option<f64>>) {
    let np = per_unit.len();
    let unconstrained = |c: &PopulationCoupling| {
        c.balanced_rates()
            .ok()
            .and_then(|s| s.unconstrained)
            .unwrap_or_else(|| vec![f64::NAN; np])
    };
    let r0 = unconstrained(coupling);
    let mut c = coupling.clone();
    for (b, d) in c.bias.iter_mut().zip(per_unit) {
        *b += d * factor;
    }
    let r1 = unconstrained(&c);
    let slope: Vec<f64> = r0.iter().zip(&r1).map(|(a, b)| (b - a) * 1000.0).collect();
    // Where each decreasing population's linear response reaches 0; only the first of them is
    // kept: past it the system is semi-balanced and the others follow other slopes.
    let reach: Vec<Option<f64>> = r0
        .iter()
        .zip(&slope)
        .map(|(&r, &s)| (r > 0.0 && s < 0.0).then(|| -r * 1000.0 / s))
        .collect();
    let first = reach
        .iter()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let silenced = reach
        .into_iter()
        .map(|x| x.filter(|&s| s == first))
        .collect();
    (slope, silenced)
}

/// The rates of a group of cells in one window at one amplitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowRates {
    /// Mean over the cells (Hz).
    pub mean_hz: f64,
    /// 95% confidence interval of the mean over cells: mean ± 1.96·SD/√n (Hz).
    pub ci95_hz: (f64, f64),
}

impl WindowRates {
    /// Mean and confidence interval of `rates` over `cells`.
    pub fn over(rates: &[f64], cells: &[usize]) -> Self {
        let n = cells.len() as f64;
        let mean = cells.iter().map(|&i| rates[i]).sum::<f64>() / n;
        let var = cells
            .iter()
            .map(|&i| (rates[i] - mean).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        let half = 1.96 * (var / n).sqrt();
        Self {
            mean_hz: mean,
            ci95_hz: (mean - half, mean + half),
        }
    }
}

/// A group of cells and its rates: a population, or the stimulated or other cells of one.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRates {
    /// `e`, `e_stimulated`, `e_other`, ... (lower-case population name).
    pub name: String,
    /// Its population.
    pub population: usize,
    /// Its cells.
    pub cells: Vec<usize>,
    /// Rates per window (as [`PerturbationResult::windows`]) per amplitude.
    pub windows: Vec<Vec<WindowRates>>,
}

/// The trained neurons under the perturbation (a network trained by RLS).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedPerturbation {
    /// Per amplitude: r between the trained neurons' box-averaged input and their target, in
    /// the stimulus window (condition 0).
    pub r_stimulus: Vec<f64>,
    /// The same in the baseline window (no stimulus yet).
    pub r_baseline: Vec<f64>,
    /// Per amplitude: fraction of trained E cells whose stimulus-window rate is lower than at
    /// amplitude 0.
    pub suppressed_trained_e: Vec<f64>,
    /// The same for the untrained E cells.
    pub suppressed_untrained_e: Vec<f64>,
    /// Per amplitude and window (baseline, stimulus, post): the difference between the two
    /// conditions' activity projected on the coding direction (Hz).
    pub coding_projection: Vec<Vec<f64>>,
    /// Per amplitude, the time course of that difference (Hz), in the time-course bins.
    pub coding_timecourse: Vec<Vec<f64>>,
}

/// What a perturbation sweep gives.
#[derive(Debug, Clone, PartialEq)]
pub struct PerturbationResult {
    /// Amplitudes as given.
    pub amplitudes: Vec<f64>,
    /// Raw amplitudes.
    pub raw_amplitudes: Vec<f64>,
    /// Units of the given amplitudes (`raw`, `sqrt_n`, `sqrt_k`).
    pub units: String,
    /// Statistics windows: (name, (start, end) in ms).
    pub windows: Vec<(String, (f64, f64))>,
    /// When the stimulus is on (ms).
    pub on_ms: (f64, f64),
    /// The stimulated neurons.
    pub stimulated: Vec<usize>,
    /// Rates per group.
    pub groups: Vec<GroupRates>,
    /// Balanced-state prediction (filled by the caller that knows the network's coupling).
    pub theory: Option<PerturbationTheory>,
    /// Bin of the time courses (ms).
    pub bin_ms: f64,
    /// Population rates over the trial per amplitude: `[amplitude][population][bin]` (Hz).
    pub population_rate_hz: Vec<Vec<Vec<f64>>>,
    /// Every neuron's rate per amplitude and window: `[amplitude][window][neuron]` (Hz).
    pub neuron_rates_hz: Vec<Vec<Vec<f64>>>,
    /// Wall seconds of the sweep's trials.
    pub sweep_seconds: f64,
    /// Trained networks: the trained neurons under the perturbation.
    pub trained: Option<TrainedPerturbation>,
}

impl PerturbationResult {
    /// The stimulus window's mean rate of group `name` per amplitude.
    pub fn stimulus_rates(&self, name: &str) -> Option<Vec<f64>> {
        let w = self.windows.iter().position(|(n, _)| n == "stimulus")?;
        let g = self.groups.iter().find(|g| g.name == name)?;
        Some(g.windows[w].iter().map(|r| r.mean_hz).collect())
    }
}
