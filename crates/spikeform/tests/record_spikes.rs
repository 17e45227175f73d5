//! `record_spikes = false` keeps only spike counts: the rates are the same to the last bit, and
//! no spike train, CV or Fano factor is reported.

use spikeform::experiment::spiking::{self, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::network::{Population, Projection, Sign};
use spikeform::neuron::LifParams;

/// 200 E and 50 I neurons with random in-degrees, 500 ms, rates counted after 100 ms.
fn small(record_spikes: bool) -> SpikingExperiment {
    let pop = |name: &str, size, sign, bias| {
        Population::new(name, size, sign, LifParams::tutorial(), bias)
    };
    let projection = |pre, post, weight, in_degree| Projection {
        pre,
        post,
        weight,
        in_degree,
    };
    let mut exp = SpikingExperiment::untrained(
        "record_spikes",
        5,
        0.1,
        5000,
        NetworkSpec::new(
            vec![
                pop("E", 200, Sign::Excitatory, 1.3),
                pop("I", 50, Sign::Inhibitory, 1.1),
            ],
            Connectivity::FixedInDegree {
                projections: vec![
                    projection(0, 0, 0.05, 40),
                    projection(0, 1, 0.08, 40),
                    projection(1, 0, -0.2, 10),
                    projection(1, 1, -0.2, 10),
                ],
            },
        ),
    );
    exp.burn_in_ms = 100.0;
    exp.record_spikes = record_spikes;
    exp
}

#[test]
fn counting_only_gives_the_same_rates_and_no_spike_trains() {
    let kept = spiking::run(&small(true), &mut spikeform::Silent).unwrap();
    let counted = spiking::run(&small(false), &mut spikeform::Silent).unwrap();
    let rates = |r: &spiking::SpikingRunResult| -> Vec<u64> {
        r.activity
            .neuron_rates_hz
            .iter()
            .map(|x| x.to_bits())
            .collect()
    };
    assert!(kept.spikes.iter().map(Vec::len).sum::<usize>() > 100);
    assert_eq!(rates(&kept), rates(&counted));
    assert!(counted.spikes.iter().all(Vec::is_empty));
    for (k, c) in kept
        .activity
        .populations
        .iter()
        .zip(&counted.activity.populations)
    {
        assert_eq!(k.rate_hz.to_bits(), c.rate_hz.to_bits());
        assert!(k.cv_isi.is_finite() && c.cv_isi.is_nan());
        assert!(k.fano.is_finite() && c.fano.is_nan());
    }
    assert_eq!(
        kept.activity.population_rate_hz,
        counted.activity.population_rate_hz
    );
}
