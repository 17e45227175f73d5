//! `summary.json`'s `perturbation` block: the laser-power curve of a perturbation sweep beside
//! its balanced-state prediction. Contract (other tools read it): `amplitudes` (the list as
//! given), `rate_hz` (per population its lower-case name, plus `NAME_stimulated` and
//! `NAME_other` for a partly stimulated population; each a list aligned with `amplitudes`: the
//! stimulus window's mean rate) and `theory_rate_hz` (the same keys; populations get the
//! balanced-limit prediction, the stimulated/other groups `null`, which the theory does not
//! predict). The other keys add detail.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spikeform::experiment::perturbation::{PerturbationResult, TrainedPerturbation};

/// `perturbation` of summary.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerturbationSummary {
    /// Amplitudes as given.
    pub amplitudes: Vec<f64>,
    /// Their units (`raw`, `sqrt_n`, `sqrt_k`).
    pub amplitude_units: String,
    /// Raw amplitudes (current, or rate of an opto layer).
    pub raw_amplitudes: Vec<f64>,
    /// Number of stimulated neurons.
    pub stimulated_neurons: usize,
    /// Statistics windows (ms): `baseline`, `stimulus` (after the onset), `post`.
    pub windows_ms: BTreeMap<String, [f64; 2]>,
    /// Stimulus-window mean rate per group per amplitude (Hz).
    pub rate_hz: BTreeMap<String, Vec<f64>>,
    /// 95% confidence interval over cells of those means: `[low, high]` per amplitude
    /// (`null` for a single cell).
    pub rate_ci95_hz: BTreeMap<String, Vec<[Option<f64>; 2]>>,
    /// Baseline-window mean rate per group per amplitude (Hz).
    pub baseline_rate_hz: BTreeMap<String, Vec<f64>>,
    /// Post-window mean rate per group per amplitude (Hz), when there is a post window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_rate_hz: Option<BTreeMap<String, Vec<f64>>>,
    /// Balanced-limit prediction for whole-population stimulation (Hz).
    pub theory_rate_hz: BTreeMap<String, Vec<Option<f64>>>,
    /// Slope of the linear response −W⁻¹δX per population (Hz per unit of given amplitude).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub theory_slope_hz: BTreeMap<String, f64>,
    /// Amplitude (given units) at which the linear response silences the first population (s*).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub theory_silenced_at: BTreeMap<String, f64>,
    /// Wall seconds of the sweep's trials (all amplitudes, in parallel).
    pub sweep_seconds: f64,
    /// A trained network under the perturbation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained: Option<TrainedPerturbationSummary>,
}

/// `perturbation.trained`: per amplitude.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedPerturbationSummary {
    /// r of the trained neurons' input against the target in the stimulus window.
    pub r_stimulus: Vec<Option<f64>>,
    /// The same in the baseline window (before the stimulus).
    pub r_baseline: Vec<Option<f64>>,
    /// Fraction of trained E cells whose stimulus-window rate fell below amplitude 0's.
    pub suppressed_fraction_trained_e: Vec<f64>,
    /// The same for untrained E cells.
    pub suppressed_fraction_untrained_e: Vec<f64>,
    /// Difference of the conditions' activity on the coding direction per window (Hz):
    /// `{window: [per amplitude]}`.
    pub coding_projection_hz: BTreeMap<String, Vec<Option<f64>>>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The block for `res`.
pub fn summary(res: &PerturbationResult) -> PerturbationSummary {
    let window = |name: &str| res.windows.iter().position(|(n, _)| n == name);
    let by_window = |w: usize| -> BTreeMap<String, Vec<f64>> {
        res.groups
            .iter()
            .map(|g| {
                (
                    g.name.clone(),
                    g.windows[w].iter().map(|r| r.mean_hz).collect(),
                )
            })
            .collect()
    };
    let stim = window("stimulus").expect("a sweep has a stimulus window");
    let mut theory_rate_hz = BTreeMap::new();
    let mut theory_slope_hz = BTreeMap::new();
    let mut theory_silenced_at = BTreeMap::new();
    for g in &res.groups {
        let is_population = !g.name.ends_with("_stimulated") && !g.name.ends_with("_other");
        let values = match (&res.theory, is_population) {
            (Some(t), true) => {
                theory_slope_hz.insert(g.name.clone(), t.slope_hz[g.population]);
                if let Some(s) = t.silenced_at[g.population] {
                    theory_silenced_at.insert(g.name.clone(), s);
                }
                t.rate_hz[g.population].clone()
            }
            _ => vec![None; res.amplitudes.len()],
        };
        theory_rate_hz.insert(g.name.clone(), values);
    }
    PerturbationSummary {
        amplitudes: res.amplitudes.clone(),
        amplitude_units: res.units.clone(),
        raw_amplitudes: res.raw_amplitudes.clone(),
        stimulated_neurons: res.stimulated.len(),
        windows_ms: res
            .windows
            .iter()
            .map(|(n, (a, b))| (n.clone(), [*a, *b]))
            .collect(),
        rate_hz: by_window(stim),
        rate_ci95_hz: res
            .groups
            .iter()
            .map(|g| {
                let ci = g.windows[stim]
                    .iter()
                    .map(|r| [finite(r.ci95_hz.0), finite(r.ci95_hz.1)])
                    .collect();
                (g.name.clone(), ci)
            })
            .collect(),
        baseline_rate_hz: by_window(window("baseline").expect("a sweep has a baseline")),
        post_rate_hz: window("post").map(by_window),
        theory_rate_hz,
        theory_slope_hz,
        theory_silenced_at,
        sweep_seconds: res.sweep_seconds,
        trained: res.trained.as_ref().map(|t| trained(t, res)),
    }
}

fn trained(t: &TrainedPerturbation, res: &PerturbationResult) -> TrainedPerturbationSummary {
    let opt = |v: &[f64]| v.iter().map(|&x| finite(x)).collect();
    TrainedPerturbationSummary {
        r_stimulus: opt(&t.r_stimulus),
        r_baseline: opt(&t.r_baseline),
        suppressed_fraction_trained_e: t.suppressed_trained_e.clone(),
        suppressed_fraction_untrained_e: t.suppressed_untrained_e.clone(),
        coding_projection_hz: res
            .windows
            .iter()
            .enumerate()
            .map(|(w, (name, _))| {
                let values = t
                    .coding_projection
                    .iter()
                    .map(|per| finite(per[w]))
                    .collect();
                (name.clone(), values)
            })
            .collect(),
    }
}

/// Writes `perturbation.npz`: amplitudes, population rates over time per amplitude, and the
/// coding-direction projection over time of a trained network.
pub fn write_npz(
    dir: &crate::rundir::RunDir,
    res: &PerturbationResult,
) -> Result<(), crate::rundir::RunDirError> {
    crate::artifacts::write_members(
        dir,
        crate::outputs::perturbation::FILE.file,
        &npz_members(res),
    )
}

/// The members of `perturbation.npz`: `amplitude` (A), `time_ms` (bins, bin centres),
/// `population_rate_hz` (A × populations × bins) and, for trained networks, the coding
/// projection `coding_projection_hz` (A × bins).
pub fn npz_members(res: &PerturbationResult) -> Vec<crate::artifacts::Member> {
    use crate::artifacts::Member;
    use crate::outputs::perturbation as out;
    let a = res.amplitudes.len();
    let mut members = vec![Member::f64(&out::AMPLITUDE, &[a], res.amplitudes.clone())];
    let pops = res.population_rate_hz.first().map_or(0, |p| p.len());
    let bins = res
        .population_rate_hz
        .first()
        .and_then(|p| p.first())
        .map_or(0, |b| b.len());
    let time: Vec<f64> = (0..bins).map(|b| (b as f64 + 0.5) * res.bin_ms).collect();
    members.push(Member::f64(&out::TIME_MS, &[bins], time));
    let flat: Vec<f64> = res
        .population_rate_hz
        .iter()
        .flatten()
        .flatten()
        .copied()
        .collect();
    members.push(Member::f64(
        &out::POPULATION_RATE_HZ,
        &[a, pops, bins],
        flat,
    ));
    if let Some(t) = res
        .trained
        .as_ref()
        .filter(|t| !t.coding_timecourse.is_empty())
    {
        let nb = t.coding_timecourse[0].len();
        let flat: Vec<f64> = t.coding_timecourse.iter().flatten().copied().collect();
        members.push(Member::f64(&out::CODING_PROJECTION_HZ, &[a, nb], flat));
    }
    members
}
