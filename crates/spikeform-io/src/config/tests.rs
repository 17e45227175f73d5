//! Messages of bad experiment files: each names the key path and the rule or allowed values.

use std::path::Path;

use super::raw::{RawConnectivity, RawNetwork, RawSigma};
use super::{load_str, ConfigError, LoadedExperiment};

const SPIKING: &str = include_str!("../../../../examples/balanced_sine.toml");
const RATE: &str = include_str!("../../../../examples/rate_sine.toml");
const BRUNEL: &str = include_str!("../../../../examples/brunel_a.toml");

fn load(text: &str) -> Result<LoadedExperiment, ConfigError> {
    load_str(text, Path::new("e.toml"), &[], Path::new("."))
}

/// `text` with `from` replaced once by `to` (which must occur).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the file");
    text.replacen(from, to, 1)
}

fn error(text: &str) -> String {
    match load(text) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

fn assert_names(message: &str, needles: &[&str]) {
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
}

#[test]
fn a_bad_enumerated_value_names_the_key_and_the_allowed_values() {
    // (file, text, replaced by, the key named, the allowed values named)
    #[rustfmt::skip]
    let cases: [(&str, &str, &str, &str, &[&str]); 12] = [
        (SPIKING, "kind = \"spiking\"", "kind = \"lif\"", "network.kind", &["`rate`", "`spiking`"]),
        (SPIKING, "integration = \"euler\"", "integration = \"rk4\"", "network.integration", &["`euler`", "`exponential`"]),
        (RATE, "activation = \"relu\"", "activation = \"sigmoid\"", "network.activation", &["`relu`", "`tanh`", "`linear`"]),
        (SPIKING, "excitatory = true", "excitatory = true\nmodel = \"qif\"", "network.populations[0].model", &["`lif`", "`eif`"]),
        (SPIKING, "rule = \"fixed_out_degree\"", "rule = \"random\"", "network.connectivity.rule", &["`none`", "`fixed_out_degree`", "`fixed_in_degree`"]),
        (SPIKING, "distribution = \"uniform\"", "distribution = \"gaussian\"", "stimulus.distribution", &["`uniform`", "`normal`"]),
        (SPIKING, "kind = \"sine\"", "kind = \"cosine\"", "target.kind", &["`sine`", "`recorded`"]),
        (SPIKING, "trained = \"random\"", "trained = \"some\"", "training.trained", &["`all`", "`random`", "`match`"]),
        (SPIKING, "plastic = \"sampled\"", "plastic = \"dense\"", "training.plastic", &["`all_to_all`", "`sampled`"]),
        (SPIKING, "[test]", "[training.rls]\nstorage = \"sparse\"\n[test]", "training.rls.storage", &["`dense`", "`packed`"]),
        (SPIKING, "[test]", "[training.rls]\nprecision = \"f8\"\n[test]", "training.rls.precision", &["`f64`", "`f32`", "`f16`"]),
        (SPIKING, "[test]", "[training.rls]\nupdate = \"lazy\"\n[test]", "training.rls.update", &["`textbook`", "`deferred`"]),
    ];
    for (base, from, to, key, values) in cases {
        let message = error(&edit(base, from, to));
        assert_names(&message, &[&format!("{key}: unknown variant"), "expected"]);
        assert_names(&message, values);
    }
}

#[test]
fn a_value_of_the_wrong_type_for_an_enumerated_key_is_named() {
    let message = error(&edit(SPIKING, "integration = \"euler\"", "integration = 4"));
    assert_names(&message, &["network.integration", "integer `4`"]);
}

#[test]
fn a_scalar_where_a_tagged_table_belongs_says_which_tags_are_allowed() {
    let head = "version = 1\nname = \"x\"\nseed = 1\nduration_ms = 100.0\n";
    let message = error(&format!("{head}network = 5\n"));
    assert_names(
        &message,
        &[
            "network: ",
            "integer `5`",
            "expected a table with `kind = \"rate\"` or `\"spiking\"`",
        ],
    );
    assert!(!message.contains("RawNetwork"), "{message}");
    let no_target = SPIKING.replace("[target]\nkind = \"sine\"\n", "[unused]\n");
    let message = error(&edit(
        &no_target,
        "version = 1",
        "version = 1\ntarget = \"sine\"",
    ));
    assert_names(
        &message,
        &[
            "target: ",
            "expected a table with `kind = \"sine\"` or `\"recorded\"`",
        ],
    );
    let unconnected = format!(
        "{head}[network]\nkind = \"spiking\"\ntau_exc_ms = 3.0\ntau_inh_ms = 3.0\n\
         connectivity = 3\n[[network.populations]]\nname = \"E\"\nsize = 10\n\
         excitatory = true\ntau_membrane_ms = 10.0\n"
    );
    let message = error(&unconnected);
    assert_names(
        &message,
        &["network.connectivity", "expected a table with `rule = "],
    );
}

#[test]
fn a_scalar_where_a_plain_table_belongs_says_a_table() {
    let no_test = edit(SPIKING, "[test]\ntrials = 5", "");
    let message = error(&edit(&no_test, "version = 1", "version = 1\ntest = 5"));
    assert_names(&message, &["test: ", "expected a table"]);
    assert!(!message.contains("RawTest"), "{message}");
}

#[test]
fn errors_inside_tagged_sections_keep_their_key_path() {
    let message = error(&edit(
        SPIKING,
        "bias = 2.683281573",
        "bias = 2.683281573\nbais = 1",
    ));
    assert_names(
        &message,
        &["network.populations[1]", "unknown field `bais`"],
    );
    let message = error(&edit(
        SPIKING,
        "out_degree = 1000",
        "out_degree = 1000\nfoo = 2",
    ));
    assert_names(&message, &["network.connectivity", "unknown field `foo`"]);
    let message = error(&edit(SPIKING, "out_degree = 1000", ""));
    assert_names(
        &message,
        &["network.connectivity", "missing field `out_degree`"],
    );
    let message = error(&edit(SPIKING, "amplitude = 1.0", "amplitude = \"one\""));
    assert_names(&message, &["target.amplitude", "invalid type: string"]);
    let message = error(&edit(BRUNEL, "in_degree = 250", "in_degree = \"x\""));
    assert_names(&message, &["network.connectivity.projections[2].in_degree"]);
}

#[test]
fn the_connectivity_rule_defaults_to_none_and_out_degree_belongs_to_its_rule() {
    let text = edit(
        SPIKING,
        "rule = \"fixed_out_degree\"\nout_degree = 1000\n",
        "",
    );
    let loaded = load(&text).unwrap();
    let RawNetwork::Spiking(net) = &loaded.raw.network else {
        panic!("spiking")
    };
    assert!(matches!(net.connectivity, RawConnectivity::None(_)));
    assert_eq!(net.connectivity.projections().len(), 4);
    let message = error(&edit(
        SPIKING,
        "rule = \"fixed_out_degree\"",
        "rule = \"none\"",
    ));
    assert_names(
        &message,
        &["network.connectivity", "unknown field `out_degree`"],
    );
    // A version 1 file may keep the in-degrees of its projections when it changes the rule.
    assert!(load(&edit(
        BRUNEL,
        "rule = \"fixed_in_degree\"",
        "rule = \"none\""
    ))
    .is_ok());
}

#[test]
fn sigma_is_a_positive_number_or_estimate() {
    let recorded = |sigma: &str| {
        edit(
            SPIKING,
            "kind = \"sine\"\namplitude = 1.0\nperiod_ms = 1000.0",
            &format!("kind = \"recorded\"\nfiles = []\nbin_ms = 20.0\nsigma = {sigma}"),
        )
    };
    let sigma_of = |sigma: &str| -> RawSigma {
        let table: toml::Table = recorded(sigma).parse().unwrap();
        let raw = super::de::parse(table, Path::new("e.toml")).unwrap();
        match raw.target {
            Some(super::raw::RawTarget::Recorded(r)) => r.sigma,
            _ => panic!("recorded"),
        }
    };
    assert_eq!(sigma_of("\"estimate\""), RawSigma::Estimate);
    assert_eq!(sigma_of("0.5"), RawSigma::Given(0.5));
    assert_eq!(sigma_of("2"), RawSigma::Given(2.0));
    let message = error(&recorded("\"guess\""));
    assert_names(
        &message,
        &[
            "target.sigma",
            "\"guess\"",
            "a positive number or \"estimate\"",
        ],
    );
    let message = error(&recorded("true"));
    assert_names(
        &message,
        &["target.sigma", "a positive number or \"estimate\""],
    );
}

#[test]
fn times_must_be_whole_steps_and_the_message_names_the_key() {
    let message = error(&edit(
        SPIKING,
        "learn_every_ms = 20.0",
        "learn_every_ms = 20.05",
    ));
    assert_names(
        &message,
        &[
            "training.learn_every_ms",
            "must be a multiple of dt_ms (0.1), got 20.05",
        ],
    );
    let message = error(&edit(SPIKING, "delay_ms = 0.1", "delay_ms = 0.0"));
    assert_names(
        &message,
        &["network.delay_ms", "positive multiple of dt_ms"],
    );
}

#[test]
fn a_rate_pulse_must_be_uniform() {
    let message = error(&edit(
        RATE,
        "distribution = \"uniform\"",
        "distribution = \"normal\"",
    ));
    assert_names(&message, &["stimulus.distribution", "got \"normal\""]);
}

#[test]
fn the_normalized_file_reads_back_as_the_same_experiment() {
    for text in [SPIKING, RATE, BRUNEL] {
        let first = load(text).unwrap();
        let again = load(&first.normalized_toml()).unwrap();
        assert_eq!(first.raw, again.raw);
        assert_eq!(first.experiment, again.experiment);
        assert_eq!(first.normalized_toml(), again.normalized_toml());
    }
}

#[test]
fn record_spikes_false_is_refused_where_a_phase_reads_the_spike_times() {
    let message = error(&format!("{SPIKING}\n[record]\nspikes = false\n"));
    assert_names(
        &message,
        &["record.spikes", "[training]", "reads the spike times"],
    );
    let untrained = load(&format!("{BRUNEL}\n[record]\nspikes = false\n"));
    assert!(untrained.is_ok(), "{:?}", untrained.err());
}

#[test]
fn rls_update_options_that_do_not_go_together_are_named() {
    // (the [training.rls] table, the key named, the rule named)
    let cases = [
        (
            "fold_every = 8",
            "training.rls.fold_every",
            "only to update = \"deferred\"",
        ),
        (
            "update = \"deferred\"\nblock = 4",
            "training.rls.block",
            "only to update = \"textbook\"",
        ),
        (
            "update = \"deferred\"\nfold_every = 0",
            "training.rls.fold_every",
            "at least 1",
        ),
        (
            "update = \"deferred\"\nfold_every = 5000",
            "training.rls.fold_every",
            "4096",
        ),
    ];
    for (table, key, rule) in cases {
        let text = edit(
            SPIKING,
            "[test]",
            &format!("[training.rls]\n{table}\n[test]"),
        );
        assert_names(&error(&text), &[key, rule]);
    }
    let ok = edit(
        SPIKING,
        "[test]",
        "[training.rls]\nupdate = \"deferred\"\nfold_every = 8\n[test]",
    );
    assert!(load(&ok).is_ok());
}
