//! Reading and writing NumPy `.npy` and `.npz` files, without dependencies.
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
//! CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of each member.
//!
//! - [`NpzWriter`] builds an archive in memory ([`NpzWriter::finish`] returns its bytes);
//! - [`NpzFileWriter`] streams the members to a file as they are added;
//! - [`read_npz`] reads an archive's stored members into a name → array map (`.npy` stripped);
//!   compressed members (`numpy.savez_compressed`) are rejected;
//! - [`NpzFile`] reads the members of an archive file one at a time, without holding the
//!   archive in memory, `<f4` data kept as f32 if asked ([`NpzFile::read_values`]).
//!
//! Large archives use the zip64 extensions (PKWARE APPNOTE 4.3.14, 4.3.15, 4.5.3), only where a
//! 32- or 16-bit field would overflow, so archives under 4 GiB with fewer than 65535 members
//! contain no zip64 structures at all:
//! - a member of 4 GiB or more (over 0xFFFF_FFFE bytes) has sizes 0xFFFFFFFF in its local
//!   header, followed by a zip64 extra field (id 0x0001) with both sizes, version needed 4.5;
//! - a central directory entry whose sizes or local header offset overflow stores 0xFFFFFFFF
//!   there and the true values, only those, in a zip64 extra field;
//! - with 65535 members or more, or a central directory larger than 0xFFFF_FFFE bytes or
//!   starting beyond that offset, a zip64 end-of-central-directory record and locator precede
//!   the end record, whose overflowing fields are 0xFFFF / 0xFFFFFFFF.
//!
//! The reader follows these structures wherever they are present, whatever the sizes.
//!
//! # Atomic writes
//!
//! Every file is written through [`crate::atomic`]: to `PATH.tmp` in the same directory, synced,
//! renamed to `PATH`, and the directory synced, so a partial file never appears under the final
//! name. The temporary file is removed if writing fails or an [`NpzFileWriter`] is dropped
//! before [`NpzFileWriter::finish`].

use crate::atomic::{self, AtomicFile};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

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

/// Writes `data` as little-endian bytes in 64 KiB chunks, feeding the CRC if given.
fn write_elements<T: NpyElement, W: Write>(
    out: &mut W,
    data: &[T],
    mut crc: Option<&mut Crc32>,
) -> io::Result<()> {
    let per_chunk = (65536 / T::SIZE).max(1);
    let mut buf = Vec::with_capacity(per_chunk * T::SIZE);
    for chunk in data.chunks(per_chunk) {
        buf.clear();
        for &v in chunk {
            v.put_le(&mut buf);
        }
        if let Some(c) = crc.as_deref_mut() {
            c.update(&buf);
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
        write_elements(w, data, None)
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

/// Table-driven CRC-32 (IEEE 802.3; reflected polynomial 0xEDB88320), as zip requires.
#[derive(Debug, Clone, Copy)]
struct Crc32 {
    state: u32,
}

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

impl Crc32 {
    fn new() -> Self {
        Crc32 { state: 0xFFFF_FFFF }
    }
    fn update(&mut self, bytes: &[u8]) {
        let mut c = self.state;
        for &b in bytes {
            c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
        }
        self.state = c;
    }
    fn finish(self) -> u32 {
        self.state ^ 0xFFFF_FFFF
    }
}

/// The CRC-32 of `bytes` (the checksum zip archives store for each member).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(bytes);
    c.finish()
}

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
/// Signature of the zip64 end-of-central-directory record (APPNOTE 4.3.14).
const ZIP64_END_SIG: u32 = 0x0606_4b50;
/// Signature of the zip64 end-of-central-directory locator (APPNOTE 4.3.15).
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// Header id of the zip64 extended-information extra field (APPNOTE 4.5.3).
const ZIP64_EXTRA_ID: u16 = 0x0001;
/// Length of the zip64 end-of-central-directory record this writer emits.
const ZIP64_END_LEN: usize = 56;
/// Length of the zip64 end-of-central-directory locator.
const ZIP64_LOCATOR_LEN: usize = 20;
/// Largest size or offset a 32-bit zip field holds (0xFFFFFFFF means "see zip64").
const ZIP32_MAX: u64 = 0xFFFF_FFFE;
/// Largest entry count the 16-bit end-record fields hold (0xFFFF means "see zip64").
const ZIP16_MAX: u64 = 0xFFFE;
/// Version needed to extract (and made by): 2.0 for plain stored members.
const VERSION_PLAIN: u16 = 20;
/// Version needed to extract (and made by): 4.5 where zip64 structures are used.
const VERSION_ZIP64: u16 = 45;
/// DOS date of 1980-01-01 (the zip epoch); time 00:00.
const DOS_DATE: u16 = 0x0021;

/// The `N` bytes at offset `k` of `bytes`, if they are all there.
fn bytes_at<const N: usize>(bytes: &[u8], k: usize) -> Option<[u8; N]> {
    bytes.get(k..k.checked_add(N)?)?.try_into().ok()
}

/// The little-endian u16 at offset `k`, if there.
fn le_u16(bytes: &[u8], k: usize) -> Option<u16> {
    bytes_at(bytes, k).map(u16::from_le_bytes)
}

/// The little-endian u32 at offset `k`, if there.
fn le_u32(bytes: &[u8], k: usize) -> Option<u32> {
    bytes_at(bytes, k).map(u32::from_le_bytes)
}

/// The little-endian u64 at offset `k`, if there.
fn le_u64(bytes: &[u8], k: usize) -> Option<u64> {
    bytes_at(bytes, k).map(u64::from_le_bytes)
}

/// The `len` bytes at offset `k`, if they are all there.
fn slice_at(bytes: &[u8], k: usize, len: usize) -> Option<&[u8]> {
    bytes.get(k..k.checked_add(len)?)
}

/// A member as the central directory records it (written, or read back).
#[derive(Debug, Clone)]
struct CentralEntry {
    name: String,
    crc: u32,
    size: u64,
    offset: u64,
}

/// The zip writer shared by [`NpzWriter`] and [`NpzFileWriter`].
#[derive(Debug)]
struct ZipBuilder<W: Write + Seek> {
    out: W,
    pos: u64,
    entries: Vec<CentralEntry>,
    names: HashSet<String>,
    label: PathBuf,
    /// Sizes and offsets above this are written in zip64 form ([`ZIP32_MAX`] except in tests).
    zip64_limit: u64,
    /// Entry counts above this are written in zip64 form ([`ZIP16_MAX`] except in tests).
    zip64_entry_limit: u64,
}

impl<W: Write + Seek> ZipBuilder<W> {
    fn new(out: W, label: PathBuf) -> Self {
        ZipBuilder {
            out,
            pos: 0,
            entries: Vec::new(),
            names: HashSet::new(),
            label,
            zip64_limit: ZIP32_MAX,
            zip64_entry_limit: ZIP16_MAX,
        }
    }

    /// Test hook: use the zip64 form for sizes and offsets above `bytes` and for entry counts
    /// above `entries` (instead of 0xFFFF_FFFE and 0xFFFE), so that every zip64 structure can
    /// be exercised without writing 4 GiB.
    #[cfg(test)]
    fn set_zip64_limits(&mut self, bytes: u64, entries: u64) {
        self.zip64_limit = bytes.min(ZIP32_MAX);
        self.zip64_entry_limit = entries.min(ZIP16_MAX);
    }

    /// `value` as a 32-bit zip field: itself, or 0xFFFFFFFF if it needs zip64.
    fn field32(&self, value: u64) -> u32 {
        if value > self.zip64_limit {
            u32::MAX
        } else {
            value as u32
        }
    }

    fn io_err(&self, e: io::Error) -> NpyError {
        NpyError::new(&self.label, format!("write failed: {e}"))
    }

    fn too_large(&self) -> NpyError {
        NpyError::new(&self.label, "the archive exceeds 2^64 bytes")
    }

    fn add<T: NpyElement>(
        &mut self,
        name: &str,
        shape: &[usize],
        data: &[T],
    ) -> Result<(), NpyError> {
        let member = if name.ends_with(".npy") {
            name.to_string()
        } else {
            format!("{name}.npy")
        };
        let member_label = PathBuf::from(format!("{}[{member}]", self.label.display()));
        if name.is_empty() || name == ".npy" || name.contains('\0') || member.len() > 0xFFFF {
            return Err(NpyError::new(
                &member_label,
                "a member name must be non-empty, without NUL, and under 64 KiB",
            ));
        }
        if self.names.contains(&member) {
            return Err(NpyError::new(&member_label, "duplicate member name"));
        }
        check_shape(&member_label, shape, data.len())?;
        let header = npy_header(T::DESCR, shape);
        let size = (data.len() as u64)
            .checked_mul(T::SIZE as u64)
            .and_then(|n| n.checked_add(header.len() as u64))
            .ok_or_else(|| NpyError::new(&member_label, "the member exceeds 2^64 bytes"))?;
        let offset = self.pos;
        // A member too large for 32-bit sizes gets 0xFFFFFFFF sizes and a zip64 extra field
        // holding both (APPNOTE 4.5.3: in the local header, both sizes are always present).
        let zip64 = size > self.zip64_limit;
        let size32 = self.field32(size);
        let extra_len: u16 = if zip64 { 4 + 16 } else { 0 };
        let mut local = Vec::with_capacity(30 + member.len() + usize::from(extra_len));
        local.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        let version = if zip64 { VERSION_ZIP64 } else { VERSION_PLAIN };
        local.extend_from_slice(&version.to_le_bytes()); // version needed
        local.extend_from_slice(&0u16.to_le_bytes()); // flags
        local.extend_from_slice(&0u16.to_le_bytes()); // method: stored
        local.extend_from_slice(&0u16.to_le_bytes()); // time
        local.extend_from_slice(&DOS_DATE.to_le_bytes());
        local.extend_from_slice(&0u32.to_le_bytes()); // CRC, patched below
        local.extend_from_slice(&size32.to_le_bytes()); // compressed size
        local.extend_from_slice(&size32.to_le_bytes()); // uncompressed size
        local.extend_from_slice(&(member.len() as u16).to_le_bytes());
        local.extend_from_slice(&extra_len.to_le_bytes());
        local.extend_from_slice(member.as_bytes());
        if zip64 {
            local.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
            local.extend_from_slice(&16u16.to_le_bytes());
            local.extend_from_slice(&size.to_le_bytes()); // uncompressed size
            local.extend_from_slice(&size.to_le_bytes()); // compressed size
        }
        let end = offset
            .checked_add(local.len() as u64)
            .and_then(|n| n.checked_add(size))
            .ok_or_else(|| self.too_large())?;
        let mut crc = Crc32::new();
        crc.update(&header);
        let result = (|| -> io::Result<()> {
            self.out.write_all(&local)?;
            self.out.write_all(&header)?;
            write_elements(&mut self.out, data, Some(&mut crc))?;
            self.out.seek(SeekFrom::Start(offset + 14))?;
            self.out.write_all(&crc.finish().to_le_bytes())?;
            self.out.seek(SeekFrom::Start(end))?;
            Ok(())
        })();
        result.map_err(|e| self.io_err(e))?;
        self.pos = end;
        self.names.insert(member.clone());
        self.entries.push(CentralEntry {
            name: member,
            crc: crc.finish(),
            size,
            offset,
        });
        Ok(())
    }

    /// Writes the central directory, the zip64 end record and locator where needed, and the
    /// end record; returns the sink.
    fn finish(mut self) -> Result<W, NpyError> {
        let mut cd = Vec::new();
        for e in &self.entries {
            // Only the fields that do not fit go to the zip64 extra field, in the order
            // uncompressed size, compressed size, local header offset (APPNOTE 4.5.3).
            let mut wide = Vec::new();
            for value in [e.size, e.size, e.offset] {
                if value > self.zip64_limit {
                    wide.extend_from_slice(&value.to_le_bytes());
                }
            }
            let (version, extra_len) = if wide.is_empty() {
                (VERSION_PLAIN, 0u16)
            } else {
                (VERSION_ZIP64, 4 + wide.len() as u16)
            };
            cd.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            cd.extend_from_slice(&version.to_le_bytes()); // made by: MS-DOS, 2.0 or 4.5
            cd.extend_from_slice(&version.to_le_bytes()); // version needed
            cd.extend_from_slice(&0u16.to_le_bytes()); // flags
            cd.extend_from_slice(&0u16.to_le_bytes()); // stored
            cd.extend_from_slice(&0u16.to_le_bytes()); // time
            cd.extend_from_slice(&DOS_DATE.to_le_bytes());
            cd.extend_from_slice(&e.crc.to_le_bytes());
            cd.extend_from_slice(&self.field32(e.size).to_le_bytes()); // compressed
            cd.extend_from_slice(&self.field32(e.size).to_le_bytes()); // uncompressed
            cd.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&extra_len.to_le_bytes());
            cd.extend_from_slice(&0u16.to_le_bytes()); // comment
            cd.extend_from_slice(&0u16.to_le_bytes()); // disk
            cd.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            cd.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            cd.extend_from_slice(&self.field32(e.offset).to_le_bytes());
            cd.extend_from_slice(e.name.as_bytes());
            if !wide.is_empty() {
                cd.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
                cd.extend_from_slice(&(wide.len() as u16).to_le_bytes());
                cd.extend_from_slice(&wide);
            }
        }
        let n = self.entries.len() as u64;
        let cd_offset = self.pos;
        let cd_size = cd.len() as u64;
        let many = n > self.zip64_entry_limit;
        if many || cd_size > self.zip64_limit || cd_offset > self.zip64_limit {
            let record = cd_offset
                .checked_add(cd_size)
                .ok_or_else(|| self.too_large())?;
            // zip64 end-of-central-directory record (APPNOTE 4.3.14), version 1.
            cd.extend_from_slice(&ZIP64_END_SIG.to_le_bytes());
            cd.extend_from_slice(&((ZIP64_END_LEN - 12) as u64).to_le_bytes());
            cd.extend_from_slice(&VERSION_ZIP64.to_le_bytes()); // made by
            cd.extend_from_slice(&VERSION_ZIP64.to_le_bytes()); // version needed
            cd.extend_from_slice(&0u32.to_le_bytes()); // this disk
            cd.extend_from_slice(&0u32.to_le_bytes()); // disk of the central directory
            cd.extend_from_slice(&n.to_le_bytes()); // entries on this disk
            cd.extend_from_slice(&n.to_le_bytes()); // entries in all
            cd.extend_from_slice(&cd_size.to_le_bytes());
            cd.extend_from_slice(&cd_offset.to_le_bytes());
            // zip64 end-of-central-directory locator (APPNOTE 4.3.15).
            cd.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
            cd.extend_from_slice(&0u32.to_le_bytes()); // disk of the zip64 end record
            cd.extend_from_slice(&record.to_le_bytes());
            cd.extend_from_slice(&1u32.to_le_bytes()); // total disks
        }
        let n16: u16 = if many { 0xFFFF } else { n as u16 };
        cd.extend_from_slice(&END_SIG.to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes()); // this disk
        cd.extend_from_slice(&0u16.to_le_bytes()); // disk of the central directory
        cd.extend_from_slice(&n16.to_le_bytes());
        cd.extend_from_slice(&n16.to_le_bytes());
        cd.extend_from_slice(&self.field32(cd_size).to_le_bytes());
        cd.extend_from_slice(&self.field32(cd_offset).to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes()); // comment length
        self.out
            .write_all(&cd)
            .and_then(|_| self.out.flush())
            .map_err(|e| self.io_err(e))?;
        Ok(self.out)
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

/// Reads an `.npz` archive: every member, keyed by its name without `.npy`. The whole file is
/// read into memory; [`NpzFile`] reads members one at a time instead.
pub fn read_npz(path: impl AsRef<Path>) -> Result<BTreeMap<String, NpyArray>, NpyError> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|e| NpyError::new(path, format!("cannot read: {e}")))?;
    parse_npz(&bytes, path)
}

/// Parses the bytes of an `.npz` archive (stored members only, zip64 included); `source`
/// names it in errors.
pub fn parse_npz(
    bytes: &[u8],
    source: impl AsRef<Path>,
) -> Result<BTreeMap<String, NpyArray>, NpyError> {
    let source = source.as_ref();
    let mut src = bytes;
    let (entries, cd_size, cd_offset) =
        locate_central_directory(&mut src).map_err(|p| NpyError::new(source, p))?;
    let cd = usize::try_from(cd_offset)
        .ok()
        .and_then(|k| bytes.get(k..))
        .ok_or_else(|| central_directory_beyond_end(source, cd_offset, cd_size, src.total_len()))?;
    let mut k = 0;
    let mut out = BTreeMap::new();
    // Every entry takes at least 46 bytes, so a corrupted count stops at the first missing one.
    for _ in 0..entries {
        let (entry, next) = central_entry(cd, k, source)?;
        k = next;
        let member = member_label(source, &entry.name);
        let start = member_data_start(&mut src, &entry, &member)?;
        // member_data_start checked that the data lie within `bytes`.
        let data = &bytes[start as usize..(start + entry.size) as usize];
        let actual = crc32(data);
        if actual != entry.crc {
            return Err(NpyError::new(&member, crc_mismatch(entry.crc, actual)));
        }
        let array = parse_npy(data, &member)?;
        if out
            .insert(npz_key(&entry.name).to_string(), array)
            .is_some()
        {
            return Err(NpyError::new(&member, "duplicate member name"));
        }
    }
    Ok(out)
}

/// The key of member `name`: the name without `.npy`.
fn npz_key(name: &str) -> &str {
    name.strip_suffix(".npy").unwrap_or(name)
}

/// `ARCHIVE[MEMBER]`, the path errors about a member name.
fn member_label(archive: &Path, member: &str) -> PathBuf {
    PathBuf::from(format!("{}[{member}]", archive.display()))
}

fn crc_mismatch(recorded: u32, actual: u32) -> String {
    format!("CRC-32 mismatch: recorded {recorded:08x}, computed {actual:08x} (corrupted archive)")
}

fn central_directory_beyond_end(source: &Path, cd_offset: u64, cd_size: u64, len: u64) -> NpyError {
    NpyError::new(
        source,
        format!(
            "truncated central directory (it should start at offset {cd_offset} of {len} bytes, \
             {cd_size} bytes long)"
        ),
    )
}

/// Random access to the bytes of a zip archive: a slice in memory, or a file.
trait ZipBytes {
    /// Length of the archive in bytes.
    fn total_len(&self) -> u64;
    /// The `len` bytes at `offset`, or `None` where they are not all in the archive.
    fn bytes_at(&mut self, offset: u64, len: usize) -> io::Result<Option<Cow<'_, [u8]>>>;
}

impl ZipBytes for &[u8] {
    fn total_len(&self) -> u64 {
        self.len() as u64
    }
    fn bytes_at(&mut self, offset: u64, len: usize) -> io::Result<Option<Cow<'_, [u8]>>> {
        Ok(usize::try_from(offset)
            .ok()
            .and_then(|k| slice_at(self, k, len))
            .map(Cow::Borrowed))
    }
}

/// A file of known length read with seek and `read_exact`.
struct FileBytes<'a> {
    file: &'a mut File,
    len: u64,
}

impl ZipBytes for FileBytes<'_> {
    fn total_len(&self) -> u64 {
        self.len
    }
    fn bytes_at(&mut self, offset: u64, len: usize) -> io::Result<Option<Cow<'_, [u8]>>> {
        if offset
            .checked_add(len as u64)
            .filter(|&end| end <= self.len)
            .is_none()
        {
            return Ok(None);
        }
        let mut buf = vec![0; len];
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read_exact(&mut buf)?;
        Ok(Some(Cow::Owned(buf)))
    }
}

/// Finds the end-of-central-directory record in the last bytes of the archive, and the zip64
/// record its locator points to where there is one: (entries, central directory size,
/// central directory offset). The error is the rule broken.
fn locate_central_directory(src: &mut impl ZipBytes) -> Result<(u64, u64, u64), String> {
    let len = src.total_len();
    // The end record is the last 22 bytes plus a comment of up to 65535 bytes; a zip64
    // locator, if any, is the 20 bytes before it.
    if len < 22 {
        return Err("not a zip archive (too short for an end-of-central-directory record)".into());
    }
    let tail_len = len.min(22 + 0xFFFF + ZIP64_LOCATOR_LEN as u64);
    let tail_start = len - tail_len;
    let io_err = |e: io::Error| format!("cannot read: {e}");
    let tail = src
        .bytes_at(tail_start, tail_len as usize)
        .map_err(io_err)?
        .ok_or("cannot read the end of the archive")?;
    let lowest = (len.saturating_sub(22 + 0xFFFF) - tail_start) as usize;
    let eocd = (lowest..=tail.len() - 22)
        .rev()
        .find(|&k| le_u32(&tail, k) == Some(END_SIG))
        .ok_or("not a zip archive (no end-of-central-directory record)")?;
    // eocd + 22 <= tail.len(), so the fields are there.
    let end_u16 = |off: usize| le_u16(&tail, eocd + off).unwrap_or(0);
    let end_u32 = |off: usize| le_u32(&tail, eocd + off).unwrap_or(0);
    let (entries16, cd_size32, cd_offset32) = (end_u16(10), end_u32(12), end_u32(16));
    // Fields at 0xFFFF / 0xFFFFFFFF mean "see the zip64 end record", which a locator just
    // before the end record points to. Where a locator is present, its record is used (as
    // Python's zipfile does) whatever the end record holds.
    let marked = entries16 == 0xFFFF || cd_size32 == u32::MAX || cd_offset32 == u32::MAX;
    let locator = eocd.checked_sub(ZIP64_LOCATOR_LEN).and_then(|l| {
        bytes_at::<ZIP64_LOCATOR_LEN>(&tail, l)
            .filter(|b| le_u32(b, 0) == Some(ZIP64_LOCATOR_SIG))
            .map(|b| (b, tail_start + l as u64))
    });
    drop(tail);
    match locator {
        Some((bytes, at)) => zip64_end(&bytes, at, src),
        None if marked => Err(
            "the end-of-central-directory record marks a zip64 archive, but no zip64 \
             end-of-central-directory locator precedes it (truncated or corrupted archive)"
                .into(),
        ),
        None => Ok((
            u64::from(entries16),
            u64::from(cd_size32),
            u64::from(cd_offset32),
        )),
    }
}

/// Reads the zip64 end-of-central-directory record that the `locator` (its 20 bytes, found at
/// offset `locator_at`) points to: (entries, central directory size, central directory offset).
fn zip64_end(
    locator: &[u8; ZIP64_LOCATOR_LEN],
    locator_at: u64,
    src: &mut impl ZipBytes,
) -> Result<(u64, u64, u64), String> {
    // The locator's 20 bytes are all there, so these fields are.
    let disk = le_u32(locator, 4).unwrap_or(0);
    let record = le_u64(locator, 8).unwrap_or(0);
    let disks = le_u32(locator, 16).unwrap_or(0);
    if disk != 0 || disks > 1 {
        return Err("multi-disk zip archives are not supported".into());
    }
    let missing = || {
        format!(
            "no zip64 end-of-central-directory record at offset {record}, where its \
             locator points (truncated or corrupted archive)"
        )
    };
    // The record (56 bytes, or more with extensible data) lies before its locator.
    if record
        .checked_add(ZIP64_END_LEN as u64)
        .filter(|&end| end <= locator_at)
        .is_none()
    {
        return Err(missing());
    }
    let r = src
        .bytes_at(record, ZIP64_END_LEN)
        .map_err(|e| format!("cannot read: {e}"))?
        .filter(|r| le_u32(r, 0) == Some(ZIP64_END_SIG))
        .ok_or_else(missing)?;
    // The record's 56 bytes are all there, so every field below is.
    let field = |off: usize| le_u64(&r, off).unwrap_or(0);
    let record_size = field(4);
    let record_disk = le_u32(&r, 16).unwrap_or(0);
    let cd_disk = le_u32(&r, 20).unwrap_or(0);
    if record_size < (ZIP64_END_LEN - 12) as u64 {
        return Err(format!(
            "zip64 end-of-central-directory record too short ({record_size} bytes)"
        ));
    }
    if record_disk != 0 || cd_disk != 0 {
        return Err("multi-disk zip archives are not supported".into());
    }
    Ok((field(32), field(40), field(48)))
}

/// Parses and checks the central directory entry at offset `k` of `cd` (the central directory
/// and whatever follows it); returns the entry and the offset of the next. `source` names the
/// archive in errors.
fn central_entry(cd: &[u8], k: usize, source: &Path) -> Result<(CentralEntry, usize), NpyError> {
    let truncated = || NpyError::new(source, "truncated central directory");
    if le_u32(cd, k) != Some(CENTRAL_SIG) {
        return Err(truncated());
    }
    let u16_field = |off: usize| le_u16(cd, k + off).ok_or_else(truncated);
    let u32_field = |off: usize| le_u32(cd, k + off).ok_or_else(truncated);
    let flags = u16_field(8)?;
    let method = u16_field(10)?;
    let crc = u32_field(16)?;
    let csize32 = u32_field(20)?;
    let usize32 = u32_field(24)?;
    let name_len = usize::from(u16_field(28)?);
    let extra_len = usize::from(u16_field(30)?);
    let comment_len = usize::from(u16_field(32)?);
    let offset32 = u32_field(42)?;
    // k + 46 <= cd.len() now; the three lengths are below 2^16 each.
    let name_bytes = slice_at(cd, k + 46, name_len).ok_or_else(truncated)?;
    let extra = slice_at(cd, k + 46 + name_len, extra_len).ok_or_else(truncated)?;
    let name = String::from_utf8_lossy(name_bytes).into_owned();
    let next = k + 46 + name_len + extra_len + comment_len;
    let member = member_label(source, &name);
    let merr = |p: String| NpyError::new(&member, p);
    if flags & 1 != 0 {
        return Err(merr("encrypted members are not supported".into()));
    }
    if method != 0 {
        return Err(merr(format!(
            "the member is compressed (method {method}{}); only stored members are read \
             (save with numpy.savez, not numpy.savez_compressed)",
            if method == 8 { ", deflate" } else { "" }
        )));
    }
    // Fields at 0xFFFFFFFF are in the zip64 extra field, which holds only those, in the
    // order uncompressed size, compressed size, local header offset.
    let (usize_, csize, offset) =
        if usize32 == u32::MAX || csize32 == u32::MAX || offset32 == u32::MAX {
            let wide = zip64_extra(extra).ok_or_else(|| {
                merr(
                    "the central directory marks zip64 sizes or offset, but the entry has \
                     no valid zip64 extra field (0x0001)"
                        .into(),
                )
            })?;
            let mut at = 0;
            let mut next = |v: u32| {
                if v != u32::MAX {
                    return Some(u64::from(v));
                }
                let wide_value = le_u64(wide, at)?;
                at += 8;
                Some(wide_value)
            };
            let (u, c, o) = (next(usize32), next(csize32), next(offset32));
            match (u, c, o) {
                (Some(u), Some(c), Some(o)) => (u, c, o),
                _ => {
                    return Err(merr(format!(
                        "the zip64 extra field ({} bytes) is too short for the fields \
                         marked 0xFFFFFFFF",
                        wide.len()
                    )))
                }
            }
        } else {
            (u64::from(usize32), u64::from(csize32), u64::from(offset32))
        };
    if csize != usize_ {
        return Err(merr(format!(
            "stored member with different compressed ({csize}) and uncompressed ({usize_}) sizes"
        )));
    }
    let entry = CentralEntry {
        name,
        crc,
        size: csize,
        offset,
    };
    Ok((entry, next))
}

/// Checks the local file header of `entry` and that its data lie within the archive; returns
/// the offset of its first data byte. `member` names it in errors.
fn member_data_start(
    src: &mut impl ZipBytes,
    entry: &CentralEntry,
    member: &Path,
) -> Result<u64, NpyError> {
    let merr = |p: String| NpyError::new(member, p);
    let io_err = |e: io::Error| merr(read_failure(e, "its local header"));
    let lo = entry.offset;
    let sig = src.bytes_at(lo, 4).map_err(io_err)?;
    if sig.and_then(|s| le_u32(&s, 0)) != Some(LOCAL_SIG) {
        return Err(merr("no local file header at the recorded offset".into()));
    }
    let local = src
        .bytes_at(lo, 30)
        .map_err(io_err)?
        .ok_or_else(|| merr("truncated local header".into()))?;
    // The 30 bytes are there, so both lengths are.
    let lname = u64::from(le_u16(&local, 26).unwrap_or(0));
    let lextra = u64::from(le_u16(&local, 28).unwrap_or(0));
    // lo + 30 <= the archive's length now.
    let start = lo + 30 + lname + lextra;
    let len = src.total_len();
    if start
        .checked_add(entry.size)
        .filter(|&end| end <= len && usize::try_from(end).is_ok())
        .is_none()
    {
        return Err(merr(format!(
            "truncated: the member needs {} bytes",
            entry.size
        )));
    }
    Ok(start)
}

/// An `.npz` archive read from its file one member at a time, so that reading a large archive
/// holds no more than the member being read (and, for [`NpzFile::read_values`], not even its
/// bytes: the data are converted as they are read).
///
/// Opening reads the end of the file (the end-of-central-directory record, and the zip64
/// locator and record where present) and the central directory, and checks every entry as
/// [`read_npz`] does; each read checks the member's local header and CRC-32. Errors name the
/// archive, and the member (`ARCHIVE[MEMBER]`) where one is concerned.
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
#[derive(Debug)]
pub struct NpzFile {
    file: File,
    path: PathBuf,
    len: u64,
    /// Members by key (name without `.npy`).
    members: BTreeMap<String, CentralEntry>,
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
    /// Opens an archive and reads its central directory (see the type's documentation).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, NpyError> {
        let path = path.as_ref();
        let cannot = |e: io::Error| NpyError::new(path, format!("cannot read: {e}"));
        let mut file = File::open(path).map_err(cannot)?;
        let len = file.metadata().map_err(cannot)?.len();
        let mut src = FileBytes {
            file: &mut file,
            len,
        };
        let (entries, cd_size, cd_offset) =
            locate_central_directory(&mut src).map_err(|p| NpyError::new(path, p))?;
        if cd_offset > len {
            return Err(central_directory_beyond_end(path, cd_offset, cd_size, len));
        }
        // The central directory is read as long as the end record says (at most to the end of
        // the file); entries beyond it are missing.
        let cd_len = usize::try_from(cd_size.min(len - cd_offset))
            .map_err(|_| central_directory_beyond_end(path, cd_offset, cd_size, len))?;
        let cd = src
            .bytes_at(cd_offset, cd_len)
            .map_err(cannot)?
            .ok_or_else(|| central_directory_beyond_end(path, cd_offset, cd_size, len))?
            .into_owned();
        let mut members = BTreeMap::new();
        let mut k = 0;
        for _ in 0..entries {
            let (entry, next) = central_entry(&cd, k, path)?;
            k = next;
            let key = npz_key(&entry.name).to_string();
            if members.contains_key(&key) {
                return Err(NpyError::new(
                    &member_label(path, &entry.name),
                    "duplicate member name",
                ));
            }
            members.insert(key, entry);
        }
        Ok(NpzFile {
            file,
            path: path.to_path_buf(),
            len,
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

    /// The entry of member `name`, or an error naming it.
    fn entry(&self, name: &str) -> Result<CentralEntry, NpyError> {
        self.members.get(npz_key(name)).cloned().ok_or_else(|| {
            let member = if name.ends_with(".npy") {
                name.to_string()
            } else {
                format!("{name}.npy")
            };
            NpyError::new(
                &member_label(&self.path, &member),
                "no such member in the archive",
            )
        })
    }

    /// Positions a reader on member `name` after its `.npy` header, which is parsed and checked
    /// against the member's size.
    fn open_member(
        &mut self,
        name: &str,
    ) -> Result<(NpyHeader, ReadDtype, MemberReader<'_>), NpyError> {
        let entry = self.entry(name)?;
        let label = member_label(&self.path, &entry.name);
        let mut src = FileBytes {
            file: &mut self.file,
            len: self.len,
        };
        let start = member_data_start(&mut src, &entry, &label)?;
        self.file
            .seek(SeekFrom::Start(start))
            .map_err(|e| NpyError::new(&label, format!("cannot read: {e}")))?;
        let mut r = MemberReader {
            file: &mut self.file,
            label,
            size: entry.size,
            left: entry.size,
            crc: Crc32::new(),
            recorded: entry.crc,
        };
        // The magic, version and header length, then the rest of the header.
        let mut head = vec![0; entry.size.min(12) as usize];
        r.read(&mut head)?;
        if let Some(end) = npy_header_end(&head) {
            let end = end.min(entry.size) as usize;
            if end > head.len() {
                let at = head.len();
                head.resize(end, 0);
                r.read(&mut head[at..])?;
            }
        }
        let parsed = parse_header(&head).and_then(|h| {
            let body_len = entry.size - h.data_offset as u64;
            data_layout(&h, body_len).map(|dtype| (h, dtype))
        });
        match parsed {
            Ok((h, dtype)) => Ok((h, dtype, r)),
            // A corrupted member is reported as such rather than by what the damage looks like.
            Err(problem) => Err(r.crc_error()?.unwrap_or_else(|| r.error(problem))),
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
        match r.crc_error()? {
            Some(e) => Err(e),
            None => Ok((header.shape, values)),
        }
    }
}

/// Where the header of an `.npy` file starting with `head` ends, from its version and header
/// length; `None` if `head` does not tell (then [`parse_header`] says why).
fn npy_header_end(head: &[u8]) -> Option<u64> {
    if head.get(..6)? != MAGIC {
        return None;
    }
    match (*head.get(6)?, *head.get(7)?) {
        (1, 0) => Some(10 + u64::from(le_u16(head, 8)?)),
        (2, 0) | (3, 0) => Some(12 + u64::from(le_u32(head, 8)?)),
        _ => None,
    }
}

/// The problem of a failed read of `what` in an opened archive: the file ends before (it was
/// changed after it was opened) or another I/O error.
fn read_failure(e: io::Error, what: &str) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        format!("truncated: the file ends before {what} (it was changed after it was opened)")
    } else {
        format!("cannot read: {e}")
    }
}

/// Reads a member's bytes in order, computing their CRC-32.
struct MemberReader<'a> {
    file: &'a mut File,
    /// `ARCHIVE[MEMBER]`.
    label: PathBuf,
    size: u64,
    /// Bytes not read yet.
    left: u64,
    crc: Crc32,
    recorded: u32,
}

impl MemberReader<'_> {
    fn error(&self, problem: impl Into<String>) -> NpyError {
        NpyError::new(&self.label, problem)
    }

    /// Fills `buf` with the next bytes of the member (`buf.len() <= self.left`).
    fn read(&mut self, buf: &mut [u8]) -> Result<(), NpyError> {
        self.file.read_exact(buf).map_err(|e| {
            let what = format!("the member's {} bytes", self.size);
            self.error(read_failure(e, &what))
        })?;
        self.crc.update(buf);
        self.left -= buf.len() as u64;
        Ok(())
    }

    /// Reads the rest of the member; the CRC mismatch error if its CRC-32 is not the recorded
    /// one.
    fn crc_error(&mut self) -> Result<Option<NpyError>, NpyError> {
        let mut buf = vec![0; (self.left as usize).min(READ_CHUNK)];
        while self.left > 0 {
            let n = (self.left as usize).min(READ_CHUNK);
            self.read(&mut buf[..n])?;
        }
        let actual = self.crc.finish();
        Ok((actual != self.recorded).then(|| self.error(crc_mismatch(self.recorded, actual))))
    }
}

/// The data of the zip64 extended-information field (id 0x0001) among the extra fields of a
/// central directory entry; `None` if absent or the extra fields are malformed.
fn zip64_extra(mut extra: &[u8]) -> Option<&[u8]> {
    while !extra.is_empty() {
        let id = le_u16(extra, 0)?;
        let len = usize::from(le_u16(extra, 2)?);
        let data = slice_at(extra, 4, len)?;
        if id == ZIP64_EXTRA_ID {
            return Some(data);
        }
        extra = extra.get(4 + len..)?;
    }
    None
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

    #[test]
    fn npz_crc32_check_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
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

    #[test]
    fn npz_members_are_exact_npy_files() {
        // Each member's bytes are exactly what write_npy writes, stored uncompressed.
        let mut w = NpzWriter::new();
        let v = values(12);
        w.add_f64("m", &[3, 4], &v);
        let bytes = w.finish();
        let npy = npy_bytes(&[3, 4], &v).unwrap();
        let local_data = 30 + "m.npy".len();
        assert_eq!(&bytes[local_data..local_data + npy.len()], npy.as_slice());
        assert_eq!(
            u32::from_le_bytes(bytes[14..18].try_into().unwrap()),
            crc32(&npy)
        );
        assert_eq!(&bytes[30..35], b"m.npy");
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
        let last_data = 30 + 5 + 128 + 7; // last byte of the only member's data
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
                .contains("z.npz[a.npy]: the member is compressed (method 8, deflate)"),
            "{e}"
        );

        // truncated archive
        assert!(parse_npz(&good[..good.len() - 10], "t.npz").is_err());
        assert!(parse_npz(b"not a zip", "n.npz")
            .unwrap_err()
            .to_string()
            .contains("not a zip"));

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

    /// Where the little-endian u32 `sig` occurs in `bytes`.
    fn find_sig(bytes: &[u8], sig: u32) -> Vec<usize> {
        let sig = sig.to_le_bytes();
        (0..bytes.len().saturating_sub(3))
            .filter(|&k| bytes[k..k + 4] == sig)
            .collect()
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

    /// Walks the archive independently of `parse_npz` and checks every structure against the
    /// zip64 rules for the given limits (sizes/offsets above `limit`, entry counts above
    /// `entry_limit`); returns whether the zip64 end record and locator are present.
    fn check_layout(bytes: &[u8], limit: u64, entry_limit: u64) -> bool {
        let u16_at = |k: usize| u16::from_le_bytes(bytes[k..k + 2].try_into().unwrap());
        let u32_at = |k: usize| u32::from_le_bytes(bytes[k..k + 4].try_into().unwrap());
        let u64_at = |k: usize| u64::from_le_bytes(bytes[k..k + 8].try_into().unwrap());
        let field = |v: u64| if v > limit { u32::MAX } else { v as u32 };
        // local headers and data, in order
        let mut locals = Vec::new();
        let mut k = 0;
        while u32_at(k) == 0x0403_4b50 {
            let name_len = usize::from(u16_at(k + 26));
            let extra_len = usize::from(u16_at(k + 28));
            let name = String::from_utf8(bytes[k + 30..k + 30 + name_len].to_vec()).unwrap();
            let extra = k + 30 + name_len;
            let data = extra + extra_len;
            // each member is a whole .npy file, whose header gives its size
            let h = parse_header(&bytes[data..]).unwrap();
            let item: usize = h.descr[2..].parse().unwrap();
            let size = (h.data_offset + element_count(&h.shape).unwrap() * item) as u64;
            let sizes = [u32_at(k + 18), u32_at(k + 22)];
            if size > limit {
                assert_eq!(u16_at(k + 4), 45, "{name}");
                assert_eq!(sizes, [u32::MAX; 2], "{name}");
                assert_eq!((extra_len, u16_at(extra), u16_at(extra + 2)), (20, 1, 16));
                assert_eq!([u64_at(extra + 4), u64_at(extra + 12)], [size; 2], "{name}");
            } else {
                assert_eq!(u16_at(k + 4), 20, "{name}");
                assert_eq!(sizes, [size as u32; 2], "{name}");
                assert_eq!(extra_len, 0, "{name}");
            }
            assert_eq!(u32_at(k + 14), crc32(&bytes[data..data + size as usize]));
            locals.push((k as u64, name, size));
            k = data + size as usize;
        }
        // central directory: only the overflowing fields in the zip64 extra field
        let cd_offset = k as u64;
        for (offset, name, size) in &locals {
            assert_eq!(u32_at(k), 0x0201_4b50, "{name}");
            let wide: Vec<u64> = [*size, *size, *offset]
                .into_iter()
                .filter(|&v| v > limit)
                .collect();
            let version = if wide.is_empty() { 20 } else { 45 };
            assert_eq!((u16_at(k + 4), u16_at(k + 6)), (version, version), "{name}");
            assert_eq!(
                [u32_at(k + 24), u32_at(k + 20), u32_at(k + 42)],
                [field(*size), field(*size), field(*offset)],
                "{name}"
            );
            let name_len = usize::from(u16_at(k + 28));
            let extra_len = usize::from(u16_at(k + 30));
            assert_eq!(u16_at(k + 32), 0);
            assert_eq!(&bytes[k + 46..k + 46 + name_len], name.as_bytes());
            let extra = k + 46 + name_len;
            if wide.is_empty() {
                assert_eq!(extra_len, 0, "{name}");
            } else {
                assert_eq!(extra_len, 4 + 8 * wide.len(), "{name}");
                assert_eq!(u16_at(extra), 1, "{name}");
                assert_eq!(usize::from(u16_at(extra + 2)), 8 * wide.len(), "{name}");
                let got: Vec<u64> = (0..wide.len()).map(|i| u64_at(extra + 4 + 8 * i)).collect();
                assert_eq!(got, wide, "{name}");
            }
            k = extra + extra_len;
        }
        let cd_size = k as u64 - cd_offset;
        let n = locals.len() as u64;
        let zip64 = n > entry_limit || cd_size > limit || cd_offset > limit;
        if zip64 {
            let record = k;
            assert_eq!(u32_at(record), 0x0606_4b50);
            assert_eq!(u64_at(record + 4), 44);
            assert_eq!((u16_at(record + 12), u16_at(record + 14)), (45, 45));
            assert_eq!((u32_at(record + 16), u32_at(record + 20)), (0, 0));
            assert_eq!(
                [
                    u64_at(record + 24),
                    u64_at(record + 32),
                    u64_at(record + 40),
                    u64_at(record + 48)
                ],
                [n, n, cd_size, cd_offset]
            );
            let locator = record + 56;
            assert_eq!(u32_at(locator), 0x0706_4b50);
            assert_eq!(u32_at(locator + 4), 0);
            assert_eq!(u64_at(locator + 8), record as u64);
            assert_eq!(u32_at(locator + 16), 1);
            k = locator + 20;
        }
        assert_eq!(u32_at(k), 0x0605_4b50);
        let n16 = if n > entry_limit { 0xFFFF } else { n as u16 };
        assert_eq!(
            [u16_at(k + 4), u16_at(k + 6), u16_at(k + 8), u16_at(k + 10)],
            [0, 0, n16, n16]
        );
        assert_eq!(
            [u32_at(k + 12), u32_at(k + 16)],
            [field(cd_size), field(cd_offset)]
        );
        assert_eq!(u16_at(k + 20), 0);
        assert_eq!(k + 22, bytes.len());
        zip64
    }

    /// Sizes and offsets above this many bytes use zip64 in the small-limit tests.
    const TINY_LIMIT: u64 = 200;
    /// Entry counts above this use zip64 in the small-limit tests.
    const TINY_ENTRIES: u64 = 3;

    /// The archive of `fill_archive` plus a member `big` (448 bytes, at an offset above
    /// [`TINY_LIMIT`]), written with the tiny zip64 limits through `add`.
    fn fill_zip64_archive(
        mut add: impl FnMut(&str, &[usize], Payload) -> Result<(), NpyError>,
    ) -> Members {
        let mut expect = fill_archive(&mut add);
        let big = values(40);
        add("big", &[5, 8], Payload::F64(big.clone())).unwrap();
        expect.push(("big".into(), vec![5, 8], big));
        expect
    }

    /// Name, shape and values of each member of an archive.
    type Members = Vec<(String, Vec<usize>, Vec<f64>)>;

    fn tiny_zip64_archive() -> (Vec<u8>, Members) {
        let mut w = NpzWriter::new();
        w.zip.set_zip64_limits(TINY_LIMIT, TINY_ENTRIES);
        let expect = fill_zip64_archive(|n, s, p| p.add_to(&mut w.zip, n, s));
        (w.finish(), expect)
    }

    #[test]
    fn npz_zip64_round_trip_with_small_limits() {
        let (bytes, expect) = tiny_zip64_archive();
        check(&parse_npz(&bytes, "mem.npz").unwrap(), &expect);
        assert!(check_layout(&bytes, TINY_LIMIT, TINY_ENTRIES));

        // every zip64 field is used: member "a" (320 bytes at offset 0) has zip64 sizes in
        // both headers, "b32" (152 bytes at offset 375) a zip64 offset, "big" all three ...
        let u16_at = |k: usize| u16::from_le_bytes(bytes[k..k + 2].try_into().unwrap());
        let u32_at = |k: usize| u32::from_le_bytes(bytes[k..k + 4].try_into().unwrap());
        assert_eq!(&bytes[30..35], b"a.npy");
        assert_eq!(u16_at(4), 45);
        assert_eq!([u32_at(18), u32_at(22)], [u32::MAX; 2]);
        assert_eq!(&bytes[35..39], &[0x01, 0x00, 16, 0]);
        assert_eq!(bytes[39..47], 320u64.to_le_bytes());
        assert_eq!(bytes[47..55], 320u64.to_le_bytes());
        assert_eq!(
            &bytes[55..55 + 320],
            npy_bytes(&[2, 3, 4], &values(24)).unwrap()
        );
        let a = central_entry(&bytes, "a.npy");
        assert_eq!((u16_at(a + 30), u32_at(a + 42)), (4 + 16, 0));
        let b32 = central_entry(&bytes, "b32.npy");
        assert_eq!((u32_at(b32 + 20), u32_at(b32 + 42)), (152, u32::MAX));
        assert_eq!(u16_at(b32 + 30), 4 + 8);
        assert_eq!(
            bytes[b32 + 46 + 7 + 4..b32 + 46 + 7 + 12],
            375u64.to_le_bytes()
        );
        let big = central_entry(&bytes, "big.npy");
        assert_eq!([u32_at(big + 20), u32_at(big + 24)], [u32::MAX; 2]);
        assert_eq!((u16_at(big + 30), u32_at(big + 42)), (4 + 24, u32::MAX));
        // ... and the zip64 end record and locator precede an end record of markers.
        assert_eq!(find_sig(&bytes, 0x0606_4b50).len(), 1);
        assert_eq!(find_sig(&bytes, 0x0706_4b50), vec![bytes.len() - 42]);
        let end = bytes.len() - 22;
        assert_eq!([u16_at(end + 8), u16_at(end + 10)], [0xFFFF; 2]);
        assert_eq!([u32_at(end + 12), u32_at(end + 16)], [u32::MAX; 2]);

        // the streaming writer writes the same bytes
        let dir = TempDir::new("zip64");
        let path = dir.path("stream.npz");
        let mut file = NpzFileWriter::create(&path).unwrap();
        file.zip.set_zip64_limits(TINY_LIMIT, TINY_ENTRIES);
        fill_zip64_archive(|n, s, p| p.add_to(&mut file.zip, n, s));
        file.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        check(&read_npz(&path).unwrap(), &expect);

        // zip64 end records with only the entry count overflowing
        let mut w = NpzWriter::new();
        w.zip.set_zip64_limits(ZIP32_MAX, 1);
        w.add_f64("x", &[2], &[1.0, 2.0]);
        w.add_u32("y", &[1], &[3]);
        let b = w.finish();
        assert!(check_layout(&b, ZIP32_MAX, 1));
        let m = parse_npz(&b, "n.npz").unwrap();
        assert_eq!(
            (m["x"].data.clone(), m["y"].data.clone()),
            (vec![1.0, 2.0], vec![3.0])
        );
    }

    #[test]
    fn npz_zip64_member_counts_at_the_16_bit_limit() {
        // 65534 members fit the end record; 65535 (0xFFFF, the zip64 marker) and more do not.
        for n in [0xFFFE, 0xFFFF, 0x1_0000] {
            let mut w = NpzWriter::new();
            for i in 0..n {
                w.add_u32(&i.to_string(), &[], &[i as u32]);
            }
            let bytes = w.finish();
            assert_eq!(
                check_layout(&bytes, ZIP32_MAX, ZIP16_MAX),
                n >= 0xFFFF,
                "{n}"
            );
            let m = parse_npz(&bytes, "many.npz").unwrap();
            assert_eq!(m.len(), n);
            assert_eq!(m[&(n - 1).to_string()].data, vec![(n - 1) as f64]);
        }
    }

    #[test]
    fn npz_zip64_corrupted_archives_are_errors_not_panics() {
        let (good, _) = tiny_zip64_archive();
        assert!(parse_npz(&good, "g.npz").is_ok());
        for len in 0..good.len() {
            assert!(parse_npz(&good[..len], "t.npz").is_err(), "length {len}");
        }
        for k in 0..good.len() {
            for v in [0x00, 0xFF, good[k] ^ 0x80] {
                let mut b = good.clone();
                b[k] = v;
                let _ = parse_npz(&b, "c.npz"); // an error or not, but no panic
            }
        }
        let expect_err = |b: &[u8], what: &str| {
            let e = parse_npz(b, "c.npz").unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
        };
        let put = |b: &mut Vec<u8>, k: usize, v: &[u8]| b[k..k + v.len()].copy_from_slice(v);
        let locator = good.len() - 42;
        let record = locator - 56;
        // no locator before an end record of markers
        let mut b = good.clone();
        b[locator] ^= 1;
        expect_err(
            &b,
            "c.npz: the end-of-central-directory record marks a zip64 archive",
        );
        // the locator points nowhere, or beyond the archive
        for to in [record as u64 + 1, u64::MAX, locator as u64] {
            let mut b = good.clone();
            put(&mut b, locator + 8, &to.to_le_bytes());
            expect_err(
                &b,
                "c.npz: no zip64 end-of-central-directory record at offset",
            );
        }
        // more than one disk
        let mut b = good.clone();
        put(&mut b, locator + 16, &2u32.to_le_bytes());
        expect_err(&b, "multi-disk zip archives are not supported");
        // central directory offset, size or entry count out of range
        for (field, v) in [(48, u64::MAX), (48, good.len() as u64), (32, u64::MAX)] {
            let mut b = good.clone();
            put(&mut b, record + field, &v.to_le_bytes());
            expect_err(&b, "c.npz: truncated central directory");
        }
        // a zip64 member without its extra field, or with one too short
        let a = central_entry(&good, "a.npy");
        let mut b = good.clone();
        put(&mut b, a + 46 + 5, &2u16.to_le_bytes());
        expect_err(
            &b,
            "c.npz[a.npy]: the central directory marks zip64 sizes or offset",
        );
        let mut b = good.clone();
        put(&mut b, a + 46 + 5 + 2, &8u16.to_le_bytes());
        expect_err(
            &b,
            "c.npz[a.npy]: the zip64 extra field (8 bytes) is too short",
        );
        let mut b = good.clone();
        put(&mut b, a + 46 + 5 + 2, &17u16.to_le_bytes());
        expect_err(
            &b,
            "c.npz[a.npy]: the central directory marks zip64 sizes or offset",
        );
        // wrong zip64 offset and sizes
        let b32 = central_entry(&good, "b32.npy");
        for v in [u64::MAX, 1] {
            let mut b = good.clone();
            put(&mut b, b32 + 46 + 7 + 4, &v.to_le_bytes());
            expect_err(
                &b,
                "c.npz[b32.npy]: no local file header at the recorded offset",
            );
        }
        let big = central_entry(&good, "big.npy");
        let mut b = good.clone();
        put(&mut b, big + 46 + 7 + 4, &u64::MAX.to_le_bytes());
        expect_err(
            &b,
            "c.npz[big.npy]: stored member with different compressed",
        );
        let mut b = good.clone();
        put(&mut b, big + 46 + 7 + 4, &[0xFF; 16]);
        expect_err(&b, "c.npz[big.npy]: truncated: the member needs");
        // and the old checks still hold for zip64 members
        let mut b = good.clone();
        b[55 + 200] ^= 0x40;
        expect_err(&b, "c.npz[a.npy]: CRC-32 mismatch");
        let mut b = good.clone();
        b[big + 10] = 8;
        expect_err(
            &b,
            "c.npz[big.npy]: the member is compressed (method 8, deflate)",
        );
    }

    #[test]
    fn npz_small_archives_have_no_zip64() {
        let mut w = NpzWriter::new();
        let expect = fill_archive(|n, s, p| p.add_to(&mut w.zip, n, s));
        let bytes = w.finish();
        // byte-identical to what the writer produced before zip64 support
        assert_eq!((bytes.len(), crc32(&bytes)), (1364, 0x7052_44d4));
        assert!(!check_layout(&bytes, ZIP32_MAX, ZIP16_MAX));
        assert!(find_sig(&bytes, 0x0606_4b50).is_empty());
        assert!(find_sig(&bytes, 0x0706_4b50).is_empty());
        check(&parse_npz(&bytes, "s.npz").unwrap(), &expect);

        // the limits are strict: a member of exactly the limit keeps 32-bit sizes
        for (limit, zip64) in [(320, false), (319, true)] {
            let mut w = NpzWriter::new();
            w.zip.set_zip64_limits(limit, ZIP16_MAX);
            w.add_f64("a", &[2, 3, 4], &values(24));
            let b = w.finish();
            assert_eq!(b[4], if zip64 { 45 } else { 20 }, "{limit}");
            // (the central directory, at offset 355 or more, needs zip64 end records either way)
            assert!(check_layout(&b, limit, ZIP16_MAX), "{limit}");
            assert_eq!(parse_npz(&b, "l.npz").unwrap()["a"].data, values(24));
        }
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

        // zip64 archives: every zip64 structure (the small test limits), and the entry count only
        for (name, bytes, expect) in [
            ("zip64.npz", tiny_zip64_archive().0, tiny_zip64_archive().1),
            (
                "count.npz",
                {
                    let mut w = NpzWriter::new();
                    w.zip.set_zip64_limits(ZIP32_MAX, 1);
                    w.add_f64("x", &[2], &[1.0, 2.0]);
                    w.add_u32("y", &[1], &[3]);
                    w.finish()
                },
                vec![
                    ("x".to_string(), vec![2], vec![1.0, 2.0]),
                    ("y".to_string(), vec![1], vec![3.0]),
                ],
            ),
        ] {
            let p = dir.path(name);
            write_bytes_atomic(&p, &bytes).unwrap();
            let all = read_all(&mut NpzFile::open(&p).unwrap()).unwrap();
            check(&all, &expect);
            assert_eq!(all, parse_npz(&bytes, &p).unwrap(), "{name}");
        }

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
        // a file truncated (or rewritten) after it was opened
        // (b.npy: local header at 171, data 206..346)
        for (len, what) in [(200, "its local header"), (300, "the member's 140 bytes")] {
            std::fs::write(&p, &good[..len]).unwrap();
            let e = f.read("b").unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "{shown}[b.npy]: truncated: the file ends before {what} (it was changed \
                     after it was opened)"
                )
            );
        }

        // CRC mismatch, in the data and in the header (which `header` then reports too)
        let data_byte = 30 + 5 + 128 + 7; // last data byte of a.npy
        let header_byte = 30 + 5 + 20; // inside the dict of a.npy
        for k in [data_byte, header_byte] {
            let mut bad = good.clone();
            bad[k] ^= 0x40;
            std::fs::write(&p, &bad).unwrap();
            let mut f = NpzFile::open(&p).unwrap();
            let crc = format!("{shown}[a.npy]: CRC-32 mismatch");
            starts(&f.read("a").unwrap_err().to_string(), &crc[shown.len()..]);
            starts(
                &f.read_values("a").unwrap_err().to_string(),
                &crc[shown.len()..],
            );
            if k == header_byte {
                starts(&f.header("a").unwrap_err().to_string(), &crc[shown.len()..]);
            }
            // the other member is unaffected
            assert_eq!(f.read("b").unwrap().data, vec![1.0, 2.0, 3.0]);
        }

        // a compressed member, a zip64 member without its extra field
        let mut comp = good.clone();
        let cd =
            u32::from_le_bytes(comp[comp.len() - 6..comp.len() - 2].try_into().unwrap()) as usize;
        comp[cd + 10] = 8;
        starts(
            &open_err(&comp),
            "[a.npy]: the member is compressed (method 8, deflate)",
        );
        let mut z = good.clone();
        z[cd + 20..cd + 24].copy_from_slice(&[0xFF; 4]);
        starts(
            &open_err(&z),
            "[a.npy]: the central directory marks zip64 sizes or offset",
        );
        // a wrong local header offset, a member beyond the end of the file
        let b = central_entry(&good, "b.npy");
        let mut bad = good.clone();
        bad[b + 42..b + 46].copy_from_slice(&1u32.to_le_bytes());
        std::fs::write(&p, &bad).unwrap();
        let e = NpzFile::open(&p)
            .unwrap()
            .read("b")
            .unwrap_err()
            .to_string();
        starts(&e, "[b.npy]: no local file header at the recorded offset");
        let mut bad = good.clone();
        bad[b + 20..b + 28].copy_from_slice(&[0xFE, 0xFF, 0xFF, 0x7F, 0xFE, 0xFF, 0xFF, 0x7F]);
        std::fs::write(&p, &bad).unwrap();
        let e = NpzFile::open(&p)
            .unwrap()
            .read_values("b")
            .unwrap_err()
            .to_string();
        starts(&e, "[b.npy]: truncated: the member needs 2147483646 bytes");
        // a member whose data do not match its header
        let mut w = NpzWriter::new();
        w.add_u32("u", &[2], &[1, 2]);
        let mut bad = w.finish();
        let text = b"'shape': (2,)";
        let at = (0..bad.len())
            .find(|&k| bad[k..].starts_with(text))
            .unwrap();
        bad[at + 10] = b'3';
        // (fix the CRCs, so that the header is what is wrong)
        let crc = crc32(&bad[35..35 + 136]).to_le_bytes();
        bad[14..18].copy_from_slice(&crc);
        let cd = u32::from_le_bytes(bad[bad.len() - 6..bad.len() - 2].try_into().unwrap()) as usize;
        bad[cd + 16..cd + 20].copy_from_slice(&crc);
        std::fs::write(&p, &bad).unwrap();
        let mut f = NpzFile::open(&p).unwrap();
        let e = f.read_values("u").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("{shown}[u.npy]: truncated: shape (3,) of '<u4' needs 12 data bytes, found 8")
        );
        assert_eq!(f.header("u").unwrap_err().to_string(), e);
        assert_eq!(parse_npz(&bad, &p).unwrap_err().to_string(), e);
        // a duplicate member
        let mut dup = good.clone();
        dup[central_entry(&good, "b.npy") + 46] = b'a';
        starts(&open_err(&dup), "[a.npy]: duplicate member name");
    }

    #[test]
    fn npz_file_corrupted_archives_are_errors_not_panics() {
        // Whatever the damage, NpzFile never panics, and is never more lenient than parse_npz:
        // where it reads every member, parse_npz reads the same arrays.
        let dir = TempDir::new("npzfilecorrupt");
        let p = dir.path("c.npz");
        let (good, _) = tiny_zip64_archive();
        let try_all = |bytes: &[u8]| {
            std::fs::write(&p, bytes).unwrap();
            NpzFile::open(&p).and_then(|mut f| read_all(&mut f))
        };
        assert_eq!(try_all(&good).unwrap(), parse_npz(&good, "g").unwrap());
        for len in 0..good.len() {
            assert!(try_all(&good[..len]).is_err(), "length {len}");
        }
        for k in 0..good.len() {
            for v in [0x00, 0xFF, good[k] ^ 0x80] {
                let mut b = good.clone();
                b[k] = v;
                if let Ok(all) = try_all(&b) {
                    assert_eq!(all, parse_npz(&b, "c").unwrap(), "byte {k} = {v:#x}");
                }
            }
        }
    }
}
