//! Plastic synapses onto trained neurons, and the RLS state that trains them.
//!
//! Each trained neuron owns a [`PlasticRow`]: its recurrent plastic inputs (E partners first,
//! then I partners), one feed-forward weight vector per condition, and one RLS unit over
//! `[recurrent; feed-forward]` shared by all conditions (as in the reference). The recurrent
//! weights of all rows live in one array, row after row ([`PlasticSynapses::row_weights`]).
//! Spikes are delivered through an outgoing index (presynaptic neuron → (postsynaptic neuron,
//! position in that array)) that reads the current weights with one memory access each, so no
//! second weight table has to be kept in sync after learning.

use rand::seq::index::sample;
use rand::Rng as _;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use crate::rng::Rng;
use crate::train::{Penalty, RlsOptions, RlsUnit};

/// The plastic inputs of one trained neuron.
#[derive(Debug, Clone, PartialEq)]
pub struct PlasticRow {
    /// The trained (postsynaptic) neuron.
    pub neuron: usize,
    /// Recurrent presynaptic neurons: the first `n_exc` are excitatory, the rest inhibitory.
    pub inputs: Vec<u32>,
    /// Number of excitatory recurrent inputs.
    pub n_exc: usize,
    /// Feed-forward weights, one vector per condition. Delivery reads them from the by-unit
    /// mirror of [`PlasticSynapses`]: code that changes them calls
    /// [`PlasticSynapses::sync_feedforward`] (RLS and checkpoint restore do).
    pub feedforward: Vec<Vec<f64>>,
    /// RLS state over `[recurrent; feed-forward]`.
    pub rls: RlsUnit,
}

/// How plastic inputs are penalised (the penalty matrix `Π`, `P(0) = Π⁻¹`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PenaltyWeights {
    /// Ridge λ on each recurrent weight.
    pub lambda: f64,
    /// μ on the sum of the excitatory and on the sum of the inhibitory recurrent weights.
    pub mu: f64,
    /// Ridge on each feed-forward weight.
    pub lambda_ff: f64,
}

/// All plastic synapses of a network.
#[derive(Debug, Clone, PartialEq)]
pub struct PlasticSynapses {
    /// One row per trained neuron.
    pub rows: Vec<PlasticRow>,
    /// Number of feed-forward units.
    pub n_feedforward: usize,
    /// Recurrent plastic weights of every row, row after row, each aligned with its `inputs`.
    weights: Vec<f64>,
    /// Row `r`'s weights are `weights[row_start[r]..row_start[r + 1]]`.
    row_start: Vec<usize>,
    out_offsets: Vec<usize>,
    /// Per outgoing synapse: the postsynaptic (trained) neuron.
    out_neuron: Vec<u32>,
    /// Per outgoing synapse: its position in `weights`.
    out_weight: Vec<u32>,
    /// The trained neuron of each row, contiguous.
    row_neurons: Vec<u32>,
    /// Per condition, the feed-forward weights by unit: `[k · rows + r]` is row `r`'s weight
    /// from unit `k`. A mirror of the rows' own vectors (which RLS updates), kept so that one
    /// feed-forward spike reads one contiguous slice; refreshed by
    /// [`PlasticSynapses::sync_feedforward`].
    ff_by_unit: Vec<Vec<f64>>,
}

/// The start of [`PlasticSynapses`]'s weight array, shared by the parallel row updates of
/// [`PlasticSynapses::par_for_each_row_mut`], which each take their own disjoint range.
struct RowWeights(*mut f64);

// SAFETY: the pointer is only used for the disjoint row ranges described at its one use.
unsafe impl Send for RowWeights {}
// SAFETY: as above.
unsafe impl Sync for RowWeights {}

impl RowWeights {
    /// The address of element `k` (in bounds: see the caller).
    fn at(&self, k: usize) -> *mut f64 {
        self.0.wrapping_add(k)
    }
}

impl PlasticSynapses {
    /// No plastic synapses among `n` neurons.
    pub fn none(n: usize) -> Self {
        Self::from_rows(n, Vec::new(), Vec::new(), 0)
    }

    /// Builds the outgoing index from rows and their recurrent weights (row after row, each
    /// aligned with the row's `inputs`).
    ///
    /// # Panics
    /// If `weights` does not hold one value per recurrent input, or there are 2³² or more.
    pub fn from_rows(
        n: usize,
        rows: Vec<PlasticRow>,
        weights: Vec<f64>,
        n_feedforward: usize,
    ) -> Self {
        let mut row_start = Vec::with_capacity(rows.len() + 1);
        row_start.push(0);
        for row in &rows {
            row_start.push(row_start.last().copied().unwrap_or(0) + row.inputs.len());
        }
        assert_eq!(
            row_start.last().copied(),
            Some(weights.len()),
            "one weight per input"
        );
        assert!(
            u32::try_from(weights.len()).is_ok(),
            "fewer than 2^32 plastic synapses"
        );
        let mut counts = vec![0usize; n + 1];
        for row in &rows {
            for &j in &row.inputs {
                counts[j as usize + 1] += 1;
            }
        }
        for j in 0..n {
            counts[j + 1] += counts[j];
        }
        let total = counts[n];
        let mut fill = counts.clone();
        let mut out_neuron = vec![0u32; total];
        let mut out_weight = vec![0u32; total];
        for (r, row) in rows.iter().enumerate() {
            for (slot, &j) in row.inputs.iter().enumerate() {
                let k = fill[j as usize];
                out_neuron[k] = row.neuron as u32;
                out_weight[k] = (row_start[r] + slot) as u32;
                fill[j as usize] += 1;
            }
        }
        let conditions = rows.first().map_or(0, |r| r.feedforward.len());
        let mut synapses = Self {
            row_neurons: rows.iter().map(|r| r.neuron as u32).collect(),
            ff_by_unit: vec![vec![0.0; n_feedforward * rows.len()]; conditions],
            rows,
            n_feedforward,
            weights,
            row_start,
            out_offsets: counts,
            out_neuron,
            out_weight,
        };
        synapses.sync_all_feedforward();
        synapses
    }

    /// Copies the rows' feed-forward weights of `condition` into the by-unit mirror used for
    /// delivery. Call after the weights change.
    pub fn sync_feedforward(&mut self, condition: usize) {
        let n_rows = self.rows.len();
        let Some(mirror) = self.ff_by_unit.get_mut(condition) else {
            return;
        };
        for (r, row) in self.rows.iter().enumerate() {
            for (k, &w) in row.feedforward[condition].iter().enumerate() {
                mirror[k * n_rows + r] = w;
            }
        }
    }

    /// [`PlasticSynapses::sync_feedforward`] for every condition.
    pub fn sync_all_feedforward(&mut self) {
        for c in 0..self.ff_by_unit.len() {
            self.sync_feedforward(c);
        }
    }

    /// The trained neurons (one per row) and their weights from feed-forward unit `k` in
    /// `condition`; empty when there are no rows.
    #[inline]
    pub fn feedforward_targets(&self, condition: usize, k: usize) -> (&[u32], &[f64]) {
        let n_rows = self.rows.len();
        match self.ff_by_unit.get(condition) {
            Some(mirror) if n_rows > 0 => {
                (&self.row_neurons, &mirror[k * n_rows..(k + 1) * n_rows])
            }
            // No trained rows yet (the settle trial before matching): nobody receives.
            _ => (&[], &[]),
        }
    }

    /// The plastic synapses leaving neuron `j`: (postsynaptic neurons, positions in
    /// [`PlasticSynapses::weights`]).
    #[inline]
    pub fn outgoing(&self, j: usize) -> (&[u32], &[u32]) {
        let r = self.out_offsets[j]..self.out_offsets[j + 1];
        (&self.out_neuron[r.clone()], &self.out_weight[r])
    }

    /// The recurrent weights of every row, row after row.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// [`PlasticSynapses::weights`], writable (a checkpoint being restored).
    pub fn weights_mut(&mut self) -> &mut [f64] {
        &mut self.weights
    }

    /// Row `r`'s recurrent weights, aligned with its `inputs`.
    pub fn row_weights(&self, r: usize) -> &[f64] {
        &self.weights[self.row_start[r]..self.row_start[r + 1]]
    }

    /// Calls `f(r, row, weights)` for every row `r` with its recurrent weights, rows in parallel
    /// (how RLS updates them), without allocating.
    pub fn par_for_each_row_mut<F>(&mut self, f: F)
    where
        F: Fn(usize, &mut PlasticRow, &mut [f64]) + Sync + Send,
    {
        let weights = RowWeights(self.weights.as_mut_ptr());
        let row_start = &self.row_start;
        self.rows.par_iter_mut().enumerate().for_each(|(r, row)| {
            let (start, end) = (row_start[r], row_start[r + 1]);
            // SAFETY: `row_start` is increasing and ends at `weights.len()` (checked in
            // `from_rows`), so each row's range lies inside the array and the ranges are
            // disjoint; `enumerate` hands out each `r` once; `self.weights` stays mutably
            // borrowed by this call, so nothing else can reach it meanwhile.
            let w = unsafe { std::slice::from_raw_parts_mut(weights.at(start), end - start) };
            f(r, row, w);
        });
    }

    /// Whether there are no plastic synapses.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Number of plastic inputs (recurrent + feed-forward) of each row.
    pub fn inputs_per_row(&self) -> Vec<usize> {
        self.rows
            .iter()
            .map(|r| r.inputs.len() + self.n_feedforward)
            .collect()
    }

    /// Sum of each row's excitatory and inhibitory recurrent weights.
    pub fn row_sums(&self) -> Vec<(f64, f64)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let w = self.row_weights(k);
                let e: f64 = w[..r.n_exc].iter().sum();
                let i: f64 = w[r.n_exc..].iter().sum();
                (e, i)
            })
            .collect()
    }
}

/// The initial `P` of a row with `n_exc` E inputs, `n_inh` I inputs and `n_ff` feed-forward
/// inputs. Rows of equal shape share one inversion.
fn initial_p(n_exc: usize, n_inh: usize, n_ff: usize, pen: PenaltyWeights) -> Vec<f64> {
    let n_rec = n_exc + n_inh;
    let mut penalty = Penalty::ridge(n_rec + n_ff, pen.lambda);
    penalty.set_ridge(n_rec..n_rec + n_ff, pen.lambda_ff);
    penalty.add_group_sum(0..n_exc, pen.mu);
    penalty.add_group_sum(n_exc..n_rec, pen.mu);
    penalty
        .inverse()
        .expect("validated penalties are positive definite")
}

/// Rows built from (neuron, inputs, n_exc, weights), with RLS units from `pen`, and their
/// weights row after row.
fn rows_with_rls(
    specs: Vec<(usize, Vec<u32>, usize, Vec<f64>)>,
    n_ff: usize,
    conditions: usize,
    pen: PenaltyWeights,
    options: RlsOptions,
) -> (Vec<PlasticRow>, Vec<f64>) {
    let mut cache: Vec<((usize, usize), Vec<f64>)> = Vec::new();
    let mut all_weights = Vec::with_capacity(specs.iter().map(|s| s.3.len()).sum());
    let rows = specs
        .into_iter()
        .map(|(neuron, inputs, n_exc, weights)| {
            all_weights.extend_from_slice(&weights);
            let shape = (n_exc, inputs.len() - n_exc);
            let p0 = match cache.iter().find(|(s, _)| *s == shape) {
                Some((_, p)) => p.clone(),
                None => {
                    let p = initial_p(shape.0, shape.1, n_ff, pen);
                    cache.push((shape, p.clone()));
                    p
                }
            };
            let n = inputs.len() + n_ff;
            PlasticRow {
                neuron,
                n_exc,
                feedforward: vec![vec![0.0; n_ff]; conditions],
                rls: RlsUnit::with_options(n, &p0, options),
                inputs,
            }
        })
        .collect();
    (rows, all_weights)
}

impl PlasticSynapses {
    /// The tutorial's Part 2: every trained neuron receives plastic synapses from all other
    /// neurons, with initial weights `N(0, std²)`. Inputs are not split by sign (`n_exc` counts
    /// them all), so a `mu` penalty applies to the sum of all of them. `n_ff` feed-forward inputs
    /// per condition start at 0, as in [`PlasticSynapses::sampled`].
    pub fn all_to_all(
        n: usize,
        trained: &[usize],
        std: f64,
        (n_ff, conditions): (usize, usize),
        pen: PenaltyWeights,
        options: RlsOptions,
        rng: &mut Rng,
    ) -> Self {
        let specs = trained
            .iter()
            .map(|&i| {
                let inputs: Vec<u32> = (0..n as u32).filter(|&j| j as usize != i).collect();
                let weights = inputs
                    .iter()
                    .map(|_| std * rng.sample::<f64, _>(StandardNormal))
                    .collect();
                let k = inputs.len();
                (i, inputs, k, weights)
            })
            .collect();
        let (rows, weights) = rows_with_rls(specs, n_ff, conditions, pen, options);
        Self::from_rows(n, rows, weights, n_ff)
    }

    /// The tutorial's Part 3 (`rls-training.md` §3.6): each trained neuron `i` gets `n_exc`
    /// E partners drawn without replacement from `exc_pool` minus `i`, and `n_inh` I partners
    /// from `inh_pool`, each sorted; initial weights `w_exc` and `w_inh`; `n_ff` feed-forward
    /// inputs per condition starting at 0.
    #[allow(clippy::too_many_arguments)]
    pub fn sampled(
        n: usize,
        trained: &[usize],
        exc_pool: &[usize],
        inh_pool: &[usize],
        (n_exc, n_inh): (usize, usize),
        (w_exc, w_inh): (f64, f64),
        (n_ff, conditions): (usize, usize),
        pen: PenaltyWeights,
        options: RlsOptions,
        rng: &mut Rng,
    ) -> Self {
        let mut pool_position = vec![None; n];
        for (p, &j) in exc_pool.iter().enumerate() {
            pool_position[j] = Some(p);
        }
        let specs = trained
            .iter()
            .map(|&i| {
                // Sample from the pool without neuron i (no self-connection): index k of the
                // shortened pool is pool index k, or k + 1 past i's own position.
                let own = pool_position[i];
                let len = exc_pool.len() - usize::from(own.is_some());
                let mut exc: Vec<u32> = sample(rng, len, n_exc)
                    .into_iter()
                    .map(|k| match own {
                        Some(p) if k >= p => exc_pool[k + 1] as u32,
                        _ => exc_pool[k] as u32,
                    })
                    .collect();
                exc.sort_unstable();
                let mut inh: Vec<u32> = sample(rng, inh_pool.len(), n_inh)
                    .into_iter()
                    .map(|k| inh_pool[k] as u32)
                    .collect();
                inh.sort_unstable();
                let mut weights = vec![w_exc; n_exc];
                weights.extend(std::iter::repeat_n(w_inh, n_inh));
                exc.extend(inh);
                (i, exc, n_exc, weights)
            })
            .collect();
        let (rows, weights) = rows_with_rls(specs, n_ff, conditions, pen, options);
        Self::from_rows(n, rows, weights, n_ff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampled_rows_follow_the_reference_layout() {
        let trained: Vec<usize> = (0..50).collect();
        let inh: Vec<usize> = (100..200).collect();
        let pen = PenaltyWeights {
            lambda: 0.04,
            mu: 8.0,
            lambda_ff: 1.0,
        };
        let p = PlasticSynapses::sampled(
            200,
            &trained,
            &trained,
            &inh,
            (20, 20),
            (0.596285, -0.322988),
            (30, 2),
            pen,
            RlsOptions::default(),
            &mut crate::rng::stream(1, "p"),
        );
        for row in &p.rows {
            assert_eq!(row.inputs.len(), 40);
            assert!(!row.inputs.contains(&(row.neuron as u32)));
            assert!(row.inputs[..20].iter().all(|&j| (j as usize) < 50));
            assert!(row.inputs[20..]
                .iter()
                .all(|&j| (100..200).contains(&(j as usize))));
            assert!(row.inputs[..20].windows(2).all(|w| w[0] < w[1]));
            assert_eq!(row.feedforward.len(), 2);
            assert_eq!(row.rls.len(), 70);
        }
        let (e, i) = p.row_sums()[0];
        assert!((e - 11.9257).abs() < 1e-3 && (i + 6.45976).abs() < 1e-3);
        // The outgoing index finds every synapse exactly once, with its weight.
        let mut seen = 0;
        for j in 0..200 {
            let (neurons, positions) = p.outgoing(j);
            for (&i, &k) in neurons.iter().zip(positions) {
                let r = p.rows.iter().position(|r| r.neuron == i as usize).unwrap();
                let slot = k as usize - r * 40;
                assert_eq!(p.rows[r].inputs[slot] as usize, j);
                assert_eq!(p.weights()[k as usize], p.row_weights(r)[slot]);
                seen += 1;
            }
        }
        assert_eq!(seen, 50 * 40);
    }
}
