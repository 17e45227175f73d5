//! Sets of neurons, named once and used by every component that acts on chosen neurons (inputs,
//! recorders, perturbations, plasticity): a population, a random fraction of one, the trained
//! or untrained neurons, or explicit indices; each with optional per-neuron gains ("expression
//! levels" of an optogenetic construct).

use rand::Rng as _;

use crate::rng;

/// Which neurons.
#[derive(Debug, Clone, PartialEq)]
pub enum NeuronSet {
    /// Every neuron of the network.
    All,
    /// Every neuron of a population (index).
    Population(usize),
    /// A random fraction of a population, drawn without replacement from the set's own stream.
    Fraction {
        /// Population index.
        population: usize,
        /// Fraction in (0, 1].
        fraction: f64,
    },
    /// The trained neurons.
    Trained,
    /// The neurons that are not trained.
    Untrained,
    /// Explicit neuron indices.
    Indices(Vec<usize>),
}

/// Per-neuron gains of a selection.
#[derive(Debug, Clone, PartialEq)]
pub enum Gains {
    /// The same gain for every selected neuron.
    Uniform(f64),
    /// Drawn uniformly on `[min, max)` per neuron, from the set's own stream.
    Random {
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
    },
    /// Given, one per selected neuron in ascending neuron order.
    Given(Vec<f64>),
}

/// A neuron set with its gains, as experiment files spell it.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Which neurons.
    pub set: NeuronSet,
    /// Their gains.
    pub gains: Gains,
}

/// What a set is resolved against.
#[derive(Debug, Clone, Copy)]
pub struct SetContext<'a> {
    /// Neuron ranges of the populations.
    pub ranges: &'a [std::ops::Range<usize>],
    /// The trained neurons, when they are known.
    pub trained: Option<&'a [usize]>,
    /// Experiment seed.
    pub seed: u64,
}

/// A resolved selection: neurons in ascending order and their gains.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    /// Neuron indices, ascending, without repeats.
    pub neurons: Vec<usize>,
    /// Gain of each.
    pub gains: Vec<f64>,
}

impl Selection {
    /// Every neuron of the set with gain 1.
    pub fn plain(set: NeuronSet) -> Self {
        Self {
            set,
            gains: Gains::Uniform(1.0),
        }
    }

    /// The neurons and gains this selection names in `ctx`. `name` names the random streams
    /// (`neuron-set:NAME`, `gains:NAME`); callers put the key that gave the set before the
    /// messages. Errors say what is wrong: an empty
    /// set, an index outside the network, gains of the wrong length, trained neurons not yet
    /// known.
    pub fn resolve(&self, ctx: SetContext<'_>, name: &str) -> Result<Selected, String> {
        let n = ctx.ranges.last().map_or(0, |r| r.end);
        let neurons = self.neurons(ctx, name, n)?;
        if neurons.is_empty() {
            return Err("the neuron set selects no neuron".to_string());
        }
        let gains = match &self.gains {
            Gains::Uniform(g) => vec![*g; neurons.len()],
            Gains::Random { min, max } => {
                let mut r = rng::stream(ctx.seed, &format!("gains:{name}"));
                (0..neurons.len())
                    .map(|_| min + (max - min) * r.random::<f64>())
                    .collect()
            }
            Gains::Given(g) if g.len() == neurons.len() => g.clone(),
            Gains::Given(g) => {
                return Err(format!(
                    "{} gains given for {} selected neurons",
                    g.len(),
                    neurons.len()
                ))
            }
        };
        Ok(Selected { neurons, gains })
    }

    fn neurons(&self, ctx: SetContext<'_>, name: &str, n: usize) -> Result<Vec<usize>, String> {
        let trained = || {
            ctx.trained.ok_or_else(|| {
                "the trained neurons are not known when this set is resolved".to_string()
            })
        };
        Ok(match &self.set {
            NeuronSet::All => (0..n).collect(),
            NeuronSet::Population(p) => ctx.ranges[*p].clone().collect(),
            NeuronSet::Fraction {
                population,
                fraction,
            } => {
                let range = ctx.ranges[*population].clone();
                let k = (fraction * range.len() as f64).round() as usize;
                let mut r = rng::stream(ctx.seed, &format!("neuron-set:{name}"));
                rng::choose_subset(range.len(), k, &mut r)
                    .into_iter()
                    .map(|i| i + range.start)
                    .collect()
            }
            NeuronSet::Trained => {
                let mut t = trained()?.to_vec();
                t.sort_unstable();
                t
            }
            NeuronSet::Untrained => {
                let mut is_trained = vec![false; n];
                trained()?.iter().for_each(|&i| is_trained[i] = true);
                (0..n).filter(|&i| !is_trained[i]).collect()
            }
            NeuronSet::Indices(idx) => {
                if let Some(&bad) = idx.iter().find(|&&i| i >= n) {
                    return Err(format!(
                        "neuron {bad} does not exist (the network has {n} neurons)"
                    ));
                }
                let mut v = idx.clone();
                v.sort_unstable();
                v.dedup();
                v
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(
        ranges: &'a [std::ops::Range<usize>],
        trained: Option<&'a [usize]>,
    ) -> SetContext<'a> {
        SetContext {
            ranges,
            trained,
            seed: 7,
        }
    }

    #[test]
    fn sets_resolve_to_the_named_neurons() {
        let ranges = [0..80, 80..100];
        let trained = [3, 1, 2];
        let c = ctx(&ranges, Some(&trained));
        let resolve = |set| Selection::plain(set).resolve(c, "s").unwrap().neurons;
        assert_eq!(
            resolve(NeuronSet::Population(1)),
            (80..100).collect::<Vec<_>>()
        );
        assert_eq!(resolve(NeuronSet::Trained), vec![1, 2, 3]);
        assert_eq!(resolve(NeuronSet::Untrained).len(), 97);
        assert_eq!(resolve(NeuronSet::Indices(vec![5, 2, 5])), vec![2, 5]);
        let half = resolve(NeuronSet::Fraction {
            population: 0,
            fraction: 0.5,
        });
        assert_eq!(half.len(), 40);
        assert!(half.iter().all(|&i| i < 80));
        assert_eq!(
            half,
            resolve(NeuronSet::Fraction {
                population: 0,
                fraction: 0.5
            }),
            "same stream, same draw"
        );
    }

    #[test]
    fn gains_are_uniform_random_or_given_and_errors_name_the_problem() {
        let ranges = [0..6, 6..10];
        let c = ctx(&ranges, None);
        let sel = Selection {
            set: NeuronSet::All,
            gains: Gains::Random { min: 0.5, max: 1.5 },
        };
        let g = sel.resolve(c, "opto").unwrap().gains;
        assert!(g.iter().all(|&x| (0.5..1.5).contains(&x)) && g[0] != g[1]);
        let given = Selection {
            set: NeuronSet::Indices(vec![1, 2]),
            gains: Gains::Given(vec![2.0]),
        };
        assert!(given
            .resolve(c, "opto")
            .unwrap_err()
            .contains("1 gains given for 2 selected neurons"));
        let bad = Selection::plain(NeuronSet::Indices(vec![10]));
        assert!(bad
            .resolve(c, "opto")
            .unwrap_err()
            .contains("neuron 10 does not exist"));
        let none = Selection::plain(NeuronSet::Fraction {
            population: 0,
            fraction: 0.01,
        });
        assert!(none
            .resolve(c, "opto")
            .unwrap_err()
            .contains("selects no neuron"));
        let trained = Selection::plain(NeuronSet::Trained);
        assert!(trained
            .resolve(c, "opto")
            .unwrap_err()
            .contains("not known"));
    }
}
