//! The latent feedback as low-rank weights on the existing excitatory synapses, under Dale's law
//! (`../shared/spec/latent.md` §2, option (a); a reconstruction after Gort & Renart):
//!
//! ```text
//! J^LR_ij = 1000 · m_i·n_j / (p_a N_E)   for every synapse j ∈ E → i
//! sign bound:       J_ij ← max(J⁰_ij + J^LR_ij, 0)                 (no weight changes sign)
//! magnitude bound:  J_ij ← J⁰_ij + clamp(J^LR_ij, −J⁰_ij, J⁰_ij)    (|J^LR| ≤ J⁰, spec §2 (a))
//! ```
//!
//! with `p_a` the density of the E → a synapses (`a` the population of `i`: synapses /
//! (N_E N_a)). Summed over the ~`p_a N_E` inputs of neuron `i`, with a unit-area synaptic trace
//! (spikes per ms, hence the 1000), this is the current form's `m_i·κ̂`,
//! `κ̂ = (1/N_E) Σ_j n_j s̃_j` in Hz; but it is filtered by the E synapse's time constant instead
//! of τ_s, and only where a synapse exists. A term beyond the bound is clipped and counted. The
//! magnitude bound also clips large positive terms, so every weight stays within [0, 2J⁰].

use crate::network::StaticSynapses;

/// How the low-rank term is bounded on each synapse (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightBound {
    /// `J⁰ + J^LR ≥ 0`: only the sign is kept.
    #[default]
    Sign,
    /// `|J^LR| ≤ J⁰` (the spec's Cimeša-style bound).
    Magnitude,
}

impl WeightBound {
    /// `J⁰ + J^LR` within the bound, and whether it was clipped.
    pub fn apply(self, j0: f64, low_rank: f64) -> (f64, bool) {
        match self {
            WeightBound::Sign => {
                let w = j0 + low_rank;
                (w.max(0.0), w < 0.0)
            }
            WeightBound::Magnitude => {
                let bound = j0.abs();
                (j0 + low_rank.clamp(-bound, bound), low_rank.abs() > bound)
            }
        }
    }
}

/// How many E synapses carry the low-rank term, and how many of them were clipped at 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LowRankWeights {
    /// Synapses from excitatory (readout) neurons.
    pub synapses: usize,
    /// Of those, synapses whose term was clipped by the bound.
    pub clipped: usize,
}

/// Adds the low-rank term to `synapses` (module documentation): `m[i·D + d]` of every neuron,
/// `n[k·D + d]` of the `k`-th readout neuron `readout[k]` (the excitatory neurons),
/// `population_of[i]` the population of neuron `i`, within `bound`. Rebuilds the synapses
/// (their runs of equal weights no longer hold).
pub fn add_low_rank_weights(
    synapses: &mut StaticSynapses,
    (m, n, dims): (&[f64], &[f64], usize),
    (readout, population_of): (&[usize], &[usize]),
    bound: WeightBound,
) -> LowRankWeights {
    let n_pop = population_of.iter().max().map_or(0, |p| p + 1);
    let mut size = vec![0usize; n_pop];
    population_of.iter().for_each(|&a| size[a] += 1);
    let n_e = readout.len();
    let mut e_to = vec![0usize; n_pop];
    for &j in readout {
        let (targets, _) = synapses.outgoing(j);
        targets
            .iter()
            .for_each(|&i| e_to[population_of[i as usize]] += 1);
    }
    let density: Vec<f64> = (0..n_pop)
        .map(|a| e_to[a] as f64 / (n_e * size[a]).max(1) as f64)
        .collect();
    let mut offsets = std::mem::take(&mut synapses.offsets);
    let targets = std::mem::take(&mut synapses.targets);
    let mut weights = std::mem::take(&mut synapses.weights);
    let mut stats = LowRankWeights::default();
    for (k, &j) in readout.iter().enumerate() {
        let nj = &n[k * dims..(k + 1) * dims];
        for s in offsets[j]..offsets[j + 1] {
            let i = targets[s] as usize;
            let mi = &m[i * dims..(i + 1) * dims];
            let overlap: f64 = mi.iter().zip(nj).map(|(a, b)| a * b).sum();
            let low_rank = 1000.0 * overlap / (density[population_of[i]] * n_e as f64);
            let (w, clipped) = bound.apply(weights[s], low_rank);
            stats.synapses += 1;
            stats.clipped += usize::from(clipped);
            weights[s] = w;
        }
    }
    *synapses = StaticSynapses::new(std::mem::take(&mut offsets), targets, weights);
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two E neurons (0, 1) and one I neuron (2): every E synapse gets `1000 m_i n_j/(p N_E)`,
    /// negative sums are clipped at 0 and counted, the I synapse is untouched.
    #[test]
    fn low_rank_weights_add_to_e_synapses_and_never_change_sign() {
        // 0 → 1, 0 → 2, 1 → 0, 2 → 0 (I).
        let mut syn = StaticSynapses::new(
            vec![0, 2, 3, 4],
            vec![1, 2, 0, 0],
            vec![0.5, 0.5, 0.5, -1.0],
        );
        let m = [1.0, -1.0, 2.0];
        let n = [1e-3, 1e-3];
        let stats = add_low_rank_weights(
            &mut syn,
            (&m, &n, 1),
            (&[0, 1], &[0, 0, 1]),
            WeightBound::Sign,
        );
        // E → E: 2 synapses of 2·2 possible pairs, p = 0.5; E → I: 1 of 2, p = 0.5.
        let (_, w0) = syn.outgoing(0);
        assert!((w0[0] - (0.5 - 1.0 / (0.5 * 2.0))).abs() < 1e-12 || w0[0] == 0.0);
        assert_eq!(w0[0], 0.0, "0.5 − 1 is clipped at 0");
        assert!((w0[1] - (0.5 + 2.0 / (0.5 * 2.0))).abs() < 1e-12);
        let (_, w1) = syn.outgoing(1);
        assert!((w1[0] - 1.5).abs() < 1e-12);
        assert_eq!(syn.outgoing(2).1, &[-1.0]);
        assert_eq!(
            stats,
            LowRankWeights {
                synapses: 3,
                clipped: 1
            }
        );
    }

    /// The magnitude bound clips every term to ±J⁰: negative ones at 0 as before, positive ones
    /// at 2J⁰; terms within it pass unchanged.
    #[test]
    fn the_magnitude_bound_keeps_every_term_within_j0() {
        let mut syn = StaticSynapses::new(
            vec![0, 2, 3, 4],
            vec![1, 2, 0, 0],
            vec![0.5, 0.5, 0.5, -1.0],
        );
        let m = [1.0, -1.0, 2.0];
        let n = [1e-3, 1e-4];
        let stats = add_low_rank_weights(
            &mut syn,
            (&m, &n, 1),
            (&[0, 1], &[0, 0, 1]),
            WeightBound::Magnitude,
        );
        // 0 → 1: −1 → −0.5, weight 0; 0 → 2: +4 → +0.5, weight 1.0; 1 → 0: +0.1, unclipped.
        let (_, w0) = syn.outgoing(0);
        assert_eq!(w0, &[0.0, 1.0]);
        let (_, w1) = syn.outgoing(1);
        assert!((w1[0] - 0.6).abs() < 1e-12);
        assert_eq!(stats.clipped, 2);
        assert_eq!(WeightBound::Magnitude.apply(0.5, -0.2), (0.3, false));
        assert_eq!(WeightBound::Sign.apply(0.5, 3.0), (3.5, false));
    }
}
