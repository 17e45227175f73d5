//! Reading the parsed TOML table into [`RawExperiment`] so that every error names its key path.
//!
//! `serde_path_to_error` follows the path through structs, arrays and maps, but serde reads an
//! internally tagged enum (`kind = "spiking"`) by buffering the table, and the path is lost
//! inside it. [`Section`] wraps the table of each tagged variant: it reads that table with its
//! own path tracking and passes the path inside it up in the error, where [`parse`] joins it to
//! the path outside.

use std::fmt;
use std::ops::Deref;
use std::path::Path;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::raw::RawExperiment;
use super::ConfigError;

/// Tags that a file may leave out, with the variant they then choose: `(section, tag, value)`.
const DEFAULT_TAGS: &[(&[&str], &str, &str)] = &[(&["network", "connectivity"], "rule", "none")];

/// Deserialises the table, naming the key path of any error.
pub fn parse(mut table: toml::Table, origin: &Path) -> Result<RawExperiment, ConfigError> {
    fill_default_tags(&mut table);
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let (path, message) = located(&e.path().to_string(), &e.into_inner().to_string());
        ConfigError::Syntax {
            path: origin.to_path_buf(),
            message: if path.is_empty() {
                message
            } else {
                format!("{path}: {message}")
            },
        }
    })
}

/// Inserts the [`DEFAULT_TAGS`] that the file leaves out.
fn fill_default_tags(table: &mut toml::Table) {
    for (section, tag, value) in DEFAULT_TAGS {
        let mut current = Some(&mut *table);
        for key in *section {
            current = current.and_then(|t| t.get_mut(*key)?.as_table_mut());
        }
        if let Some(t) = current {
            t.entry(*tag)
                .or_insert_with(|| toml::Value::String(value.to_string()));
        }
    }
}

/// The table of one variant of a tagged section, read so that errors inside it keep their key
/// path. It reads, writes and dereferences as the `T` it holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section<T>(pub T);

impl<T> Deref for Section<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize> Serialize for Section<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Section<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_path_to_error::deserialize(deserializer)
            .map(Section)
            .map_err(|e| {
                let (path, message) = located(&e.path().to_string(), &e.into_inner().to_string());
                D::Error::custom(Located { path, message })
            })
    }
}

/// An error message with the key path inside a [`Section`], carried through serde's error
/// type as text: `MARK path MARK message`.
struct Located {
    path: String,
    message: String,
}

const MARK: char = '\u{1}';

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{MARK}{}{MARK}{}", self.path, self.message)
    }
}

/// Joins the path at which serde stopped (`outer`, `.` when at the top) with the path that a
/// [`Section`] put into `message`, and returns the full path and the bare message (its first
/// line: toml appends "in `key`" lines that the path already says).
fn located(outer: &str, message: &str) -> (String, String) {
    let outer = if outer == "." { "" } else { outer };
    let message = message.lines().next().unwrap_or("").trim();
    let (inner, message) = match message
        .strip_prefix(MARK)
        .and_then(|rest| rest.split_once(MARK))
    {
        Some((inner, message)) => (inner, message),
        None => ("", message),
    };
    let path = match (outer.is_empty(), inner.is_empty()) {
        (_, true) => outer.to_string(),
        (true, false) => inner.to_string(),
        (false, false) if inner.starts_with('[') => format!("{outer}{inner}"),
        (false, false) => format!("{outer}.{inner}"),
    };
    (path, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_sections_join_the_path_outside() {
        let nested = Located {
            path: "projections[1]".into(),
            message: "missing field `in_degree`".into(),
        }
        .to_string();
        let twice = Located {
            path: located("connectivity", &nested).0,
            message: "missing field `in_degree`".into(),
        }
        .to_string();
        assert_eq!(
            located("network", &twice),
            (
                "network.connectivity.projections[1]".to_string(),
                "missing field `in_degree`".to_string()
            )
        );
        let array = Located {
            path: "[2].gain".into(),
            message: "m".into(),
        }
        .to_string();
        assert_eq!(located("inputs", &array).0, "inputs[2].gain");
        assert_eq!(
            located(".", "plain\nin `x`"),
            (String::new(), "plain".into())
        );
    }

    #[test]
    fn a_left_out_tag_takes_its_default() {
        let mut t: toml::Table = "[network.connectivity]\nprojections = []\n"
            .parse()
            .unwrap();
        fill_default_tags(&mut t);
        assert_eq!(t["network"]["connectivity"]["rule"].as_str(), Some("none"));
        let mut t: toml::Table = "[network.connectivity]\nrule = \"fixed_in_degree\"\n"
            .parse()
            .unwrap();
        fill_default_tags(&mut t);
        assert_eq!(
            t["network"]["connectivity"]["rule"].as_str(),
            Some("fixed_in_degree")
        );
    }
}
