//! Plastic synapses onto trained neurons, and the RLS state that trains them.
//!
//! Each trained neuron owns a [`PlasticRow`]: its recurrent plastic inputs (E partners first,
//! then I partners), their weights, one feed-forward weight vector per condition, and one RLS
//! unit over `[recurrent; feed-forward]` shared by all conditions (as in the reference).
//! Spikes are delivered through an outgoing index (presynaptic neuron → (row, slot)) that reads
//! the current weights, so no second weight table has to be kept in sync after learning.

use rand::seq::index::sample;
use rand::Rng as _;
use rand_distr::StandardNormal;

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
    /// Recurrent plastic weights, aligned with `inputs`.
    pub weights: Vec<f64>,
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
    out_offsets: Vec<usize>,
    out_row: Vec<u32>,
    out_slot: Vec<u32>,
    /// The trained neuron of each row, contiguous.
    row_neurons: Vec<u32>,
    /// Per condition, the feed-forward weights by unit: `[k · rows + r]` is row `r`'s weight
    /// from unit `k`. A mirror of the rows' own vectors (which RLS updates), kept so that one
    /// feed-forward spike reads one contiguous slice; refreshed by
    /// [`PlasticSynapses::sync_feedforward`].
    ff_by_unit: Vec<Vec<f64>>,
}

impl PlasticSynapses {
    /// No plastic synapses among `n` neurons.
    pub fn none(n: usize) -> Self {
        Self::from_rows(n, Vec::new(), 0)
    }

    /// Builds the outgoing index from rows.
    pub fn from_rows(n: usize, rows: Vec<PlasticRow>, n_feedforward: usize) -> Self {
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
        let mut out_row = vec![0u32; total];
        let mut out_slot = vec![0u32; total];
        for (r, row) in rows.iter().enumerate() {
            for (slot, &j) in row.inputs.iter().enumerate() {
                let k = fill[j as usize];
                out_row[k] = r as u32;
                out_slot[k] = slot as u32;
                fill[j as usize] += 1;
            }
        }
        let conditions = rows.first().map_or(0, |r| r.feedforward.len());
        let mut synapses = Self {
            row_neurons: rows.iter().map(|r| r.neuron as u32).collect(),
            ff_by_unit: vec![vec![0.0; n_feedforward * rows.len()]; conditions],
            rows,
            n_feedforward,
            out_offsets: counts,
            out_row,
            out_slot,
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

    /// The plastic synapses leaving neuron `j`: (row indices, slots).
    #[inline]
    pub fn outgoing(&self, j: usize) -> (&[u32], &[u32]) {
        let r = self.out_offsets[j]..self.out_offsets[j + 1];
        (&self.out_row[r.clone()], &self.out_slot[r])
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
            .map(|r| {
                let e: f64 = r.weights[..r.n_exc].iter().sum();
                let i: f64 = r.weights[r.n_exc..].iter().sum();
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

/// Rows built from (neuron, inputs, n_exc, weights), with RLS units from `pen`.
fn rows_with_rls(
    specs: Vec<(usize, Vec<u32>, usize, Vec<f64>)>,
    n_ff: usize,
    conditions: usize,
    pen: PenaltyWeights,
    options: RlsOptions,
) -> Vec<PlasticRow> {
    let mut cache: Vec<((usize, usize), Vec<f64>)> = Vec::new();
    specs
        .into_iter()
        .map(|(neuron, inputs, n_exc, weights)| {
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
                weights,
                feedforward: vec![vec![0.0; n_ff]; conditions],
                rls: RlsUnit::with_options(n, &p0, options),
                inputs,
            }
        })
        .collect()
}

impl PlasticSynapses {
    /// The tutorial's Part 2: every trained neuron receives plastic synapses from all other
    /// neurons, with initial weights `N(0, std²)`. Inputs are not split by sign (`n_exc` counts
    /// them all), so a `mu` penalty applies to the sum of all of them.
    pub fn all_to_all(
        n: usize,
        trained: &[usize],
        std: f64,
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
        Self::from_rows(n, rows_with_rls(specs, 0, 1, pen, options), 0)
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
        let specs = trained
            .iter()
            .map(|&i| {
                let pool: Vec<usize> = exc_pool.iter().copied().filter(|&j| j != i).collect();
                let mut exc: Vec<u32> = sample(rng, pool.len(), n_exc)
                    .into_iter()
                    .map(|k| pool[k] as u32)
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
        Self::from_rows(
            n,
            rows_with_rls(specs, n_ff, conditions, pen, options),
            n_ff,
        )
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
        // The outgoing index finds every synapse exactly once.
        let mut seen = 0;
        for j in 0..200 {
            let (rows, slots) = p.outgoing(j);
            for (&r, &s) in rows.iter().zip(slots) {
                assert_eq!(p.rows[r as usize].inputs[s as usize] as usize, j);
                seen += 1;
            }
        }
        assert_eq!(seen, 50 * 40);
    }
}
