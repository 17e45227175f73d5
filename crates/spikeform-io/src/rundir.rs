//! The run directory: where a run writes its results.
//!
//! Files are written atomically ([`crate::atomic`]: a synced temporary file renamed), and `summary.json` is written
//! last, so a directory with a `summary.json` holds a finished run and an interrupted run never
//! looks complete.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Problems with the run directory.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// The directory holds a finished run that would be overwritten.
    #[error("{0}: holds a finished run (summary.json); choose another --out directory")]
    Finished(PathBuf),
    /// The path names something that is not a directory.
    #[error("{0}: is not a directory (a run directory is a directory); choose another --out")]
    NotADirectory(PathBuf),
    /// Another run holds the directory.
    #[error("{0}: another spikeform run is writing into this directory; wait for it or choose another --out")]
    Busy(PathBuf),
    /// An unfinished run that can be continued would be lost.
    #[error("{0}: holds an unfinished run with a checkpoint; continue it with `spikeform run FILE --resume {0}`, or remove the directory to start again")]
    Resumable(PathBuf),
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

/// The checkpoint's file name (as in [`crate::checkpoint::CHECKPOINT`]).
const CHECKPOINT: &str = "checkpoint.npz";

/// One file written into a run directory: its name, size (bytes) and CRC-32 checksum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WrittenFile {
    /// File name inside the run directory.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32 of the contents, as 8 hexadecimal digits.
    pub crc32: String,
}

/// A run directory, held exclusively (an advisory lock on the directory) while the value lives.
#[derive(Debug, Clone)]
pub struct RunDir {
    path: PathBuf,
    /// The open directory whose lock is held (none for [`RunDir::open`]).
    _lock: Option<Arc<File>>,
    /// The files written, in order.
    written: Arc<Mutex<Vec<WrittenFile>>>,
}

impl RunDir {
    /// Creates the run directory for a new run. With `out`, that directory is used; it must not
    /// hold a finished run. Without it, `runs/NAME` is used, or `runs/NAME.2`, `runs/NAME.3`,
    /// ... when earlier ones hold finished runs, are in use or hold a resumable checkpoint, so
    /// no result is ever overwritten.
    ///
    /// The directory is locked for the life of the returned value (a second run into it
    /// refuses); the files an earlier, unfinished run left are removed, so the run starts
    /// clean, unless they include a checkpoint, which only `--resume` may continue.
    pub fn create(out: Option<&Path>, name: &str) -> Result<Self, RunDirError> {
        match out {
            Some(p) => {
                let dir = Self::lock(p)?;
                if p.join(CHECKPOINT).exists() {
                    return Err(RunDirError::Resumable(p.to_path_buf()));
                }
                dir.remove_stale()?;
                Ok(dir)
            }
            None => {
                let base = Path::new("runs").join(name);
                let mut candidate = base.clone();
                let mut k = 2;
                loop {
                    match Self::lock(&candidate) {
                        Ok(dir) if !candidate.join(CHECKPOINT).exists() => {
                            dir.remove_stale()?;
                            return Ok(dir);
                        }
                        Ok(_)
                        | Err(RunDirError::Finished(_))
                        | Err(RunDirError::Busy(_))
                        | Err(RunDirError::NotADirectory(_)) => {}
                        Err(e) => return Err(e),
                    }
                    candidate = PathBuf::from(format!("{}.{k}", base.display()));
                    k += 1;
                }
            }
        }
    }

    /// The unfinished run directory `path`, to continue its run from its checkpoint: locked,
    /// its files kept.
    pub fn resume(path: &Path) -> Result<Self, RunDirError> {
        Self::lock(path)
    }

    /// Creates `path` if needed and takes its lock; refuses a finished run, a file and a
    /// directory another run holds.
    fn lock(path: &Path) -> Result<Self, RunDirError> {
        let io = |source| RunDirError::Io {
            path: path.to_path_buf(),
            source,
        };
        if path.exists() && !path.is_dir() {
            return Err(RunDirError::NotADirectory(path.to_path_buf()));
        }
        if path.join(SUMMARY).exists() {
            return Err(RunDirError::Finished(path.to_path_buf()));
        }
        std::fs::create_dir_all(path).map_err(io)?;
        let handle = File::open(path).map_err(io)?;
        match handle.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(RunDirError::Busy(path.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // Another run may have finished between the check above and the lock.
        if path.join(SUMMARY).exists() {
            return Err(RunDirError::Finished(path.to_path_buf()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            _lock: Some(Arc::new(handle)),
            written: Arc::default(),
        })
    }

    /// Removes what an unfinished run left: the files a run writes (`experiment.toml`,
    /// `manifest.json`, `training_curve.csv`, the arrays of [`crate::outputs::FILES`],
    /// `report.html`, their temporary `.tmp` files) and `figures/`. Every other file is the
    /// user's and is kept.
    fn remove_stale(&self) -> Result<(), RunDirError> {
        let io = |path: PathBuf| move |source| RunDirError::Io { path, source };
        let mut names: Vec<&str> = vec![
            "experiment.toml",
            "manifest.json",
            "training_curve.csv",
            "report.html",
            CHECKPOINT,
        ];
        names.extend(crate::outputs::FILES.iter().map(|f| f.file));
        for name in names {
            for file in [name.to_string(), format!("{name}.tmp")] {
                let path = self.file(&file);
                if path.is_file() {
                    std::fs::remove_file(&path).map_err(io(path.clone()))?;
                }
            }
        }
        let figures = self.file("figures");
        if figures.is_dir() {
            std::fs::remove_dir_all(&figures).map_err(io(figures.clone()))?;
        }
        Ok(())
    }

    /// The files written through this value so far, in the order written.
    pub fn written(&self) -> Vec<WrittenFile> {
        self.written.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// Records that `name` was written with `contents` (for files written without
    /// [`RunDir::write`], such as checkpoints); a file written again moves to the end.
    pub fn record(&self, name: &str, contents: &[u8]) {
        let file = WrittenFile::of(name, contents);
        if let Ok(mut w) = self.written.lock() {
            w.retain(|f| f.name != name);
            w.push(file);
        }
    }

    /// Opens an existing run directory.
    pub fn open(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            _lock: None,
            written: Arc::default(),
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
        crate::atomic::write_atomic(&path, bytes)
            .map_err(|source| RunDirError::Io { path, source })?;
        self.record(name, bytes);
        Ok(())
    }

    /// Writes `value` as pretty JSON to `name` atomically (see [`json_bytes`]).
    pub fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<(), RunDirError> {
        self.write(name, &json_bytes(value))
    }

    /// Records the file `name` already in the directory (written by other means, such as a
    /// checkpoint), reading it to checksum it; a file written again moves to the end.
    pub fn record_file(&self, name: &str) -> Result<(), RunDirError> {
        use std::io::Read;
        let path = self.file(name);
        let io = |source| RunDirError::Io {
            path: path.clone(),
            source,
        };
        let mut file = File::open(&path).map_err(io)?;
        let (mut hasher, mut bytes) = (crc32fast::Hasher::new(), 0u64);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let read = file.read(&mut buf).map_err(io)?;
            if read == 0 {
                break;
            }
            hasher.update(&buf[..read]);
            bytes += read as u64;
        }
        let entry = WrittenFile {
            name: name.to_string(),
            bytes,
            crc32: format!("{:08x}", hasher.finalize()),
        };
        if let Ok(mut w) = self.written.lock() {
            w.retain(|f| f.name != name);
            w.push(entry);
        }
        Ok(())
    }
}

impl WrittenFile {
    /// The entry of file `name` holding `contents` (CRC-32 as zip archives compute it).
    pub fn of(name: &str, contents: &[u8]) -> Self {
        Self {
            name: name.to_string(),
            bytes: contents.len() as u64,
            crc32: format!("{:08x}", crc32fast::hash(contents)),
        }
    }
}

/// `value` as pretty JSON with a final newline. It goes through a `serde_json::Value`, so
/// object keys are sorted at every level.
pub fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    let value = serde_json::to_value(value).expect("run files serialise to JSON");
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
    text.push('\n');
    text.into_bytes()
}
