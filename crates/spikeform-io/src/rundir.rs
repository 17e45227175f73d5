//! The run directory: where a run writes its results.
//!
//! Files are written atomically ([`crate::atomic`]: a synced temporary file renamed), and `summary.json` is written
//! last, so a directory with a `summary.json` holds a finished run and an interrupted run never
//! looks complete.

use std::path::{Path, PathBuf};

/// Problems with the run directory.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// The directory holds a finished run that would be overwritten.
    #[error("{0}: holds a finished run (summary.json); choose another --out directory")]
    Finished(PathBuf),
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// The name of the file that marks a finished run.
pub const SUMMARY: &str = "summary.json";

/// A run directory.
#[derive(Debug, Clone)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Creates the run directory. With `out`, that directory is used; it must not hold a finished
    /// run. Without it, `runs/NAME` is used, or `runs/NAME.2`, `runs/NAME.3`, ... when earlier
    /// ones hold finished runs, so no result is ever overwritten.
    pub fn create(out: Option<&Path>, name: &str) -> Result<Self, RunDirError> {
        let path = match out {
            Some(p) => {
                if p.join(SUMMARY).exists() {
                    return Err(RunDirError::Finished(p.to_path_buf()));
                }
                p.to_path_buf()
            }
            None => {
                let base = Path::new("runs").join(name);
                let mut candidate = base.clone();
                let mut k = 2;
                while candidate.join(SUMMARY).exists() {
                    candidate = PathBuf::from(format!("{}.{k}", base.display()));
                    k += 1;
                }
                candidate
            }
        };
        std::fs::create_dir_all(&path).map_err(|source| RunDirError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Self { path })
    }

    /// Opens an existing run directory.
    pub fn open(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of file `name` inside the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `bytes` to `name` atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), RunDirError> {
        let path = self.file(name);
        crate::atomic::write_atomic(&path, bytes).map_err(|source| RunDirError::Io { path, source })
    }

    /// Writes `value` as pretty JSON to `name` atomically. It goes through a
    /// `serde_json::Value`, so object keys are sorted at every level.
    pub fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<(), RunDirError> {
        let value = serde_json::to_value(value).expect("run files serialise to JSON");
        let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
        text.push('\n');
        self.write(name, text.as_bytes())
    }
}
