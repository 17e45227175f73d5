//! Why a report could not be made.

use std::path::{Path, PathBuf};

/// A failure while making a report: bad input (a run-directory file missing, unreadable or
/// malformed) or an output that could not be written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// A file of the run directory is missing, unreadable or malformed. The CLI exits with 2.
    #[error("{}: {problem}", path.display())]
    Input {
        /// The file (or directory) concerned.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The report or a figure could not be written. The CLI exits with 1.
    #[error("could not write {}: {problem}", path.display())]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// Why.
        problem: String,
    },
}

impl ReportError {
    /// A problem with an input file.
    pub(crate) fn input(path: &Path, problem: impl Into<String>) -> Self {
        ReportError::Input {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }

    /// A problem writing an output file.
    pub(crate) fn write(path: &Path, problem: impl ToString) -> Self {
        ReportError::Write {
            path: path.to_path_buf(),
            problem: problem.to_string(),
        }
    }

    /// True for bad input (exit code 2), false for a write failure (exit code 1).
    pub fn is_input(&self) -> bool {
        matches!(self, ReportError::Input { .. })
    }
}
