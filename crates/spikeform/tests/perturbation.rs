//! Perturbation sweeps on the Akil et al. network (`../shared/spec/perturbation.md`): the
//! paradoxical I response (O1), subset stimulation (O2), the approach to −W⁻¹δX (O3), and
//! results that do not depend on the number of threads.
//!
//! The fast tests use short windows; the spec's protocol (N = 5000, 5-s windows) runs in the
//! ignored tests: `cargo test --release -p spikeform --test perturbation -- --ignored`.

use spikeform::experiment::components::InputSpec;
use spikeform::experiment::perturbation::{
    AmplitudeUnits, PerturbationResult, PerturbationSpec, StepWindow, Stimulus,
};
use spikeform::experiment::spiking::{self, Connectivity, NetworkSpec, SpikingExperiment};
use spikeform::network::{Population, ProbabilityProjection, Sign};
use spikeform::neuron::{EifParams, LifParams, NeuronModel};
use spikeform::neuron_set::{NeuronSet, Selection};

/// The Akil network of `n` neurons (recurrent weights × `coupling`, external weights `j_x`),
/// a trial of `duration_ms` with the stimulus on from `start_ms`, statistics of the stimulus
/// window after a 500-ms onset.
fn akil(n: usize, coupling: f64, j_x: (f64, f64), duration_ms: f64) -> SpikingExperiment {
    let sqrt_n = (n as f64).sqrt();
    let neuron = LifParams::akil();
    let population = |name, size, sign| Population {
        model: NeuronModel::Eif(EifParams::akil()),
        ..Population::new(name, size, sign, neuron.clone(), 0.0)
    };
    let projection = |pre, post, j: f64| ProbabilityProjection {
        pre,
        post,
        weight: j / sqrt_n,
        probability: 0.1,
    };
    let mut spec = NetworkSpec::new(
        vec![
            population("E", n * 4 / 5, Sign::Excitatory),
            population("I", n / 5, Sign::Inhibitory),
        ],
        Connectivity::Bernoulli {
            projections: vec![
                projection(0, 0, 25.0 * coupling),
                projection(0, 1, 112.5 * coupling),
                projection(1, 0, -150.0 * coupling),
                projection(1, 1, -250.0 * coupling),
            ],
        },
    );
    spec.tau_exc_ms = 8.0;
    spec.tau_inh_ms = 4.0;
    spec.reset_queues = false;
    spec.decay_on_arrival = true;
    let mut exp = SpikingExperiment::untrained("akil", 1, 0.1, (duration_ms / 0.1) as u64, spec);
    exp.burn_in_ms = 500.0;
    exp.max_rate_hz = 50.0;
    exp.inputs.push(InputSpec::PoissonLayer {
        name: "X".into(),
        units: n / 5,
        rate_hz: 10.0,
        tau_ms: 10.0,
        projections: vec![projection(0, 0, j_x.0), projection(0, 1, j_x.1)],
    });
    exp
}

/// `exp` with a constant-current sweep on `set`, on from 1000 ms to the end of the trial.
fn with_sweep(
    mut exp: SpikingExperiment,
    set: NeuronSet,
    amplitudes: &[f64],
    units: AmplitudeUnits,
) -> SpikingExperiment {
    let end = exp.trial_steps;
    exp.perturbation = Some(PerturbationSpec {
        neurons: Selection::plain(set),
        stimulus: Stimulus::Constant,
        amplitudes: amplitudes.to_vec(),
        units,
        on: StepWindow { start: 10_000, end },
        onset_steps: 5_000,
        baseline: StepWindow {
            start: 5_000,
            end: 10_000,
        },
        post: None,
    });
    exp
}

fn sweep(exp: &SpikingExperiment) -> PerturbationResult {
    let result = spiking::run(exp, &mut spikeform::Silent).unwrap();
    result.perturbation.unwrap()
}

fn print(p: &PerturbationResult) {
    for g in &p.groups {
        println!("{:>14}: {:?}", g.name, p.stimulus_rates(&g.name).unwrap());
    }
    if let Some(t) = &p.theory {
        println!("theory: {:?}", t.rate_hz);
    }
}

/// Same numbers with one thread and with two: each amplitude is an independent trial.
#[test]
fn a_sweep_does_not_depend_on_the_thread_count() {
    let exp = with_sweep(
        akil(1000, 1.0, (180.0, 135.0), 2000.0),
        NeuronSet::Fraction {
            population: 1,
            fraction: 0.5,
        },
        &[0.0, 0.5, 1.0],
        AmplitudeUnits::Raw,
    );
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut p = pool.install(|| sweep(&exp));
        p.sweep_seconds = 0.0;
        p
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one, two);
    // The baseline windows are identical: the stimulus starts after them, same streams.
    let base = &one.groups[0].windows[0];
    assert!(base
        .iter()
        .all(|r| r.mean_hz.to_bits() == base[0].mean_hz.to_bits()));
    assert_ne!(one.groups[0].windows[1][0], one.groups[0].windows[1][2]);
}

/// O1, fast: every I cell stimulated at s' = 0, 0.02, 0.06 (√N units), N = 5000, 1.5-s
/// windows. r_I falls from 0 to 0.02 and rises again by 0.06 (V shape); r_E falls towards 0;
/// the E slope is within ±30% of 77% of −W⁻¹ (the spec's finite-N attenuation: 77% of
/// −176 Hz); theory at N = ∞ is the spec's.
#[test]
fn stimulating_every_i_cell_is_paradoxical_o1_fast() {
    let exp = with_sweep(
        akil(5000, 1.0, (180.0, 135.0), 3000.0),
        NeuronSet::Population(1),
        &[0.0, 0.02, 0.06],
        AmplitudeUnits::SqrtN,
    );
    let p = sweep(&exp);
    print(&p);
    let (e, i) = (
        p.stimulus_rates("e").unwrap(),
        p.stimulus_rates("i").unwrap(),
    );
    assert!(i[1] < i[0], "dr_I/ds' < 0: {i:?}");
    assert!(i[2] > i[1], "V-shaped I response: {i:?}");
    assert!(e[1] < e[0] && e[2] < 0.5, "E falls to ~0: {e:?}");
    let slope = (e[1] - e[0]) / 0.02;
    let theory = p.theory.as_ref().unwrap();
    assert!((theory.slope_hz[0] + 176.47).abs() < 0.01);
    assert!((theory.slope_hz[1] + 117.65).abs() < 0.01);
    assert!((theory.silenced_at[0].unwrap() - 0.033).abs() < 1e-6);
    let ratio = slope / theory.slope_hz[0];
    println!("E slope {slope:.1} Hz, {:.0}% of theory", 100.0 * ratio);
    assert!((ratio / 0.77 - 1.0).abs() < 0.3, "E slope ratio {ratio}");
    assert!((theory.rate_hz[1][2].unwrap() - 17.4).abs() < 1e-6);
}

/// O1's weak control, fast: recurrent weights × 0.1, j_x = 90; raw I currents 0, 0.2, 0.4
/// raise r_I monotonically (no paradox) and lower r_E.
#[test]
fn the_weakly_coupled_control_is_not_paradoxical_o1_fast() {
    let exp = with_sweep(
        akil(5000, 0.1, (90.0, 90.0), 3000.0),
        NeuronSet::Population(1),
        &[0.0, 0.2, 0.4],
        AmplitudeUnits::Raw,
    );
    let p = sweep(&exp);
    print(&p);
    let (e, i) = (
        p.stimulus_rates("e").unwrap(),
        p.stimulus_rates("i").unwrap(),
    );
    assert!(i[0] < i[1] && i[1] < i[2], "r_I increases: {i:?}");
    assert!(e[0] > e[1] && e[1] > e[2], "r_E decreases: {e:?}");
}

/// O2, fast: half of the E cells, then half of the I cells, at A = 0.3 and 1: the other cells
/// of the stimulated population go down; with half the I cells at A = 0.3 the population-mean
/// I rate changes by less than 5%.
#[test]
fn non_stimulated_cells_of_the_stimulated_population_go_down_o2_fast() {
    for population in [0, 1] {
        let exp = with_sweep(
            akil(5000, 1.0, (180.0, 135.0), 3000.0),
            NeuronSet::Fraction {
                population,
                fraction: 0.5,
            },
            &[0.0, 0.3, 1.0],
            AmplitudeUnits::Raw,
        );
        let p = sweep(&exp);
        print(&p);
        let name = ["e", "i"][population];
        let stim = p.stimulus_rates(&format!("{name}_stimulated")).unwrap();
        let other = p.stimulus_rates(&format!("{name}_other")).unwrap();
        assert!(
            stim[1] > stim[0] && stim[2] > stim[1],
            "{name} stimulated {stim:?}"
        );
        assert!(
            other[1] < other[0] && other[2] < other[1],
            "{name} other {other:?}"
        );
        if population == 1 {
            let i = p.stimulus_rates("i").unwrap();
            assert!((i[1] / i[0] - 1.0).abs() < 0.05, "population I {i:?}");
        }
    }
}

/// O3: the simulated response approaches the balanced limit as N grows. All I cells at
/// s' = 0.01 (E not yet silenced): Δr/(−W⁻¹e_I s') for E and I; half of the I cells at a raw
/// A = 1: the change of the population-mean I rate, which balance keeps O(A/√N). Sizes from
/// `SPIKEFORM_O3_SIZES` (default `1250,5000`; the docs give 20000, measured once). Asserts that
/// the E ratio moves towards 1 and the subset's population change shrinks from the smallest to
/// the largest N. `cargo test --release -p spikeform --test perturbation o3 -- --ignored
/// --nocapture`.
#[test]
#[ignore]
fn o3_the_response_approaches_the_balanced_limit() {
    let sizes: Vec<usize> = std::env::var("SPIKEFORM_O3_SIZES")
        .unwrap_or_else(|_| "1250,5000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let mut rows = Vec::new();
    for &n in &sizes {
        let all = sweep(&with_sweep(
            akil(n, 1.0, (180.0, 135.0), 4000.0),
            NeuronSet::Population(1),
            &[0.0, 0.01],
            AmplitudeUnits::SqrtN,
        ));
        let t = all.theory.as_ref().unwrap();
        let ratio = |g: &str, p: usize| {
            let r = all.stimulus_rates(g).unwrap();
            (r[1] - r[0]) / (t.slope_hz[p] * 0.01)
        };
        let half = sweep(&with_sweep(
            akil(n, 1.0, (180.0, 135.0), 4000.0),
            NeuronSet::Fraction {
                population: 1,
                fraction: 0.5,
            },
            &[0.0, 1.0],
            AmplitudeUnits::Raw,
        ));
        let i = half.stimulus_rates("i").unwrap();
        let row = (n, ratio("e", 0), ratio("i", 1), (i[1] - i[0]).abs());
        println!(
            "N = {n}: Δr_E/theory = {:.3}, Δr_I/theory = {:.3}, |Δ mean r_I| (50% of I, A = 1) = {:.3} Hz",
            row.1, row.2, row.3
        );
        rows.push(row);
    }
    let (first, last) = (rows[0], rows[rows.len() - 1]);
    assert!((last.1 - 1.0).abs() < (first.1 - 1.0).abs(), "{rows:?}");
    assert!(last.3 < first.3, "{rows:?}");
}

/// Four populations (E, PV, SOM, VIP; the spec's §2e): the sweep reports every population and
/// the stimulated/other cells of the partly stimulated one; the theory's slope solves the 4 × 4
/// linear response Σ_b K_ab J_ab δr_b = −δX_a (δX_VIP = half the VIP cells × A); the
/// stimulated VIP cells fire more.
#[test]
fn sweeps_handle_more_than_two_populations() {
    let names = ["E", "PV", "SOM", "VIP"];
    let sizes = [400, 100, 100, 100];
    let pops: Vec<Population> = names
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(k, (name, size))| {
            let sign = if k == 0 {
                Sign::Excitatory
            } else {
                Sign::Inhibitory
            };
            let bias = [1.4, 1.2, 1.1, 1.1][k];
            Population::new(name, size, sign, LifParams::tutorial(), bias)
        })
        .collect();
    // (pre, post, weight): E excites all; PV inhibits E, PV; SOM inhibits E, PV, VIP; VIP
    // inhibits SOM.
    let wiring = [
        (0, 0, 0.02),
        (0, 1, 0.04),
        (0, 2, 0.03),
        (0, 3, 0.03),
        (1, 0, -0.06),
        (1, 1, -0.06),
        (2, 0, -0.04),
        (2, 1, -0.03),
        (2, 3, -0.03),
        (3, 2, -0.05),
    ];
    let projections: Vec<_> = wiring
        .iter()
        .map(|&(pre, post, weight)| spikeform::network::Projection {
            pre,
            post,
            weight,
            in_degree: 40,
        })
        .collect();
    let spec = NetworkSpec::new(pops, Connectivity::FixedInDegree { projections });
    let exp = SpikingExperiment::untrained("four", 3, 0.1, 20_000, spec);
    let exp = with_sweep(
        exp,
        NeuronSet::Fraction {
            population: 3,
            fraction: 0.5,
        },
        &[0.0, 0.3],
        AmplitudeUnits::Raw,
    );
    let p = sweep(&exp);
    print(&p);
    let names: Vec<&str> = p.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["e", "pv", "som", "vip", "vip_stimulated", "vip_other"]
    );
    let theory = p.theory.as_ref().unwrap();
    assert_eq!(theory.rate_hz.len(), 4);
    for a in 0..4 {
        let delta_x = if a == 3 { 0.5 } else { 0.0 };
        let response: f64 = wiring
            .iter()
            .filter(|w| w.1 == a)
            .map(|&(pre, _, weight)| 40.0 * weight * theory.slope_hz[pre] / 1000.0)
            .sum();
        assert!(
            (response + delta_x).abs() < 1e-9,
            "population {a}: {response}"
        );
    }
    let vip = p.stimulus_rates("vip_stimulated").unwrap();
    assert!(vip[1] > vip[0], "{vip:?}");
}

/// O4 (attenuation by suppression, `perturbation.md` §2g): every cell gets a constant
/// modulation m_i·κ (m_i ~ N(0, 1), κ = 0.5) for the whole trial; a random 20% of the E cells get
/// a probe δ = 0.3 from 1 s on (statistics over 1.5–6 s). Δr = r(δ) − r(0) of the probed cells binned by m: cells
/// suppressed below 1 Hz (m < −1) respond less than 0.3 × the response of cells near rest
/// (|m| < 0.25); the ratio for excited cells (m > 1) is printed (model dependent; the spec's
/// reference: +66%).
#[test]
fn suppressed_cells_respond_less_to_a_probe_o4() {
    use rand_distr::{Distribution, StandardNormal};
    let mut exp = akil(5000, 1.0, (180.0, 135.0), 6000.0);
    let mut r = spikeform::rng::stream(11, "o4-loadings");
    let m: Vec<f64> = (0..5000).map(|_| StandardNormal.sample(&mut r)).collect();
    let kappa = 0.5;
    exp.inputs.push(InputSpec::WindowedCurrent {
        name: "modulation".into(),
        neurons: Selection {
            set: NeuronSet::All,
            gains: spikeform::neuron_set::Gains::Given(m.iter().map(|x| x * kappa).collect()),
        },
        start_step: 0,
        end_step: exp.trial_steps,
        waveform: spikeform::input::Waveform::Constant { amplitude: 1.0 },
    });
    let exp = with_sweep(
        exp,
        NeuronSet::Fraction {
            population: 0,
            fraction: 0.2,
        },
        &[0.0, 0.3],
        AmplitudeUnits::Raw,
    );
    let p = sweep(&exp);
    let probed = &p
        .groups
        .iter()
        .find(|g| g.name == "e_stimulated")
        .unwrap()
        .cells;
    let (r0, r1) = (&p.neuron_rates_hz[0][1], &p.neuron_rates_hz[1][1]);
    let bin = |keep: &dyn Fn(f64) -> bool| -> (f64, f64) {
        let cells: Vec<usize> = probed.iter().copied().filter(|&i| keep(m[i])).collect();
        let n = cells.len() as f64;
        let base = cells.iter().map(|&i| r0[i]).sum::<f64>() / n;
        let delta = cells.iter().map(|&i| r1[i] - r0[i]).sum::<f64>() / n;
        (base, delta)
    };
    let suppressed = bin(&|x| x < -1.0);
    let rest = bin(&|x| x.abs() < 0.25);
    let excited = bin(&|x| x > 1.0);
    println!(
        "baseline / Δr: m < -1 {suppressed:.2?}, |m| < 0.25 {rest:.2?}, m > 1 {excited:.2?}; \
         excited/rest = {:.2}",
        excited.1 / rest.1
    );
    assert!(
        suppressed.0 < 1.0,
        "κ suppresses m < -1 below 1 Hz: {suppressed:?}"
    );
    assert!(
        suppressed.1 < 0.3 * rest.1,
        "attenuated: {suppressed:?} vs {rest:?}"
    );
}
