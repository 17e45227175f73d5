//! The validated `[latent]` section: loadings drawn from named streams (or given), the
//! feedback input it builds, and the weights form's synapses.

use rand_distr::{Distribution, StandardNormal};

use super::weights;
use crate::input::{LatentCourse, LatentFeedback, ReadoutClock, TrainedReadout};
use crate::network::{Population, Sign};
use crate::rng;

/// Input loadings `m`.
#[derive(Debug, Clone, PartialEq)]
pub enum InputLoadings {
    /// `N(0, (std·scale_a)²)` per neuron of population `a` and dimension, centred per
    /// population.
    Normal {
        /// SD.
        std: f64,
        /// Factor `scale_a` on the SD per population (all 1: the spec's loadings).
        population_scale: Vec<f64>,
    },
    /// Given, `[i·D + d]` for every neuron.
    Given(Vec<f64>),
}

/// Readout loadings `n` of the excitatory neurons.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadoutLoadings {
    /// `n_j = overlap·m_j + mean + std·ξ_j`, ξ standard normal.
    Overlap {
        /// Overlap `s` with the input loadings.
        overlap: f64,
        /// Common part n̄.
        mean: f64,
        /// SD of the independent part.
        std: f64,
    },
    /// Given, `[k·D + d]` for the k-th excitatory neuron.
    Given(Vec<f64>),
}

/// How a latent run is analysed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatentAnalysisSpec {
    /// Time after every change of κ left out of its stretch (ms).
    pub settle_ms: f64,
    /// Bin for the mean-input–κ² correlation (ms).
    pub bin_ms: f64,
    /// Cells with `‖m_i‖` below this are untuned.
    pub untuned_below: f64,
    /// Cells below this mean rate (Hz) are left out of the single-index fits.
    pub fit_min_rate_hz: f64,
}

impl Default for LatentAnalysisSpec {
    fn default() -> Self {
        Self {
            settle_ms: 200.0,
            bin_ms: 50.0,
            untuned_below: 0.25,
            fit_min_rate_hz: 1.0,
        }
    }
}

/// How the feedback `m_i·κ̂` reaches the neurons (spec §2, Dale's law options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedbackForm {
    /// Its own input current, not sign-constrained (option (b)).
    #[default]
    Current,
    /// Low-rank weights added to the existing E→· synapses, clipped so that no weight changes
    /// sign (option (a), [`weights`]); closed loop only.
    Weights,
}

/// The validated `[latent]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentSpec {
    /// Dimension D (≥ 1).
    pub dims: usize,
    /// Input loadings.
    pub input_loadings: InputLoadings,
    /// Readout loadings.
    pub readout_loadings: ReadoutLoadings,
    /// Readout filter τ_s (ms).
    pub tau_readout_ms: f64,
    /// How the feedback reaches the neurons.
    pub feedback: FeedbackForm,
    /// The weights form's bound on each synapse's low-rank term.
    pub weights_bound: weights::WeightBound,
    /// How κ is given.
    pub course: LatentCourse,
    /// Analysis settings.
    pub analysis: LatentAnalysisSpec,
    /// A readout trained by RLS during every trial (closed loop only).
    pub readout_training: Option<ReadoutTrainingSpec>,
}

/// `latent.readout_training`: the readout weights of a random set of excitatory neurons
/// trained by RLS during every trial so that κ̂ follows `target` (FORCE;
/// `input/latent_readout.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadoutTrainingSpec {
    /// Trained readout neurons, drawn from the excitatory ones (`latent:trained-readout`).
    pub neurons: usize,
    /// The latent dynamics to learn, κ*(t) (an open-loop course).
    pub target: LatentCourse,
    /// First and last step of the learning window (inclusive).
    pub learn_steps: (u64, u64),
    /// Steps between updates.
    pub every_steps: u64,
    /// Ridge α: `P(0) = I/α` (Hz²).
    pub alpha: f64,
}

/// κ̂ of a trained readout is recorded every this many ms.
pub const READOUT_RECORD_MS: f64 = 1.0;

/// Indices of the neurons of excitatory populations (the readout neurons).
pub fn excitatory_neurons(populations: &[Population]) -> Vec<usize> {
    let ranges = crate::network::population_ranges(populations);
    populations
        .iter()
        .zip(ranges)
        .filter(|(p, _)| p.sign == Sign::Excitatory)
        .flat_map(|(_, r)| r)
        .collect()
}

impl LatentSpec {
    /// The input loadings of every neuron and the readout loadings of the excitatory neurons,
    /// `[i·D + d]`.
    pub fn loadings(&self, seed: u64, populations: &[Population]) -> (Vec<f64>, Vec<f64>) {
        let d = self.dims;
        let ranges = crate::network::population_ranges(populations);
        let m = match &self.input_loadings {
            InputLoadings::Given(m) => m.clone(),
            InputLoadings::Normal {
                std,
                population_scale,
            } => {
                let n = ranges.last().map_or(0, |r| r.end);
                let mut r = rng::stream(seed, "latent:input-loadings");
                let mut m: Vec<f64> = (0..n * d)
                    .map(|_| {
                        let x: f64 = StandardNormal.sample(&mut r);
                        std * x
                    })
                    .collect();
                for (a, range) in ranges.iter().enumerate() {
                    let rows = &mut m[range.start * d..range.end * d];
                    centre(rows, d);
                    match population_scale.get(a) {
                        Some(&s) if s != 1.0 => rows.iter_mut().for_each(|x| *x *= s),
                        _ => {}
                    }
                }
                m
            }
        };
        let readout = excitatory_neurons(populations);
        let n = match &self.readout_loadings {
            ReadoutLoadings::Given(n) => n.clone(),
            ReadoutLoadings::Overlap { overlap, mean, std } => {
                let mut r = rng::stream(seed, "latent:readout-loadings");
                readout
                    .iter()
                    .flat_map(|&j| m[j * d..(j + 1) * d].to_vec())
                    .map(|mj| {
                        let xi: f64 = StandardNormal.sample(&mut r);
                        overlap * mj + mean + std * xi
                    })
                    .collect()
            }
        };
        (m, n)
    }

    /// The feedback input of a network of `populations`, for trials of `trial_steps` steps.
    /// In the weights form the input keeps only the readout: its input loadings are zero, the
    /// weights ([`LatentSpec::add_weights`]) carry the feedback.
    pub fn build(
        &self,
        seed: u64,
        populations: &[Population],
        (dt_ms, trial_steps): (f64, u64),
    ) -> LatentFeedback {
        let (mut m, n) = self.loadings(seed, populations);
        if self.feedback == FeedbackForm::Weights {
            m.iter_mut().for_each(|x| *x = 0.0);
        }
        let trained = self
            .readout_training
            .as_ref()
            .map(|t| self.trained_readout(t, (seed, populations), &n, (dt_ms, trial_steps)));
        let feedback = LatentFeedback::new(
            self.dims,
            (m, n),
            excitatory_neurons(populations),
            self.tau_readout_ms,
            self.course.clone(),
            dt_ms,
        );
        match trained {
            Some(t) => feedback.with_trained_readout(t),
            None => feedback,
        }
    }

    /// The learner of `latent.readout_training`: `neurons` excitatory neurons drawn without
    /// replacement from `latent:trained-readout` (ascending), `w(0) = n_k/N_T` from their
    /// readout loadings `n` (`[j·D + d]` over the excitatory neurons).
    fn trained_readout(
        &self,
        t: &ReadoutTrainingSpec,
        (seed, populations): (u64, &[Population]),
        n: &[f64],
        (dt_ms, trial_steps): (f64, u64),
    ) -> TrainedReadout {
        let d = self.dims;
        let excitatory = excitatory_neurons(populations);
        let mut r = rng::stream(seed, "latent:trained-readout");
        let mut chosen = rand::seq::index::sample(&mut r, excitatory.len(), t.neurons).into_vec();
        chosen.sort_unstable();
        let scale = 1.0 / t.neurons as f64;
        let weights = chosen
            .iter()
            .flat_map(|&k| n[k * d..(k + 1) * d].iter().map(move |x| x * scale))
            .collect();
        let neurons = chosen.iter().map(|&k| excitatory[k]).collect();
        let total: usize = populations.iter().map(|p| p.size).sum();
        let clock = ReadoutClock {
            learn_steps: t.learn_steps,
            every_steps: t.every_steps,
            record_every_steps: ((READOUT_RECORD_MS / dt_ms).round() as u64).max(1),
            trial_steps,
            dt_ms,
            tau_readout_ms: self.tau_readout_ms,
        };
        TrainedReadout::new(total, (neurons, weights), t.target.clone(), t.alpha, clock)
    }

    /// The weights form: adds the low-rank term to the static `synapses` of a network of
    /// `populations` (`population_of[i]` the population of neuron i; [`weights`]); `None` (and
    /// nothing changed) in the current form.
    pub fn add_weights(
        &self,
        seed: u64,
        populations: &[Population],
        population_of: &[usize],
        synapses: &mut crate::network::StaticSynapses,
    ) -> Option<weights::LowRankWeights> {
        (self.feedback == FeedbackForm::Weights).then(|| {
            let (m, n) = self.loadings(seed, populations);
            let readout = excitatory_neurons(populations);
            let neurons = (&readout[..], population_of);
            weights::add_low_rank_weights(
                synapses,
                (&m, &n, self.dims),
                neurons,
                self.weights_bound,
            )
        })
    }

    /// The prescribed κ sampled at the end of every ms of a trial of `trial_ms`
    /// (`[k·D + d]` = κ at step `round((k + 1)/dt)`); `None` for a closed loop.
    pub fn prescribed_kappa_ms(&self, trial_ms: f64, dt_ms: f64) -> Option<Vec<f64>> {
        let samples = trial_ms.floor() as usize;
        let mut out = vec![0.0; samples * self.dims];
        for (k, o) in out.chunks_exact_mut(self.dims).enumerate() {
            let step = ((k + 1) as f64 / dt_ms).round() as u64;
            if !self.course.prescribed(step, dt_ms, o) {
                return None;
            }
        }
        Some(out)
    }
}

/// Subtracts the mean of each of the `d` columns of `m` (`[i·d + c]`).
fn centre(m: &mut [f64], d: usize) {
    let rows = m.len() / d;
    if rows == 0 {
        return;
    }
    for c in 0..d {
        let mean = m.iter().skip(c).step_by(d).sum::<f64>() / rows as f64;
        m.iter_mut().skip(c).step_by(d).for_each(|x| *x -= mean);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadings_are_centred_per_population_and_the_overlap_sets_the_readout() {
        let pop = |name: &str, size, sign| {
            Population::new(name, size, sign, crate::neuron::LifParams::tutorial(), 0.0)
        };
        let pops = [
            pop("E", 40, Sign::Excitatory),
            pop("I", 10, Sign::Inhibitory),
        ];
        let spec = LatentSpec {
            dims: 2,
            input_loadings: InputLoadings::Normal {
                std: 1.0,
                population_scale: vec![1.0, 2.0],
            },
            readout_loadings: ReadoutLoadings::Overlap {
                overlap: 2.0,
                mean: 0.5,
                std: 0.0,
            },
            tau_readout_ms: 20.0,
            feedback: FeedbackForm::Current,
            weights_bound: weights::WeightBound::Sign,
            course: LatentCourse::ClosedLoop {
                initial: vec![0.0, 0.0],
            },
            analysis: LatentAnalysisSpec::default(),
            readout_training: None,
        };
        let (m, n) = spec.loadings(3, &pops);
        assert_eq!((m.len(), n.len()), (100, 80));
        let e_mean: f64 = m[..80].iter().step_by(2).sum::<f64>() / 40.0;
        let i_mean: f64 = m[80..].iter().skip(1).step_by(2).sum::<f64>() / 10.0;
        assert!(e_mean.abs() < 1e-12 && i_mean.abs() < 1e-12);
        let unscaled = LatentSpec {
            input_loadings: InputLoadings::Normal {
                std: 1.0,
                population_scale: vec![1.0, 1.0],
            },
            ..spec.clone()
        };
        let (m1, _) = unscaled.loadings(3, &pops);
        assert_eq!(m[..80], m1[..80], "E loadings keep their draws");
        assert!(m[80..].iter().zip(&m1[80..]).all(|(a, b)| *a == 2.0 * b));
        assert!((n[3] - (2.0 * m[3] + 0.5)).abs() < 1e-12);
    }
}
