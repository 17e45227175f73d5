//! Sane bounds on counts and times, checked before anything is sized from them, so that no
//! experiment file makes the program allocate without end, overflow a count or run for ever.
//!
//! The bounds are far above any experiment of the specs (the largest example has 66,002
//! neurons, 50 loops, 100 test trials and 30,000 steps per trial); memory within them is
//! judged by the resource estimate ([`super::estimate`]).

use super::raw::{RawExperiment, RawInput, RawNetwork, RawRecordNeurons};
use super::ConfigError;

/// The smallest time step (ms).
pub const MIN_DT_MS: f64 = 1e-4;
/// Steps in one trial (`duration_ms / dt_ms`).
pub const MAX_TRIAL_STEPS: u64 = 10_000_000;
/// Neurons (or rate units) in a network, in one population, in a layer of feed-forward or
/// Poisson units, and entries of an index list.
pub const MAX_NEURONS: usize = 10_000_000;
/// Training loops.
pub const MAX_LOOPS: usize = 100_000;
/// Test trials (and trials whose inputs are recorded).
pub const MAX_TRIALS: usize = 100_000;
/// RLS downdates deferred into one block.
pub const MAX_RLS_BLOCK: usize = 4096;
/// Bins of the PSTH smoothing window.
pub const MAX_SMOOTH_BINS: usize = 1_000_000;
/// Worker threads (`--threads`).
pub const MAX_THREADS: usize = 1024;

/// `key` holds `value`, which must not exceed `max`; `what` says what the bound protects.
pub(super) fn at_most(key: &str, value: usize, max: usize, what: &str) -> Result<(), ConfigError> {
    if value > max {
        return Err(ConfigError::invalid(
            key,
            format!("must be at most {max} ({what}), got {value}"),
        ));
    }
    Ok(())
}

/// Checks every count of `raw` against its bound.
pub(super) fn check(raw: &RawExperiment) -> Result<(), ConfigError> {
    let neurons = "spikeform's bound on neurons and units";
    match &raw.network {
        RawNetwork::Rate(net) => at_most("network.units", net.units, MAX_NEURONS, neurons)?,
        RawNetwork::Spiking(net) => {
            let mut total = 0usize;
            for (k, p) in net.populations.iter().enumerate() {
                let key = format!("network.populations[{k}].size");
                at_most(&key, p.size, MAX_NEURONS, neurons)?;
                total = total.saturating_add(p.size);
                at_most(
                    &key,
                    total,
                    MAX_NEURONS,
                    "spikeform's bound on a network's neurons",
                )?;
            }
        }
    }
    if let Some(t) = &raw.training {
        at_most(
            "training.loops",
            t.loops,
            MAX_LOOPS,
            "spikeform's bound on loops",
        )?;
        let ff = "training.feedforward_units";
        at_most(ff, t.feedforward_units, MAX_NEURONS, neurons)?;
        at_most(
            "training.rls.block",
            t.rls.block,
            MAX_RLS_BLOCK,
            "deferred downdates",
        )?;
        if let Some(fold_every) = t.rls.fold_every {
            at_most(
                "training.rls.fold_every",
                fold_every,
                MAX_RLS_BLOCK,
                "deferred downdates",
            )?;
        }
    }
    let trials = "spikeform's bound on trials";
    at_most("test.trials", raw.test.trials, MAX_TRIALS, trials)?;
    at_most(
        "record.input_trials",
        raw.record.input_trials,
        MAX_TRIALS,
        trials,
    )?;
    let bins = "spikeform's bound on smoothing bins";
    at_most(
        "test.psth_smooth_bins",
        raw.test.psth_smooth_bins,
        MAX_SMOOTH_BINS,
        bins,
    )?;
    if let RawRecordNeurons::Indices(list) = &raw.record.neurons {
        at_most("record.neurons", list.len(), MAX_NEURONS, "entries")?;
    }
    for (k, input) in raw.inputs.iter().enumerate() {
        if let RawInput::PoissonLayer(layer) = input {
            at_most(
                &format!("inputs[{k}].units"),
                layer.units,
                MAX_NEURONS,
                neurons,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_above_its_bound_names_key_bound_and_value() {
        let e = at_most("training.loops", 100_001, MAX_LOOPS, "loops").unwrap_err();
        assert_eq!(
            e.to_string(),
            "training.loops: must be at most 100000 (loops), got 100001"
        );
        assert!(at_most("training.loops", MAX_LOOPS, MAX_LOOPS, "loops").is_ok());
    }
}
