//! Time-averaged input components: the balance of excitation, inhibition and external drive
//! (`balanced-theory.md` §6, "mean input components").

use super::matrix::{check_shape, column_means};

/// Per-neuron time averages of the input components.
#[derive(Debug, Clone, PartialEq)]
pub struct InputBalance {
    /// ⟨I_e⟩_j: time-averaged excitatory recurrent input of each neuron.
    pub excitatory: Vec<f64>,
    /// ⟨I_i⟩_j: time-averaged inhibitory recurrent input (negative in a balanced network).
    pub inhibitory: Vec<f64>,
    /// ⟨I_x⟩_j: time-averaged external input.
    pub external: Vec<f64>,
    /// μ_j = ⟨I_e⟩_j + ⟨I_i⟩_j + ⟨I_x⟩_j: the net mean input.
    pub net: Vec<f64>,
}

/// Population means of the input components over a group of neurons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputMeans {
    /// Mean of ⟨I_e⟩ over the group.
    pub excitatory: f64,
    /// Mean of ⟨I_i⟩ over the group.
    pub inhibitory: f64,
    /// Mean of ⟨I_x⟩ over the group.
    pub external: f64,
    /// Mean of μ = ⟨I_e⟩ + ⟨I_i⟩ + ⟨I_x⟩ over the group.
    pub net: f64,
}

/// Time averages of the sampled input components of every neuron (`balanced-theory.md` §6):
///
/// ⟨I_c⟩_j = (1/n_samples) Σ_t I_c[t, j]  for c ∈ {e, i, x},   μ_j = ⟨I_e⟩_j + ⟨I_i⟩_j + ⟨I_x⟩_j.
///
/// Each input is a row-major, time-major `n_samples × n_neurons` matrix in the caller's units
/// (inhibition carrying its negative sign). In the balanced state ⟨I_e⟩, |⟨I_i⟩| and ⟨I_x⟩ grow like
/// √N while μ stays of order 1. With `n_samples == 0` every value is NaN.
///
/// # Panics
///
/// If a slice length differs from `n_samples * n_neurons`.
pub fn input_balance(
    excitatory: &[f64],
    inhibitory: &[f64],
    external: &[f64],
    n_samples: usize,
    n_neurons: usize,
) -> InputBalance {
    check_shape(
        excitatory,
        n_samples,
        n_neurons,
        "input_balance (excitatory)",
    );
    check_shape(
        inhibitory,
        n_samples,
        n_neurons,
        "input_balance (inhibitory)",
    );
    check_shape(external, n_samples, n_neurons, "input_balance (external)");
    let excitatory = column_means(excitatory, n_samples, n_neurons);
    let inhibitory = column_means(inhibitory, n_samples, n_neurons);
    let external = column_means(external, n_samples, n_neurons);
    let net = excitatory
        .iter()
        .zip(&inhibitory)
        .zip(&external)
        .map(|((e, i), x)| e + i + x)
        .collect();
    InputBalance {
        excitatory,
        inhibitory,
        external,
        net,
    }
}

impl InputBalance {
    /// Means of each component over the neurons `neurons` (e.g. the E population). NaN for an
    /// empty group.
    ///
    /// # Panics
    ///
    /// If an index is out of range.
    pub fn population_mean(&self, neurons: &[usize]) -> InputMeans {
        let mean = |v: &[f64]| neurons.iter().map(|&j| v[j]).sum::<f64>() / neurons.len() as f64;
        InputMeans {
            excitatory: mean(&self.excitatory),
            inhibitory: mean(&self.inhibitory),
            external: mean(&self.external),
            net: mean(&self.net),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_balance() {
        // 2 samples × 2 neurons.
        let e = [4.0, 2.0, 6.0, 2.0];
        let i = [-5.0, -1.0, -7.0, -3.0];
        let x = [1.5, 0.5, 1.5, 0.5];
        let b = input_balance(&e, &i, &x, 2, 2);
        assert_eq!(b.excitatory, vec![5.0, 2.0]);
        assert_eq!(b.inhibitory, vec![-6.0, -2.0]);
        assert_eq!(b.external, vec![1.5, 0.5]);
        assert_eq!(b.net, vec![0.5, 0.5]);
        let m = b.population_mean(&[0, 1]);
        assert_eq!(
            (m.excitatory, m.inhibitory, m.external, m.net),
            (3.5, -4.0, 1.0, 0.5)
        );
        assert!(b.population_mean(&[]).net.is_nan());
    }
}
