//! The resources a run will need, estimated from the validated experiment before anything is
//! built: memory by item, and work (neuron-steps, synaptic events at the expected rates, RLS
//! bytes read per update). `spikeform check` prints it; `spikeform run` refuses a run whose
//! memory would not fit in the memory available.
//!
//! Memory is the sum of
//! - the program itself ([`BASE_BYTES`]);
//! - neuron state: per simulator `n · (73 + 24 (d + 1))` bytes (membrane, traces, input
//!   views, spike flags; three delivery queues of `d + 1` slots), one simulator for training
//!   and one per test trial running in parallel;
//! - static synapses: 12 bytes each (4-byte target, 8-byte weight) plus 8 per neuron; a fixed
//!   in-degree adds 16 bytes per synapse while they are sorted by presynaptic neuron;
//! - plastic synapses: 16 bytes per recurrent input of a trained neuron (weight, outgoing
//!   index), 16 per feed-forward weight and condition (weight and its mirror by unit);
//! - RLS: `rows · k²` (dense) or `rows · k(k+1)/2` (packed) values of 8 or 4 bytes, `k` inputs
//!   per trained neuron (recurrent + feed-forward), twice while a checkpoint is written;
//! - recordings kept for the results: spike times (8 bytes per expected spike, twice: the
//!   trial's record and the test's copy), 1-ms population counts and input time courses, box
//!   averages of every neuron's input (8 bytes per neuron and update), traces of
//!   `record.neurons`, per kept trial;
//! - rate networks: the dense `n²` weights, `k²` of P per trained unit, and the recorded rates.
//!
//! Expected rates are the mean-field balanced rates where the theory gives them (between 0 and
//! `network.max_rate_hz`), [`NOMINAL_RATE_HZ`] otherwise.

use spikeform::experiment::components::InputSpec;
use spikeform::experiment::predictions::predictions;
use spikeform::experiment::rate::RateExperiment;
use spikeform::experiment::spiking::{
    Connectivity, PlasticSpec, SpikingExperiment, SpikingTraining, TargetSpec, TrainedSelection,
};
use spikeform::train::{Precision, Storage};

use crate::config::Experiment;

/// The program's own memory: code, libraries, thread stacks, allocator (measured: a run of
/// few neurons peaks at about this much).
pub const BASE_BYTES: f64 = 6.0e6;
/// The rate assumed for a population whose mean-field rate is unknown (Hz).
pub const NOMINAL_RATE_HZ: f64 = 10.0;

/// What a run will need.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Memory by item: (what, bytes).
    pub memory: Vec<(&'static str, f64)>,
    /// Neuron (or unit) updates over the whole run.
    pub neuron_steps: f64,
    /// Synaptic events (a spike reaching one synapse) at the expected rates, whole run.
    pub synaptic_events: f64,
    /// Bytes of P read and written by one RLS update of all trained neurons.
    pub rls_bytes_per_update: f64,
    /// RLS updates over the whole run.
    pub rls_updates: f64,
}

impl Estimate {
    /// The total memory (bytes).
    pub fn memory_bytes(&self) -> f64 {
        self.memory.iter().map(|(_, b)| b).sum()
    }

    /// The estimate as lines of text (for `spikeform check`).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "resources (estimate): memory {}\n",
            bytes(self.memory_bytes())
        );
        for (what, b) in &self.memory {
            if *b > 0.0 {
                s += &format!("  {what}: {}\n", bytes(*b));
            }
        }
        s += &format!(
            "  work: {:.3e} neuron-steps, {:.3e} synaptic events at the expected rates",
            self.neuron_steps, self.synaptic_events
        );
        if self.rls_updates > 0.0 {
            s += &format!(
                ", {:.3e} RLS updates of {} each",
                self.rls_updates,
                bytes(self.rls_bytes_per_update)
            );
        }
        s.push('\n');
        s
    }
}

/// `b` bytes in MB or GB.
pub fn bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// The estimate for `exp`, run with `threads` worker threads.
pub fn estimate(exp: &Experiment, threads: usize) -> Estimate {
    match exp {
        Experiment::Rate(r) => rate(r),
        Experiment::Spiking(s) => spiking(s, threads.max(1)),
    }
}

fn rate(exp: &RateExperiment) -> Estimate {
    let n = exp.n_units as f64;
    let m = exp.trained_units as f64;
    let k = exp.connection_prob * (n - 1.0).max(0.0);
    let steps = exp.trial_steps as f64;
    let samples = (exp.trial_steps / exp.record_every_steps) as f64;
    let trials = (exp.loops + exp.test_trials) as f64;
    // Per trial: trained drive and target over two windows, and the recorded rates.
    let per_trial = 8.0 * (4.0 * steps * m + samples * (m + n));
    let updates = exp.schedule.updates_per_trial() as f64 * exp.loops as f64;
    Estimate {
        memory: vec![
            ("program", BASE_BYTES),
            ("weights", 8.0 * n * n),
            ("RLS matrices", 8.0 * m * k * k),
            ("recordings", per_trial * 2.0),
        ],
        neuron_steps: n * steps * trials,
        synaptic_events: n * n * steps * trials,
        rls_bytes_per_update: 8.0 * m * k * k,
        rls_updates: updates,
    }
}

/// Expected rate of every population (Hz).
fn expected_rates(exp: &SpikingExperiment) -> Vec<f64> {
    let pops = &exp.network.populations;
    let theory = predictions(exp).balanced_rates_hz;
    pops.iter()
        .enumerate()
        .map(|(a, _)| {
            theory
                .as_ref()
                .and_then(|r| r.get(a))
                .map(|(_, r)| *r)
                .filter(|r| r.is_finite() && *r > 0.0 && *r <= exp.max_rate_hz)
                .unwrap_or(NOMINAL_RATE_HZ)
        })
        .collect()
}

/// Expected static synapses onto each population (`[post]`) from each (`[post][pre]`).
fn static_synapses(exp: &SpikingExperiment) -> Vec<Vec<f64>> {
    let pops = &exp.network.populations;
    let np = pops.len();
    let n: f64 = pops.iter().map(|p| p.size as f64).sum();
    let mut s = vec![vec![0.0; np]; np];
    match &exp.network.connectivity {
        Connectivity::None => {}
        Connectivity::FixedOutDegree { out_degree, weight } => {
            for (b, pre) in pops.iter().enumerate() {
                for (a, post) in pops.iter().enumerate() {
                    // Targets are drawn among all other neurons; pairs without weight too.
                    let share = post.size as f64 / n;
                    if weight[b][a] != 0.0 || weight[b].iter().all(|&w| w == 0.0) {
                        s[a][b] += pre.size as f64 * *out_degree as f64 * share;
                    }
                }
            }
        }
        Connectivity::FixedInDegree { projections } => {
            for p in projections {
                s[p.post][p.pre] += pops[p.post].size as f64 * p.in_degree as f64;
            }
        }
        Connectivity::Bernoulli { projections } => {
            for p in projections {
                s[p.post][p.pre] +=
                    p.probability * pops[p.pre].size as f64 * pops[p.post].size as f64;
            }
        }
    }
    s
}

/// Trained neurons and recurrent plastic inputs per trained neuron.
fn trained_rows(exp: &SpikingExperiment, t: &SpikingTraining) -> (f64, f64) {
    let pops = &exp.network.populations;
    let n: usize = pops.iter().map(|p| p.size).sum();
    let rows = match (&t.trained, &t.target) {
        (TrainedSelection::All, _) => n,
        (TrainedSelection::Random { count, .. }, _) => *count,
        (TrainedSelection::MatchRecorded { .. }, TargetSpec::Recorded { conditions, .. }) => {
            conditions.first().map_or(0, |c| c.n_neurons)
        }
        (TrainedSelection::MatchRecorded { population }, _) => pops[*population].size,
    } as f64;
    let inputs = match &t.plastic {
        PlasticSpec::AllToAll { .. } => rows - 1.0,
        PlasticSpec::Sampled { n_exc, n_inh, .. } => (*n_exc + *n_inh) as f64,
    };
    (rows, inputs.max(0.0))
}

fn spiking(exp: &SpikingExperiment, threads: usize) -> Estimate {
    let pops = &exp.network.populations;
    let n: f64 = pops.iter().map(|p| p.size as f64).sum();
    let np = pops.len() as f64;
    let rates = expected_rates(exp);
    let trial_s = exp.trial_steps as f64 * exp.dt_ms / 1000.0;
    let steps = exp.trial_steps as f64;
    let d = exp.network.delay_steps as f64;

    // Static synapses and the spikes they carry.
    let syn = static_synapses(exp);
    let building = match exp.network.connectivity {
        Connectivity::FixedInDegree { .. } => 16.0,
        _ => 0.0,
    };
    let n_syn: f64 = syn.iter().flatten().sum();
    let events_per_s: f64 = syn
        .iter()
        .map(|row| row.iter().zip(&rates).map(|(s, r)| s * r).sum::<f64>())
        .sum();
    let spikes_per_trial: f64 = pops
        .iter()
        .zip(&rates)
        .map(|(p, r)| p.size as f64 * r * trial_s)
        .sum();
    let mut layer_units = 0.0;
    let mut layer_syn = 0.0;
    for input in &exp.inputs {
        if let InputSpec::PoissonLayer {
            units, projections, ..
        } = input
        {
            layer_units += *units as f64;
            for p in projections {
                layer_syn += p.probability * *units as f64 * pops[p.post].size as f64;
            }
        }
    }

    // Trials: training loops (one per condition, plus evaluations), then the test or the
    // untrained simulation.
    let conditions = exp.conditions as f64;
    let kept_trials = conditions * exp.test_trials as f64;
    let (mut plastic, mut rls, mut rls_update, mut updates, mut boxes) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut train_trials = 0.0;
    if let Some(t) = &exp.training {
        let (rows, inputs) = trained_rows(exp, t);
        let ff = t.feedforward.map_or(0.0, |(u, _)| u as f64);
        let k = inputs + ff;
        let per_row = match t.rls.storage {
            Storage::Dense => k * k,
            Storage::Packed => k * (k + 1.0) / 2.0,
        };
        let width = match t.rls.precision {
            Precision::F64 => 8.0,
            Precision::F32 => 4.0,
            Precision::F16 => 2.0,
        };
        plastic = 16.0 * rows * (inputs + ff * conditions) + 8.0 * n;
        rls = 2.0 * rows * per_row * width;
        rls_update = rows * per_row * width;
        let per_trial = t.schedule.updates_per_trial() as f64;
        updates = per_trial * conditions * t.loops as f64;
        boxes = 8.0 * n * per_trial;
        let evals = t.loops.checked_div(t.eval_every).unwrap_or(0) as f64;
        train_trials = 1.0 + conditions * t.loops as f64 + evals;
    }
    let all_trials = train_trials + kept_trials;
    if let Some(t) = exp
        .latent
        .as_ref()
        .and_then(|l| l.readout_training.as_ref())
    {
        // The trained latent readout: P (N_T², f64) in the simulator's input state, and one
        // dense update per learning step of every trial.
        let n_t = t.neurons as f64;
        rls += 8.0 * n_t * n_t * 2.0;
        rls_update = rls_update.max(8.0 * n_t * n_t);
        let per_trial =
            ((t.learn_steps.1 + 1).saturating_sub(t.learn_steps.0)).div_ceil(t.every_steps) as f64;
        updates += per_trial * kept_trials;
    }

    let parallel = kept_trials.min(threads as f64).max(1.0);
    let simulator = n * (73.0 + 24.0 * (d + 1.0)) + 16.0 * layer_units;
    let ms = trial_s * 1000.0;
    let burn_in = (ms - exp.burn_in_ms).max(0.0);
    let per_kept_trial =
        16.0 * spikes_per_trial + 4.0 * np * ms + 32.0 * np * burn_in + 32.0 * n + boxes;
    let traces =
        8.0 * 4.0 * exp.record_neurons.len() as f64 * steps / exp.record_every_steps as f64;
    Estimate {
        memory: vec![
            ("program", BASE_BYTES),
            ("neuron state", simulator * (1.0 + parallel)),
            (
                "static synapses",
                (12.0 + building) * n_syn + 12.0 * layer_syn + 8.0 * n,
            ),
            ("plastic synapses", plastic),
            ("RLS matrices", rls),
            ("recordings", per_kept_trial * (kept_trials + 1.0) + traces),
        ],
        neuron_steps: (n + layer_units) * steps * all_trials,
        synaptic_events: events_per_s * trial_s * all_trials,
        rls_bytes_per_update: rls_update,
        rls_updates: updates,
    }
}

/// The memory available to a new process (bytes): `MemAvailable` of `/proc/meminfo`, `None`
/// where it cannot be read (other systems).
pub fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

/// `MemAvailable` (kB) of a `/proc/meminfo` text, in bytes.
fn parse_meminfo(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_gives_the_available_memory_in_bytes() {
        let text = "MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    8000000 kB\n";
        assert_eq!(parse_meminfo(text), Some(8_192_000_000.0));
        assert_eq!(parse_meminfo("MemTotal: 5 kB\n"), None);
    }

    #[test]
    fn sizes_read_in_megabytes_or_gigabytes() {
        assert_eq!(bytes(12.0e6), "12.0 MB");
        assert_eq!(bytes(7.1e9), "7.10 GB");
    }
}
