//! Experiment files: TOML with `version = 1`, read in two stages.
//!
//! 1. [`raw`]: serde structures that mirror the file, with defaults filled in and unknown keys
//!    rejected. Serialising them back gives the normalized experiment (`spikeform check`).
//! 2. [`validate`]: every rule checked once, units resolved into steps, producing the library's
//!    experiment descriptions, which are correct by construction.
//!
//! Every error names the key path (`training.learn_every_ms`) or the file, and the rule broken.
//!
//! Where things are: [`raw`] (the structures), `de` (reading them with key paths),
//! [`validate`] (keys every experiment has, shared rules, the [`validate::Experiment`]),
//! `rate` and `spiking/` (one function per section: `network.rs`, `training.rs`,
//! `target.rs`, and the cue, test and record in `spiking/mod.rs`).
//!
//! Adding a section or a choice:
//! - A key with a fixed set of values: an enum in [`raw`] with
//!   `#[serde(rename_all = "snake_case")]`; serde's message names the key and the values.
//! - A polymorphic section, e.g. `[[inputs]]` tagged by `kind = "windowed_current"` or
//!   `[[plasticity]]` tagged by `rule`: an enum in [`raw`] with `#[serde(tag = "kind")]` (or
//!   `tag = "rule"`), `rename_all = "snake_case"` and an `expecting` text, one variant per
//!   choice holding a [`raw::Section`] of its own `deny_unknown_fields` struct, and a
//!   `Vec<...>` field on [`RawExperiment`] with `#[serde(default, skip_serializing_if =
//!   "Vec::is_empty")]`, so that files without it normalise (and fingerprint their
//!   checkpoints) as before; a tag default, if any, goes in `de::DEFAULT_TAGS`. Then one
//!   validation function per variant, in its own file
//!   under `spiking/`, called for each element from `spiking::validate` with the section's
//!   `spiking::Context` (clock, populations, data directory) and its key path
//!   (`inputs[2]`).
//! - A new choice within an existing one (`network.populations[].model = "eif"`): a variant of
//!   its enum, its own keys optional in the struct, and one function next to `lif` in
//!   `spiking/network.rs` that requires and checks them.

mod de;
pub mod latent;
pub mod limits;
pub mod overrides;
mod rate;
pub mod raw;
mod spiking;
pub mod validate;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use raw::RawExperiment;
pub use validate::Experiment;

/// A bad experiment file or override. The CLI exits with code 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the experiment file: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is not valid TOML, or a key has the wrong type or is unknown.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key path where known.
        message: String,
    },
    /// A value breaks a rule.
    #[error("{key}: {rule}")]
    Invalid {
        /// Dotted key path.
        key: String,
        /// The rule and the offending value.
        rule: String,
    },
    /// A data file the experiment refers to is missing or malformed.
    #[error("{path}: {problem}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
}

impl ConfigError {
    /// A rule violation at `key`.
    pub fn invalid(key: impl Into<String>, rule: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.into(),
            rule: rule.into(),
        }
    }
}

/// A parsed and validated experiment file.
#[derive(Debug, Clone)]
pub struct LoadedExperiment {
    /// The file as read, defaults filled in, overrides applied.
    pub raw: RawExperiment,
    /// The validated experiment.
    pub experiment: Experiment,
}

impl LoadedExperiment {
    /// The normalized experiment file (all keys, defaults filled in).
    pub fn normalized_toml(&self) -> String {
        toml::to_string_pretty(&self.raw).expect("raw experiments always serialise")
    }
}

/// Reads `path`, applies `overrides` (`KEY=VALUE` by dotted path) and validates. Relative data
/// paths inside the file are resolved against `base_dir` (the directory the program runs in).
pub fn load(
    path: &Path,
    overrides: &[String],
    base_dir: &Path,
) -> Result<LoadedExperiment, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    load_str(&text, path, overrides, base_dir)
}

/// Like [`load`], from text already read (`origin` names it in messages).
pub fn load_str(
    text: &str,
    origin: &Path,
    overrides: &[String],
    base_dir: &Path,
) -> Result<LoadedExperiment, ConfigError> {
    let mut table: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                path: origin.to_path_buf(),
                message: e.message().to_string() + &location(text, e.span()),
            })?;
    for o in overrides {
        overrides::apply(&mut table, o)?;
    }
    let raw = de::parse(table, origin)?;
    let experiment = validate::validate(&raw, base_dir)?;
    Ok(LoadedExperiment { raw, experiment })
}

fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}
