//! Static connectivity, stored by presynaptic neuron (compressed sparse rows of outgoing
//! synapses) so that delivering a spike touches one contiguous block.

use rand::seq::index::sample;
use rand::Rng as _;
use rand_distr::StandardNormal;

use crate::rng::Rng;

/// Outgoing static synapses of every neuron: the targets of neuron `j` are
/// `targets[offsets[j]..offsets[j + 1]]` with the matching `weights`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticSynapses {
    /// `offsets[j]..offsets[j+1]` indexes neuron `j`'s synapses; length N + 1.
    pub offsets: Vec<usize>,
    /// Postsynaptic neuron of each synapse.
    pub targets: Vec<u32>,
    /// Weight of each synapse.
    pub weights: Vec<f64>,
    /// The same synapses as runs of equal consecutive weights, when there are few (see
    /// [`StaticSynapses::with_runs`]); empty otherwise.
    runs: WeightRuns,
}

/// Runs of consecutive synapses with one weight: run `r` of neuron `j` (`offsets[j] ≤ r <
/// offsets[j+1]`) covers `targets[start[r]..end[r]]` with weight `weight[r]`. When weights depend
/// only on the (pre, post) population pair, a neuron has one run per postsynaptic population,
/// and delivery reads only the 4-byte targets instead of 12 bytes per synapse.
#[derive(Debug, Clone, Default, PartialEq)]
struct WeightRuns {
    offsets: Vec<usize>,
    start: Vec<usize>,
    end: Vec<usize>,
    weight: Vec<f64>,
    /// Whether the targets of every run are in ascending order (so that the synapses onto a
    /// range of neurons are one sub-run, found by binary search).
    sorted: bool,
}

/// The weight and (for fixed in-degree) the in-degree of the synapses from population `pre` to
/// population `post`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Presynaptic population index.
    pub pre: usize,
    /// Postsynaptic population index.
    pub post: usize,
    /// Weight of every synapse of this projection.
    pub weight: f64,
    /// Number of inputs each `post` neuron receives from `pre` (fixed in-degree rule only).
    pub in_degree: usize,
}

/// The weight and connection probability of the synapses from population `pre` to population
/// `post` under the Erdős–Rényi rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbabilityProjection {
    /// Presynaptic population index.
    pub pre: usize,
    /// Postsynaptic population index.
    pub post: usize,
    /// Weight of every synapse of this projection.
    pub weight: f64,
    /// Probability that a (pre, post) pair is connected, independently of every other pair.
    pub probability: f64,
}

impl StaticSynapses {
    /// No static synapses among `n` neurons.
    pub fn empty(n: usize) -> Self {
        Self::new(vec![0; n + 1], Vec::new(), Vec::new())
    }

    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.targets.len()
    }

    /// The outgoing synapses of neuron `j`: (targets, weights).
    #[inline]
    pub fn outgoing(&self, j: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[j]..self.offsets[j + 1];
        (&self.targets[r.clone()], &self.weights[r])
    }

    /// Synapses from the given arrays (`offsets` of length N + 1, targets and weights aligned).
    pub fn new(offsets: Vec<usize>, targets: Vec<u32>, weights: Vec<f64>) -> Self {
        Self {
            offsets,
            targets,
            weights,
            runs: WeightRuns::default(),
        }
        .with_runs()
    }

    /// Builds the runs of equal consecutive weights if there are at most four per neuron on
    /// average (one per (pre, post) population pair in the tutorial's networks).
    fn with_runs(mut self) -> Self {
        let mut runs = WeightRuns {
            offsets: vec![0],
            ..WeightRuns::default()
        };
        let limit = 4 * self.n_neurons();
        for j in 0..self.n_neurons() {
            let (lo, hi) = (self.offsets[j], self.offsets[j + 1]);
            let mut s = lo;
            while s < hi {
                let w = self.weights[s];
                let mut e = s + 1;
                while e < hi && self.weights[e].to_bits() == w.to_bits() {
                    e += 1;
                }
                runs.start.push(s);
                runs.end.push(e);
                runs.weight.push(w);
                s = e;
            }
            runs.offsets.push(runs.start.len());
            if runs.start.len() > limit {
                return self;
            }
        }
        runs.sorted = runs
            .start
            .iter()
            .zip(&runs.end)
            .all(|(&s, &e)| self.targets[s..e].is_sorted());
        self.runs = runs;
        self
    }

    /// Calls `f(targets, weight)` for each run of neuron `j`'s synapses that share one weight,
    /// in synapse order (single synapses when the weights vary too much to form runs).
    #[inline]
    pub fn for_each_run(&self, j: usize, mut f: impl FnMut(&[u32], f64)) {
        if self.runs.offsets.len() == self.n_neurons() + 1 {
            for r in self.runs.offsets[j]..self.runs.offsets[j + 1] {
                f(
                    &self.targets[self.runs.start[r]..self.runs.end[r]],
                    self.runs.weight[r],
                );
            }
        } else {
            let (targets, weights) = self.outgoing(j);
            for (t, &w) in targets.chunks(1).zip(weights) {
                f(t, w);
            }
        }
    }

    /// As [`StaticSynapses::for_each_run`], but only the synapses onto neurons in `onto`, in
    /// the same order: the part of neuron `j`'s delivery that one thread of a parallel
    /// simulation does when it owns the postsynaptic neurons `onto`. Every target thus receives
    /// its inputs in the serial order. A binary search per run when the runs are sorted, else
    /// one synapse at a time.
    #[inline]
    pub fn for_each_run_onto(
        &self,
        j: usize,
        onto: std::ops::Range<u32>,
        mut f: impl FnMut(&[u32], f64),
    ) {
        if self.runs.sorted && self.runs.offsets.len() == self.n_neurons() + 1 {
            for r in self.runs.offsets[j]..self.runs.offsets[j + 1] {
                let run = &self.targets[self.runs.start[r]..self.runs.end[r]];
                let lo = run.partition_point(|&t| t < onto.start);
                let hi = lo + run[lo..].partition_point(|&t| t < onto.end);
                if lo < hi {
                    f(&run[lo..hi], self.runs.weight[r]);
                }
            }
        } else {
            self.for_each_run(j, |targets, w| {
                for t in targets.chunks(1) {
                    if onto.contains(&t[0]) {
                        f(t, w);
                    }
                }
            });
        }
    }

    /// The tutorial's Part 3 rule (`rls-training.md` §3.2): every neuron projects to exactly
    /// `out_degree` targets drawn uniformly without replacement from all other neurons, sorted;
    /// the weight depends on the (pre, post) population pair: `weight[pre][post]`.
    /// `population_of[i]` is neuron `i`'s population.
    pub fn fixed_out_degree(
        population_of: &[usize],
        out_degree: usize,
        weight: &[Vec<f64>],
        rng: &mut Rng,
    ) -> Self {
        let n = population_of.len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(n * out_degree);
        let mut weights = Vec::with_capacity(n * out_degree);
        offsets.push(0);
        for j in 0..n {
            // Draw from the n − 1 others: index k maps to k (k < j) or k + 1 (k ≥ j).
            let mut chosen: Vec<u32> = sample(rng, n - 1, out_degree)
                .into_iter()
                .map(|k| if k >= j { k as u32 + 1 } else { k as u32 })
                .collect();
            chosen.sort_unstable();
            let pre = population_of[j];
            for &t in &chosen {
                weights.push(weight[pre][population_of[t as usize]]);
            }
            targets.extend_from_slice(&chosen);
            offsets.push(targets.len());
        }
        Self::new(offsets, targets, weights)
    }

    /// Brunel's rule: every neuron of population `post` receives exactly `in_degree` inputs from
    /// population `pre`, drawn without replacement (excluding itself), for each projection.
    pub fn fixed_in_degree(
        ranges: &[std::ops::Range<usize>],
        projections: &[Projection],
        rng: &mut Rng,
    ) -> Self {
        let n = ranges.last().map_or(0, |r| r.end);
        // Collect (pre, post, weight) triples grouped by presynaptic neuron via counting sort.
        let mut pre_of = Vec::new();
        let mut post_of = Vec::new();
        let mut w_of = Vec::new();
        for proj in projections {
            let pre_range = ranges[proj.pre].clone();
            for i in ranges[proj.post].clone() {
                let self_in_pre = pre_range.contains(&i);
                let pool = pre_range.len() - usize::from(self_in_pre);
                for k in sample(rng, pool, proj.in_degree) {
                    let mut j = pre_range.start + k;
                    if self_in_pre && j >= i {
                        j += 1;
                    }
                    pre_of.push(j as u32);
                    post_of.push(i as u32);
                    w_of.push(proj.weight);
                }
            }
        }
        let mut counts = vec![0usize; n + 1];
        for &j in &pre_of {
            counts[j as usize + 1] += 1;
        }
        for j in 0..n {
            counts[j + 1] += counts[j];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let mut targets = vec![0u32; pre_of.len()];
        let mut weights = vec![0.0; pre_of.len()];
        for s in 0..pre_of.len() {
            let j = pre_of[s] as usize;
            targets[fill[j]] = post_of[s];
            weights[fill[j]] = w_of[s];
            fill[j] += 1;
        }
        // Sort each neuron's targets for cache-friendly delivery.
        for j in 0..n {
            let r = offsets[j]..offsets[j + 1];
            let mut pairs: Vec<(u32, f64)> = targets[r.clone()]
                .iter()
                .copied()
                .zip(weights[r.clone()].iter().copied())
                .collect();
            pairs.sort_unstable_by_key(|p| p.0);
            for (k, (t, w)) in pairs.into_iter().enumerate() {
                targets[r.start + k] = t;
                weights[r.start + k] = w;
            }
        }
        Self::new(offsets, targets, weights)
    }

    /// The Erdős–Rényi rule of Akil et al. (`plasticity.md` §1.1): for each projection, every
    /// (pre, post) pair of its populations is connected independently with its `probability`
    /// (self-connections included). Presynaptic neurons come from `pre_ranges`, postsynaptic
    /// ones from `post_ranges` (the same list for recurrent synapses; an external layer has its
    /// own). Pairs are visited by geometric skips, so the cost is proportional to the number of
    /// synapses, not of pairs.
    pub fn bernoulli(
        pre_ranges: &[std::ops::Range<usize>],
        post_ranges: &[std::ops::Range<usize>],
        projections: &[ProbabilityProjection],
        rng: &mut Rng,
    ) -> Self {
        let n_pre = pre_ranges.last().map_or(0, |r| r.end);
        let mut offsets = Vec::with_capacity(n_pre + 1);
        let (mut targets, mut weights) = (Vec::new(), Vec::new());
        offsets.push(0);
        for (pop, range) in pre_ranges.iter().enumerate() {
            for _ in range.clone() {
                for proj in projections.iter().filter(|p| p.pre == pop) {
                    let post = post_ranges[proj.post].clone();
                    for t in bernoulli_targets(post, proj.probability, rng) {
                        targets.push(t as u32);
                        weights.push(proj.weight);
                    }
                }
                offsets.push(targets.len());
            }
        }
        Self::new(offsets, targets, weights)
    }

    /// All-to-all without self-connections, weights `N(0, std²)` (the tutorial's Part 2).
    pub fn gaussian_all_to_all(n: usize, std: f64, rng: &mut Rng) -> Self {
        let mut offsets = vec![0];
        let mut targets = Vec::with_capacity(n * n.saturating_sub(1));
        let mut weights = Vec::with_capacity(n * n.saturating_sub(1));
        for j in 0..n {
            for i in 0..n {
                if i != j {
                    targets.push(i as u32);
                    weights.push(std * rng.sample::<f64, _>(StandardNormal));
                }
            }
            offsets.push(targets.len());
        }
        Self::new(offsets, targets, weights)
    }

    /// In-degree of every neuron.
    pub fn in_degrees(&self) -> Vec<usize> {
        let mut d = vec![0; self.n_neurons()];
        for &t in &self.targets {
            d[t as usize] += 1;
        }
        d
    }
}

/// The members of `range` kept by independent coin flips of probability `p`, found by geometric
/// skips: the gap to the next kept member is `⌊ln U / ln(1 − p)⌋`, `U ~ U(0, 1]`.
fn bernoulli_targets(range: std::ops::Range<usize>, p: f64, rng: &mut Rng) -> Vec<usize> {
    if p >= 1.0 {
        return range.collect();
    }
    let mut kept = Vec::new();
    if p <= 0.0 {
        return kept;
    }
    let log_q = (-p).ln_1p();
    let mut next = range.start as f64;
    loop {
        let u = 1.0 - rng.random::<f64>();
        next += (u.ln() / log_q).floor();
        if next >= range.end as f64 {
            return kept;
        }
        kept.push(next as usize);
        next += 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Erdős–Rényi: the number of synapses of each projection is Binomial(pairs, p) (within
    /// 5 SD of its mean), targets stay inside the projection's post population, no pair twice,
    /// and p = 0 / p = 1 give none / all.
    #[test]
    fn bernoulli_connects_each_pair_with_its_probability() {
        let ranges = vec![0..400, 400..500];
        let projections = vec![
            ProbabilityProjection {
                pre: 0,
                post: 0,
                weight: 0.5,
                probability: 0.1,
            },
            ProbabilityProjection {
                pre: 0,
                post: 1,
                weight: 0.7,
                probability: 1.0,
            },
            ProbabilityProjection {
                pre: 1,
                post: 0,
                weight: -1.0,
                probability: 0.3,
            },
            ProbabilityProjection {
                pre: 1,
                post: 1,
                weight: -2.0,
                probability: 0.0,
            },
        ];
        let syn = StaticSynapses::bernoulli(
            &ranges,
            &ranges,
            &projections,
            &mut crate::rng::stream(3, "t"),
        );
        let count = |pre: std::ops::Range<usize>, w: f64| -> usize {
            pre.map(|j| syn.outgoing(j).1.iter().filter(|&&x| x == w).count())
                .sum()
        };
        for (pre, w, pairs, p) in [
            (0..400, 0.5, 400.0 * 400.0, 0.1f64),
            (100..100, 0.0, 0.0, 0.0),
            (400..500, -1.0, 100.0 * 400.0, 0.3),
        ] {
            let (mean, sd) = (pairs * p, (pairs * p * (1.0 - p)).sqrt());
            let k = count(pre, w) as f64;
            assert!(
                (k - mean).abs() <= 5.0 * sd + 1e-9,
                "{k} synapses, expected {mean} ± {sd}"
            );
        }
        assert_eq!(count(0..400, 0.7), 400 * 100);
        assert_eq!(count(400..500, -2.0), 0);
        for j in 0..500 {
            let (targets, weights) = syn.outgoing(j);
            let mut sorted = targets.to_vec();
            sorted.dedup();
            assert_eq!(sorted.len(), targets.len(), "a pair connected twice");
            for (&t, &w) in targets.iter().zip(weights) {
                let post_e = (t as usize) < 400;
                assert!(if w == 0.5 || w == -1.0 {
                    post_e
                } else {
                    !post_e
                });
            }
        }
    }

    fn pairs_by_runs(syn: &StaticSynapses, j: usize) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        syn.for_each_run(j, |targets, w| out.extend(targets.iter().map(|&t| (t, w))));
        out
    }

    /// Delivery by runs visits exactly the synapses, in order, with their weights: with one run
    /// per (pre, post) pair in the tutorial's rule, and synapse by synapse for random weights.
    #[test]
    fn runs_cover_every_synapse_in_order() {
        let population_of: Vec<usize> = (0..60).map(|i| usize::from(i >= 40)).collect();
        let weight = vec![vec![0.1, 0.9], vec![-0.7, -0.9]];
        let mut rng = crate::rng::stream(5, "test");
        let tutorial = StaticSynapses::fixed_out_degree(&population_of, 12, &weight, &mut rng);
        assert_eq!(tutorial.runs.offsets.len(), 61, "runs were built");
        assert!(
            tutorial.runs.start.len() <= 2 * 60,
            "at most one run per post population"
        );
        let random = StaticSynapses::gaussian_all_to_all(20, 1.0, &mut rng);
        assert!(
            random.runs.offsets.is_empty(),
            "random weights do not form runs"
        );
        for syn in [&tutorial, &random] {
            for j in 0..syn.n_neurons() {
                let (t, w) = syn.outgoing(j);
                let direct: Vec<(u32, f64)> = t.iter().copied().zip(w.iter().copied()).collect();
                assert_eq!(pairs_by_runs(syn, j), direct, "neuron {j}");
            }
        }
    }

    /// Delivery onto a range of neurons visits exactly the synapses onto that range, in
    /// synapse order, with their weights: by binary search in sorted runs (the tutorial's rule),
    /// synapse by synapse in unsorted runs and without runs; for ranges that cut runs anywhere.
    #[test]
    fn delivery_onto_a_range_keeps_the_synapses_onto_it_in_order() {
        let population_of: Vec<usize> = (0..60).map(|i| usize::from(i >= 40)).collect();
        let weight = vec![vec![0.1, 0.9], vec![-0.7, -0.9]];
        let mut rng = crate::rng::stream(6, "test");
        let tutorial = StaticSynapses::fixed_out_degree(&population_of, 12, &weight, &mut rng);
        assert!(tutorial.runs.sorted);
        let random = StaticSynapses::gaussian_all_to_all(60, 1.0, &mut rng);
        // One neuron's run of equal weights in descending target order (a multapse included).
        let unsorted = StaticSynapses::new(vec![0, 5], vec![4, 3, 3, 1, 0], vec![0.5; 5]);
        assert!(!unsorted.runs.sorted && unsorted.runs.offsets.len() == 2);
        for syn in [&tutorial, &random, &unsorted] {
            let n = syn.n_neurons() as u32;
            for j in 0..syn.n_neurons() {
                let (t, w) = syn.outgoing(j);
                for cut in [0..n, 0..1, 1..3, 3..n, 17..41, 40..60, 59..60, 5..5] {
                    let mut onto = Vec::new();
                    syn.for_each_run_onto(j, cut.clone(), |targets, w| {
                        onto.extend(targets.iter().map(|&t| (t, w)));
                    });
                    let direct: Vec<(u32, f64)> = t
                        .iter()
                        .copied()
                        .zip(w.iter().copied())
                        .filter(|(t, _)| cut.contains(t))
                        .collect();
                    assert_eq!(onto, direct, "neuron {j}, targets {cut:?}");
                }
            }
        }
    }

    #[test]
    fn fixed_out_degree_has_exact_degree_no_self_and_sorted_targets() {
        let pops: Vec<usize> = (0..200).map(|i| usize::from(i >= 100)).collect();
        let w = vec![vec![0.1, 0.2], vec![-0.3, -0.4]];
        let s = StaticSynapses::fixed_out_degree(&pops, 40, &w, &mut crate::rng::stream(1, "t"));
        for j in 0..200 {
            let (t, ws) = s.outgoing(j);
            assert_eq!(t.len(), 40);
            assert!(t.windows(2).all(|p| p[0] < p[1]));
            assert!(!t.contains(&(j as u32)));
            for (&ti, &wi) in t.iter().zip(ws) {
                assert_eq!(wi, w[pops[j]][pops[ti as usize]]);
            }
        }
        // Mean in-degree equals the out-degree.
        let d = s.in_degrees();
        assert_eq!(d.iter().sum::<usize>(), 200 * 40);
    }

    #[test]
    fn fixed_in_degree_gives_every_neuron_its_inputs() {
        let ranges = vec![0..80, 80..100];
        let projections = vec![
            Projection {
                pre: 0,
                post: 0,
                weight: 0.1,
                in_degree: 8,
            },
            Projection {
                pre: 0,
                post: 1,
                weight: 0.1,
                in_degree: 8,
            },
            Projection {
                pre: 1,
                post: 0,
                weight: -0.5,
                in_degree: 2,
            },
            Projection {
                pre: 1,
                post: 1,
                weight: -0.5,
                in_degree: 2,
            },
        ];
        let s =
            StaticSynapses::fixed_in_degree(&ranges, &projections, &mut crate::rng::stream(2, "t"));
        let mut from_e = vec![0; 100];
        let mut from_i = vec![0; 100];
        for j in 0..100 {
            let (t, _) = s.outgoing(j);
            assert!(!t.contains(&(j as u32)));
            for &i in t {
                if j < 80 {
                    from_e[i as usize] += 1;
                } else {
                    from_i[i as usize] += 1;
                }
            }
        }
        assert!(from_e.iter().all(|&c| c == 8));
        assert!(from_i.iter().all(|&c| c == 2));
    }
}
