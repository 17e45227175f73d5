//! From a validated spiking experiment to a network ready to simulate: static synapses, plastic
//! projections, input components, feed-forward units and the RLS synapses of the trained
//! neurons.

use std::sync::Arc;

use crate::input::{Bias, CueInput, Input, OuCurrentInput, PoissonDriveInput};
use crate::network::{PlasticSynapses, Sign, SpikingNetwork, StaticSynapses};
use crate::neuron_set::SetContext;
use crate::plasticity::PlasticProjection;
use crate::rng;
use crate::stimulus::{Cue, FeedForward};

use super::spiking::{Connectivity, PlasticSpec, SpikingExperiment, SpikingTraining};

/// Builds the network: static synapses (minus those of plastic projections), inputs,
/// feed-forward units and (empty) RLS synapses.
///
/// # Panics
/// If an input's neuron set does not resolve; the experiment-file validation resolves every
/// set against the same network first, so validated experiments never do.
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
    let mut static_synapses = static_synapses(exp, &population_of, &ranges);
    let projections = plastic_projections(exp, &mut static_synapses, &ranges);
    if let Some(latent) = &exp.latent {
        latent.add_weights(
            exp.seed,
            &spec.populations,
            &population_of,
            &mut static_synapses,
        );
    }
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
        decay_on_arrival: spec.decay_on_arrival,
        inputs: inputs(exp, &ranges).unwrap_or_else(|e| panic!("{e}")),
        projections,
        feedforward: feedforward(exp),
    }
}

/// The latent weights form's synapse counts (those [`build_network`] adds the low-rank term to
/// and clips); `None` without `[latent]` or in its current form.
pub(crate) fn latent_weights(
    exp: &SpikingExperiment,
) -> Option<super::latent::weights::LowRankWeights> {
    let latent = exp.latent.as_ref()?;
    if latent.feedback != super::latent::FeedbackForm::Weights {
        return None;
    }
    let pops = &exp.network.populations;
    let population_of: Vec<usize> = (pops.iter().enumerate())
        .flat_map(|(p, pop)| std::iter::repeat_n(p, pop.size))
        .collect();
    let ranges = crate::network::population_ranges(pops);
    let mut synapses = static_synapses(exp, &population_of, &ranges);
    plastic_projections(exp, &mut synapses, &ranges);
    latent.add_weights(exp.seed, pops, &population_of, &mut synapses)
}

/// The static synapses of the connectivity rule, from the `network` stream.
fn static_synapses(
    exp: &SpikingExperiment,
    population_of: &[usize],
    ranges: &[std::ops::Range<usize>],
) -> StaticSynapses {
    let mut r = rng::stream(exp.seed, "network");
    match &exp.network.connectivity {
        Connectivity::None => StaticSynapses::empty(population_of.len()),
        Connectivity::FixedOutDegree { out_degree, weight } => {
            StaticSynapses::fixed_out_degree(population_of, *out_degree, weight, &mut r)
        }
        Connectivity::FixedInDegree { projections } => {
            StaticSynapses::fixed_in_degree(ranges, projections, &mut r)
        }
        Connectivity::Bernoulli { projections } => {
            StaticSynapses::bernoulli(ranges, ranges, projections, &mut r)
        }
    }
}

/// The network's inputs, in the order they add: the populations' bias, the cue, each
/// population's Poisson drive and OU current, then the experiment's `[[inputs]]`.
pub(crate) fn inputs(
    exp: &SpikingExperiment,
    ranges: &[std::ops::Range<usize>],
) -> Result<Vec<Arc<dyn Input>>, String> {
    let pops = &exp.network.populations;
    let mut inputs: Vec<Arc<dyn Input>> = vec![Arc::new(Bias {
        ranges: ranges
            .iter()
            .zip(pops)
            .filter(|(_, p)| p.bias != 0.0)
            .map(|(r, p)| (r.clone(), p.bias))
            .collect(),
    })];
    if let Some(cue) = cue(exp, ranges.last().map_or(0, |r| r.end)) {
        inputs.push(Arc::new(CueInput(cue)));
    }
    for (p, range) in pops.iter().zip(ranges) {
        if let Some(d) = &p.poisson {
            let drive = PoissonDriveInput::new(&p.name, range.clone(), d.clone(), exp.dt_ms);
            inputs.push(Arc::new(drive));
        }
        if let Some(ou) = p.ou_current {
            inputs.push(Arc::new(OuCurrentInput {
                population: p.name.clone(),
                range: range.clone(),
                ou,
                dt_ms: exp.dt_ms,
            }));
        }
    }
    let ctx = SetContext {
        ranges,
        trained: None,
        seed: exp.seed,
    };
    for spec in &exp.inputs {
        inputs.push(spec.build(ctx, exp.dt_ms, exp.network.integration)?);
    }
    if let Some(latent) = &exp.latent {
        let clock = (exp.dt_ms, exp.trial_steps);
        inputs.push(Arc::new(latent.build(exp.seed, pops, clock)));
    }
    Ok(inputs)
}

/// The cue's amplitudes per condition and neuron, from the `cue` stream.
fn cue(exp: &SpikingExperiment, n: usize) -> Option<Cue> {
    exp.cue.as_ref().map(|c| {
        let mut r = rng::stream(exp.seed, "cue");
        Cue {
            start_step: c.start_step,
            end_step: c.end_step,
            amplitude: (0..exp.conditions)
                .map(|_| (0..n).map(|_| c.amplitude.draw(&mut r)).collect())
                .collect(),
        }
    })
}

/// Feed-forward units with frozen OU rates, from the `feedforward-rates` stream.
fn feedforward(exp: &SpikingExperiment) -> Option<FeedForward> {
    let (units, ou) = exp.training.as_ref().and_then(|t| t.feedforward)?;
    let s = t_start(exp);
    let len = (exp.trial_steps - s) as usize;
    Some(FeedForward::ou(
        units,
        s,
        len,
        exp.conditions,
        ou,
        exp.dt_ms,
        &mut rng::stream(exp.seed, "feedforward-rates"),
    ))
}

/// The `[[plasticity]]` projections, their synapses taken out of the static ones.
fn plastic_projections(
    exp: &SpikingExperiment,
    static_synapses: &mut StaticSynapses,
    ranges: &[std::ops::Range<usize>],
) -> Vec<PlasticProjection> {
    let pops = &exp.network.populations;
    exp.plasticity
        .iter()
        .map(|spec| {
            let mut projection = PlasticProjection::take_from(
                static_synapses,
                &format!("{}->{}", pops[spec.pre].name, pops[spec.post].name),
                (ranges[spec.pre].clone(), ranges[spec.post].clone()),
                pops[spec.pre].sign == Sign::Excitatory,
                spec.rule.build(),
                spec.tau_ms,
            );
            projection.active_steps = spec.active_steps;
            projection.record_every(spec.record_every_steps, spec.record_synapses);
            projection
        })
        .collect()
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
        PlasticSpec::AllToAll { std } => PlasticSynapses::all_to_all(
            n,
            trained,
            *std,
            (n_ff, exp.conditions),
            training.penalty,
            training.rls,
            &mut r,
        ),
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
