//! Mean-field predictions for a spiking experiment, reported next to its simulation.

use super::components::InputSpec;
use super::spiking::{Connectivity, SpikingExperiment};
use crate::network::Sign;
use crate::theory::{BrunelModelA, BrunelState, PopulationCoupling, TwoPopulationMeanField};

/// What mean-field theory predicts for a network.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// Leading-order (K → ∞) balanced rates per population (Hz), from `Σ_b K_ab J_ab r_b = −μ_a`
    /// (with `J` scaled by τ_m for voltage-jump synapses); `None` if the system is singular.
    pub balanced_rates_hz: Option<Vec<(String, f64)>>,
    /// Populations a semi-balanced solution silences.
    pub silenced: Vec<String>,
    /// Brunel's model A self-consistent state, when the network has its form (two populations,
    /// voltage-jump synapses, fixed in-degrees, Poisson drive).
    pub brunel: Option<BrunelState>,
    /// Brunel's balanced limit `ν_ext/(gγ − 1)` (Hz), when defined.
    pub brunel_limit_hz: Option<f64>,
}

/// The mean current per ms each population receives from the external Poisson layers:
/// `Σ_layers p · units · J · rate` (unit-area synaptic kernels).
fn external_layer_drive(exp: &SpikingExperiment) -> Vec<f64> {
    let mut drive = vec![0.0; exp.network.populations.len()];
    for input in exp.inputs.iter().filter_map(InputSpec::as_poisson_layer) {
        if let InputSpec::PoissonLayer {
            units,
            rate_hz,
            projections,
            ..
        } = input
        {
            for p in projections {
                drive[p.post] += p.probability * *units as f64 * p.weight * rate_hz / 1000.0;
            }
        }
    }
    drive
}

/// Mean in-degree `K_ab` (post a, pre b) and weight `J_ab` of the static connectivity.
fn in_degrees_and_weights(exp: &SpikingExperiment) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let net = &exp.network;
    let pops = &net.populations;
    let np = pops.len();
    let n: usize = pops.iter().map(|p| p.size).sum();
    let mut k = vec![vec![0.0; np]; np];
    let mut j = vec![vec![0.0; np]; np];
    match &net.connectivity {
        Connectivity::None => {}
        Connectivity::FixedOutDegree { out_degree, weight } => {
            for a in 0..np {
                for b in 0..np {
                    let others = if a == b {
                        pops[b].size - 1
                    } else {
                        pops[b].size
                    };
                    k[a][b] = *out_degree as f64 * others as f64 / (n - 1).max(1) as f64;
                    j[a][b] = weight[b][a];
                }
            }
        }
        Connectivity::FixedInDegree { projections } => {
            for p in projections {
                k[p.post][p.pre] = p.in_degree as f64;
                j[p.post][p.pre] = p.weight;
            }
        }
        Connectivity::Bernoulli { projections } => {
            for p in projections {
                k[p.post][p.pre] = p.probability * pops[p.pre].size as f64;
                j[p.post][p.pre] = p.weight;
            }
        }
    }
    (k, j)
}

/// The mean-field coupling of `exp`'s populations: mean in-degrees K_ab, weights J_ab (times τ_m
/// for voltage-jump synapses) and the mean external drive per population (bias, Poisson drive,
/// external Poisson layers).
pub fn coupling(exp: &SpikingExperiment) -> PopulationCoupling {
    let net = &exp.network;
    let pops = &net.populations;
    let np = pops.len();
    let (k, j) = in_degrees_and_weights(exp);
    // Voltage-jump synapses deliver J per spike to v, i.e. a mean current τ_m J r.
    let scale = |a: usize, b: usize| -> f64 {
        let tau = match pops[b].sign {
            Sign::Excitatory => net.tau_exc_ms,
            Sign::Inhibitory => net.tau_inh_ms,
        };
        if tau > 0.0 {
            1.0
        } else {
            pops[a].neuron.tau_membrane_ms
        }
    };
    let weight: Vec<Vec<f64>> = (0..np)
        .map(|a| (0..np).map(|b| j[a][b] * scale(a, b)).collect())
        .collect();
    let bias: Vec<f64> = pops
        .iter()
        .map(|p| {
            let drive = p.poisson.as_ref().map_or(0.0, |d| {
                let per_ms = d.inputs as f64 * d.rate_hz / 1000.0 * d.weight;
                if net.tau_exc_ms > 0.0 {
                    per_ms
                } else {
                    per_ms * p.neuron.tau_membrane_ms
                }
            });
            p.bias + drive
        })
        .zip(external_layer_drive(exp))
        .map(|(b, x)| b + x)
        .collect();
    PopulationCoupling {
        in_degree: k,
        weight,
        bias,
    }
}

/// Computes the predictions for `exp`.
pub fn predictions(exp: &SpikingExperiment) -> Predictions {
    let net = &exp.network;
    let pops = &net.populations;
    let np = pops.len();
    let (k, j) = in_degrees_and_weights(exp);
    let coupling = coupling(exp);
    let (balanced_rates_hz, silenced) = match coupling.balanced_rates() {
        Ok(sol) => (
            Some(
                pops.iter()
                    .zip(&sol.rates)
                    .map(|(p, r)| (p.name.clone(), r * 1000.0))
                    .collect(),
            ),
            sol.silenced.iter().map(|&s| pops[s].name.clone()).collect(),
        ),
        Err(_) => (None, Vec::new()),
    };
    let mut brunel = None;
    let mut brunel_limit_hz = None;
    if let (Connectivity::FixedInDegree { .. }, true, 2) = (
        &net.connectivity,
        net.tau_exc_ms == 0.0 && net.tau_inh_ms == 0.0,
        np,
    ) {
        let (e, i) = (&pops[0], &pops[1]);
        if let (Some(d), Sign::Excitatory, Sign::Inhibitory) = (&e.poisson, e.sign, i.sign) {
            let c_e = k[0][0];
            let j_mv = j[0][0];
            if c_e > 0.0 && j_mv > 0.0 {
                let mut model = BrunelModelA {
                    c_e,
                    gamma: k[0][1] / c_e,
                    j_mv,
                    g: -j[0][1] / j_mv,
                    eta: 1.0,
                    theta_mv: e.neuron.threshold - e.neuron.v_rest,
                    reset_mv: e.neuron.reset - e.neuron.v_rest,
                    tau_ms: e.neuron.tau_membrane_ms,
                    refractory_ms: e.neuron.refractory_ms,
                };
                model = model.with_external_rate_hz(d.rate_hz * d.inputs as f64 / c_e);
                brunel = model.self_consistent_state().ok();
                brunel_limit_hz = model.balanced_limit_rate_hz().ok();
            }
        }
    }
    Predictions {
        balanced_rates_hz,
        silenced,
        brunel,
        brunel_limit_hz,
    }
}

/// The two-population mean field of an E–I network (population 0 excitatory, 1 inhibitory,
/// filtered synapses) in raw units: `W'_ab = K_ab·J_ab` with the static mean weights, or the
/// plastic projections' initial means, `X'` the mean external current per ms, rates in kHz,
/// fixed-point weights as raw weights `J` (scale `K_ab`). `N_x` counts the external layers'
/// units. `None` for other networks. In raw units `√N` is absorbed into W', so
/// [`TwoPopulationMeanField::finite_n_rates`] takes the measured net inputs with `n = 1`.
pub fn two_population_mean_field(exp: &SpikingExperiment) -> Option<TwoPopulationMeanField> {
    let pops = &exp.network.populations;
    if pops.len() != 2
        || pops[0].sign != Sign::Excitatory
        || pops[1].sign != Sign::Inhibitory
        || exp.network.tau_exc_ms <= 0.0
        || exp.network.tau_inh_ms <= 0.0
    {
        return None;
    }
    let (k, j) = in_degrees_and_weights(exp);
    let drive = external_layer_drive(exp);
    let mut layer = (0.0, 0.0);
    for input in exp.inputs.iter().filter_map(InputSpec::as_poisson_layer) {
        if let InputSpec::PoissonLayer { units, rate_hz, .. } = input {
            layer = (layer.0 + *units as f64, *rate_hz / 1000.0);
        }
    }
    let (n_x, r_x) = layer;
    let mut w = [[0.0; 2]; 2];
    let mut scale = [[0.0; 2]; 2];
    for a in 0..2 {
        for b in 0..2 {
            w[a][b] = k[a][b] * j[a][b];
            scale[a][b] = k[a][b];
        }
    }
    let x = [drive[0] + pops[0].bias, drive[1] + pops[1].bias];
    Some(TwoPopulationMeanField {
        w,
        x,
        scale,
        r_x,
        n_x,
    })
}
