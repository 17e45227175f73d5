//! Reading and writing NumPy `.npy` and `.npz` files (the zip container of `.npz` by the
//! `zip` crate).
//!
//! # `.npy` (NumPy format versions 1.0, 2.0 and 3.0)
//!
//! `\x93NUMPY`, the version (major, minor bytes), the header length (little-endian u16 for
//! 1.0, u32 for 2.0/3.0), the header — the repr of a Python dict such as
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`, padded with spaces and a
//! final `\n` so that the data start on a 64-byte boundary — then the data in C order.
//!
//! - Reading ([`read_npy_f64`]): dtypes `<f8`, `<f4`, `<i8`, `<i4`, `<u8`, `<u4`, converted to
//!   f64 (64-bit integers above 2⁵³ round). Fortran order, big-endian data, other dtypes,
//!   malformed headers, truncated data and trailing bytes are errors naming the file.
//! - Writing ([`write_npy_f64`], [`write_npy_f32`], [`write_npy_i64`], [`write_npy_u32`], or
//!   [`write_npy`] for any [`NpyElement`]): version 1.0 headers byte-identical to
//!   `numpy.save` (NumPy ≥ 1.24): keys sorted, 1-tuples written `(3,)`, then
//!   `21 − len(repr(shape[0]))` spaces of growth room, then space padding to 64 bytes (a full 64
//!   when already aligned) and `\n`.
//!
//! # `.npz`
//!
//! A zip archive of `.npy` members named `NAME.npy`, stored without compression, with the
//! CRC-32 of each member. The zip layer is the `zip` crate ([`ZipWriter`], [`ZipArchive`]);
//! this module writes and parses the `.npy` members inside it.
//!
//! - [`NpzWriter`] builds an archive in memory ([`NpzWriter::finish`] returns its bytes);
//! - [`NpzFileWriter`] streams the members to a file as they are added;
//! - [`read_npz`] reads an archive's stored members into a name → array map (`.npy` stripped);
//!   compressed members (`numpy.savez_compressed`) are rejected;
//! - [`NpzFile`] reads the members of an archive file one at a time, without holding the
//!   archive in memory, `<f4` data kept as f32 if asked ([`NpzFile::read_values`]); every
//!   read checks the member's CRC-32.
//!
//! Large archives use the zip64 extensions (PKWARE APPNOTE 4.3.14, 4.3.15, 4.5.3): a member
//! of 4 GiB or more is started in zip64 form (its size is known before it is written), and the
//! `zip` crate adds the zip64 end-of-central-directory records where the archive needs them
//! (65535 members or more, or a central directory beyond 4 GiB). The reader follows these
//! structures wherever they are present.
//!
//! # Atomic writes
//!
//! Every file is written through [`crate::atomic`]: to `PATH.tmp` in the same directory, synced,
//! renamed to `PATH`, and the directory synced, so a partial file never appears under the final
//! name. The temporary file is removed if writing fails or an [`NpzFileWriter`] is dropped
//! before [`NpzFileWriter::finish`].

use crate::atomic::{self, AtomicFile};
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};
use zip::read::ZipFile;
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// A problem with a NumPy file: the file (for archive members `ARCHIVE[MEMBER]`) and the rule
/// it breaks, e.g. `../shared/data/alm/x.npy: expected dtype '<f8', '<f4', '<i8', '<i4',
/// '<u8' or '<u4', found '|u1'`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct NpyError {
    /// The file concerned.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

impl NpyError {
    fn new(path: &Path, problem: impl Into<String>) -> Self {
        NpyError {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }
}

/// An array read from a file, converted to f64, in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The shape; empty for a 0-d array.
    pub shape: Vec<usize>,
    /// The values, `shape.iter().product()` of them.
    pub data: Vec<f64>,
}

impl NpyArray {
    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True if the array holds no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The value at a multi-index (one index per dimension), if in range.
    pub fn get(&self, index: &[usize]) -> Option<f64> {
        if index.len() != self.shape.len() {
            return None;
        }
        let mut flat = 0usize;
        for (&i, &n) in index.iter().zip(&self.shape) {
            if i >= n {
                return None;
            }
            flat = flat * n + i;
        }
        self.data.get(flat).copied()
    }
}

/// The parsed header of an `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Format version (major, minor).
    pub version: (u8, u8),
    /// The dtype descriptor, e.g. `<f8`.
    pub descr: String,
    /// Whether the data are in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The shape.
    pub shape: Vec<usize>,
    /// Offset of the first data byte in the file (a multiple of 64 for files NumPy writes).
    pub data_offset: usize,
}

/// An element type that can be written to `.npy` files.
pub trait NpyElement: Copy + sealed::Sealed {
    /// The NumPy dtype descriptor (`<f8`, `<f4`, `<i8`, `<i4`, `<u8`, `<u4`).
    const DESCR: &'static str;
    /// Bytes per element.
    const SIZE: usize;
    /// Appends the little-endian bytes of `self`.
    fn put_le(self, out: &mut Vec<u8>);
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! npy_element {
    ($t:ty, $descr:literal) => {
        impl sealed::Sealed for $t {}
        impl NpyElement for $t {
            const DESCR: &'static str = $descr;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}
npy_element!(f64, "<f8");
npy_element!(f32, "<f4");
npy_element!(i64, "<i8");
npy_element!(i32, "<i4");
npy_element!(u64, "<u8");
npy_element!(u32, "<u4");

const MAGIC: &[u8; 6] = b"\x93NUMPY";
const ARRAY_ALIGN: usize = 64;
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
const READ_DTYPES: &str = "'<f8', '<f4', '<i8', '<i4', '<u8' or '<u4'";

/// Python's repr of a shape tuple: `()`, `(3,)`, `(3, 4)`.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The version 1.0 header (magic to final `\n`) that `numpy.save` writes for a C-ordered
/// array of dtype `descr` and the given shape; its length is a multiple of 64.
pub fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let mut dict = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}",
        shape_repr(shape)
    );
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    let hlen = dict.len() + 1;
    let pad = ARRAY_ALIGN - (MAGIC.len() + 2 + 2 + hlen) % ARRAY_ALIGN;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = Vec::with_capacity(10 + dict.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// The number of elements of `shape`, or an error on overflow.
fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n))
}

fn check_shape(path: &Path, shape: &[usize], len: usize) -> Result<(), NpyError> {
    match element_count(shape) {
        Some(n) if n == len => Ok(()),
        Some(n) => Err(NpyError::new(
            path,
            format!("shape {} needs {n} values, got {len}", shape_repr(shape)),
        )),
        None => Err(NpyError::new(
            path,
            format!("shape {} is too large", shape_repr(shape)),
        )),
    }
}

/// Writes `data` as little-endian bytes in 64 KiB chunks.
fn write_elements<T: NpyElement, W: Write>(out: &mut W, data: &[T]) -> io::Result<()> {
    let per_chunk = (65536 / T::SIZE).max(1);
    let mut buf = Vec::with_capacity(per_chunk * T::SIZE);
    for chunk in data.chunks(per_chunk) {
        buf.clear();
        for &v in chunk {
            v.put_le(&mut buf);
        }
        out.write_all(&buf)?;
    }
    Ok(())
}

/// The complete bytes of an `.npy` file (header and data) for `data` of the given shape.
pub fn npy_bytes<T: NpyElement>(shape: &[usize], data: &[T]) -> Result<Vec<u8>, NpyError> {
    check_shape(Path::new("<memory>"), shape, data.len())?;
    let mut out = npy_header(T::DESCR, shape);
    out.reserve(data.len() * T::SIZE);
    for &v in data {
        v.put_le(&mut out);
    }
    Ok(out)
}

/// Writes an `.npy` file (atomically, see the module documentation).
pub fn write_npy<T: NpyElement>(
    path: impl AsRef<Path>,
    shape: &[usize],
    data: &[T],
) -> Result<(), NpyError> {
    let path = path.as_ref();
    check_shape(path, shape, data.len())?;
    write_atomic(path, |w| {
        w.write_all(&npy_header(T::DESCR, shape))?;
        write_elements(w, data)
    })
}

/// Writes an f64 (`<f8`) `.npy` file.
pub fn write_npy_f64(
    path: impl AsRef<Path>,
    shape: &[usize],
    data: &[f64],
) -> Result<(), NpyError> {
    write_npy(path, shape, data)
}

/// Writes an f32 (`<f4`) `.npy` file.
pub fn write_npy_f32(
    path: impl AsRef<Path>,
    shape: &[usize],
    data: &[f32],
) -> Result<(), NpyError> {
    write_npy(path, shape, data)
}

/// Writes an i64 (`<i8`) `.npy` file.
pub fn write_npy_i64(
    path: impl AsRef<Path>,
    shape: &[usize],
    data: &[i64],
) -> Result<(), NpyError> {
    write_npy(path, shape, data)
}

/// Writes a u32 (`<u4`) `.npy` file.
pub fn write_npy_u32(
    path: impl AsRef<Path>,
    shape: &[usize],
    data: &[u32],
) -> Result<(), NpyError> {
    write_npy(path, shape, data)
}

/// Writes `bytes` to `path` atomically (via `path.tmp` and a rename).
pub fn write_bytes_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), NpyError> {
    write_atomic(path.as_ref(), |w| w.write_all(bytes))
}

/// Reads an `.npy` file into f64 values (see the module documentation for the accepted
/// dtypes).
pub fn read_npy_f64(path: impl AsRef<Path>) -> Result<NpyArray, NpyError> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|e| NpyError::new(path, format!("cannot read: {e}")))?;
    parse_npy(&bytes, path)
}

/// Reads only the header of an `.npy` file.
pub fn read_npy_header(path: impl AsRef<Path>) -> Result<NpyHeader, NpyError> {
    let path = path.as_ref();
    let mut file =
        File::open(path).map_err(|e| NpyError::new(path, format!("cannot read: {e}")))?;
    let mut prefix = Vec::new();
    // Headers are at most a few kB; 64 kB also covers version 2.0 headers of structured types.
    (&mut file)
        .take(65_536 + 12)
        .read_to_end(&mut prefix)
        .map_err(|e| NpyError::new(path, format!("cannot read: {e}")))?;
    parse_header(&prefix).map_err(|p| NpyError::new(path, p))
}

/// Parses the bytes of an `.npy` file; `source` names it in errors.
pub fn parse_npy(bytes: &[u8], source: impl AsRef<Path>) -> Result<NpyArray, NpyError> {
    let source = source.as_ref();
    let err = |p: String| NpyError::new(source, p);
    let header = parse_header(bytes).map_err(err)?;
    let body = &bytes[header.data_offset..];
    let dtype = data_layout(&header, body.len() as u64).map_err(err)?;
    let mut data = Vec::with_capacity(body.len() / dtype.width());
    dtype.decode_f64(body, &mut data);
    Ok(NpyArray {
        shape: header.shape,
        data,
    })
}

/// A dtype the readers accept (see [`READ_DTYPES`]), all little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadDtype {
    F8,
    F4,
    I8,
    I4,
    U8,
    U4,
}

impl ReadDtype {
    /// Bytes per element.
    fn width(self) -> usize {
        match self {
            ReadDtype::F8 | ReadDtype::I8 | ReadDtype::U8 => 8,
            ReadDtype::F4 | ReadDtype::I4 | ReadDtype::U4 => 4,
        }
    }

    /// Appends the values of `body` (whole elements, little-endian) converted to f64 (64-bit
    /// integers above 2⁵³ round).
    fn decode_f64(self, body: &[u8], out: &mut Vec<f64>) {
        fn each<const N: usize>(body: &[u8], out: &mut Vec<f64>, f: impl Fn([u8; N]) -> f64) {
            out.extend(
                body.chunks_exact(N)
                    .map(|c| f(c.try_into().expect("chunks of N bytes"))),
            );
        }
        match self {
            ReadDtype::F8 => each(body, out, f64::from_le_bytes),
            ReadDtype::I8 => each(body, out, |b| i64::from_le_bytes(b) as f64),
            ReadDtype::U8 => each(body, out, |b| u64::from_le_bytes(b) as f64),
            ReadDtype::F4 => each(body, out, |b| f64::from(f32::from_le_bytes(b))),
            ReadDtype::I4 => each(body, out, |b| f64::from(i32::from_le_bytes(b))),
            ReadDtype::U4 => each(body, out, |b| f64::from(u32::from_le_bytes(b))),
        }
    }
}

/// Appends the `<f4` values of `body` (whole elements) as they are.
fn decode_f32(body: &[u8], out: &mut Vec<f32>) {
    out.extend(
        body.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("chunks of 4 bytes"))),
    );
}

/// Checks that an array of `header` can be read from `body_len` data bytes (C order, a
/// readable dtype, exactly the bytes its shape needs) and gives its dtype; the error is the
/// rule broken.
fn data_layout(header: &NpyHeader, body_len: u64) -> Result<ReadDtype, String> {
    if header.fortran_order {
        return Err(
            "fortran_order is True: Fortran-ordered arrays are not supported \
             (save with numpy.ascontiguousarray)"
                .into(),
        );
    }
    let descr = header.descr.as_str();
    let dtype = match descr {
        "<f8" => ReadDtype::F8,
        "<i8" => ReadDtype::I8,
        "<u8" => ReadDtype::U8,
        "<f4" => ReadDtype::F4,
        "<i4" => ReadDtype::I4,
        "<u4" => ReadDtype::U4,
        d if d.starts_with('>') => {
            return Err(format!(
                "big-endian dtype '{d}' is not supported: expected dtype {READ_DTYPES} \
                 (convert with arr.astype(arr.dtype.newbyteorder('<')))"
            ))
        }
        d => return Err(format!("expected dtype {READ_DTYPES}, found '{d}'")),
    };
    let shape_text = shape_repr(&header.shape);
    let needed = element_count(&header.shape)
        .and_then(|n| n.checked_mul(dtype.width()))
        .ok_or_else(|| format!("shape {shape_text} is too large"))? as u64;
    if body_len < needed {
        return Err(format!(
            "truncated: shape {shape_text} of '{descr}' needs {needed} data bytes, found {body_len}"
        ));
    }
    if body_len > needed {
        return Err(format!(
            "{} unexpected bytes after the data (shape {shape_text} of '{descr}' needs {needed})",
            body_len - needed
        ));
    }
    Ok(dtype)
}

/// Parses magic, version and header dict; the error is the rule broken.
fn parse_header(bytes: &[u8]) -> Result<NpyHeader, String> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return Err("not a NumPy .npy file (the magic string \\x93NUMPY is missing)".into());
    }
    let version = (bytes[6], bytes[7]);
    let (header_len, start): (usize, usize) = match version {
        (1, 0) if bytes.len() >= 10 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        (2, 0) | (3, 0) if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        (1, 0) | (2, 0) | (3, 0) => return Err("truncated: the file ends inside the header".into()),
        (major, minor) => {
            return Err(format!(
                "unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)"
            ))
        }
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated: the file ends inside the header")?;
    let text = String::from_utf8_lossy(&bytes[start..end]);
    let (descr, fortran_order, shape) = parse_header_dict(&text)?;
    Ok(NpyHeader {
        version,
        descr,
        fortran_order,
        shape,
        data_offset: end,
    })
}

/// Parses `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_header_dict(text: &str) -> Result<(String, bool, Vec<usize>), String> {
    let bad = |what: &str| format!("malformed header ({what}): {:?}", text.trim_end());
    let mut p = DictParser {
        s: text.as_bytes(),
        i: 0,
    };
    p.skip_ws();
    if !p.eat(b'{') {
        return Err(bad("it does not start with '{'"));
    }
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string().ok_or_else(|| bad("expected a quoted key"))?;
        p.skip_ws();
        if !p.eat(b':') {
            return Err(bad("expected ':' after a key"));
        }
        p.skip_ws();
        match key.as_str() {
            "descr" => {
                if p.peek() == Some(b'[') {
                    return Err("structured dtypes (a list 'descr') are not supported".to_string());
                }
                let v = p.string().ok_or_else(|| bad("'descr' is not a string"))?;
                if descr.replace(v).is_some() {
                    return Err(bad("'descr' appears twice"));
                }
            }
            "fortran_order" => {
                let v = if p.word("True") {
                    true
                } else if p.word("False") {
                    false
                } else {
                    return Err(bad("'fortran_order' is neither True nor False"));
                };
                if fortran.replace(v).is_some() {
                    return Err(bad("'fortran_order' appears twice"));
                }
            }
            "shape" => {
                let v = p
                    .tuple()
                    .ok_or_else(|| bad("'shape' is not a tuple of integers"))?;
                if shape.replace(v).is_some() {
                    return Err(bad("'shape' appears twice"));
                }
            }
            other => return Err(bad(&format!("unexpected key '{other}'"))),
        }
        p.skip_ws();
        if !p.eat(b',') {
            p.skip_ws();
            if p.eat(b'}') {
                break;
            }
            return Err(bad("expected ',' or '}'"));
        }
    }
    p.skip_ws();
    if p.i != p.s.len() {
        return Err(bad("text after the closing '}'"));
    }
    let descr = descr.ok_or_else(|| bad("no 'descr' key"))?;
    let fortran = fortran.ok_or_else(|| bad("no 'fortran_order' key"))?;
    let shape = shape.ok_or_else(|| bad("no 'shape' key"))?;
    Ok((descr, fortran, shape))
}

struct DictParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl DictParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self, w: &str) -> bool {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            true
        } else {
            false
        }
    }
    /// A '…' or "…" literal without escapes.
    fn string(&mut self) -> Option<String> {
        let q = self.peek().filter(|&c| c == b'\'' || c == b'"')?;
        let start = self.i + 1;
        let len = self.s[start..].iter().position(|&c| c == q)?;
        self.i = start + len + 1;
        Some(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }
    /// `()`, `(3,)`, `(3, 4)`, allowing Python 2's `3L`.
    fn tuple(&mut self) -> Option<Vec<usize>> {
        if !self.eat(b'(') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(b')') {
                return Some(out);
            }
            let start = self.i;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            if start == self.i {
                return None;
            }
            let n = std::str::from_utf8(&self.s[start..self.i])
                .ok()?
                .parse()
                .ok()?;
            out.push(n);
            self.eat(b'L');
            self.skip_ws();
            if !self.eat(b',') {
                self.skip_ws();
                return self.eat(b')').then_some(out);
            }
        }
    }
}

/// Largest member (header and data, in bytes) written without zip64 structures; larger ones
/// are started with `large_file(true)`.
const ZIP32_MAX: u64 = 0xFFFF_FFFE;

/// The options of every member: stored (no compression), dated 1980-01-01 00:00 (the zip
/// epoch, so that the same arrays give the same bytes), zip64 if `size` needs it.
fn member_options(size: u64) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default())
        .large_file(size > ZIP32_MAX)
}

/// `NAME.npy`: the member name of array `name` (kept as is if it ends in `.npy`).
fn member_name(name: &str) -> String {
    if name.ends_with(".npy") {
        name.to_string()
    } else {
        format!("{name}.npy")
    }
}

/// The zip writer shared by [`NpzWriter`] and [`NpzFileWriter`]: the `zip` crate's
/// [`ZipWriter`], with member names checked and errors naming the archive and member.
struct ZipBuilder<W: Write + Seek> {
    zip: ZipWriter<W>,
    names: HashSet<String>,
    label: PathBuf,
}

impl<W: Write + Seek> std::fmt::Debug for ZipBuilder<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipBuilder")
            .field("label", &self.label)
            .field("members", &self.names.len())
            .finish()
    }
}

impl<W: Write + Seek> ZipBuilder<W> {
    fn new(out: W, label: PathBuf) -> Self {
        ZipBuilder {
            zip: ZipWriter::new(out),
            names: HashSet::new(),
            label,
        }
    }

    /// Writes member `NAME.npy`: the `.npy` header of `shape`, then `data`.
    fn add<T: NpyElement>(
        &mut self,
        name: &str,
        shape: &[usize],
        data: &[T],
    ) -> Result<(), NpyError> {
        let member = member_name(name);
        let label = member_label(&self.label, &member);
        if name.is_empty() || name == ".npy" || name.contains('\0') || member.len() > 0xFFFF {
            return Err(NpyError::new(
                &label,
                "a member name must be non-empty, without NUL, and under 64 KiB",
            ));
        }
        if self.names.contains(&member) {
            return Err(NpyError::new(&label, "duplicate member name"));
        }
        check_shape(&label, shape, data.len())?;
        let header = npy_header(T::DESCR, shape);
        let size = (data.len() as u64)
            .checked_mul(T::SIZE as u64)
            .and_then(|n| n.checked_add(header.len() as u64))
            .ok_or_else(|| NpyError::new(&label, "the member exceeds 2^64 bytes"))?;
        self.zip
            .start_file(member.as_str(), member_options(size))
            .map_err(|e| NpyError::new(&label, format!("write failed: {e}")))?;
        self.zip
            .write_all(&header)
            .and_then(|_| write_elements(&mut self.zip, data))
            .map_err(|e| NpyError::new(&label, format!("write failed: {e}")))?;
        self.names.insert(member);
        Ok(())
    }

    /// Writes the central directory (and the zip64 end records where needed); returns the
    /// sink.
    fn finish(self) -> Result<W, NpyError> {
        let label = self.label;
        self.zip
            .finish()
            .and_then(|mut out| {
                out.flush()?;
                Ok(out)
            })
            .map_err(|e| NpyError::new(&label, format!("write failed: {e}")))
    }
}

/// Builds an `.npz` archive in memory. Members are named `NAME.npy` (`NAME` is what
/// `numpy.load` shows as the key) and stored uncompressed.
///
/// ```
/// use spikeform_io::npy::{read_npz, write_bytes_atomic, NpzWriter};
/// let mut npz = NpzWriter::new();
/// npz.add_f64("rates", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// npz.add_u32("neuron", &[2], &[7, 9]);
/// let bytes = npz.finish();
/// # let dir = std::env::temp_dir().join(format!("npz-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("a.npz");
/// write_bytes_atomic(&path, &bytes).unwrap();
/// let arrays = read_npz(&path).unwrap();
/// assert_eq!(arrays["rates"].shape, vec![2, 3]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct NpzWriter {
    zip: ZipBuilder<Cursor<Vec<u8>>>,
}

impl Default for NpzWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl NpzWriter {
    /// An empty in-memory archive.
    pub fn new() -> Self {
        NpzWriter {
            zip: ZipBuilder::new(Cursor::new(Vec::new()), PathBuf::from("<in-memory .npz>")),
        }
    }

    /// Adds a member, or explains why it cannot be added (the shape does not match the number
    /// of values, or the name is empty or already used). Members and archives of 4 GiB or
    /// more are written in zip64 form (see the module documentation).
    pub fn try_add<T: NpyElement>(
        &mut self,
        name: &str,
        shape: &[usize],
        data: &[T],
    ) -> Result<(), NpyError> {
        self.zip.add(name, shape, data)
    }

    fn add_or_panic<T: NpyElement>(&mut self, name: &str, shape: &[usize], data: &[T]) {
        if let Err(e) = self.try_add(name, shape, data) {
            panic!("cannot add an array to an .npz archive: {e}");
        }
    }

    /// Adds an f64 (`<f8`) array as member `NAME.npy`.
    ///
    /// # Panics
    /// Where [`NpzWriter::try_add`] would return an error (a caller bug: shape and data
    /// disagree, or a duplicate or empty name).
    pub fn add_f64(&mut self, name: &str, shape: &[usize], data: &[f64]) {
        self.add_or_panic(name, shape, data)
    }

    /// Adds an f32 (`<f4`) array; panics as [`NpzWriter::add_f64`] does.
    pub fn add_f32(&mut self, name: &str, shape: &[usize], data: &[f32]) {
        self.add_or_panic(name, shape, data)
    }

    /// Adds an i64 (`<i8`) array; panics as [`NpzWriter::add_f64`] does.
    pub fn add_i64(&mut self, name: &str, shape: &[usize], data: &[i64]) {
        self.add_or_panic(name, shape, data)
    }

    /// Adds a u32 (`<u4`) array; panics as [`NpzWriter::add_f64`] does.
    pub fn add_u32(&mut self, name: &str, shape: &[usize], data: &[u32]) {
        self.add_or_panic(name, shape, data)
    }

    /// The archive's bytes (in zip64 form where it reaches 4 GiB or 65535 members).
    ///
    /// # Panics
    /// If the archive cannot be finished, which does not happen in memory: writing to a
    /// `Vec` cannot fail, and sizes of 4 GiB or more are written as zip64.
    pub fn finish(self) -> Vec<u8> {
        match self.zip.finish() {
            Ok(cursor) => cursor.into_inner(),
            Err(e) => panic!("cannot finish an .npz archive: {e}"),
        }
    }

    /// Finishes the archive and writes it to `path` atomically.
    pub fn write_to(self, path: impl AsRef<Path>) -> Result<(), NpyError> {
        let path = path.as_ref();
        let bytes = self
            .zip
            .finish()
            .map_err(|e| NpyError::new(path, e.problem))?
            .into_inner();
        write_bytes_atomic(path, &bytes)
    }
}

/// Writes an `.npz` archive to a file member by member, without holding it in memory. The
/// archive is written to `PATH.tmp` and renamed to `PATH` by [`NpzFileWriter::finish`];
/// dropping the writer before that removes the temporary file.
#[derive(Debug)]
pub struct NpzFileWriter {
    zip: ZipBuilder<AtomicFile>,
}

impl NpzFileWriter {
    /// Starts an archive that will be `path` once finished.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, NpyError> {
        let path = path.as_ref();
        let file = AtomicFile::create(path).map_err(|e| write_error(path, e))?;
        Ok(NpzFileWriter {
            zip: ZipBuilder::new(file, path.to_path_buf()),
        })
    }

    /// Adds a member of any [`NpyElement`] type as `NAME.npy`.
    pub fn add<T: NpyElement>(
        &mut self,
        name: &str,
        shape: &[usize],
        data: &[T],
    ) -> Result<(), NpyError> {
        self.zip.add(name, shape, data)
    }

    /// Adds an f64 (`<f8`) array.
    pub fn add_f64(&mut self, name: &str, shape: &[usize], data: &[f64]) -> Result<(), NpyError> {
        self.add(name, shape, data)
    }

    /// Adds an f32 (`<f4`) array.
    pub fn add_f32(&mut self, name: &str, shape: &[usize], data: &[f32]) -> Result<(), NpyError> {
        self.add(name, shape, data)
    }

    /// Adds an i64 (`<i8`) array.
    pub fn add_i64(&mut self, name: &str, shape: &[usize], data: &[i64]) -> Result<(), NpyError> {
        self.add(name, shape, data)
    }

    /// Adds a u32 (`<u4`) array.
    pub fn add_u32(&mut self, name: &str, shape: &[usize], data: &[u32]) -> Result<(), NpyError> {
        self.add(name, shape, data)
    }

    /// Writes the central directory and commits the file ([`AtomicFile::commit`]: sync, rename,
    /// sync the directory).
    pub fn finish(self) -> Result<(), NpyError> {
        let label = self.zip.label.clone();
        let file = self.zip.finish()?;
        file.commit().map_err(|e| write_error(&label, e))
    }
}

/// Writes a file atomically through [`crate::atomic`]; errors name `path`.
fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut AtomicFile) -> io::Result<()>,
) -> Result<(), NpyError> {
    atomic::write_with(path, fill).map_err(|e| write_error(path, e))
}

/// A failed write of `path` as an [`NpyError`].
fn write_error(path: &Path, e: io::Error) -> NpyError {
    NpyError::new(path, format!("write failed: {e}"))
}

/// Reads an `.npz` archive: every member, keyed by its name without `.npy`. Members are read
/// one at a time from the file (as [`NpzFile`] reads them).
pub fn read_npz(path: impl AsRef<Path>) -> Result<BTreeMap<String, NpyArray>, NpyError> {
    NpzFile::open(path)?.read_all()
}

/// Parses the bytes of an `.npz` archive (stored members only, zip64 included); `source`
/// names it in errors.
pub fn parse_npz(
    bytes: &[u8],
    source: impl AsRef<Path>,
) -> Result<BTreeMap<String, NpyArray>, NpyError> {
    NpzArchive::from_reader(Cursor::new(bytes), source.as_ref())?.read_all()
}

/// The key of member `name`: the name without `.npy`.
fn npz_key(name: &str) -> &str {
    name.strip_suffix(".npy").unwrap_or(name)
}

/// `ARCHIVE[MEMBER]`, the path errors about a member name.
fn member_label(archive: &Path, member: &str) -> PathBuf {
    PathBuf::from(format!("{}[{member}]", archive.display()))
}

/// The problem a `zip` crate error stands for, in the words of this module; `damaged` says
/// what a malformed archive is called (opening it, or reading a member of it).
fn zip_problem(e: ZipError, damaged: &str) -> String {
    match e {
        ZipError::Io(e) => read_failure(e, "the member"),
        ZipError::InvalidArchive(why) => format!("{damaged} ({why})"),
        ZipError::UnsupportedArchive(why) => format!("unsupported zip archive ({why})"),
        e => format!("cannot read: {e}"),
    }
}

/// What [`zip_problem`] calls an archive it cannot open.
const NOT_A_ZIP: &str = "not a zip archive, or a corrupted one";
/// What [`zip_problem`] calls an archive whose member it cannot find.
const DAMAGED_MEMBER: &str = "corrupted or truncated archive";

/// The problem of a failed read of `what` in an archive: the file ends before (its sizes are
/// corrupted, or it was changed after it was opened), the data are invalid, or another I/O
/// error.
fn read_failure(e: io::Error, what: &str) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            format!(
                "truncated: the file ends before {what} (a corrupted archive, or one changed \
                 after it was opened)"
            )
        }
        io::ErrorKind::InvalidData => format!("corrupted archive: {e}"),
        _ => format!("cannot read: {e}"),
    }
}

/// An `.npz` archive read one member at a time from `R` (a [`File`] for [`NpzFile`]), so that
/// reading a large archive holds no more than the member being read (and, for
/// [`NpzArchive::read_values`], not even its bytes: the data are converted as they are read).
///
/// Opening reads the end of the archive (the end-of-central-directory record, and the zip64
/// records where present) and the central directory, with the `zip` crate's [`ZipArchive`];
/// every member must be stored (not compressed), unencrypted, and have a distinct key. Each
/// read checks the member's CRC-32. Errors name the archive, and the member (`ARCHIVE[MEMBER]`)
/// where one is concerned.
///
/// ```
/// use spikeform_io::npy::{NpyValues, NpzFile, NpzWriter};
/// let mut npz = NpzWriter::new();
/// npz.add_f32("p", &[3], &[0.5, 1.5, 2.5]);
/// npz.add_u32("neuron", &[2], &[7, 9]);
/// # let dir = std::env::temp_dir().join(format!("npzfile-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("a.npz");
/// npz.write_to(&path).unwrap();
/// let mut file = NpzFile::open(&path).unwrap();
/// assert_eq!(file.names().collect::<Vec<_>>(), ["neuron", "p"]);
/// assert_eq!(file.read("neuron").unwrap().data, vec![7.0, 9.0]);
/// let (shape, values) = file.read_values("p").unwrap();
/// assert_eq!((shape, values), (vec![3], NpyValues::F32(vec![0.5, 1.5, 2.5])));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct NpzArchive<R: Read + Seek> {
    zip: ZipArchive<R>,
    path: PathBuf,
    /// Member index in the archive, by key (name without `.npy`).
    members: BTreeMap<String, usize>,
}

/// An `.npz` archive file read member by member (see [`NpzArchive`]).
pub type NpzFile = NpzArchive<File>;

impl<R: Read + Seek> std::fmt::Debug for NpzArchive<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpzArchive")
            .field("path", &self.path)
            .field("members", &self.members)
            .finish()
    }
}

/// The values of an array in the precision they are kept in: `<f4` data as f32, every other
/// dtype converted to f64 (as [`parse_npy`] does).
#[derive(Debug, Clone, PartialEq)]
pub enum NpyValues {
    /// Values of any dtype but `<f4`, converted to f64.
    F64(Vec<f64>),
    /// Values of dtype `<f4`, as they are.
    F32(Vec<f32>),
}

impl NpyValues {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            NpyValues::F64(v) => v.len(),
            NpyValues::F32(v) => v.len(),
        }
    }

    /// True if there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as f64 (exact for f32).
    pub fn into_f64(self) -> Vec<f64> {
        match self {
            NpyValues::F64(v) => v,
            NpyValues::F32(v) => v.into_iter().map(f64::from).collect(),
        }
    }
}

/// Bytes read from a member at a time.
const READ_CHUNK: usize = 1 << 20;

impl NpzFile {
    /// Opens an archive file and reads its central directory (see [`NpzArchive`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, NpyError> {
        let path = path.as_ref();
        let file =
            File::open(path).map_err(|e| NpyError::new(path, format!("cannot read: {e}")))?;
        NpzArchive::from_reader(file, path)
    }
}

impl<R: Read + Seek> NpzArchive<R> {
    /// Reads the central directory of the archive in `reader`; `path` names it in errors.
    pub fn from_reader(reader: R, path: &Path) -> Result<Self, NpyError> {
        let zip =
            ZipArchive::new(reader).map_err(|e| NpyError::new(path, zip_problem(e, NOT_A_ZIP)))?;
        let mut members = BTreeMap::new();
        for index in 0..zip.len() {
            let entry = zip
                .by_index_data(index)
                .map_err(|e| NpyError::new(path, zip_problem(e, NOT_A_ZIP)))?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let label = member_label(path, &name);
            if entry.encrypted() {
                return Err(NpyError::new(&label, "encrypted members are not supported"));
            }
            let method = entry.compression();
            if method != CompressionMethod::Stored {
                return Err(NpyError::new(
                    &label,
                    format!(
                        "the member is compressed ({method}); only stored members are read \
                         (save with numpy.savez, not numpy.savez_compressed)"
                    ),
                ));
            }
            if members.insert(npz_key(&name).to_string(), index).is_some() {
                return Err(NpyError::new(&label, "duplicate member name"));
            }
        }
        Ok(NpzArchive {
            zip,
            path: path.to_path_buf(),
            members,
        })
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The members' keys (names without `.npy`, as [`read_npz`] keys them), sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.members.keys().map(String::as_str)
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if the archive has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether the archive has member `name` (with or without `.npy`).
    pub fn contains(&self, name: &str) -> bool {
        self.members.contains_key(npz_key(name))
    }

    /// Reads member `name` (with or without `.npy`) as f64 values, as [`read_npz`] does.
    pub fn read(&mut self, name: &str) -> Result<NpyArray, NpyError> {
        let (shape, values) = self.read_member(name, false)?;
        Ok(NpyArray {
            shape,
            data: values.into_f64(),
        })
    }

    /// Reads member `name` (with or without `.npy`): its shape and values, `<f4` data as f32
    /// (not widened), every other dtype as f64.
    pub fn read_values(&mut self, name: &str) -> Result<(Vec<usize>, NpyValues), NpyError> {
        self.read_member(name, true)
    }

    /// The header of member `name`, once checked that its data can be read (dtype, order and
    /// size, as a read checks them). Only the header is read, so the CRC-32 is not checked
    /// unless the header is wrong (a CRC mismatch is then the error reported).
    pub fn header(&mut self, name: &str) -> Result<NpyHeader, NpyError> {
        self.open_member(name).map(|(header, _, _)| header)
    }

    /// Every member, keyed by its name without `.npy`.
    fn read_all(mut self) -> Result<BTreeMap<String, NpyArray>, NpyError> {
        let names: Vec<String> = self.names().map(str::to_string).collect();
        names
            .into_iter()
            .map(|n| self.read(&n).map(|a| (n, a)))
            .collect()
    }

    /// Positions a reader on member `name` after its `.npy` header, which is parsed and checked
    /// against the member's size.
    fn open_member(
        &mut self,
        name: &str,
    ) -> Result<(NpyHeader, ReadDtype, MemberReader<'_, R>), NpyError> {
        let member = member_name(name);
        let Some(&index) = self.members.get(npz_key(name)) else {
            return Err(NpyError::new(
                &member_label(&self.path, &member),
                "no such member in the archive",
            ));
        };
        let file = self.zip.by_index(index);
        // The entry's own name (the key may lack `.npy`).
        let label = match &file {
            Ok(f) => member_label(&self.path, &String::from_utf8_lossy(f.name_raw())),
            Err(_) => member_label(&self.path, &member),
        };
        let file = file.map_err(|e| NpyError::new(&label, zip_problem(e, DAMAGED_MEMBER)))?;
        let size = file.size();
        let mut r = MemberReader {
            file,
            label,
            size,
            left: size,
        };
        // The magic, version and header length, then the rest of the header.
        let mut head = vec![0; size.min(12) as usize];
        r.read(&mut head)?;
        if let Some(end) = npy_header_end(&head) {
            let end = end.min(size) as usize;
            if end > head.len() {
                let at = head.len();
                head.resize(end, 0);
                r.read(&mut head[at..])?;
            }
        }
        let parsed = parse_header(&head).and_then(|h| {
            let body_len = size - h.data_offset as u64;
            data_layout(&h, body_len).map(|dtype| (h, dtype))
        });
        match parsed {
            Ok((h, dtype)) => Ok((h, dtype, r)),
            // A corrupted member is reported as such rather than by what the damage looks like.
            Err(problem) => Err(r.check_rest().err().unwrap_or_else(|| r.error(problem))),
        }
    }

    fn read_member(
        &mut self,
        name: &str,
        keep_f32: bool,
    ) -> Result<(Vec<usize>, NpyValues), NpyError> {
        let (header, dtype, mut r) = self.open_member(name)?;
        let count = r.left as usize / dtype.width();
        let mut values = if keep_f32 && dtype == ReadDtype::F4 {
            NpyValues::F32(Vec::with_capacity(count))
        } else {
            NpyValues::F64(Vec::with_capacity(count))
        };
        let mut buf = vec![0; (r.left as usize).min(READ_CHUNK)];
        while r.left > 0 {
            let n = (r.left as usize).min(READ_CHUNK);
            r.read(&mut buf[..n])?;
            // READ_CHUNK is a multiple of the width, so chunks hold whole elements.
            match &mut values {
                NpyValues::F32(v) => decode_f32(&buf[..n], v),
                NpyValues::F64(v) => dtype.decode_f64(&buf[..n], v),
            }
        }
        r.check_rest()?;
        Ok((header.shape, values))
    }
}

/// Where the header of an `.npy` file starting with `head` ends, from its version and header
/// length; `None` if `head` does not tell (then [`parse_header`] says why).
fn npy_header_end(head: &[u8]) -> Option<u64> {
    if head.get(..6)? != MAGIC {
        return None;
    }
    let le = |k: usize, n: usize| -> Option<u64> {
        let b = head.get(k..k + n)?;
        Some(
            b.iter()
                .rev()
                .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
        )
    };
    match (*head.get(6)?, *head.get(7)?) {
        (1, 0) => Some(10 + le(8, 2)?),
        (2, 0) | (3, 0) => Some(12 + le(8, 4)?),
        _ => None,
    }
}

/// Whether `e` is the `zip` crate's report of a CRC-32 mismatch.
fn is_crc_error(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidData && e.to_string().contains("checksum")
}

/// Reads a member's bytes in order; the `zip` crate checks their CRC-32 at the end.
struct MemberReader<'a, R: Read + Seek> {
    file: ZipFile<'a, R>,
    /// `ARCHIVE[MEMBER]`.
    label: PathBuf,
    size: u64,
    /// Bytes not read yet.
    left: u64,
}

impl<R: Read + Seek> MemberReader<'_, R> {
    fn error(&self, problem: impl Into<String>) -> NpyError {
        NpyError::new(&self.label, problem)
    }

    /// The error of a failed read. The `zip` crate reports a CRC-32 mismatch as soon as the
    /// member's data end: before `size` bytes (`left > 0`), the file was cut short.
    fn failure(&self, e: io::Error) -> NpyError {
        let what = format!("the member's {} bytes", self.size);
        if is_crc_error(&e) {
            if self.left > 0 {
                return self.error(read_failure(
                    io::Error::from(io::ErrorKind::UnexpectedEof),
                    &what,
                ));
            }
            return self.error(format!(
                "CRC-32 mismatch: the data do not match the recorded {:08x} (corrupted archive)",
                self.file.crc32()
            ));
        }
        self.error(read_failure(e, &what))
    }

    /// Fills `buf` with the next bytes of the member (`buf.len() <= self.left`).
    fn read(&mut self, buf: &mut [u8]) -> Result<(), NpyError> {
        self.file.read_exact(buf).map_err(|e| self.failure(e))?;
        self.left -= buf.len() as u64;
        Ok(())
    }

    /// Reads the rest of the member, and one read past its end, where the `zip` crate compares
    /// the CRC-32 of the data with the recorded one: an error if they differ.
    fn check_rest(&mut self) -> Result<(), NpyError> {
        let mut buf = vec![0; (self.left as usize).clamp(1, READ_CHUNK)];
        while self.left > 0 {
            let n = (self.left as usize).min(READ_CHUNK);
            self.read(&mut buf[..n])?;
        }
        match self.file.read(&mut buf[..1]) {
            Ok(0) => Ok(()),
            Ok(_) => Err(self.error(format!(
                "corrupted archive: the member is longer than its recorded {} bytes",
                self.size
            ))),
            Err(e) => Err(self.failure(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::TempDir;

    const SHAPES: [&[usize]; 6] = [&[7], &[0], &[3, 4], &[2, 3, 4], &[1, 1, 5], &[]];

    fn values(n: usize) -> Vec<f64> {
        (0..n).map(|i| (i as f64 - 3.0) * 1.25).collect()
    }

    #[test]
    fn npy_header_matches_numpy_byte_for_byte() {
        // The header numpy.save wrote for the (1500, 100) float64 ALM arrays (shared/data/alm).
        let mut expected = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
        expected
            .extend_from_slice(b"{'descr': '<f8', 'fortran_order': False, 'shape': (1500, 100), }");
        expected.extend_from_slice(&[b' '; 53]);
        expected.push(b'\n');
        assert_eq!(npy_header("<f8", &[1500, 100]), expected);
        // 1-tuples, 0-d and alignment
        let h = npy_header("<u4", &[3]);
        let text = String::from_utf8_lossy(&h[10..]).into_owned();
        assert!(text.starts_with("{'descr': '<u4', 'fortran_order': False, 'shape': (3,), }"));
        assert!(text.ends_with(" \n"));
        let h0 = npy_header("<f8", &[]);
        assert!(String::from_utf8_lossy(&h0).contains("'shape': (), }"));
        for shape in SHAPES {
            for descr in ["<f8", "<f4", "<i8", "<u4"] {
                let h = npy_header(descr, shape);
                assert_eq!(h.len() % 64, 0, "{descr} {shape:?}");
                assert_eq!(u16::from_le_bytes([h[8], h[9]]) as usize, h.len() - 10);
            }
        }
        // When magic + length + dict + '\n' is already a multiple of 64, numpy still pads a
        // full 64 bytes: with shape (1, 10^17, 10^18) that sum is 128.
        let h = npy_header(
            "<f8",
            &[1, 100_000_000_000_000_000, 1_000_000_000_000_000_000],
        );
        assert_eq!(h.len(), 192);
        assert!(h[128..191].iter().all(|&b| b == b' ') && h[191] == b'\n');
    }

    #[test]
    fn npy_round_trip_every_dtype_and_shape() {
        let dir = TempDir::new("rt");
        for (k, shape) in SHAPES.iter().enumerate() {
            let n: usize = shape.iter().product();
            let v = values(n);
            let p = dir.path(&format!("f64_{k}.npy"));
            write_npy_f64(&p, shape, &v).unwrap();
            let a = read_npy_f64(&p).unwrap();
            assert_eq!(
                (a.shape.as_slice(), a.data.as_slice()),
                (*shape, v.as_slice())
            );

            let v32: Vec<f32> = v.iter().map(|&x| x as f32 + 0.1).collect();
            let p = dir.path(&format!("f32_{k}.npy"));
            write_npy_f32(&p, shape, &v32).unwrap();
            let a = read_npy_f64(&p).unwrap();
            assert_eq!(a.shape, *shape);
            assert!(a.data.iter().zip(&v32).all(|(a, b)| *a == f64::from(*b)));
            assert_eq!(read_npy_header(&p).unwrap().descr, "<f4");

            let vi: Vec<i64> = (0..n as i64).map(|i| i * 1_000_003 - 17).collect();
            let p = dir.path(&format!("i64_{k}.npy"));
            write_npy_i64(&p, shape, &vi).unwrap();
            let a = read_npy_f64(&p).unwrap();
            assert!(a.data.iter().zip(&vi).all(|(a, b)| *a == *b as f64));

            let vu: Vec<u32> = (0..n as u32).map(|i| u32::MAX - i).collect();
            let p = dir.path(&format!("u32_{k}.npy"));
            write_npy_u32(&p, shape, &vu).unwrap();
            let a = read_npy_f64(&p).unwrap();
            assert!(a.data.iter().zip(&vu).all(|(a, b)| *a == f64::from(*b)));
            assert_eq!(a.shape, *shape);

            let vi32: Vec<i32> = (0..n as i32).map(|i| -i).collect();
            let p = dir.path(&format!("i32_{k}.npy"));
            write_npy(&p, shape, &vi32).unwrap();
            assert!(read_npy_f64(&p)
                .unwrap()
                .data
                .iter()
                .zip(&vi32)
                .all(|(a, b)| *a == f64::from(*b)));

            let vu64: Vec<u64> = (0..n as u64).collect();
            let p = dir.path(&format!("u64_{k}.npy"));
            write_npy(&p, shape, &vu64).unwrap();
            assert_eq!(read_npy_f64(&p).unwrap().len(), n);
        }
        // No temporary files are left behind.
        assert!(dir.files().iter().all(|f| !f.ends_with(".tmp")));
        // special values survive
        let p = dir.path("special.npy");
        let v = [f64::NAN, f64::INFINITY, -0.0, f64::MIN_POSITIVE, 1e308];
        write_npy_f64(&p, &[5], &v).unwrap();
        let a = read_npy_f64(&p).unwrap();
        assert!(a.data[0].is_nan());
        assert_eq!(
            a.data[1..].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            v[1..].iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        // indexing
        let p = dir.path("idx.npy");
        write_npy_f64(&p, &[2, 3, 4], &values(24)).unwrap();
        let a = read_npy_f64(&p).unwrap();
        assert_eq!(a.get(&[1, 2, 3]), Some(values(24)[23]));
        assert_eq!(a.get(&[1, 0, 2]), Some(values(24)[14]));
        assert_eq!(a.get(&[2, 0, 0]), None);
        assert_eq!(a.ndim(), 3);
    }

    #[test]
    fn npy_writer_rejects_shape_mismatch() {
        let dir = TempDir::new("mismatch");
        let p = dir.path("x.npy");
        let e = write_npy_f64(&p, &[3, 4], &[1.0; 10]).unwrap_err();
        assert_eq!(e.path, p);
        assert!(
            e.to_string()
                .ends_with("shape (3, 4) needs 12 values, got 10"),
            "{e}"
        );
        assert!(dir.files().is_empty(), "{:?}", dir.files());
    }

    fn with_header(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut h = dict.to_string();
        let pad = 64 - (10 + h.len() + 1) % 64;
        h.push_str(&" ".repeat(pad));
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn npy_reader_rejects_what_it_cannot_read() {
        let src = Path::new("../shared/data/alm/x.npy");
        let msg = |bytes: &[u8]| parse_npy(bytes, src).unwrap_err().to_string();
        let e = msg(&with_header(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }",
            &[1, 2],
        ));
        assert_eq!(
            e,
            "../shared/data/alm/x.npy: expected dtype '<f8', '<f4', '<i8', '<i4', '<u8' or '<u4', found '|u1'"
        );
        let e = msg(&with_header(
            "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }",
            &[0; 8],
        ));
        assert!(
            e.starts_with("../shared/data/alm/x.npy: big-endian dtype '>f8'"),
            "{e}"
        );
        let e = msg(&with_header(
            "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
            &[0; 32],
        ));
        assert!(e.contains("fortran_order is True"), "{e}");
        let e = msg(&with_header(
            "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
            &[0; 8],
        ));
        assert!(e.contains("structured dtypes"), "{e}");
        let e = msg(&with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1, }",
            &[0; 8],
        ));
        assert!(e.contains("unexpected key 'extra'"), "{e}");
        let e = msg(&with_header(
            "{'descr': '<f8', 'fortran_order': False, }",
            &[],
        ));
        assert!(e.contains("no 'shape' key"), "{e}");
        let e = msg(b"PK\x03\x04 this is a zip");
        assert!(e.contains("magic"), "{e}");
        let mut v9 = npy_bytes(&[1], &[1.0f64]).unwrap();
        v9[6] = 9;
        assert!(msg(&v9).contains("unsupported .npy format version 9.0"));
        // truncated data and header
        let full = npy_bytes(&[1500, 100], &vec![0.5f64; 150_000]).unwrap();
        let e = msg(&full[..full.len() - 8]);
        assert_eq!(
            e,
            "../shared/data/alm/x.npy: truncated: shape (1500, 100) of '<f8' needs 1200000 data bytes, found 1199992"
        );
        assert!(msg(&full[..50]).contains("truncated"));
        let mut long = npy_bytes(&[2], &[1.0f64, 2.0]).unwrap();
        long.push(0);
        assert!(msg(&long).contains("1 unexpected bytes after the data"));
        // a missing file names the file
        let e = read_npy_f64("/nonexistent/dir/y.npy").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/dir/y.npy: cannot read"),
            "{e}"
        );
    }

    #[test]
    fn npy_reader_accepts_header_variants() {
        // version 2.0 (u32 length), double quotes, Python 2 longs, no trailing comma, other order
        let dict = "{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"<i4\"}";
        let mut h = dict.to_string();
        let pad = 64 - (12 + h.len() + 1) % 64;
        h.push_str(&" ".repeat(pad));
        h.push('\n');
        let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
        bytes.extend_from_slice(&(h.len() as u32).to_le_bytes());
        bytes.extend_from_slice(h.as_bytes());
        bytes.extend_from_slice(&(-5i32).to_le_bytes());
        bytes.extend_from_slice(&7i32.to_le_bytes());
        let a = parse_npy(&bytes, "v2.npy").unwrap();
        assert_eq!(a.shape, vec![2, 1]);
        assert_eq!(a.data, vec![-5.0, 7.0]);
        // 0-d
        let a = parse_npy(&npy_bytes(&[], &[2.5f64]).unwrap(), "s.npy").unwrap();
        assert_eq!((a.shape.len(), a.data.clone()), (0, vec![2.5]));
    }

    fn fill_archive(
        mut add: impl FnMut(&str, &[usize], Payload) -> Result<(), NpyError>,
    ) -> Vec<(String, Vec<usize>, Vec<f64>)> {
        let mut expect = Vec::new();
        let v = values(24);
        add("a", &[2, 3, 4], Payload::F64(v.clone())).unwrap();
        expect.push(("a".to_string(), vec![2, 3, 4], v));
        let f: Vec<f32> = (0..6).map(|i| i as f32 * 0.5).collect();
        add("b32", &[6], Payload::F32(f.clone())).unwrap();
        expect.push((
            "b32".into(),
            vec![6],
            f.iter().map(|&x| f64::from(x)).collect(),
        ));
        let i: Vec<i64> = vec![-3, 0, 4_000_000_000];
        add("idx", &[3], Payload::I64(i.clone())).unwrap();
        expect.push(("idx".into(), vec![3], i.iter().map(|&x| x as f64).collect()));
        let u: Vec<u32> = vec![1, 2, 3, 4];
        add("u.npy", &[2, 2], Payload::U32(u.clone())).unwrap();
        expect.push((
            "u".into(),
            vec![2, 2],
            u.iter().map(|&x| f64::from(x)).collect(),
        ));
        add("empty", &[0, 3], Payload::F64(vec![])).unwrap();
        expect.push(("empty".into(), vec![0, 3], vec![]));
        expect
    }

    enum Payload {
        F64(Vec<f64>),
        F32(Vec<f32>),
        I64(Vec<i64>),
        U32(Vec<u32>),
    }

    impl Payload {
        /// Adds the values as member `name` of either writer's archive.
        fn add_to<W: Write + Seek>(
            self,
            zip: &mut ZipBuilder<W>,
            name: &str,
            shape: &[usize],
        ) -> Result<(), NpyError> {
            match self {
                Payload::F64(v) => zip.add(name, shape, &v),
                Payload::F32(v) => zip.add(name, shape, &v),
                Payload::I64(v) => zip.add(name, shape, &v),
                Payload::U32(v) => zip.add(name, shape, &v),
            }
        }
    }

    fn check(arrays: &BTreeMap<String, NpyArray>, expect: &[(String, Vec<usize>, Vec<f64>)]) {
        assert_eq!(arrays.len(), expect.len());
        for (name, shape, data) in expect {
            let a = &arrays[name];
            assert_eq!(&a.shape, shape, "{name}");
            assert_eq!(&a.data, data, "{name}");
        }
    }

    #[test]
    fn npz_round_trip_in_memory_and_streaming() {
        let dir = TempDir::new("npz");
        let mut mem = NpzWriter::new();
        let expect = fill_archive(|n, s, p| p.add_to(&mut mem.zip, n, s));
        let bytes = mem.finish();
        check(&parse_npz(&bytes, "mem.npz").unwrap(), &expect);

        let path = dir.path("stream.npz");
        let mut file = NpzFileWriter::create(&path).unwrap();
        fill_archive(|n, s, p| p.add_to(&mut file.zip, n, s));
        // before finish only the temporary file exists
        assert_eq!(dir.files(), vec!["stream.npz.tmp".to_string()]);
        file.finish().unwrap();
        assert_eq!(dir.files(), vec!["stream.npz".to_string()]);
        // both routes give the same bytes
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        check(&read_npz(&path).unwrap(), &expect);

        // the convenience adders of the in-memory writer, and write_to
        let mut w = NpzWriter::default();
        w.add_f64("x", &[2], &[1.0, 2.0]);
        w.add_f32("y", &[1], &[3.0]);
        w.add_i64("z", &[1], &[-4]);
        w.add_u32("w", &[1], &[5]);
        let p2 = dir.path("conv.npz");
        w.write_to(&p2).unwrap();
        let m = read_npz(&p2).unwrap();
        assert_eq!(m["x"].data, vec![1.0, 2.0]);
        assert_eq!(m["y"].data, vec![3.0]);
        assert_eq!(m["z"].data, vec![-4.0]);
        assert_eq!(m["w"].data, vec![5.0]);
    }

    /// Where `needle` first occurs in `bytes`.
    fn find(bytes: &[u8], needle: &[u8]) -> usize {
        (0..bytes.len())
            .find(|&k| bytes[k..].starts_with(needle))
            .expect("not in the archive")
    }

    /// Offset of the central directory entry of `member` (its name's last occurrence).
    fn central_entry(bytes: &[u8], member: &str) -> usize {
        let name = member.as_bytes();
        let at = (0..=bytes.len() - name.len())
            .rev()
            .find(|&k| &bytes[k..k + name.len()] == name)
            .unwrap();
        let entry = at - 46;
        assert_eq!(bytes[entry..entry + 4], 0x0201_4b50u32.to_le_bytes());
        entry
    }

    /// An archive of the `.npy` files `members` (name, bytes), written with the `zip` crate
    /// directly (so that a member can be anything), each started in zip64 form if `zip64`.
    fn raw_archive(members: &[(&str, &[u8])], zip64: bool) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for &(name, bytes) in members {
            let size = if zip64 { ZIP32_MAX + 1 } else { 0 };
            zip.start_file(name, member_options(size)).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn npz_members_are_exact_npy_files() {
        // Each member's bytes are exactly what write_npy writes, stored uncompressed.
        let mut w = NpzWriter::new();
        let v = values(12);
        w.add_f64("m", &[3, 4], &v);
        let bytes = w.finish();
        let npy = npy_bytes(&[3, 4], &v).unwrap();
        find(&bytes, &npy);
        let mut zip = ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut m = zip.by_name("m.npy").unwrap();
        assert_eq!(m.compression(), CompressionMethod::Stored);
        let mut data = Vec::new();
        m.read_to_end(&mut data).unwrap();
        assert_eq!(data, npy);
    }

    #[test]
    fn npz_errors() {
        let dir = TempDir::new("npzerr");
        let mut w = NpzWriter::new();
        w.add_f64("a", &[1], &[1.0]);
        let e = w.try_add("a", &[1], &[2.0f64]).unwrap_err();
        assert!(
            e.to_string().contains("[a.npy]: duplicate member name"),
            "{e}"
        );
        let e = w.try_add("b", &[2, 2], &[2.0f64]).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("[b.npy]: shape (2, 2) needs 4 values, got 1"),
            "{e}"
        );
        assert!(w.try_add("", &[1], &[2.0f64]).is_err());
        let good = w.finish();

        // corrupted data: CRC mismatch
        let mut bad = good.clone();
        let last_data = find(&good, &npy_bytes(&[1], &[1.0f64]).unwrap()) + 128 + 7;
        bad[last_data] ^= 0x40;
        let e = parse_npz(&bad, "c.npz").unwrap_err();
        assert!(
            e.to_string().starts_with("c.npz[a.npy]: CRC-32 mismatch"),
            "{e}"
        );

        // a compressed member (method 8 in both headers) is rejected
        let mut comp = good.clone();
        comp[8] = 8;
        let cd =
            u32::from_le_bytes(comp[comp.len() - 6..comp.len() - 2].try_into().unwrap()) as usize;
        comp[cd + 10] = 8;
        let e = parse_npz(&comp, "z.npz").unwrap_err();
        assert!(
            e.to_string()
                .contains("z.npz[a.npy]: the member is compressed ("),
            "{e}"
        );

        // truncated archive
        assert!(parse_npz(&good[..good.len() - 10], "t.npz").is_err());
        assert!(parse_npz(b"not a zip", "n.npz")
            .unwrap_err()
            .to_string()
            .starts_with("n.npz: not a zip archive"));

        // streaming writer dropped before finish leaves nothing behind
        let p = dir.path("dropped.npz");
        {
            let mut f = NpzFileWriter::create(&p).unwrap();
            f.add_f64("a", &[1], &[1.0]).unwrap();
            assert!(f.add_f64("a", &[1], &[1.0]).is_err());
        }
        assert!(dir.files().is_empty(), "{:?}", dir.files());
        // unwritable location
        let e = NpzFileWriter::create(dir.path("no/such/dir/x.npz")).unwrap_err();
        assert!(e.to_string().contains("x.npz"), "{e}");
    }

    #[test]
    #[should_panic(expected = "shape (3,) needs 3 values, got 2")]
    fn npz_in_memory_add_panics_on_shape_mismatch() {
        NpzWriter::new().add_f64("a", &[3], &[1.0, 2.0]);
    }

    #[test]
    fn npz_zip64_members_and_member_counts_read_back() {
        // A member started in zip64 form (as those of 4 GiB or more are) reads back, by both
        // readers.
        let dir = TempDir::new("npz64");
        let npy = npy_bytes(&[3], &[1.0f64, 2.0, 3.0]).unwrap();
        let bytes = raw_archive(&[("big.npy", &npy)], true);
        assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), 45, "version 4.5");
        let p = dir.path("big.npz");
        write_bytes_atomic(&p, &bytes).unwrap();
        let expect = vec![("big".to_string(), vec![3], vec![1.0, 2.0, 3.0])];
        check(&parse_npz(&bytes, "big.npz").unwrap(), &expect);
        check(&read_npz(&p).unwrap(), &expect);

        // 65536 members: more than the 16-bit count of the end record holds, so the archive
        // ends with a zip64 end-of-central-directory record (signature PK\x06\x06).
        let n = 0x1_0000;
        let mut w = NpzWriter::new();
        for i in 0..n {
            w.add_u32(&i.to_string(), &[], &[i as u32]);
        }
        let bytes = w.finish();
        assert!(bytes[bytes.len() - 200..]
            .windows(4)
            .any(|s| s == b"PK\x06\x06"));
        let m = parse_npz(&bytes, "many.npz").unwrap();
        assert_eq!(m.len(), n);
        assert_eq!(m[&(n - 1).to_string()].data, vec![(n - 1) as f64]);
        let p = dir.path("many.npz");
        write_bytes_atomic(&p, &bytes).unwrap();
        let mut f = NpzFile::open(&p).unwrap();
        assert_eq!(f.len(), n);
        assert_eq!(f.read("65535").unwrap().data, vec![65535.0]);
    }

    /// Every member of `f`, read one by one with [`NpzFile::read`].
    fn read_all(f: &mut NpzFile) -> Result<BTreeMap<String, NpyArray>, NpyError> {
        let names: Vec<String> = f.names().map(str::to_string).collect();
        names
            .into_iter()
            .map(|n| f.read(&n).map(|a| (n, a)))
            .collect()
    }

    #[test]
    fn npz_file_reads_what_read_npz_reads() {
        let dir = TempDir::new("npzfile");
        // several dtypes (f64, f32, i64, u32, an empty array), written by the streaming writer
        let path = dir.path("plain.npz");
        let mut file = NpzFileWriter::create(&path).unwrap();
        let expect = fill_archive(|n, s, p| p.add_to(&mut file.zip, n, s));
        file.finish().unwrap();
        let mut f = NpzFile::open(&path).unwrap();
        assert_eq!(f.path(), path.as_path());
        assert_eq!((f.len(), f.is_empty()), (5, false));
        assert_eq!(
            f.names().collect::<Vec<_>>(),
            ["a", "b32", "empty", "idx", "u"]
        );
        assert!(f.contains("idx") && f.contains("idx.npy") && !f.contains("nope"));
        let all = read_all(&mut f).unwrap();
        check(&all, &expect);
        assert_eq!(all, read_npz(&path).unwrap());
        // members are read in any order, as often as asked, with or without `.npy`
        assert_eq!(f.read("u.npy").unwrap(), all["u"]);
        assert_eq!(f.read("a").unwrap(), all["a"]);
        assert_eq!(f.header("b32").unwrap().descr, "<f4");
        assert_eq!(f.header("a").unwrap().shape, vec![2, 3, 4]);

        // members larger than one read (1 MiB), of every dtype, exactly
        let n = 300_001;
        let f64s: Vec<f64> = (0..n).map(|i| (i as f64).sin() * 1e3).collect();
        let f32s: Vec<f32> = f64s.iter().map(|&x| x as f32 / 7.0).collect();
        let i64s: Vec<i64> = (0..n as i64).map(|i| i * 7_919 - 1_000_000).collect();
        let u32s: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let mut w = NpzWriter::new();
        w.add_f64("f64", &[n], &f64s);
        w.add_f32("f32", &[n], &f32s);
        w.add_i64("i64", &[n], &i64s);
        w.add_u32("u32", &[1, n], &u32s);
        let p = dir.path("large.npz");
        w.write_to(&p).unwrap();
        let mut f = NpzFile::open(&p).unwrap();
        assert_eq!(read_all(&mut f).unwrap(), read_npz(&p).unwrap());
        assert_eq!(
            f.read_values("f32").unwrap(),
            (vec![n], NpyValues::F32(f32s.clone()))
        );
        assert_eq!(
            f.read_values("f64").unwrap(),
            (vec![n], NpyValues::F64(f64s.clone()))
        );
        let (shape, v) = f.read_values("u32").unwrap();
        assert_eq!(shape, vec![1, n]);
        assert_eq!(
            v,
            NpyValues::F64(u32s.iter().map(|&x| f64::from(x)).collect())
        );
    }

    #[test]
    fn npz_file_read_values_keeps_f32_exactly() {
        let dir = TempDir::new("npzvalues");
        let f32s = [
            0.1f32,
            -1.0 / 3.0,
            f32::MIN_POSITIVE,
            1e-45, // subnormal
            f32::MAX,
            -0.0,
            f32::INFINITY,
            f32::NAN,
        ];
        let f64s = [0.1f64, 1.0 / 3.0, 1e-300, f64::MAX];
        let mut w = NpzWriter::new();
        w.add_f32("p", &[2, 4], &f32s);
        w.add_f64("q", &[4], &f64s);
        w.add_i64("i", &[2], &[-7, 1 << 40]);
        w.add_u32("u", &[], &[9]);
        w.add_f32("none", &[0], &[]);
        let p = dir.path("v.npz");
        w.write_to(&p).unwrap();
        let mut f = NpzFile::open(&p).unwrap();

        let (shape, v) = f.read_values("p").unwrap();
        assert_eq!(shape, vec![2, 4]);
        let NpyValues::F32(v) = v else {
            panic!("<f4 read as {v:?}")
        };
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&v), bits(&f32s));
        // read (and into_f64) widen exactly
        let a = f.read("p").unwrap();
        assert_eq!(a.shape, vec![2, 4]);
        let wide = NpyValues::F32(v).into_f64();
        assert_eq!(
            a.data.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            wide.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert!(f32s
            .iter()
            .zip(&wide)
            .all(|(&x, &y)| x.is_nan() && y.is_nan() || f64::from(x) == y));

        assert_eq!(
            f.read_values("q").unwrap(),
            (vec![4], NpyValues::F64(f64s.to_vec()))
        );
        assert_eq!(
            f.read_values("i").unwrap(),
            (vec![2], NpyValues::F64(vec![-7.0, (1u64 << 40) as f64]))
        );
        let (shape, u) = f.read_values("u").unwrap();
        assert_eq!((shape, u.len(), u.is_empty()), (vec![], 1, false));
        assert_eq!(u, NpyValues::F64(vec![9.0]));
        let (shape, none) = f.read_values("none").unwrap();
        assert_eq!((shape, none.is_empty()), (vec![0], true));
        assert_eq!(none, NpyValues::F32(vec![]));
    }

    #[test]
    fn npz_file_errors_name_the_archive_and_member() {
        let dir = TempDir::new("npzfileerr");
        let mut w = NpzWriter::new();
        w.add_f64("a", &[1], &[1.0]);
        w.add_f32("b", &[3], &[1.0, 2.0, 3.0]);
        let good = w.finish();
        let a_data = find(&good, &npy_bytes(&[1], &[1.0f64]).unwrap());
        let b_data = find(&good, &npy_bytes(&[3], &[1.0f32, 2.0, 3.0]).unwrap());
        let p = dir.path("e.npz");
        let shown = p.display().to_string();
        let open_err = |bytes: &[u8]| {
            std::fs::write(&p, bytes).unwrap();
            NpzFile::open(&p).unwrap_err().to_string()
        };
        let starts = |e: &str, what: &str| {
            assert!(e.starts_with(&format!("{shown}{what}")), "{e}");
        };

        // a missing file, a truncated file, not a zip archive
        let e = NpzFile::open(dir.path("absent.npz")).unwrap_err();
        assert!(e.to_string().contains("absent.npz: cannot read"), "{e}");
        for len in [0, 10, good.len() - 10, good.len() - 1] {
            starts(&open_err(&good[..len]), ": not a zip archive");
        }
        starts(&open_err(b"not a zip"), ": not a zip archive");

        // a missing member
        std::fs::write(&p, &good).unwrap();
        let mut f = NpzFile::open(&p).unwrap();
        for e in [
            f.read("nope").unwrap_err(),
            f.read_values("nope.npy").unwrap_err(),
            f.header("nope").unwrap_err(),
        ] {
            assert_eq!(
                e.to_string(),
                format!("{shown}[nope.npy]: no such member in the archive")
            );
        }
        // a file truncated (or rewritten) after it was opened: in b.npy's local header, in its
        // data
        std::fs::write(&p, &good[..b_data - 10]).unwrap();
        let e = f.read("b").unwrap_err().to_string();
        starts(&e, "[b.npy]: corrupted or truncated archive");
        std::fs::write(&p, &good[..b_data + 100]).unwrap();
        assert_eq!(
            f.read("b").unwrap_err().to_string(),
            format!(
                "{shown}[b.npy]: truncated: the file ends before the member's 140 bytes (a \
                 corrupted archive, or one changed after it was opened)"
            )
        );

        // CRC mismatch, in the data and in the header (which `header` then reports too)
        let data_byte = a_data + 128 + 7; // last data byte of a.npy
        let header_byte = a_data + 20; // inside the dict of a.npy
        for k in [data_byte, header_byte] {
            let mut bad = good.clone();
            bad[k] ^= 0x40;
            std::fs::write(&p, &bad).unwrap();
            let mut f = NpzFile::open(&p).unwrap();
            let crc = "[a.npy]: CRC-32 mismatch";
            starts(&f.read("a").unwrap_err().to_string(), crc);
            starts(&f.read_values("a").unwrap_err().to_string(), crc);
            if k == header_byte {
                starts(&f.header("a").unwrap_err().to_string(), crc);
            }
            // the other member is unaffected
            assert_eq!(f.read("b").unwrap().data, vec![1.0, 2.0, 3.0]);
        }

        // a compressed member; zip64 sizes marked without their extra field
        let a = central_entry(&good, "a.npy");
        let mut comp = good.clone();
        comp[a + 10] = 8;
        starts(&open_err(&comp), "[a.npy]: the member is compressed (");
        let mut z = good.clone();
        z[a + 20..a + 24].copy_from_slice(&[0xFF; 4]);
        let read = |bytes: &[u8], name: &str| {
            std::fs::write(&p, bytes).unwrap();
            NpzFile::open(&p)
                .and_then(|mut f| f.read_values(name))
                .unwrap_err()
                .to_string()
        };
        starts(&read(&z, "a"), "[a.npy]: corrupted archive");
        // a wrong local header offset, a member beyond the end of the file
        let b = central_entry(&good, "b.npy");
        let mut bad = good.clone();
        bad[b + 42..b + 46].copy_from_slice(&1u32.to_le_bytes());
        let read_b = |bytes: &[u8]| read(bytes, "b");
        starts(&read_b(&bad), "[b.npy]: corrupted or truncated archive");
        let mut bad = good.clone();
        bad[b + 20..b + 28].copy_from_slice(&[0xFE, 0xFF, 0xFF, 0x7F, 0xFE, 0xFF, 0xFF, 0x7F]);
        starts(
            &read_b(&bad),
            "[b.npy]: truncated: the file ends before the member's 2147483646 bytes",
        );
        // a member whose data do not match its header (with the right CRC-32)
        let mut npy = npy_bytes(&[2], &[1u32, 2]).unwrap();
        let at = find(&npy, b"'shape': (2,)");
        npy[at + 10] = b'3';
        let bad = raw_archive(&[("u.npy", &npy)], false);
        std::fs::write(&p, &bad).unwrap();
        let mut f = NpzFile::open(&p).unwrap();
        let e = f.read_values("u").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("{shown}[u.npy]: truncated: shape (3,) of '<u4' needs 12 data bytes, found 8")
        );
        assert_eq!(f.header("u").unwrap_err().to_string(), e);
        assert_eq!(parse_npz(&bad, &p).unwrap_err().to_string(), e);
        // two members with the same key
        let one = npy_bytes(&[1], &[1.0f64]).unwrap();
        let dup = raw_archive(&[("x", &one), ("x.npy", &one)], false);
        starts(&open_err(&dup), "[x.npy]: duplicate member name");
    }

    #[test]
    fn npz_file_corrupted_archives_are_errors_not_panics() {
        // Whatever the damage, reading never panics, and NpzFile is never more lenient than
        // parse_npz: where it reads every member, parse_npz reads the same arrays. Both a plain
        // archive and one whose members are in zip64 form.
        let dir = TempDir::new("npzfilecorrupt");
        let p = dir.path("c.npz");
        let a = npy_bytes(&[2, 2], &[1.0f64, 2.0, 3.0, 4.0]).unwrap();
        let b = npy_bytes(&[3], &[0.5f32, 1.5, 2.5]).unwrap();
        let try_all = |bytes: &[u8]| {
            std::fs::write(&p, bytes).unwrap();
            NpzFile::open(&p).and_then(|mut f| read_all(&mut f))
        };
        for zip64 in [false, true] {
            let good = raw_archive(&[("a.npy", &a), ("b.npy", &b)], zip64);
            assert_eq!(try_all(&good).unwrap(), parse_npz(&good, "g").unwrap());
            for len in 0..good.len() {
                assert!(try_all(&good[..len]).is_err(), "length {len}");
            }
            for k in 0..good.len() {
                for v in [0x00, 0xFF, good[k] ^ 0x80] {
                    let mut bad = good.clone();
                    bad[k] = v;
                    if let Ok(all) = try_all(&bad) {
                        assert_eq!(all, parse_npz(&bad, "c").unwrap(), "byte {k} = {v:#x}");
                    }
                }
            }
        }
    }
}
