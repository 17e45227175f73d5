//! The arrays a run writes, declared once: for each `.npz` file of a run directory, every member's
//! name, dtype, shape, units and meaning.
//!
//! The writers ([`crate::artifacts`]) add members only through [`ArraySpec::add`], which checks
//! the dtype and the number of dimensions against the declaration; the report reads members by
//! the same declarations; the tables of docs/outputs.md are generated from them
//! ([`FileSpec::markdown_table`]) and a test fails when the page and this list disagree.
//!
//! Shapes are written with symbols, outermost dimension first; each file's symbols are explained
//! in docs/outputs.md. Units: `ms`, `Hz`, `potential` (the units of the membrane potential, whose
//! threshold is 1 in the examples and 20 mV in Brunel's model; inputs and targets of spiking
//! neurons are in them), `–` for indices, counts and dimensionless values.

use crate::npy::{NpyElement, NpzWriter};

/// The element type of a declared array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// Little-endian float64, `<f8`.
    F64,
    /// Little-endian int64, `<i8` (indices and counts).
    I64,
}

impl Dtype {
    /// The NumPy descriptor (`<f8`).
    pub fn descr(self) -> &'static str {
        match self {
            Dtype::F64 => "<f8",
            Dtype::I64 => "<i8",
        }
    }

    /// The short name used in docs/outputs.md (`f8`).
    pub fn short(self) -> &'static str {
        &self.descr()[1..]
    }
}

/// One member of an `.npz` file of a run directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArraySpec {
    /// The member's name (without `.npy`).
    pub name: &'static str,
    /// Its element type.
    pub dtype: Dtype,
    /// Its dimensions, outermost first, as symbols (`["trial", "T", "m"]`).
    pub shape: &'static [&'static str],
    /// Units of its values (see the module documentation).
    pub units: &'static str,
    /// What it holds, in one line (including when it is present, if not always).
    pub meaning: &'static str,
}

impl ArraySpec {
    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Adds this member to `npz`.
    ///
    /// # Panics
    /// If `T` is not the declared dtype, `shape` has another number of dimensions than the
    /// declaration, or the writer refuses the member (see [`NpzWriter::add_f64`]): caller bugs.
    pub fn add<T: NpyElement>(&self, npz: &mut NpzWriter, shape: &[usize], data: &[T]) {
        assert_eq!(
            T::DESCR,
            self.dtype.descr(),
            "{}: written with another dtype than declared",
            self.name
        );
        assert_eq!(
            shape.len(),
            self.ndim(),
            "{}: shape {shape:?} has another number of dimensions than {:?}",
            self.name,
            self.shape
        );
        if let Err(e) = npz.try_add(self.name, shape, data) {
            panic!("cannot add an array to an .npz archive: {e}");
        }
    }

    /// The markdown row of this member in docs/outputs.md.
    fn markdown_row(&self) -> String {
        format!(
            "| `{}` | {} | [{}] | {} | {} |",
            self.name,
            self.dtype.short(),
            self.shape.join(", "),
            self.units,
            self.meaning
        )
    }
}

/// An `.npz` file of a run directory and its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// The file name inside the run directory.
    pub file: &'static str,
    /// Its members, in the order they are written.
    pub arrays: &'static [ArraySpec],
}

impl FileSpec {
    /// The declaration of member `name`, if this file has one.
    pub fn array(&self, name: &str) -> Option<&'static ArraySpec> {
        self.arrays.iter().find(|a| a.name == name)
    }

    /// The table of docs/outputs.md for this file: one row per member.
    pub fn markdown_table(&self) -> String {
        let mut out =
            String::from("| member | dtype | shape | units | meaning |\n|---|---|---|---|---|\n");
        for a in self.arrays {
            out.push_str(&a.markdown_row());
            out.push('\n');
        }
        out
    }
}

const fn f64_array(
    name: &'static str,
    shape: &'static [&'static str],
    units: &'static str,
    meaning: &'static str,
) -> ArraySpec {
    ArraySpec {
        name,
        dtype: Dtype::F64,
        shape,
        units,
        meaning,
    }
}

const fn i64_array(
    name: &'static str,
    shape: &'static [&'static str],
    meaning: &'static str,
) -> ArraySpec {
    ArraySpec {
        name,
        dtype: Dtype::I64,
        shape,
        units: "–",
        meaning,
    }
}

/// `test_traces.npz` of a rate-network run.
pub mod test_traces {
    use super::*;

    /// Sample times.
    pub const TIME_MS: ArraySpec = f64_array("time_ms", &["T"], "ms", "sample times");
    /// Trained unit indices.
    pub const TRAINED_UNITS: ArraySpec =
        i64_array("trained_units", &["m"], "index of each trained unit");
    /// The trained quantity per test trial.
    pub const TRAINED_QUANTITY: ArraySpec = f64_array(
        "trained_quantity",
        &["trial", "T", "m"],
        "–",
        "the trained quantity (`W r` of the trained units) on each test trial",
    );
    /// Its target.
    pub const TARGET: ArraySpec = f64_array("target", &["T", "m"], "–", "its target");
    /// Activations of every unit.
    pub const RATES: ArraySpec = f64_array(
        "rates",
        &["trial", "T", "N"],
        "–",
        "activation of every unit on each test trial",
    );
    /// Recurrent weights after training.
    pub const WEIGHTS: ArraySpec = f64_array(
        "weights",
        &["N", "N"],
        "–",
        "recurrent weights after training, `W[post, pre]`",
    );

    /// The file.
    pub const FILE: FileSpec = FileSpec {
        file: "test_traces.npz",
        arrays: &[
            TIME_MS,
            TRAINED_UNITS,
            TRAINED_QUANTITY,
            TARGET,
            RATES,
            WEIGHTS,
        ],
    };
}

/// `spikes.npz` of a spiking run.
pub mod spikes {
    use super::*;

    /// Neuron of each spike.
    pub const NEURON: ArraySpec = i64_array(
        "neuron",
        &["k"],
        "neuron of each spike: the first test trial of condition 1 (trained runs) or the \
         simulation's first trial (untrained runs)",
    );
    /// Time of each spike.
    pub const TIME_MS: ArraySpec = f64_array(
        "time_ms",
        &["k"],
        "ms",
        "time of each spike within that trial",
    );
    /// Population rates in 1-ms bins.
    pub const POPULATION_RATE_HZ: ArraySpec = f64_array(
        "population_rate_hz",
        &["P", "B"],
        "Hz",
        "rate of each population in 1-ms bins over the final phase",
    );
    /// Time-averaged rate of each neuron.
    pub const NEURON_RATE_HZ: ArraySpec = f64_array(
        "neuron_rate_hz",
        &["n"],
        "Hz",
        "time-averaged rate of each neuron over the final phase",
    );
    /// The same before training.
    pub const INITIAL_NEURON_RATE_HZ: ArraySpec = f64_array(
        "initial_neuron_rate_hz",
        &["n"],
        "Hz",
        "trained runs: the same for the settle run before training",
    );
    /// Population of each neuron.
    pub const POPULATION_OF: ArraySpec = i64_array(
        "population_of",
        &["n"],
        "population index of each neuron (order of `network.populations`)",
    );
    /// Population-mean input components over time.
    pub const INPUT_TIMECOURSE: ArraySpec = f64_array(
        "input_timecourse",
        &["P", "4", "B"],
        "potential",
        "population-mean input components (excitatory, inhibitory, external, net) in 1-ms bins \
         on the first trial",
    );

    /// The file.
    pub const FILE: FileSpec = FileSpec {
        file: "spikes.npz",
        arrays: &[
            NEURON,
            TIME_MS,
            POPULATION_RATE_HZ,
            NEURON_RATE_HZ,
            INITIAL_NEURON_RATE_HZ,
            POPULATION_OF,
            INPUT_TIMECOURSE,
        ],
    };
}

/// `traces.npz` of a spiking run with `record.neurons`.
pub mod traces {
    use super::*;

    /// Sample times.
    pub const TIME_MS: ArraySpec = f64_array("time_ms", &["samples"], "ms", "sample times");
    /// The recorded neurons.
    pub const NEURONS: ArraySpec = i64_array(
        "neurons",
        &["k"],
        "0-based neuron indices, in `record.neurons` order",
    );
    /// The recorded quantities, in the order of
    /// `spikeform::monitor::TraceRecorder::QUANTITIES`.
    pub const QUANTITIES: [ArraySpec; 5] = [
        f64_array(
            "v",
            &["samples", "k"],
            "potential",
            "membrane potential (mV in Brunel's model)",
        ),
        f64_array(
            "input_exc",
            &["samples", "k"],
            "potential",
            "filtered static excitatory current (voltage jumps × τ_m/dt for delta synapses)",
        ),
        f64_array(
            "input_inh",
            &["samples", "k"],
            "potential",
            "filtered static inhibitory current (voltage jumps × τ_m/dt for delta synapses)",
        ),
        f64_array(
            "input_plastic",
            &["samples", "k"],
            "potential",
            "plastic + feed-forward current x_P",
        ),
        f64_array(
            "input_ext",
            &["samples", "k"],
            "potential",
            "bias + cue + Poisson drive",
        ),
    ];

    /// The file.
    pub const FILE: FileSpec = FileSpec {
        file: "traces.npz",
        arrays: &[
            TIME_MS,
            NEURONS,
            QUANTITIES[0],
            QUANTITIES[1],
            QUANTITIES[2],
            QUANTITIES[3],
            QUANTITIES[4],
        ],
    };
}

/// `test.npz` of a trained spiking run.
pub mod test {
    use super::*;

    /// Box centres.
    pub const BIN_CENTRE_MS: ArraySpec =
        f64_array("bin_centre_ms", &["b"], "ms", "centre of each box");
    /// Model neuron of each row.
    pub const TRAINED_NEURONS: ArraySpec =
        i64_array("trained_neurons", &["r"], "model neuron of each row");
    /// Recorded neuron of each row.
    pub const RECORDED_NEURON_OF_ROW: ArraySpec = i64_array(
        "recorded_neuron_of_row",
        &["r"],
        "recorded targets only: the recorded neuron each row reproduces",
    );
    /// Test-mean input of every neuron per box.
    pub const INPUT_MEAN: ArraySpec = f64_array(
        "input_mean",
        &["C", "b", "n"],
        "potential",
        "test-trial mean of x_E + x_I + x_P of every neuron, averaged in each box; excludes the \
         constant bias",
    );
    /// The same per test trial.
    pub const INPUT_TRIALS: ArraySpec = f64_array(
        "input_trials",
        &["C", "trial", "b", "n"],
        "potential",
        "the same per test trial, for the first `record.input_trials` (default 20) trials of \
         each condition; `input_mean` and the scores use every trial",
    );
    /// Target total input of each row.
    pub const TARGET: ArraySpec = f64_array(
        "target",
        &["C", "b", "r"],
        "potential",
        "target total input of each row; includes the bias (so compare it with `input_mean` \
         plus the population's `bias`, or centre both)",
    );
    /// Smoothed PSTHs of the trained neurons.
    pub const PSTH_HZ: ArraySpec = f64_array(
        "psth_hz",
        &["C", "b", "r"],
        "Hz",
        "PSTH of each trained neuron over the test trials, boxcar-smoothed over ± \
         `test.psth_smooth_bins`",
    );
    /// Recorded rates of each row's neuron.
    pub const RECORDED_RATE_HZ: ArraySpec = f64_array(
        "recorded_rate_hz",
        &["C", "b", "r"],
        "Hz",
        "recorded targets only: the recorded rate of each row's recorded neuron",
    );
    /// PC time courses of three groups.
    pub const PCA_LOADINGS: ArraySpec = f64_array(
        "pca_loadings",
        &["G", "2", "b"],
        "–",
        "time courses of PC1 and PC2 of the test-mean input (condition 1) of the groups: \
         trained neurons, untrained neurons of the trained population, the other populations \
         (absent when a group is smaller than 5)",
    );
    /// Their explained-variance ratios.
    pub const PCA_EXPLAINED_VARIANCE_RATIO: ArraySpec = f64_array(
        "pca_explained_variance_ratio",
        &["G", "5"],
        "–",
        "their first explained-variance ratios",
    );
    /// Selectivity of the trained neurons.
    pub const SELECTIVITY_TRAINED: ArraySpec = f64_array(
        "selectivity_trained",
        &["g"],
        "potential",
        "per trained neuron, time mean of (condition 1 − condition 2) test-mean input; empty \
         with one condition",
    );
    /// Selectivity of the untrained neurons of the trained population.
    pub const SELECTIVITY_UNTRAINED: ArraySpec = f64_array(
        "selectivity_untrained",
        &["g"],
        "potential",
        "the same for the untrained neurons of the trained population",
    );
    /// Selectivity of the other populations' neurons.
    pub const SELECTIVITY_OTHER: ArraySpec = f64_array(
        "selectivity_other",
        &["g"],
        "potential",
        "the same for the neurons of the other populations",
    );
    /// Plastic weights before training.
    pub const PLASTIC_WEIGHTS_INITIAL: ArraySpec = f64_array(
        "plastic_weights_initial",
        &["r", "w"],
        "–",
        "plastic recurrent weights of each row before training",
    );
    /// Plastic weights after training.
    pub const PLASTIC_WEIGHTS_FINAL: ArraySpec = f64_array(
        "plastic_weights_final",
        &["r", "w"],
        "–",
        "plastic recurrent weights of each row after training",
    );

    /// The three selectivity members, in the order of the PCA groups.
    pub const SELECTIVITY: [ArraySpec; 3] = [
        SELECTIVITY_TRAINED,
        SELECTIVITY_UNTRAINED,
        SELECTIVITY_OTHER,
    ];

    /// The file.
    pub const FILE: FileSpec = FileSpec {
        file: "test.npz",
        arrays: &[
            BIN_CENTRE_MS,
            TRAINED_NEURONS,
            RECORDED_NEURON_OF_ROW,
            INPUT_MEAN,
            INPUT_TRIALS,
            TARGET,
            PSTH_HZ,
            RECORDED_RATE_HZ,
            PCA_LOADINGS,
            PCA_EXPLAINED_VARIANCE_RATIO,
            SELECTIVITY_TRAINED,
            SELECTIVITY_UNTRAINED,
            SELECTIVITY_OTHER,
            PLASTIC_WEIGHTS_INITIAL,
            PLASTIC_WEIGHTS_FINAL,
        ],
    };
}

/// `plasticity.npz` of a spiking run with `[[plasticity]]` rules that record (`record_every_ms`):
/// the weights over the run without storing them all.
pub mod plasticity {
    use super::*;

    /// Recording times per projection.
    pub const TIME_MS: ArraySpec = f64_array(
        "time_ms",
        &["R", "T"],
        "ms",
        "recording times of each plastic projection (`[[plasticity]]` order; NaN past a \
         projection's last recording)",
    );
    /// Mean weight per projection over time.
    pub const MEAN_WEIGHT: ArraySpec = f64_array(
        "mean_weight",
        &["R", "T"],
        "–",
        "population-mean weight of each projection at those times",
    );
    /// Sampled synapses' weights over time.
    pub const SAMPLE_WEIGHT: ArraySpec = f64_array(
        "sample_weight",
        &["R", "T", "S"],
        "–",
        "weights of a fixed sample of synapses per projection (evenly spaced in outgoing order)",
    );
    /// Their presynaptic neurons.
    pub const SAMPLE_PRE: ArraySpec = i64_array(
        "sample_pre",
        &["R", "S"],
        "presynaptic neuron of each sampled synapse",
    );
    /// Their postsynaptic neurons.
    pub const SAMPLE_POST: ArraySpec = i64_array(
        "sample_post",
        &["R", "S"],
        "postsynaptic neuron of each sampled synapse",
    );
    /// Every synapse's weight at the end (the final weight distribution).
    pub const FINAL_WEIGHT: ArraySpec = f64_array(
        "final_weight",
        &["W"],
        "–",
        "every plastic synapse's weight at the end, projection after projection",
    );
    /// Projection of each of them.
    pub const FINAL_PROJECTION: ArraySpec = i64_array(
        "final_projection",
        &["W"],
        "projection (`[[plasticity]]` index) of each entry of `final_weight`",
    );

    /// The file.
    pub const FILE: FileSpec = FileSpec {
        file: "plasticity.npz",
        arrays: &[
            TIME_MS,
            MEAN_WEIGHT,
            SAMPLE_WEIGHT,
            SAMPLE_PRE,
            SAMPLE_POST,
            FINAL_WEIGHT,
            FINAL_PROJECTION,
        ],
    };
}

/// `latent.npz` of an untrained run with `[latent]`: κ and the readout over the first trial.
pub mod latent {
    use super::*;

    /// κ every ms.
    pub const KAPPA: ArraySpec = f64_array(
        "kappa",
        &["L", "D"],
        "–",
        "κ at the end of every ms of the first trial (prescribed; for a closed loop the readout \
         fed back), in the units of the feedback current per unit loading",
    );
    /// κ̂ every ms.
    pub const READOUT: ArraySpec = f64_array(
        "readout",
        &["L", "D"],
        "–",
        "the readout κ̂ at the end of every ms (with `readout_training`, as the input fed it \
         back; otherwise recomputed from the spikes)",
    );
    /// The trained readout's target.
    pub const TARGET: ArraySpec = f64_array(
        "target",
        &["L", "D"],
        "–",
        "`readout_training`: the target κ* at the same times",
    );
    /// The trained readout neurons.
    pub const TRAINED_NEURONS: ArraySpec = i64_array(
        "trained_neurons",
        &["N_T"],
        "`readout_training`: the excitatory neurons whose readout weights learn (ascending)",
    );
    /// Their weights at the trial's start.
    pub const WEIGHTS_INITIAL: ArraySpec = f64_array(
        "readout_weights_initial",
        &["D", "N_T"],
        "Hz⁻¹",
        "`readout_training`: w(0) = n/N_T, κ̂ per Hz of each trained neuron's filtered train",
    );
    /// Their weights at the trial's end.
    pub const WEIGHTS_FINAL: ArraySpec = f64_array(
        "readout_weights_final",
        &["D", "N_T"],
        "Hz⁻¹",
        "`readout_training`: the weights at the end of the first trial",
    );

    /// R² of the network's single-index fits.
    pub const SINGLE_INDEX_R2: ArraySpec = f64_array(
        "single_index_r2",
        &["C"],
        "–",
        "D = 2 grids of constant κ: R² of each fitted E cell's single-index fit r ≈ g(a·κ₁ + b·κ₂) \
         (G5)",
    );
    /// R² of the low-rank rate baseline's fits.
    pub const BASELINE_SINGLE_INDEX_R2: ArraySpec = f64_array(
        "baseline_single_index_r2",
        &["Cb"],
        "–",
        "D = 2 grids with a calibrated mean field: the same for the low-rank rate baseline (G5)",
    );

    /// The file.
    pub const FILE: FileSpec = FileSpec {
        file: "latent.npz",
        arrays: &[
            KAPPA,
            READOUT,
            TARGET,
            TRAINED_NEURONS,
            WEIGHTS_INITIAL,
            WEIGHTS_FINAL,
            SINGLE_INDEX_R2,
            BASELINE_SINGLE_INDEX_R2,
        ],
    };
}

/// `perturbation.npz` of a run with `[perturbation]`.
pub mod perturbation {
    use super::*;

    /// The amplitudes as given.
    pub const AMPLITUDE: ArraySpec = f64_array(
        "amplitude",
        &["A"],
        "–",
        "the sweep's amplitudes as given (`perturbation.amplitudes`, in `amplitude_units`)",
    );
    /// Bin centres.
    pub const TIME_MS: ArraySpec = f64_array(
        "time_ms",
        &["Bp"],
        "ms",
        "centre of each 10-ms time bin of the trial",
    );
    /// Population rates per amplitude.
    pub const POPULATION_RATE_HZ: ArraySpec = f64_array(
        "population_rate_hz",
        &["A", "P", "Bp"],
        "Hz",
        "rate of each population per amplitude in 10-ms bins (condition 1)",
    );
    /// Coding-direction projection over time (trained runs with two conditions).
    pub const CODING_PROJECTION_HZ: ArraySpec = f64_array(
        "coding_projection_hz",
        &["A", "Bp"],
        "Hz",
        "trained runs with two conditions: difference of the conditions' E activity on the \
         coding direction per amplitude in 10-ms bins",
    );

    /// The file.
    pub const FILE: FileSpec = FileSpec {
        file: "perturbation.npz",
        arrays: &[AMPLITUDE, TIME_MS, POPULATION_RATE_HZ, CODING_PROJECTION_HZ],
    };
}

/// Every declared file.
pub const FILES: [FileSpec; 7] = [
    test_traces::FILE,
    spikes::FILE,
    test::FILE,
    traces::FILE,
    plasticity::FILE,
    latent::FILE,
    perturbation::FILE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_a_file() {
        for f in FILES {
            for (i, a) in f.arrays.iter().enumerate() {
                assert!(
                    f.arrays[..i].iter().all(|b| b.name != a.name),
                    "{}: {} twice",
                    f.file,
                    a.name
                );
                assert!(!a.meaning.is_empty() && !a.units.is_empty() && a.ndim() > 0);
            }
        }
    }

    #[test]
    fn trace_members_follow_the_recorder() {
        let names: Vec<&str> = traces::QUANTITIES.iter().map(|a| a.name).collect();
        assert_eq!(names, spikeform::monitor::TraceRecorder::QUANTITIES);
    }

    #[test]
    #[should_panic(expected = "another dtype")]
    fn a_member_written_with_another_dtype_panics() {
        let mut npz = NpzWriter::new();
        test::TRAINED_NEURONS.add(&mut npz, &[1], &[1.0f64]);
    }

    #[test]
    #[should_panic(expected = "number of dimensions")]
    fn a_member_written_with_another_rank_panics() {
        let mut npz = NpzWriter::new();
        test::BIN_CENTRE_MS.add(&mut npz, &[1, 1], &[1.0f64]);
    }

    #[test]
    fn table_rows_show_dtype_shape_and_units() {
        let t = test_traces::FILE.markdown_table();
        assert!(t.contains("| `rates` | f8 | [trial, T, N] | – | activation of every unit"));
        assert!(t.contains("| `trained_units` | i8 | [m] | – |"));
        assert_eq!(t.lines().count(), 2 + test_traces::FILE.arrays.len());
    }
}
