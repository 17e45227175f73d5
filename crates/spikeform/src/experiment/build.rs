//! From a validated spiking experiment to a network ready to simulate: static synapses, cue,
//! feed-forward units and the plastic synapses of the trained neurons.

use crate::network::{PlasticSynapses, Sign, SpikingNetwork, StaticSynapses};
use crate::rng;
use crate::stimulus::{Cue, FeedForward};

use super::spiking::{Connectivity, PlasticSpec, SpikingExperiment, SpikingTraining};

/// Builds the static network, cue and (empty) plastic synapses.
pub fn build_network(exp: &SpikingExperiment) -> SpikingNetwork {
    let spec = &exp.network;
    let population_of: Vec<usize> = spec
        .populations
        .iter()
        .enumerate()
        .flat_map(|(p, pop)| std::iter::repeat_n(p, pop.size))
        .collect();
    let n = population_of.len();
    let ranges = crate::network::population_ranges(&spec.populations);
    let mut r = rng::stream(exp.seed, "network");
    let static_synapses = match &spec.connectivity {
        Connectivity::None => StaticSynapses::empty(n),
        Connectivity::FixedOutDegree { out_degree, weight } => {
            StaticSynapses::fixed_out_degree(&population_of, *out_degree, weight, &mut r)
        }
        Connectivity::FixedInDegree { projections } => {
            StaticSynapses::fixed_in_degree(&ranges, projections, &mut r)
        }
    };
    let cue = exp.cue.as_ref().map(|c| {
        let mut r = rng::stream(exp.seed, "cue");
        Cue {
            start_step: c.start_step,
            end_step: c.end_step,
            amplitude: (0..exp.conditions)
                .map(|_| (0..n).map(|_| c.amplitude.draw(&mut r)).collect())
                .collect(),
        }
    });
    let feedforward = exp
        .training
        .as_ref()
        .and_then(|t| t.feedforward)
        .map(|(units, ou)| {
            let s = t_start(exp);
            let len = (exp.trial_steps - s) as usize;
            FeedForward::ou(
                units,
                s,
                len,
                exp.conditions,
                ou,
                exp.dt_ms,
                &mut rng::stream(exp.seed, "feedforward-rates"),
            )
        });
    SpikingNetwork {
        dt_ms: exp.dt_ms,
        integration: spec.integration,
        populations: spec.populations.clone(),
        population_of,
        static_synapses,
        plastic: PlasticSynapses::none(n),
        tau_exc_ms: spec.tau_exc_ms,
        tau_inh_ms: spec.tau_inh_ms,
        tau_plastic_ms: spec.tau_plastic_ms,
        delay_steps: spec.delay_steps,
        cue,
        feedforward,
    }
}

/// Feed-forward units start with the learning window.
fn t_start(exp: &SpikingExperiment) -> u64 {
    exp.training.as_ref().map_or(0, |t| t.schedule.start_step)
}

pub(crate) fn build_plastic(
    exp: &SpikingExperiment,
    training: &SpikingTraining,
    net: &SpikingNetwork,
    trained: &[usize],
) -> PlasticSynapses {
    let n = net.n_neurons();
    let mut r = rng::stream(exp.seed, "plastic");
    let n_ff = training.feedforward.map_or(0, |(u, _)| u);
    match &training.plastic {
        PlasticSpec::AllToAll { std } => {
            PlasticSynapses::all_to_all(n, trained, *std, training.penalty, training.rls, &mut r)
        }
        PlasticSpec::Sampled {
            n_exc,
            n_inh,
            w_exc,
            w_inh,
            inh_population,
        } => {
            let inh: Vec<usize> = net.ranges()[*inh_population].clone().collect();
            // Dale's law: excitatory partners are the trained neurons of excitatory populations.
            let exc: Vec<usize> = trained
                .iter()
                .copied()
                .filter(|&j| net.populations[net.population_of[j]].sign == Sign::Excitatory)
                .collect();
            PlasticSynapses::sampled(
                n,
                trained,
                &exc,
                &inh,
                (*n_exc, *n_inh),
                (*w_exc, *w_inh),
                (n_ff, exp.conditions),
                training.penalty,
                training.rls,
                &mut r,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::spiking::{NetworkSpec, TargetSpec, TrainedSelection};
    use crate::network::plastic::PenaltyWeights;
    use crate::network::Population;
    use crate::neuron::LifParams;
    use crate::train::LearningSchedule;
    use crate::train::RlsOptions;

    /// With every neuron of an E and an I population trained, sampled excitatory partners come
    /// from the E population only (Dale's law), never the neuron itself, and inhibitory
    /// partners from the I population.
    #[test]
    fn sampled_partners_of_all_trained_neurons_obey_dales_law() {
        let spec = NetworkSpec::new(
            vec![
                Population::new("E", 80, Sign::Excitatory, LifParams::tutorial(), 0.5),
                Population::new("I", 40, Sign::Inhibitory, LifParams::tutorial(), 0.5),
            ],
            Connectivity::None,
        );
        let exp = SpikingExperiment::untrained("dale", 4, 0.1, 100, spec);
        let training = SpikingTraining {
            loops: 1,
            schedule: LearningSchedule {
                start_step: 0,
                end_step: 100,
                every_steps: 10,
            },
            penalty: PenaltyWeights {
                lambda: 1.0,
                mu: 0.0,
                lambda_ff: 1.0,
            },
            rls: RlsOptions::default(),
            trained: TrainedSelection::All,
            plastic: PlasticSpec::Sampled {
                n_exc: 79,
                n_inh: 10,
                w_exc: 0.1,
                w_inh: -0.1,
                inh_population: 1,
            },
            feedforward: None,
            target: TargetSpec::Sine {
                amplitude: 1.0,
                period_ms: 100.0,
                offset: Some(0.0),
            },
            eval_every: 0,
        };
        let net = build_network(&exp);
        let trained: Vec<usize> = (0..120).collect();
        let plastic = build_plastic(&exp, &training, &net, &trained);
        assert_eq!(plastic.rows.len(), 120);
        for row in &plastic.rows {
            let (exc, inh) = row.inputs.split_at(row.n_exc);
            assert_eq!((exc.len(), inh.len()), (79, 10));
            // 79 of the 80 E neurons: all of them but the row's own neuron, if it is one.
            assert!(exc
                .iter()
                .all(|&j| (j as usize) < 80 && j as usize != row.neuron));
            assert!(inh.iter().all(|&j| (80..120).contains(&(j as usize))));
        }
    }
}
