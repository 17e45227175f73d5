//! `[training]` of a spiking experiment: the learning window, the penalties, which neurons are
//! trained and with which plastic synapses, feed-forward units and RLS storage.

use spikeform::experiment::spiking::{PlasticSpec, SpikingTraining, TrainedSelection};
use spikeform::network::plastic::PenaltyWeights;
use spikeform::network::{Population, Sign};
use spikeform::stimulus::OuRates;
use spikeform::train::{Precision, RlsOptions, Storage, UpdateRule};

use super::{population_index, target, Context};
use crate::config::raw::{
    RawExperiment, RawPlastic, RawPrecision, RawRls, RawStorage, RawTrained, RawTraining, RawUpdate,
};
use crate::config::validate::{
    finite, non_negative, positive, positive_count, Clock, LearningWindow,
};
use crate::config::ConfigError;

/// Checks `[training]` and the `[target]` it trains towards.
pub(super) fn training(
    t: &RawTraining,
    raw: &RawExperiment,
    context: &Context,
) -> Result<SpikingTraining, ConfigError> {
    let stimulus_end_ms = raw.stimulus.as_ref().map_or(0.0, |s| s.end_ms);
    let window = window(t, stimulus_end_ms, context.clock)?;
    let penalty = PenaltyWeights {
        lambda: positive("training.penalty_lambda", t.penalty_lambda)?,
        mu: non_negative("training.penalty_mu", t.penalty_mu)?,
        lambda_ff: positive("training.penalty_ff", t.penalty_ff)?,
    };
    let trained = trained(t, context.populations)?;
    let plastic = plastic(t, context.populations)?;
    let target = target::target(raw.target.as_ref(), t, &window, &trained, context)?;
    let feedforward = feedforward(t)?;
    check_excitatory_partners(&plastic, &trained, context.populations)?;
    Ok(SpikingTraining {
        loops: positive_count("training.loops", t.loops)?,
        schedule: window.schedule,
        penalty,
        rls: rls(&t.rls)?,
        trained,
        plastic,
        feedforward,
        target,
        eval_every: t.eval_every,
    })
}

/// The learning window (after the stimulus by default) holds at least two updates.
fn window(
    t: &RawTraining,
    stimulus_end_ms: f64,
    clock: &Clock,
) -> Result<LearningWindow, ConfigError> {
    let window = clock.learning_window(t, stimulus_end_ms)?;
    let s = &window.schedule;
    if s.end_step <= s.start_step || s.updates_per_trial() < 2 {
        return Err(ConfigError::invalid(
            "training.learn_every_ms",
            format!(
                "at least two updates must fall in the learning window ({}, {}] ms",
                window.start_ms, window.end_ms
            ),
        ));
    }
    Ok(window)
}

/// `training.trained`, with `trained_population` and `trained_count` where it needs them.
fn trained(t: &RawTraining, populations: &[Population]) -> Result<TrainedSelection, ConfigError> {
    let trained_population = || -> Result<usize, ConfigError> {
        let name = t.trained_population.as_deref().ok_or_else(|| {
            ConfigError::invalid("training.trained", "needs training.trained_population")
        })?;
        population_index("training.trained_population", name, populations)
    };
    Ok(match t.trained.unwrap_or(RawTrained::All) {
        RawTrained::All => TrainedSelection::All,
        RawTrained::Random => {
            let population = trained_population()?;
            let count = positive_count("training.trained_count", t.trained_count.unwrap_or(0))?;
            let pop = &populations[population];
            if count > pop.size {
                return Err(ConfigError::invalid(
                    "training.trained_count",
                    format!(
                        "must not exceed the size of population {:?} ({}), got {count}",
                        pop.name, pop.size
                    ),
                ));
            }
            TrainedSelection::Random { population, count }
        }
        RawTrained::Match => TrainedSelection::MatchRecorded {
            population: trained_population()?,
        },
    })
}

/// `training.plastic`, with the keys of the chosen layout.
fn plastic(t: &RawTraining, populations: &[Population]) -> Result<PlasticSpec, ConfigError> {
    match t.plastic.unwrap_or(RawPlastic::AllToAll) {
        RawPlastic::AllToAll => Ok(PlasticSpec::AllToAll {
            std: non_negative("training.plastic_std", t.plastic_std.unwrap_or(0.0))?,
        }),
        RawPlastic::Sampled => sampled(t, populations),
    }
}

/// `plastic = "sampled"`: partner counts and initial weights, I partners from a population
/// large enough.
fn sampled(t: &RawTraining, populations: &[Population]) -> Result<PlasticSpec, ConfigError> {
    fn required<T>(key: &str, v: Option<T>) -> Result<T, ConfigError> {
        v.ok_or_else(|| {
            ConfigError::invalid(key, "is required with training.plastic = \"sampled\"")
        })
    }
    let n_exc = required("training.plastic_exc_inputs", t.plastic_exc_inputs)?;
    let n_inh = required("training.plastic_inh_inputs", t.plastic_inh_inputs)?;
    let inh_name = required(
        "training.plastic_inh_population",
        t.plastic_inh_population.as_deref(),
    )?;
    let inh_population =
        population_index("training.plastic_inh_population", inh_name, populations)?;
    if populations[inh_population].sign != Sign::Inhibitory {
        return Err(ConfigError::invalid(
            "training.plastic_inh_population",
            format!("must name an inhibitory population, but {inh_name:?} is excitatory"),
        ));
    }
    if n_inh > populations[inh_population].size {
        return Err(ConfigError::invalid(
            "training.plastic_inh_inputs",
            format!("must not exceed the size of population {inh_name:?}"),
        ));
    }
    let w_exc = required("training.plastic_exc_weight", t.plastic_exc_weight)?;
    let w_inh = required("training.plastic_inh_weight", t.plastic_inh_weight)?;
    if finite("training.plastic_exc_weight", w_exc)? < 0.0 {
        return Err(ConfigError::invalid(
            "training.plastic_exc_weight",
            format!("an excitatory weight must be >= 0 (Dale's law), got {w_exc}"),
        ));
    }
    if finite("training.plastic_inh_weight", w_inh)? > 0.0 {
        return Err(ConfigError::invalid(
            "training.plastic_inh_weight",
            format!("an inhibitory weight must be <= 0 (Dale's law), got {w_inh}"),
        ));
    }
    Ok(PlasticSpec::Sampled {
        n_exc,
        n_inh,
        w_exc,
        w_inh,
        inh_population,
    })
}

/// Sampled E partners come from the trained neurons of excitatory populations, without the
/// neuron itself, so there must be more of those than partners per neuron. (With matched
/// recorded neurons they are counted when the data are read.)
fn check_excitatory_partners(
    plastic: &PlasticSpec,
    trained: &TrainedSelection,
    populations: &[Population],
) -> Result<(), ConfigError> {
    let PlasticSpec::Sampled { n_exc, .. } = plastic else {
        return Ok(());
    };
    let excitatory = |p: usize| populations[p].sign == Sign::Excitatory;
    let pool = match trained {
        TrainedSelection::All => Some(
            (0..populations.len())
                .filter(|&p| excitatory(p))
                .map(|p| populations[p].size)
                .sum(),
        ),
        TrainedSelection::Random { population, count } => {
            Some(if excitatory(*population) { *count } else { 0 })
        }
        TrainedSelection::MatchRecorded { population } => (!excitatory(*population)).then_some(0),
    };
    match pool.filter(|&pool| *n_exc > 0 && *n_exc >= pool) {
        Some(pool) => Err(ConfigError::invalid(
            "training.plastic_exc_inputs",
            format!(
                "must be smaller than the number of trained excitatory neurons ({pool}), \
                 got {n_exc}"
            ),
        )),
        None => Ok(()),
    }
}

/// Feed-forward Poisson units with OU rates, when `feedforward_units > 0`.
fn feedforward(t: &RawTraining) -> Result<Option<(usize, OuRates)>, ConfigError> {
    if t.feedforward_units == 0 {
        return Ok(None);
    }
    let rates = OuRates {
        mean_hz: non_negative("training.feedforward_mean_hz", t.feedforward_mean_hz)?,
        tau_ms: positive("training.feedforward_tau_ms", t.feedforward_tau_ms)?,
        sigma: non_negative("training.feedforward_sigma", t.feedforward_sigma)?,
        smooth_ms: non_negative("training.feedforward_smooth_ms", t.feedforward_smooth_ms)?,
    };
    Ok(Some((t.feedforward_units, rates)))
}

/// Updates between folds of the deferred RLS update when `training.rls.fold_every` is absent:
/// the middle of 8, 16 and 32, which the kernel timing on a loaded machine could not separate
/// (docs/performance.md).
pub const DEFAULT_FOLD_EVERY: usize = 16;

/// `[training.rls]`.
fn rls(r: &RawRls) -> Result<RlsOptions, ConfigError> {
    let block = positive_count("training.rls.block", r.block)?;
    let (update, block) = match r.update {
        RawUpdate::Textbook => {
            if r.fold_every.is_some() {
                return Err(ConfigError::invalid(
                    "training.rls.fold_every",
                    "applies only to update = \"deferred\"",
                ));
            }
            (UpdateRule::Textbook, block)
        }
        RawUpdate::Deferred => {
            if block != 1 {
                return Err(ConfigError::invalid(
                    "training.rls.block",
                    "applies only to update = \"textbook\"; the deferred update folds every \
                     training.rls.fold_every updates",
                ));
            }
            let fold_every = r.fold_every.unwrap_or(DEFAULT_FOLD_EVERY);
            let fold_every = positive_count("training.rls.fold_every", fold_every)?;
            (UpdateRule::Deferred, fold_every)
        }
    };
    Ok(RlsOptions {
        storage: match r.storage {
            RawStorage::Dense => Storage::Dense,
            RawStorage::Packed => Storage::Packed,
        },
        precision: match r.precision {
            RawPrecision::F64 => Precision::F64,
            RawPrecision::F32 => Precision::F32,
            RawPrecision::F16 => Precision::F16,
        },
        block,
        update,
    })
}
