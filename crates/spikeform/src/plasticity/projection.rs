//! A projection whose synapses change under a pair rule.

use std::sync::Arc;

use super::PairRule;
use crate::network::StaticSynapses;

/// The synapses of one projection (`pre` population → `post` population), weights stored per
/// synapse in outgoing order, with an incoming index for postsynaptic updates, and the rule
/// that changes them. Synapse `s` of presynaptic neuron `j` is `out_offsets[j − pre.start] ≤ s
/// < out_offsets[j − pre.start + 1]`, onto `post_of[s]`; the synapses onto `i` are
/// `in_synapse[in_offsets[i − post.start]..in_offsets[i − post.start + 1]]`.
#[derive(Debug, Clone)]
pub struct PlasticProjection {
    /// Name, `PRE->POST` (for messages and recordings).
    pub name: String,
    /// Presynaptic neurons.
    pub pre: std::ops::Range<usize>,
    /// Postsynaptic neurons.
    pub post: std::ops::Range<usize>,
    /// Whether the presynaptic population is excitatory (its spikes go to the E channel).
    pub excitatory: bool,
    /// The rule.
    pub rule: Arc<dyn PairRule>,
    /// STDP trace time constant τ_STDP (ms).
    pub tau_ms: f64,
    /// Mean weight as built, before any change.
    pub initial_mean: f64,
    /// Steps of the trial in which the rule acts, `start < step <= end` (`None`: always);
    /// the traces run in every step.
    pub active_steps: Option<(u64, u64)>,
    /// The weights' trajectory, recorded while the rule runs.
    pub record: WeightRecord,
    out_offsets: Vec<usize>,
    post_of: Vec<u32>,
    in_offsets: Vec<usize>,
    in_synapse: Vec<u32>,
    pre_of: Vec<u32>,
    weights: Vec<f64>,
}

impl PlasticProjection {
    /// Takes the synapses of `static_synapses` from `pre` onto `post` out of it (they are
    /// removed there) and makes them plastic under `rule`.
    pub fn take_from(
        static_synapses: &mut StaticSynapses,
        name: &str,
        (pre, post): (std::ops::Range<usize>, std::ops::Range<usize>),
        excitatory: bool,
        rule: Arc<dyn PairRule>,
        tau_ms: f64,
    ) -> Self {
        let n = static_synapses.n_neurons();
        let (mut offsets, mut targets, mut weights) = (vec![0], Vec::new(), Vec::new());
        let (mut out_offsets, mut post_of, mut plastic_w) = (vec![0], Vec::new(), Vec::new());
        for j in 0..n {
            let (t, w) = static_synapses.outgoing(j);
            for (&i, &w) in t.iter().zip(w) {
                if pre.contains(&j) && post.contains(&(i as usize)) {
                    post_of.push(i);
                    plastic_w.push(w);
                } else {
                    targets.push(i);
                    weights.push(w);
                }
            }
            offsets.push(targets.len());
            if pre.contains(&j) {
                out_offsets.push(post_of.len());
            }
        }
        *static_synapses = StaticSynapses::new(offsets, targets, weights);
        let mut projection = Self {
            name: name.into(),
            pre,
            post,
            excitatory,
            rule,
            tau_ms,
            initial_mean: 0.0,
            active_steps: None,
            record: WeightRecord::default(),
            out_offsets,
            post_of,
            in_offsets: Vec::new(),
            in_synapse: Vec::new(),
            pre_of: Vec::new(),
            weights: plastic_w,
        };
        projection.index_incoming();
        projection.initial_mean = projection.mean_weight();
        projection
    }

    /// Builds the incoming index (counting sort of the synapses by postsynaptic neuron).
    fn index_incoming(&mut self) {
        let mut counts = vec![0usize; self.post.len() + 1];
        for &i in &self.post_of {
            counts[i as usize - self.post.start + 1] += 1;
        }
        for k in 0..self.post.len() {
            counts[k + 1] += counts[k];
        }
        self.in_offsets = counts.clone();
        self.in_synapse = vec![0; self.post_of.len()];
        self.pre_of = vec![0; self.post_of.len()];
        for j in self.pre.clone() {
            for s in self.synapses_of(j) {
                let slot = &mut counts[self.post_of[s] as usize - self.post.start];
                self.in_synapse[*slot] = s as u32;
                self.pre_of[s] = j as u32;
                *slot += 1;
            }
        }
    }

    /// Synapse indices of presynaptic neuron `j` (which must be in `pre`).
    #[inline]
    fn synapses_of(&self, j: usize) -> std::ops::Range<usize> {
        let k = j - self.pre.start;
        self.out_offsets[k]..self.out_offsets[k + 1]
    }

    /// Whether the rule acts in `step` of the trial.
    pub fn is_active(&self, step: u64) -> bool {
        self.active_steps
            .is_none_or(|(start, end)| start < step && step <= end)
    }

    /// Records the mean weight and the sampled synapses every `every_steps` steps (0: never),
    /// sampling `sample` synapses spread evenly over the outgoing order (every ⌈S/sample⌉-th:
    /// presynaptic neurons in order, each with its random targets).
    pub fn record_every(&mut self, every_steps: u64, sample: usize) {
        let stride = self.n_synapses().div_ceil(sample.max(1)).max(1);
        let synapses: Vec<u32> = (0..self.n_synapses())
            .step_by(stride)
            .take(sample)
            .map(|s| s as u32)
            .collect();
        self.record = WeightRecord {
            every_steps,
            pre: synapses.iter().map(|&s| self.pre_of[s as usize]).collect(),
            post: synapses.iter().map(|&s| self.post_of[s as usize]).collect(),
            synapses,
            ..WeightRecord::default()
        };
    }

    /// Appends the current mean and sampled weights at `t_ms` if `step` is a recording step.
    pub fn record_at(&mut self, step: u64, t_ms: f64) {
        let every = self.record.every_steps;
        if every == 0 || !step.is_multiple_of(every) {
            return;
        }
        let mean = self.mean_weight();
        let r = &mut self.record;
        r.times_ms.push(t_ms);
        r.means.push(mean);
        r.samples
            .extend(r.synapses.iter().map(|&s| self.weights[s as usize]));
    }

    /// Presynaptic neuron of every synapse, in outgoing order.
    pub fn pre_of(&self) -> &[u32] {
        &self.pre_of
    }

    /// Postsynaptic neuron of every synapse, in outgoing order.
    pub fn post_of(&self) -> &[u32] {
        &self.post_of
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.weights.len()
    }

    /// Current weights, in outgoing order.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Sets the weights (as saved from [`PlasticProjection::weights`] of the same projection).
    pub fn set_weights(&mut self, weights: &[f64]) {
        self.weights.copy_from_slice(weights);
    }

    /// Mean weight.
    pub fn mean_weight(&self) -> f64 {
        self.weights.iter().sum::<f64>() / self.weights.len().max(1) as f64
    }

    /// Saves the weights and their record so far under `PREFIX.*`.
    pub fn snapshot(&self, prefix: &str, out: &mut crate::snapshot::StateArrays) {
        out.put(format!("{prefix}.weights"), self.weights.clone());
        let r = &self.record;
        out.put(format!("{prefix}.times_ms"), r.times_ms.clone());
        out.put(format!("{prefix}.means"), r.means.clone());
        out.put(format!("{prefix}.samples"), r.samples.clone());
    }

    /// Restores what [`PlasticProjection::snapshot`] saved from the same projection.
    pub fn restore(
        &mut self,
        prefix: &str,
        saved: &crate::snapshot::StateArrays,
    ) -> Result<(), String> {
        saved.take_into(&format!("{prefix}.weights"), &mut self.weights)?;
        let r = &mut self.record;
        r.times_ms = saved.take(&format!("{prefix}.times_ms"), None)?.to_vec();
        let times = r.times_ms.len();
        r.means = saved
            .take(&format!("{prefix}.means"), Some(times))?
            .to_vec();
        let samples = times * r.synapses.len();
        r.samples = saved
            .take(&format!("{prefix}.samples"), Some(samples))?
            .to_vec();
        Ok(())
    }

    /// Adds the weights of `j`'s synapses to `queue` (indexed by postsynaptic neuron), if `j`
    /// is presynaptic here.
    #[inline]
    pub fn deliver(&self, j: usize, queue: &mut [f64]) {
        if self.pre.contains(&j) {
            let s = self.synapses_of(j);
            for (&i, &w) in self.post_of[s.clone()].iter().zip(&self.weights[s]) {
                queue[i as usize] += w;
            }
        }
    }

    /// Applies the rule for this step's spikes `spiked` with the traces `x` (one per neuron of
    /// the network, before this step's spikes are added).
    pub fn after_spikes(&mut self, spiked: &[u32], x: &[f64]) {
        let (lo, hi) = self.rule.bounds();
        for &j in spiked {
            let j = j as usize;
            if self.pre.contains(&j) {
                for s in self.synapses_of(j) {
                    let w = self.weights[s];
                    let dw = self.rule.on_pre(w, x[self.post_of[s] as usize]);
                    self.weights[s] = (w + dw).clamp(lo, hi);
                }
            }
            if self.post.contains(&j) {
                let k = j - self.post.start;
                for &s in &self.in_synapse[self.in_offsets[k]..self.in_offsets[k + 1]] {
                    let s = s as usize;
                    let w = self.weights[s];
                    let dw = self.rule.on_post(w, x[self.pre_of[s] as usize]);
                    self.weights[s] = (w + dw).clamp(lo, hi);
                }
            }
        }
    }
}

/// A plastic projection's weights over a run without storing them all: the mean and a fixed
/// sample of synapses every `every_steps` steps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightRecord {
    /// Recording interval in steps (0: nothing recorded).
    pub every_steps: u64,
    /// Sampled synapses (outgoing order).
    pub synapses: Vec<u32>,
    /// Their presynaptic neurons.
    pub pre: Vec<u32>,
    /// Their postsynaptic neurons.
    pub post: Vec<u32>,
    /// Recording times (ms since the start of the trial).
    pub times_ms: Vec<f64>,
    /// Mean weight at each time.
    pub means: Vec<f64>,
    /// Sampled weights, time after time (`times × synapses`).
    pub samples: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::AdditiveStdp;

    /// One pre spike at step 0 and one post spike `n` steps later on a single synapse: the
    /// post spike potentiates by `A₊ x_pre = A₊ d^n` (the trace decays by `d` per step); the
    /// reverse order depresses by `A₋ d^n`. Bounds clip.
    #[test]
    fn a_prescribed_pair_changes_the_weight_by_the_formula() {
        let rule = AdditiveStdp {
            a_plus: 0.01,
            a_minus: 0.012,
            w_min: 0.0,
            w_max: 1.0,
        };
        let (dt, tau, n) = (0.1, 20.0, 100);
        let d = 1.0 - dt / tau;
        let pair = |first: u32, second: u32, w0: f64| {
            // Neuron 0 → neuron 1, one synapse of weight w0.
            let mut syn = StaticSynapses::new(vec![0, 1, 1], vec![1], vec![w0]);
            let mut p = PlasticProjection::take_from(
                &mut syn,
                "E->E",
                (0..2, 0..2),
                true,
                Arc::new(rule),
                tau,
            );
            assert_eq!(syn.n_synapses(), 0, "the synapse moved to the projection");
            let mut x = [0.0, 0.0];
            for step in 0..=n {
                let spiked: Vec<u32> = if step == 0 {
                    vec![first]
                } else if step == n {
                    vec![second]
                } else {
                    vec![]
                };
                p.after_spikes(&spiked, &x);
                for &k in &spiked {
                    x[k as usize] += 1.0;
                }
                x.iter_mut().for_each(|v| *v *= d);
            }
            p.weights()[0]
        };
        let trace = d.powi(n);
        assert!((pair(0, 1, 0.5) - (0.5 + 0.01 * trace)).abs() < 1e-15);
        assert!((pair(1, 0, 0.5) - (0.5 - 0.012 * trace)).abs() < 1e-15);
        assert_eq!(pair(0, 1, 0.99999), 1.0, "clipped at J_max");
        assert_eq!(pair(1, 0, 0.000_01), 0.0, "clipped at J_min");
    }

    /// The incoming index lists, for every postsynaptic neuron, exactly its synapses.
    #[test]
    fn incoming_index_matches_outgoing_synapses() {
        let mut rng = crate::rng::stream(1, "t");
        let ranges = vec![0..30, 30..40];
        let proj = crate::network::ProbabilityProjection {
            pre: 0,
            post: 0,
            weight: 0.3,
            probability: 0.3,
        };
        let mut syn = StaticSynapses::bernoulli(&ranges, &ranges, &[proj], &mut rng);
        let total = syn.n_synapses();
        let rule = Arc::new(AdditiveStdp {
            a_plus: 0.0,
            a_minus: 0.0,
            w_min: 0.0,
            w_max: 1.0,
        });
        let p = PlasticProjection::take_from(&mut syn, "E->E", (0..30, 0..30), true, rule, 20.0);
        assert_eq!(p.n_synapses(), total);
        for i in 0..30 {
            let mut incoming: Vec<usize> = p.in_synapse[p.in_offsets[i]..p.in_offsets[i + 1]]
                .iter()
                .map(|&s| s as usize)
                .collect();
            incoming.sort_unstable();
            let expected: Vec<usize> = (0..p.n_synapses())
                .filter(|&s| p.post_of[s] as usize == i)
                .collect();
            assert_eq!(incoming, expected);
        }
    }
}
