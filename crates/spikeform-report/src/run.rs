//! Reading a run directory: the files `spikeform run` writes, checked for presence and form.
//!
//! `summary.json`, `manifest.json` and `experiment.toml` must exist (a run directory holds
//! `summary.json` only once its run has finished). The other files are optional, since what a
//! run writes depends on its kind, but a file that `manifest.json` lists must exist, and every
//! file present must parse. A member missing from an archive is not an error: the figures that
//! need it are skipped (older run directories lack some arrays).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use spikeform_io::npy::{read_npz, NpyArray};
use spikeform_io::outputs::{spikes, test, test_traces, ArraySpec, FileSpec};

use crate::error::ReportError;

/// A `.npz` archive read into memory; its members are read by their declarations
/// ([`spikeform_io::outputs`]).
pub(crate) struct Archive {
    /// The archive's path (for messages).
    pub path: PathBuf,
    /// The file's declaration.
    file: FileSpec,
    arrays: BTreeMap<String, NpyArray>,
}

/// A borrowed n-dimensional array in C order.
#[derive(Clone, Copy)]
pub(crate) struct Arr<'a> {
    /// The member's name.
    pub name: &'static str,
    /// The shape.
    pub shape: &'a [usize],
    /// The values.
    pub data: &'a [f64],
}

impl<'a> Arr<'a> {
    /// Length of dimension `i`.
    pub fn dim(&self, i: usize) -> usize {
        self.shape[i]
    }

    /// The contiguous slice at the leading indices `lead` (fewer indices than dimensions).
    pub fn slice(&self, lead: &[usize]) -> &'a [f64] {
        let inner: usize = self.shape[lead.len()..].iter().product();
        let mut off = 0;
        for (k, &i) in lead.iter().enumerate() {
            off = off * self.shape[k] + i;
        }
        &self.data[off * inner..(off + 1) * inner]
    }

    /// The value at a full multi-index.
    pub fn at(&self, index: &[usize]) -> f64 {
        let mut off = 0;
        for (k, &i) in index.iter().enumerate() {
            off = off * self.shape[k] + i;
        }
        self.data[off]
    }
}

impl Archive {
    fn read(path: PathBuf, file: FileSpec) -> Result<Self, ReportError> {
        let arrays = read_npz(&path).map_err(|e| ReportError::Input {
            path: e.path.clone(),
            problem: e.problem,
        })?;
        Ok(Archive { path, file, arrays })
    }

    /// The member declared by `spec`, if present. A member with another number of dimensions
    /// than declared is an error.
    ///
    /// # Panics
    /// If `spec` is not a member of this archive's file (a bug in the caller).
    pub fn get(&self, spec: &ArraySpec) -> Result<Option<Arr<'_>>, ReportError> {
        assert_eq!(
            self.file.array(spec.name),
            Some(spec),
            "{} is not declared in {}",
            spec.name,
            self.file.file
        );
        let (name, ndim) = (spec.name, spec.ndim());
        match self.arrays.get(name) {
            None => Ok(None),
            Some(a) if a.shape.len() == ndim => Ok(Some(Arr {
                name,
                shape: &a.shape,
                data: &a.data,
            })),
            Some(a) => Err(self.bad(format!(
                "member '{name}' has shape {:?}, expected {ndim} dimensions",
                a.shape
            ))),
        }
    }

    /// An error about this archive's contents.
    pub fn bad(&self, problem: impl Into<String>) -> ReportError {
        ReportError::input(&self.path, problem)
    }

    /// Checks that `a` has dimension `i` equal to `n`, naming the array otherwise.
    pub fn check_dim(
        &self,
        a: &Arr<'_>,
        i: usize,
        n: usize,
        what: &str,
    ) -> Result<(), ReportError> {
        if a.dim(i) == n {
            Ok(())
        } else {
            Err(self.bad(format!(
                "member '{}' has shape {:?}: dimension {i} should be {n} ({what})",
                a.name, a.shape
            )))
        }
    }
}

/// The training curve: one row per loop.
pub(crate) struct TrainingCurve {
    /// Loop numbers (1-based).
    pub loops: Vec<f64>,
    /// r per loop; NaN where the loop was not evaluated.
    pub r: Vec<f64>,
    /// Rate networks: r over the reference's window.
    pub r_reference: Option<Vec<f64>>,
    /// Wall seconds per loop.
    pub seconds: Vec<f64>,
}

/// The kind of network a run trained.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// Rate units (`test_traces.npz`).
    Rate,
    /// Spiking neurons (`spikes.npz`, `test.npz`).
    Spiking,
}

/// A population of a spiking network: a contiguous range of neuron indices.
#[derive(Clone, Debug)]
pub(crate) struct Population {
    /// Its name.
    pub name: String,
    /// The first neuron's index.
    pub start: usize,
    /// Number of neurons.
    pub size: usize,
    /// Excitatory (true) or inhibitory.
    pub excitatory: bool,
    /// Constant external input.
    pub bias: f64,
}

/// Everything read from a run directory.
pub(crate) struct Run {
    /// The run directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: Value,
    /// `manifest.json`.
    pub manifest: Value,
    /// `experiment.toml`, parsed.
    pub experiment: toml::Table,
    /// `experiment.toml` as written.
    pub experiment_text: String,
    /// Rate or spiking.
    pub kind: Kind,
    /// `training_curve.csv`, if present.
    pub curve: Option<TrainingCurve>,
    /// `spikes.npz`, if present.
    pub spikes: Option<Archive>,
    /// `test.npz`, if present.
    pub test: Option<Archive>,
    /// `test_traces.npz`, if present.
    pub traces: Option<Archive>,
    /// `perturbation.npz`, if present.
    pub perturbation: Option<Archive>,
    /// `plasticity.npz`, if present.
    pub plasticity: Option<Archive>,
    /// `latent.npz`, if present.
    pub latent: Option<Archive>,
    /// Populations (spiking runs), in index order.
    pub populations: Vec<Population>,
}

fn read_text(path: &Path, missing: &str) -> Result<String, ReportError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            String::from_utf8(bytes).map_err(|_| ReportError::input(path, "not UTF-8 text"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ReportError::input(path, missing))
        }
        Err(e) => Err(ReportError::input(path, format!("cannot read: {e}"))),
    }
}

fn read_json(path: &Path, missing: &str) -> Result<Value, ReportError> {
    let text = read_text(path, missing)?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| ReportError::input(path, format!("not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ReportError::input(path, "expected a JSON object"));
    }
    Ok(v)
}

/// Looks up a dotted path (`"training.r_per_loop"`) in a JSON value.
pub(crate) fn jget<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// A number at a dotted path.
pub(crate) fn jnum(v: &Value, path: &str) -> Option<f64> {
    jget(v, path).and_then(Value::as_f64)
}

/// An array of numbers at a dotted path (`null` entries become NaN).
pub(crate) fn jnums(v: &Value, path: &str) -> Option<Vec<f64>> {
    jget(v, path)?
        .as_array()
        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
}

/// A value at a dotted path of a TOML table.
pub(crate) fn tget<'a>(t: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let mut v = t.get(parts.next()?)?;
    for p in parts {
        v = v.get(p)?;
    }
    Some(v)
}

/// A number (integer or float) at a dotted path of a TOML table.
pub(crate) fn tnum(t: &toml::Table, path: &str) -> Option<f64> {
    tget(t, path).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
}

fn parse_curve(path: &Path, text: &str) -> Result<TrainingCurve, ReportError> {
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split(',').map(str::trim).collect(),
        None => {
            return Err(ReportError::input(
                path,
                "empty file (expected a header line)",
            ))
        }
    };
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(c_loop), Some(c_r), Some(c_sec)) = (col("loop"), col("r"), col("seconds")) else {
        return Err(ReportError::input(
            path,
            format!(
                "header {:?} lacks one of the columns loop, r, seconds",
                header.join(",")
            ),
        ));
    };
    let c_ref = col("r_reference_window");
    let mut curve = TrainingCurve {
        loops: Vec::new(),
        r: Vec::new(),
        r_reference: c_ref.map(|_| Vec::new()),
        seconds: Vec::new(),
    };
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != header.len() {
            return Err(ReportError::input(
                path,
                format!(
                    "line {}: {} fields, the header has {}",
                    i + 1,
                    cells.len(),
                    header.len()
                ),
            ));
        }
        let num = |c: usize, empty_ok: bool| -> Result<f64, ReportError> {
            let s = cells[c];
            if s.is_empty() && empty_ok {
                return Ok(f64::NAN);
            }
            s.parse::<f64>().map_err(|_| {
                ReportError::input(
                    path,
                    format!(
                        "line {}: column {} is {s:?}, not a number",
                        i + 1,
                        header[c]
                    ),
                )
            })
        };
        curve.loops.push(num(c_loop, false)?);
        curve.r.push(num(c_r, true)?);
        curve.seconds.push(num(c_sec, false)?);
        if let (Some(c), Some(v)) = (c_ref, curve.r_reference.as_mut()) {
            v.push(num(c, true)?);
        }
    }
    Ok(curve)
}

fn populations(summary: &Value, experiment: &toml::Table) -> Vec<Population> {
    let declared: Vec<&toml::Value> = tget(experiment, "network.populations")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let from_summary: Vec<(String, usize)> = jget(summary, "network.populations")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        p.get("name")?.as_str()?.to_string(),
                        p.get("size")?.as_u64()? as usize,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let list: Vec<(String, usize)> = if from_summary.is_empty() {
        declared
            .iter()
            .filter_map(|p| {
                Some((
                    p.get("name")?.as_str()?.to_string(),
                    p.get("size")?.as_integer()? as usize,
                ))
            })
            .collect()
    } else {
        from_summary
    };
    let mut start = 0;
    list.into_iter()
        .map(|(name, size)| {
            let decl = declared
                .iter()
                .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(name.as_str()));
            let excitatory = decl
                .and_then(|p| p.get("excitatory"))
                .and_then(|e| e.as_bool())
                .unwrap_or(start == 0);
            let bias = decl
                .and_then(|p| p.get("bias"))
                .and_then(|b| b.as_float().or_else(|| b.as_integer().map(|i| i as f64)))
                .unwrap_or(0.0);
            let p = Population {
                name,
                start,
                size,
                excitatory,
                bias,
            };
            start += size;
            p
        })
        .collect()
}

/// Reads and checks a run directory.
pub(crate) fn load(dir: &Path) -> Result<Run, ReportError> {
    if !dir.exists() {
        return Err(ReportError::input(dir, "no such run directory"));
    }
    if !dir.is_dir() {
        return Err(ReportError::input(
            dir,
            "not a directory (expected a run directory)",
        ));
    }
    let summary = read_json(
        &dir.join("summary.json"),
        "missing: not a finished run directory (summary.json is written last, when a run finishes)",
    )?;
    let manifest = read_json(
        &dir.join("manifest.json"),
        "missing: every run directory has a manifest.json",
    )?;
    let exp_path = dir.join("experiment.toml");
    let experiment_text = read_text(
        &exp_path,
        "missing: every run directory has the experiment.toml it ran",
    )?;
    let experiment: toml::Table = experiment_text
        .parse()
        .map_err(|e| ReportError::input(&exp_path, format!("not valid TOML: {e}")))?;
    let listed: Vec<String> = match manifest.get("files") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|f| {
                f.as_str().map(str::to_string).ok_or_else(|| {
                    ReportError::input(
                        &dir.join("manifest.json"),
                        "'files' must be a list of file names",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ReportError::input(
                &dir.join("manifest.json"),
                "'files' must be a list of file names",
            ))
        }
    };
    let kind = match summary.get("kind").and_then(Value::as_str) {
        Some("rate") => Kind::Rate,
        Some("spiking") => Kind::Spiking,
        Some(k) => {
            return Err(ReportError::input(
                &dir.join("summary.json"),
                format!("'kind' is {k:?}, expected \"rate\" or \"spiking\""),
            ))
        }
        None => {
            return Err(ReportError::input(
                &dir.join("summary.json"),
                "no 'kind' (\"rate\" or \"spiking\")",
            ))
        }
    };
    // An optional file: absent is fine unless the manifest lists it.
    let optional = |name: &str| -> Result<Option<PathBuf>, ReportError> {
        let p = dir.join(name);
        if p.exists() {
            Ok(Some(p))
        } else if listed.iter().any(|f| f == name) {
            Err(ReportError::input(
                &p,
                "missing, but manifest.json lists it",
            ))
        } else {
            Ok(None)
        }
    };
    let curve = match optional("training_curve.csv")? {
        Some(p) => Some(parse_curve(&p, &read_text(&p, "missing")?)?),
        None => None,
    };
    let archive = |file: FileSpec| -> Result<Option<Archive>, ReportError> {
        optional(file.file)?
            .map(|p| Archive::read(p, file))
            .transpose()
    };
    let spikes = archive(spikes::FILE)?;
    let test = archive(test::FILE)?;
    let traces = archive(test_traces::FILE)?;
    let perturbation = archive(spikeform_io::outputs::perturbation::FILE)?;
    let plasticity = archive(spikeform_io::outputs::plasticity::FILE)?;
    let latent = archive(spikeform_io::outputs::latent::FILE)?;
    let populations = match kind {
        Kind::Spiking => populations(&summary, &experiment),
        Kind::Rate => Vec::new(),
    };
    Ok(Run {
        dir: dir.to_path_buf(),
        summary,
        manifest,
        experiment,
        experiment_text,
        kind,
        curve,
        spikes,
        test,
        traces,
        perturbation,
        plasticity,
        latent,
        populations,
    })
}
