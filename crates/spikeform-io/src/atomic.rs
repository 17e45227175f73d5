//! Atomic, durable file writes: the one way the program writes a file.
//!
//! A file `DIR/NAME` is written as `DIR/NAME.tmp` (same directory, hence same file system), then
//! 1. its buffered bytes are flushed and the file is synced (`fsync`), so its contents are on
//!    disk before it gets its name;
//! 2. it is renamed to `DIR/NAME`, atomically replacing any earlier file of that name;
//! 3. `DIR` is synced, so the new name itself survives a crash (on Unix; elsewhere the rename is
//!    the last step).
//!
//! A reader therefore sees the old file or the complete new one, never a partial one. If
//! writing fails, or an [`AtomicFile`] is dropped before [`AtomicFile::commit`], the temporary
//! file is removed.
//!
//! (The `atomic-write-file` crate does the same, but brings `nix` and a second major version of
//! `rand`; `tempfile` leaves the directory sync to the caller. The steps above are short enough
//! to keep here.)

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A file being written under `NAME.tmp`, renamed to `NAME` by [`AtomicFile::commit`].
/// Writes are buffered; the file can seek (to patch headers written before their data).
#[derive(Debug)]
pub struct AtomicFile {
    file: Option<BufWriter<File>>,
    tmp: PathBuf,
    dest: PathBuf,
}

/// The temporary name of `dest`: `NAME.tmp` beside it.
fn tmp_path(dest: &Path) -> io::Result<PathBuf> {
    let name = dest.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let mut tmp = name.to_os_string();
    tmp.push(".tmp");
    Ok(dest.with_file_name(tmp))
}

impl AtomicFile {
    /// Creates (or truncates) `dest`'s temporary file. Errors name the temporary file.
    pub fn create(dest: &Path) -> io::Result<Self> {
        let tmp = tmp_path(dest)?;
        let file = File::create(&tmp).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", tmp.display()))
        })?;
        Ok(AtomicFile {
            file: Some(BufWriter::with_capacity(1 << 16, file)),
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// The temporary file's path (where the bytes are until [`AtomicFile::commit`]).
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// Flushes and syncs the file, renames it to its final name and syncs the directory.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.file.take().expect("an AtomicFile is committed once");
        let result = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &self.dest))
            .and_then(|()| sync_dir(&self.dest));
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result
    }

    fn inner(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("file already committed"))
    }
}

/// Syncs the directory holding `path`, so that a rename into it is durable.
#[cfg(unix)]
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened as files here; the rename is the last step.
#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> io::Result<()> {
    Ok(())
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner()?.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner()?.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner()?.seek(pos)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            drop(f);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes a file atomically: `fill` writes into the temporary file, which is then committed.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut AtomicFile) -> io::Result<()>,
) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(&mut file)?;
    file.commit()
}

/// Writes `bytes` to `path` atomically and durably (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |f| f.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::TempDir;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = TempDir::new("atomic");
        let p = dir.path("a.txt");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(dir.files(), vec!["a.txt".to_string()]);
    }

    #[test]
    fn nothing_appears_before_commit_and_a_drop_cleans_up() {
        let dir = TempDir::new("atomic_drop");
        let p = dir.path("b.bin");
        write_atomic(&p, b"old").unwrap();
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new, half written").unwrap();
        f.flush().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(f.tmp_path(), dir.path("b.bin.tmp"));
        drop(f);
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(dir.files(), vec!["b.bin".to_string()]);
    }

    #[test]
    fn a_failing_fill_keeps_the_old_file() {
        let dir = TempDir::new("atomic_fail");
        let p = dir.path("c.txt");
        write_atomic(&p, b"kept").unwrap();
        let err = write_with(&p, |f| {
            f.write_all(b"partial")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read(&p).unwrap(), b"kept");
        assert_eq!(dir.files(), vec!["c.txt".to_string()]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_temporary_file() {
        let dir = TempDir::new("atomic_missing");
        let p = dir.path("no/such/dir/d.txt");
        let err = write_atomic(&p, b"x").unwrap_err().to_string();
        assert!(err.contains("d.txt.tmp"), "{err}");
    }
}
