//! Reading and writing NumPy `.npy` and `.npz` files (no dependencies).
//!
//! `.npy`: magic `\x93NUMPY`, version, a header dict padded to 64 bytes, then the data in C
//! order. `.npz`: a zip archive of `.npy` members, stored without compression.

use std::path::{Path, PathBuf};

/// A problem with a NumPy file, naming the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct NpyError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

/// An array read from a file, converted to f64, in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Shape.
    pub shape: Vec<usize>,
    /// Values.
    pub data: Vec<f64>,
}

fn header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    let unpadded = 10 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// The bytes of an `.npy` file of little-endian f64 values.
pub fn npy_f64(shape: &[usize], data: &[f64]) -> Vec<u8> {
    let mut out = header("<f8", shape);
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The bytes of an `.npy` file of little-endian i64 values.
pub fn npy_i64(shape: &[usize], data: &[i64]) -> Vec<u8> {
    let mut out = header("<i8", shape);
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Reads an `.npy` file of dtype `<f8`, `<f4`, `<i8` or `<i4` into f64.
pub fn read_npy_f64(path: &Path) -> Result<NpyArray, NpyError> {
    let err = |problem: String| NpyError { path: path.to_path_buf(), problem };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    parse_npy(&bytes).map_err(err)
}

/// Parses the bytes of an `.npy` file.
pub fn parse_npy(bytes: &[u8]) -> Result<NpyArray, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a NumPy .npy file (bad magic)".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let text = bytes.get(start..start + header_len).ok_or("truncated header")?;
    let text = std::str::from_utf8(text).map_err(|_| "header is not text")?;
    let field = |key: &str| -> Option<&str> {
        let i = text.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = text[i..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr").ok_or("header has no 'descr'")?;
    let descr = descr.trim_start_matches('\'');
    let descr = &descr[..descr.find('\'').ok_or("bad 'descr'")?];
    if field("fortran_order").is_some_and(|f| f.starts_with("True")) {
        return Err("Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray".into());
    }
    let shape_text = field("shape").ok_or("header has no 'shape'")?;
    let shape_text = &shape_text[1..shape_text.find(')').ok_or("bad 'shape'")?];
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| format!("bad shape entry {s:?}")))
        .collect::<Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let body = &bytes[start + header_len..];
    let width = match descr {
        "<f8" | "<i8" => 8,
        "<f4" | "<i4" => 4,
        other => return Err(format!("expected dtype '<f8', '<f4', '<i8' or '<i4', found '{other}'")),
    };
    if body.len() < count * width {
        return Err(format!("truncated: shape {shape:?} needs {} bytes of data, found {}", count * width, body.len()));
    }
    let data = body[..count * width]
        .chunks_exact(width)
        .map(|c| match descr {
            "<f8" => f64::from_le_bytes(c.try_into().expect("8 bytes")),
            "<i8" => i64::from_le_bytes(c.try_into().expect("8 bytes")) as f64,
            "<f4" => f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes"))),
            _ => f64::from(i32::from_le_bytes(c.try_into().expect("4 bytes"))),
        })
        .collect();
    Ok(NpyArray { shape, data })
}

/// CRC-32 (IEEE), as zip requires.
fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *e = c;
        }
        t
    });
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c = table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

/// Builds an `.npz` archive in memory (members stored uncompressed).
#[derive(Debug, Default)]
pub struct NpzWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl NpzWriter {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an f64 array named `name` (stored as `name.npy`).
    pub fn add_f64(&mut self, name: &str, shape: &[usize], data: &[f64]) {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len(), "{name}");
        self.add(name, npy_f64(shape, data));
    }

    /// Adds an i64 array.
    pub fn add_i64(&mut self, name: &str, shape: &[usize], data: &[i64]) {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len(), "{name}");
        self.add(name, npy_i64(shape, data));
    }

    fn add(&mut self, name: &str, bytes: Vec<u8>) {
        let file = format!("{name}.npy");
        let crc = crc32(&bytes);
        let size = u32::try_from(bytes.len()).expect("members under 4 GiB");
        let offset = self.out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // stored
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(file.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut self.out);
        self.out.extend_from_slice(file.as_bytes());
        self.out.extend_from_slice(&bytes);
        self.central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // made by
        common(&mut self.central);
        self.central.extend_from_slice(&[0; 8]); // comment len, disk, internal attrs
        self.central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(file.as_bytes());
        self.entries += 1;
    }

    /// The archive's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let cd_offset = self.out.len() as u32;
        let cd_size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]);
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&cd_size.to_le_bytes());
        self.out.extend_from_slice(&cd_offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// Reads the members of an `.npz` archive written uncompressed (as [`NpzWriter`] does).
pub fn read_npz(path: &Path) -> Result<Vec<(String, NpyArray)>, NpyError> {
    let err = |problem: String| NpyError { path: path.to_path_buf(), problem };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let mut members = Vec::new();
    let mut i = 0;
    while i + 30 <= bytes.len() && bytes[i..i + 4] == 0x0403_4b50u32.to_le_bytes() {
        let u16_at = |k: usize| u16::from_le_bytes([bytes[k], bytes[k + 1]]) as usize;
        let method = u16_at(i + 8);
        let size = u32::from_le_bytes(bytes[i + 18..i + 22].try_into().expect("4 bytes")) as usize;
        let (name_len, extra) = (u16_at(i + 26), u16_at(i + 28));
        let name = String::from_utf8_lossy(&bytes[i + 30..i + 30 + name_len]).into_owned();
        let start = i + 30 + name_len + extra;
        if method != 0 {
            return Err(err(format!("member {name} is compressed; only stored members are read")));
        }
        let data = bytes.get(start..start + size).ok_or_else(|| err(format!("member {name} is truncated")))?;
        let array = parse_npy(data).map_err(|p| err(format!("member {name}: {p}")))?;
        members.push((name.trim_end_matches(".npy").to_string(), array));
        i = start + size;
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_round_trip_and_header_alignment() {
        let data: Vec<f64> = (0..12).map(|x| x as f64 * 0.5).collect();
        let bytes = npy_f64(&[3, 4], &data);
        assert_eq!((bytes.len() - 12 * 8) % 64, 0);
        let a = parse_npy(&bytes).unwrap();
        assert_eq!(a.shape, vec![3, 4]);
        assert_eq!(a.data, data);
        let b = parse_npy(&npy_i64(&[5], &[1, 2, 3, 4, 5])).unwrap();
        assert_eq!(b.shape, vec![5]);
        assert_eq!(b.data, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn truncated_and_foreign_files_are_rejected() {
        let bytes = npy_f64(&[10], &[1.0; 10]);
        let e = parse_npy(&bytes[..bytes.len() - 8]).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = parse_npy(&npy_f64(&[2], &[1.0, 2.0]).iter().map(|&b| if b == b'f' { b'u' } else { b }).collect::<Vec<_>>()).unwrap_err();
        assert!(e.contains("dtype"), "{e}");
        assert!(parse_npy(b"hello world").is_err());
    }

    #[test]
    fn npz_round_trip() {
        let mut w = NpzWriter::new();
        w.add_f64("a", &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
        w.add_i64("b", &[3], &[7, 8, 9]);
        let bytes = w.finish();
        let dir = std::env::temp_dir().join(format!("spikeform-npz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.npz");
        std::fs::write(&p, &bytes).unwrap();
        let m = read_npz(&p).unwrap();
        assert_eq!(m[0].0, "a");
        assert_eq!(m[0].1.data, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m[1].1.shape, vec![3]);
        // The archive's CRCs are those of standard CRC-32.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
