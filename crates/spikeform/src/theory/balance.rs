//! The linear balance equations of strongly coupled excitatory–inhibitory networks
//! (`balanced-theory.md` §1–§2).
//!
//! # Equations and units
//!
//! A neuron of population a receives K_ab inputs from population b with weights
//! J_ab = j_ab/√K and a drive √K·X_a, so its mean input is μ_a = √K·(Σ_b w_ab r_b + X_a) with
//! w_ab = (K_ab/K)·j_ab. Finite rates need μ_a = O(1), hence in the limit K → ∞
//!
//! **W r + X = 0, r = −W⁻¹X.**
//!
//! The rates r come out in whatever unit the product W·r is written in. With kernels of unit
//! area and times in ms (the tutorial network), W r + X = 0 gives r in spikes/ms: multiply by
//! 1000 for Hz. For the tutorial network W = [[3, −15], [20, −20]], X = [0.18, 0.12] gives
//! r = [0.0075, 0.0135] spikes/ms = [7.5, 13.5] Hz. In Akil et al.'s notation, where
//! X = W_x·r_x with r_x given in Hz, r comes out in Hz directly.
//!
//! At finite K the equations read W r + X = μ/√K, with μ the O(1) net inputs; pass
//! X − μ/√K as the drive to obtain those rates.
//!
//! # Semi-balanced solutions
//!
//! When −W⁻¹X has negative entries, the populations cannot all be balanced (Baker, Zhu &
//! Rosenbaum 2020). [`balanced_rates`] then silences the population with the most negative
//! rate, removes it from the system, re-solves the reduced system W_AA r_A = −X_A for the
//! remaining active set A and repeats until all active rates are non-negative. It reports the
//! silenced populations and their net input (W r + X)_a, which must be ≤ 0 for a consistent
//! semi-balanced state (a silenced population must receive net inhibition).
//!
//! # Two populations
//!
//! For W = [[w_EE, −w_EI], [w_IE, −w_II]] (all w > 0), X = [X_E, X_I] > 0 and
//! D = det W = w_EI·w_IE − w_EE·w_II:
//! r_E = (X_E·w_II − X_I·w_EI)/D, r_I = (X_E·w_IE − X_I·w_EE)/D, and positive rates with D > 0
//! require X_E/X_I > w_EI/w_II > w_EE/w_IE ([`two_population_conditions`]).

use nalgebra::{DMatrix, DVector};

use super::TheoryError;

/// The solution of the balance equations W r + X = 0, possibly semi-balanced.
#[derive(Debug, Clone, PartialEq)]
pub struct BalancedSolution {
    /// Rates r, one per population, in the units fixed by W and X (see the module
    /// documentation); 0 for silenced populations.
    pub rates: Vec<f64>,
    /// The (0-based) populations that had to be silenced, in the order they were silenced;
    /// empty when the full system is balanced with non-negative rates.
    pub silenced: Vec<usize>,
    /// The solution −W⁻¹X of the full system before any silencing (may contain negative
    /// rates); `None` if W itself is singular.
    pub unconstrained: Option<Vec<f64>>,
    /// The net input W r + X at the returned rates: zero up to rounding for active
    /// populations; for silenced ones it must be ≤ 0 for a consistent semi-balanced state.
    pub net_input: Vec<f64>,
}

impl BalancedSolution {
    /// True if no population was silenced (every rate of −W⁻¹X is non-negative).
    pub fn is_fully_balanced(&self) -> bool {
        self.silenced.is_empty()
    }

    /// True if every silenced population receives a non-positive net input, i.e. it would
    /// indeed stay silent.
    pub fn is_consistent(&self) -> bool {
        self.silenced.iter().all(|&a| self.net_input[a] <= 0.0)
    }

    /// The populations whose rate in the unconstrained solution −W⁻¹X is negative.
    pub fn negative_in_unconstrained(&self) -> Vec<usize> {
        match &self.unconstrained {
            Some(r) => (0..r.len()).filter(|&a| r[a] < 0.0).collect(),
            None => Vec::new(),
        }
    }
}

/// Converts rows of W into a matrix, checking that W is square, matches X and is finite.
fn to_system<R: AsRef<[f64]>>(w: &[R], x: &[f64]) -> Result<DMatrix<f64>, TheoryError> {
    let n = x.len();
    if n == 0 {
        return Err(TheoryError::DimensionMismatch {
            what: "number of populations (X is empty)",
            expected: 1,
            found: 0,
        });
    }
    if w.len() != n {
        return Err(TheoryError::DimensionMismatch {
            what: "rows of W against the length of X",
            expected: n,
            found: w.len(),
        });
    }
    for (a, row) in w.iter().enumerate() {
        let row = row.as_ref();
        if row.len() != n {
            return Err(TheoryError::DimensionMismatch {
                what: "columns of a row of W against the length of X",
                expected: n,
                found: row.len(),
            });
        }
        for (b, &v) in row.iter().enumerate() {
            if !v.is_finite() {
                return Err(TheoryError::invalid(
                    format!("W[{a}][{b}]"),
                    v,
                    "weights must be finite",
                ));
            }
        }
    }
    for (a, &v) in x.iter().enumerate() {
        if !v.is_finite() {
            return Err(TheoryError::invalid(
                format!("X[{a}]"),
                v,
                "drives must be finite",
            ));
        }
    }
    Ok(DMatrix::from_fn(n, n, |a, b| w[a].as_ref()[b]))
}

/// Solves W_AA r_A = −X_A on the active set; `None` if singular.
fn solve_active(w: &DMatrix<f64>, x: &[f64], active: &[usize]) -> Option<Vec<f64>> {
    let m = active.len();
    let sub = DMatrix::from_fn(m, m, |i, j| w[(active[i], active[j])]);
    let rhs = DVector::from_fn(m, |i, _| -x[active[i]]);
    let sol = sub.lu().solve(&rhs)?;
    if sol.iter().all(|v| v.is_finite()) {
        Some(sol.iter().copied().collect())
    } else {
        None
    }
}

/// Solves the balance equations W r + X = 0 for any number of populations, silencing
/// populations with negative rates one at a time (most negative first) and re-solving the
/// reduced system (see the module documentation for units and the semi-balanced rule).
///
/// `w` is given by rows: `w[a][b]` is the coupling from population b onto population a
/// (negative for inhibitory b). Errors on size mismatches, non-finite entries or a singular
/// (reduced) system.
pub fn balanced_rates<R: AsRef<[f64]>>(
    w: &[R],
    x: &[f64],
) -> Result<BalancedSolution, TheoryError> {
    let wm = to_system(w, x)?;
    let n = x.len();
    let all: Vec<usize> = (0..n).collect();
    let unconstrained = solve_active(&wm, x, &all);
    let mut active = all;
    let mut silenced = Vec::new();
    let mut rates = vec![0.0; n];
    while !active.is_empty() {
        let sol = if silenced.is_empty() {
            unconstrained.clone()
        } else {
            solve_active(&wm, x, &active)
        };
        let sol = sol.ok_or_else(|| TheoryError::SingularBalanceMatrix {
            populations: active.clone(),
        })?;
        let most_negative = sol
            .iter()
            .enumerate()
            .filter(|(_, &r)| r < 0.0)
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        match most_negative {
            None => {
                for (i, &a) in active.iter().enumerate() {
                    rates[a] = sol[i];
                }
                break;
            }
            Some(i) => {
                silenced.push(active.remove(i));
            }
        }
    }
    let net_input = (0..n)
        .map(|a| x[a] + (0..n).map(|b| wm[(a, b)] * rates[b]).sum::<f64>())
        .collect();
    Ok(BalancedSolution {
        rates,
        silenced,
        unconstrained,
        net_input,
    })
}

/// Which of the two-population balance conditions (`balanced-theory.md` §2) hold, for
/// W = [[w_EE, −w_EI], [w_IE, −w_II]] and X = [X_E, X_I].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoPopulationConditions {
    /// W has the sign pattern [[+, −], [+, −]] (all w > 0) and X_E, X_I > 0; the ratio
    /// conditions below are only meaningful when this holds.
    pub signs: bool,
    /// X_E/X_I > w_EI/w_II.
    pub input_ratio_exceeds_inhibitory_ratio: bool,
    /// w_EI/w_II > w_EE/w_IE.
    pub inhibitory_ratio_exceeds_excitatory_ratio: bool,
    /// D = w_EI·w_IE − w_EE·w_II > 0.
    pub positive_determinant: bool,
}

impl TwoPopulationConditions {
    /// True if every condition holds: then both balanced rates are positive.
    pub fn all(&self) -> bool {
        self.signs
            && self.input_ratio_exceeds_inhibitory_ratio
            && self.inhibitory_ratio_exceeds_excitatory_ratio
            && self.positive_determinant
    }
}

/// Checks the two-population balance conditions X_E/X_I > w_EI/w_II > w_EE/w_IE and D > 0,
/// with W = [[w_EE, −w_EI], [w_IE, −w_II]] given with its signs (as in W r + X = 0).
pub fn two_population_conditions(w: [[f64; 2]; 2], x: [f64; 2]) -> TwoPopulationConditions {
    let (w_ee, w_ei, w_ie, w_ii) = (w[0][0], -w[0][1], w[1][0], -w[1][1]);
    let (x_e, x_i) = (x[0], x[1]);
    let signs = w_ee > 0.0 && w_ei > 0.0 && w_ie > 0.0 && w_ii > 0.0 && x_e > 0.0 && x_i > 0.0;
    // Cross-multiplied forms avoid dividing by zero; with positive entries they are
    // equivalent to the ratio conditions.
    TwoPopulationConditions {
        signs,
        input_ratio_exceeds_inhibitory_ratio: signs && x_e * w_ii > w_ei * x_i,
        inhibitory_ratio_exceeds_excitatory_ratio: signs && w_ei * w_ie > w_ee * w_ii,
        positive_determinant: w_ei * w_ie - w_ee * w_ii > 0.0,
    }
}

/// A network described population by population in raw units: mean in-degrees K_ab, synaptic
/// weights J_ab (the jump of the input per spike, unit-area kernels) and constant biases.
///
/// The mean input of population a is μ_a = bias_a + Σ_b K_ab·J_ab·r_b. With J_ab = ĵ_ab/√K and
/// bias_a = √K·X_a this is √K·(W r + X)_a with W_ab = (K_ab/K)·ĵ_ab, so the K → ∞ balance
/// condition μ = O(1) becomes, written in raw units,
///
/// Σ_b K_ab·J_ab·r_b = −bias_a,
///
/// which is W' r + X' = 0 with W'_ab = K_ab·J_ab and X' = bias. The √K factors cancel, so
/// the rates are the leading-order (K → ∞) balanced rates of the network; finite-K
/// corrections of order 1/√K (from μ ≠ 0) are neglected. Rates are in spikes per unit of the
/// time in which the weights are written (spikes/ms for the tutorial network).
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationCoupling {
    /// K_ab: mean number of inputs a neuron of population a receives from population b.
    pub in_degree: Vec<Vec<f64>>,
    /// J_ab: weight of one input from population b onto population a (negative if inhibitory).
    pub weight: Vec<Vec<f64>>,
    /// Constant bias (external drive) of each population.
    pub bias: Vec<f64>,
}

impl PopulationCoupling {
    /// The raw-unit balance system (W', X') with W'_ab = K_ab·J_ab and X'_a = bias_a.
    pub fn balance_system(&self) -> Result<(Vec<Vec<f64>>, Vec<f64>), TheoryError> {
        let n = self.bias.len();
        if self.in_degree.len() != n || self.weight.len() != n {
            return Err(TheoryError::DimensionMismatch {
                what: "rows of in_degree / weight against the number of biases",
                expected: n,
                found: if self.in_degree.len() != n {
                    self.in_degree.len()
                } else {
                    self.weight.len()
                },
            });
        }
        let mut w = Vec::with_capacity(n);
        for a in 0..n {
            let (k, j) = (&self.in_degree[a], &self.weight[a]);
            if k.len() != n || j.len() != n {
                return Err(TheoryError::DimensionMismatch {
                    what: "columns of in_degree / weight against the number of populations",
                    expected: n,
                    found: if k.len() != n { k.len() } else { j.len() },
                });
            }
            for (b, &kab) in k.iter().enumerate() {
                if !(kab >= 0.0 && kab.is_finite()) {
                    return Err(TheoryError::invalid(
                        format!("in_degree[{a}][{b}]"),
                        kab,
                        "in-degrees must be finite and non-negative",
                    ));
                }
            }
            w.push(k.iter().zip(j).map(|(k, j)| k * j).collect());
        }
        Ok((w, self.bias.clone()))
    }

    /// The leading-order balanced rates: [`balanced_rates`] of [`Self::balance_system`].
    pub fn balanced_rates(&self) -> Result<BalancedSolution, TheoryError> {
        let (w, x) = self.balance_system()?;
        balanced_rates(&w, &x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn theory_balance_tutorial_network() {
        let w = [[3.0, -15.0], [20.0, -20.0]];
        let x = [0.18, 0.12];
        let s = balanced_rates(&w, &x).unwrap();
        // spikes/ms
        assert!(close(s.rates[0], 0.0075, 1e-13), "{s:?}");
        assert!(close(s.rates[1], 0.0135, 1e-13), "{s:?}");
        assert!(close(1000.0 * s.rates[0], 7.5, 1e-13));
        assert!(close(1000.0 * s.rates[1], 13.5, 1e-13));
        assert!(s.is_fully_balanced() && s.is_consistent());
        assert!(s.net_input.iter().all(|v| v.abs() < 1e-15));
        let c = two_population_conditions(w, x);
        assert!(c.all(), "{c:?}");
        // the summer2022 / TrainSpikingNet variant: X = [0.12, 0.08] → 5.0 / 9.0 Hz
        let s = balanced_rates(&w, &[0.12, 0.08]).unwrap();
        assert!(close(1000.0 * s.rates[0], 5.0, 1e-13));
        assert!(close(1000.0 * s.rates[1], 9.0, 1e-13));
    }

    #[test]
    fn theory_balance_akil_network() {
        let w = [[2.0, -3.0], [9.0, -5.0]];
        let r_x = 10.0; // Hz
        let x = [3.6 * r_x, 2.7 * r_x];
        let s = balanced_rates(&w, &x).unwrap();
        // r = −W⁻¹ W_x r_x = (99/17, 270/17) Hz
        assert!(close(s.rates[0], 99.0 / 17.0, 1e-14), "{s:?}");
        assert!(close(s.rates[1], 270.0 / 17.0, 1e-14), "{s:?}");
        assert!((s.rates[0] - 5.8235).abs() < 5e-5);
        assert!((s.rates[1] - 15.8824).abs() < 5e-5);
        // with r_x in spikes/ms (0.01) the rates come out in spikes/ms
        let s = balanced_rates(&w, &[3.6 * 0.01, 2.7 * 0.01]).unwrap();
        assert!(close(1000.0 * s.rates[0], 99.0 / 17.0, 1e-13));
        let c = two_population_conditions(w, x);
        assert!(c.all(), "{c:?}");
    }

    #[test]
    fn theory_balance_two_population_formulas() {
        // r_E = (X_E w_II − X_I w_EI)/D, r_I = (X_E w_IE − X_I w_EE)/D
        let (w_ee, w_ei, w_ie, w_ii) = (1.3, 2.9, 4.1, 3.7);
        let (x_e, x_i) = (1.1, 0.6);
        let d = w_ei * w_ie - w_ee * w_ii;
        let s = balanced_rates(&[[w_ee, -w_ei], [w_ie, -w_ii]], &[x_e, x_i]).unwrap();
        assert!(close(s.rates[0], (x_e * w_ii - x_i * w_ei) / d, 1e-14));
        assert!(close(s.rates[1], (x_e * w_ie - x_i * w_ee) / d, 1e-14));
    }

    #[test]
    fn theory_balance_conditions_flag_violations() {
        let w = [[3.0, -15.0], [20.0, -20.0]];
        // X_E/X_I = 0.5 < w_EI/w_II = 0.75
        let c = two_population_conditions(w, [0.06, 0.12]);
        assert!(!c.input_ratio_exceeds_inhibitory_ratio && !c.all());
        assert!(c.inhibitory_ratio_exceeds_excitatory_ratio && c.positive_determinant);
        // w_EI/w_II = 0.1 < w_EE/w_IE = 0.15 and D = 40 − 60 < 0
        let c = two_population_conditions([[3.0, -2.0], [20.0, -20.0]], [0.18, 0.12]);
        assert!(!c.inhibitory_ratio_exceeds_excitatory_ratio);
        assert!(!c.positive_determinant);
        assert!(!c.all());
        // wrong sign pattern
        let c = two_population_conditions([[3.0, 15.0], [20.0, -20.0]], [0.18, 0.12]);
        assert!(!c.signs && !c.all());
    }

    #[test]
    fn theory_balance_semi_balanced_silences_excitation() {
        // r_E = (0.05·20 − 0.12·15)/240 < 0: E is silenced, then −20 r_I + 0.12 = 0.
        let w = [[3.0, -15.0], [20.0, -20.0]];
        let x = [0.05, 0.12];
        let s = balanced_rates(&w, &x).unwrap();
        assert_eq!(s.silenced, vec![0]);
        assert_eq!(s.negative_in_unconstrained(), vec![0]);
        assert_eq!(s.rates[0], 0.0);
        assert!(close(s.rates[1], 0.006, 1e-14));
        // the silenced population receives net inhibition: 0.05 − 15·0.006 = −0.04
        assert!(close(s.net_input[0], -0.04, 1e-13));
        assert!(s.is_consistent() && !s.is_fully_balanced());
        let u = s.unconstrained.as_ref().unwrap();
        assert!(close(u[0], (0.05 * 20.0 - 0.12 * 15.0) / 240.0, 1e-13));
    }

    #[test]
    fn theory_balance_three_populations() {
        // E, PV, SOM-like: check W r + X = 0 on a random-looking but balanced system.
        let w = [
            vec![2.0, -3.0, -1.0],
            vec![4.0, -5.0, -0.5],
            vec![3.0, -0.2, -0.1],
        ];
        let r_true = [0.5, 0.7, 0.2];
        let x: Vec<f64> = (0..3)
            .map(|a| -(0..3).map(|b| w[a][b] * r_true[b]).sum::<f64>())
            .collect();
        let s = balanced_rates(&w, &x).unwrap();
        for (got, want) in s.rates.iter().zip(r_true) {
            assert!(close(*got, want, 1e-13), "{s:?}");
        }
        // semi-balanced in three populations: make population 2's drive strongly negative
        let x2 = [x[0], x[1], -5.0];
        let s = balanced_rates(&w, &x2).unwrap();
        assert_eq!(s.silenced, vec![2]);
        assert_eq!(s.rates[2], 0.0);
        for a in 0..2 {
            assert!(s.net_input[a].abs() < 1e-13);
        }
        assert!(s.is_consistent(), "{s:?}");
    }

    #[test]
    fn theory_balance_errors() {
        assert!(matches!(
            balanced_rates(&[[1.0, 2.0], [2.0, 4.0]], &[1.0, 1.0]),
            Err(TheoryError::SingularBalanceMatrix { .. })
        ));
        assert!(matches!(
            balanced_rates(&[vec![1.0, 2.0]], &[1.0, 1.0]),
            Err(TheoryError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            balanced_rates(&[vec![1.0, 2.0], vec![1.0]], &[1.0, 1.0]),
            Err(TheoryError::DimensionMismatch { .. })
        ));
        let e = balanced_rates(&[[1.0, f64::NAN], [2.0, 4.0]], &[1.0, 1.0]).unwrap_err();
        assert!(e.to_string().contains("W[0][1]"), "{e}");
        let empty: [[f64; 0]; 0] = [];
        assert!(balanced_rates(&empty, &[]).is_err());
    }

    #[test]
    fn theory_balance_population_description_tutorial() {
        // rls-training.md §3: K = 500, J_ab = ĵ_ab/√K with ĵ = (3, −15, 20, −20),
        // bias = (1.5·j_x, j_x), j_x = 0.12·√K.
        let k: f64 = 500.0;
        let sk = k.sqrt();
        let net = PopulationCoupling {
            in_degree: vec![vec![k, k], vec![k, k]],
            weight: vec![vec![3.0 / sk, -15.0 / sk], vec![20.0 / sk, -20.0 / sk]],
            bias: vec![1.5 * 0.12 * sk, 0.12 * sk],
        };
        let (w, x) = net.balance_system().unwrap();
        assert!(close(w[0][1], -15.0 * sk, 1e-14));
        let s = net.balanced_rates().unwrap();
        assert!(close(s.rates[0], 0.0075, 1e-13), "{s:?}");
        assert!(close(s.rates[1], 0.0135, 1e-13), "{s:?}");
        assert_eq!(x.len(), 2);
        let bad = PopulationCoupling {
            in_degree: vec![vec![k, k]],
            weight: vec![vec![1.0, 1.0]],
            bias: vec![1.0, 1.0],
        };
        assert!(bad.balance_system().is_err());
    }
}
