//! The recorders every spiking run uses, and the runaway-rate guard.

use super::{Control, Monitor, StepView};
use crate::analysis::{BoxAverager, InputBalance};
use crate::error::RunError;

/// Adds the plastic input to the excitatory or the inhibitory input by its sign (plastic weights
/// are not sign-constrained): returns (excitatory, inhibitory).
#[inline]
fn with_plastic(excitatory: f64, inhibitory: f64, plastic: f64) -> (f64, f64) {
    if plastic >= 0.0 {
        (excitatory + plastic, inhibitory)
    } else {
        (excitatory, inhibitory + plastic)
    }
}

/// Records spike times of every neuron (or, after [`ActivityRecorder::counts_only`], only each
/// neuron's spike count), per-neuron mean input components, and the population spike count in
/// bins. Never stores dense per-step state.
#[derive(Debug, Clone)]
pub struct ActivityRecorder {
    /// Spike times (ms) of every neuron (empty trains when only counts are kept).
    pub spikes: Vec<Vec<f64>>,
    /// When only counts are kept: every neuron's spikes at `t >= counts_from_ms`.
    counts: Option<Vec<u32>>,
    counts_from_ms: f64,
    /// Input components are averaged over samples every `sample_every` steps with
    /// `t > from_ms`.
    sample_every: u64,
    from_ms: f64,
    sums: [Vec<f64>; 4],
    samples: usize,
    /// Spike count per time bin of `bin_steps` steps, per population (`counts[p][bin]`).
    pub population_counts: Vec<Vec<u32>>,
    bin_steps: u64,
    population_of: Vec<usize>,
    /// Population-mean input components at every sample: `[population][component][sample]`,
    /// components excitatory, inhibitory, external, net (plastic input counted by its sign).
    pub input_timecourse: Vec<[Vec<f64>; 4]>,
    population_sizes: Vec<usize>,
    /// Scratch: per-population sums of the current sample.
    pop_sums: Vec<[f64; 4]>,
    /// Runs of consecutive neurons of one population: (start, end, population).
    segments: Vec<(usize, usize, usize)>,
}

impl ActivityRecorder {
    /// A recorder for `population_of.len()` neurons; input components are sampled every
    /// `sample_every` steps after `from_ms`; population counts use bins of `bin_steps` steps
    /// over `trial_steps`.
    pub fn new(
        population_of: &[usize],
        sample_every: u64,
        from_ms: f64,
        bin_steps: u64,
        trial_steps: u64,
    ) -> Self {
        let n = population_of.len();
        let n_pop = population_of.iter().max().map_or(0, |m| m + 1);
        let n_bins = trial_steps.div_ceil(bin_steps) as usize;
        Self {
            spikes: vec![Vec::new(); n],
            counts: None,
            counts_from_ms: 0.0,
            sample_every,
            from_ms,
            sums: std::array::from_fn(|_| vec![0.0; n]),
            samples: 0,
            population_counts: vec![vec![0; n_bins]; n_pop],
            bin_steps,
            population_of: population_of.to_vec(),
            input_timecourse: vec![Default::default(); n_pop],
            pop_sums: vec![[0.0; 4]; n_pop],
            segments: {
                let mut segments: Vec<(usize, usize, usize)> = Vec::new();
                for (i, &p) in population_of.iter().enumerate() {
                    match segments.last_mut() {
                        Some((_, end, q)) if *q == p && *end == i => *end = i + 1,
                        _ => segments.push((i, i + 1, p)),
                    }
                }
                segments
            },
            population_sizes: (0..n_pop)
                .map(|p| population_of.iter().filter(|&&q| q == p).count())
                .collect(),
        }
    }

    /// Keeps no spike times, only each neuron's number of spikes at `t >= from_ms`
    /// ([`ActivityRecorder::spike_counts`]); everything else is recorded as before.
    pub fn counts_only(mut self, from_ms: f64) -> Self {
        self.counts = Some(vec![0; self.spikes.len()]);
        self.counts_from_ms = from_ms;
        self
    }

    /// Every neuron's spike count at `t >= from_ms` if the recorder keeps counts only
    /// ([`ActivityRecorder::counts_only`]); `None` when it keeps the spike times.
    pub fn spike_counts(&self) -> Option<&[u32]> {
        self.counts.as_deref()
    }

    /// Time-averaged input components of every neuron.
    pub fn input_balance(&self) -> InputBalance {
        let k = self.samples.max(1) as f64;
        let mean = |v: &Vec<f64>| -> Vec<f64> {
            if self.samples == 0 {
                vec![f64::NAN; v.len()]
            } else {
                v.iter().map(|s| s / k).collect()
            }
        };
        let excitatory = mean(&self.sums[0]);
        let inhibitory = mean(&self.sums[1]);
        let external = mean(&self.sums[2]);
        let plastic = mean(&self.sums[3]);
        // Plastic input counts as excitatory or inhibitory by its sign.
        let (excitatory, inhibitory): (Vec<f64>, Vec<f64>) = excitatory
            .iter()
            .zip(&inhibitory)
            .zip(&plastic)
            .map(|((e, i), p)| with_plastic(*e, *i, *p))
            .unzip();
        let net = excitatory
            .iter()
            .zip(&inhibitory)
            .zip(&external)
            .map(|((e, i), x)| e + i + x)
            .collect();
        InputBalance {
            excitatory,
            inhibitory,
            external,
            net,
        }
    }

    /// Time-averaged plastic input of every neuron.
    pub fn mean_plastic_input(&self) -> Vec<f64> {
        let k = self.samples.max(1) as f64;
        self.sums[3].iter().map(|s| s / k).collect()
    }
}

impl ActivityRecorder {
    /// Saves what the recorder holds so far under `PREFIX.*` (spikes, input sums and samples,
    /// population counts, the input time course).
    pub fn snapshot(&self, prefix: &str, out: &mut crate::snapshot::StateArrays) {
        out.put_lists(&format!("{prefix}.spikes"), &self.spikes);
        for (k, sum) in self.sums.iter().enumerate() {
            out.put(format!("{prefix}.sums.{k}"), sum.clone());
        }
        out.put_value(format!("{prefix}.samples"), self.samples as f64);
        out.put(
            format!("{prefix}.population_counts"),
            self.population_counts
                .iter()
                .flatten()
                .map(|&c| f64::from(c))
                .collect(),
        );
        let course: Vec<Vec<f64>> = self.input_timecourse.iter().flatten().cloned().collect();
        out.put_lists(&format!("{prefix}.input_timecourse"), &course);
    }

    /// Restores what [`ActivityRecorder::snapshot`] saved from a recorder of the same shape.
    pub fn restore(
        &mut self,
        prefix: &str,
        saved: &crate::snapshot::StateArrays,
    ) -> Result<(), String> {
        self.spikes = saved.take_lists(&format!("{prefix}.spikes"), self.spikes.len())?;
        for (k, sum) in self.sums.iter_mut().enumerate() {
            saved.take_into(&format!("{prefix}.sums.{k}"), sum)?;
        }
        self.samples = saved.take_count(&format!("{prefix}.samples"))? as usize;
        let bins = self.population_counts.first().map_or(0, Vec::len);
        let n_pop = self.population_counts.len();
        let counts = saved.take(&format!("{prefix}.population_counts"), Some(n_pop * bins))?;
        for (row, saved_row) in self
            .population_counts
            .iter_mut()
            .zip(counts.chunks(bins.max(1)))
        {
            for (c, &v) in row.iter_mut().zip(saved_row) {
                *c = v as u32;
            }
        }
        let course = saved.take_lists(&format!("{prefix}.input_timecourse"), 4 * n_pop)?;
        for (series, saved) in self.input_timecourse.iter_mut().zip(course.chunks(4)) {
            for (c, v) in series.iter_mut().zip(saved) {
                c.clone_from(v);
            }
        }
        Ok(())
    }
}

impl Monitor for ActivityRecorder {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        let bin = ((view.step - 1) / self.bin_steps) as usize;
        for &j in view.spiked {
            match &mut self.counts {
                None => self.spikes[j as usize].push(view.t_ms),
                Some(counts) if view.t_ms >= self.counts_from_ms => counts[j as usize] += 1,
                Some(_) => {}
            }
            let p = self.population_of[j as usize];
            if let Some(c) = self.population_counts[p].get_mut(bin) {
                *c += 1;
            }
        }
        if view.step.is_multiple_of(self.sample_every) && view.t_ms > self.from_ms {
            self.samples += 1;
            let inputs = [
                view.input_exc,
                view.input_inh,
                view.input_ext,
                view.input_plastic,
            ];
            for (sum, input) in self.sums.iter_mut().zip(inputs) {
                for (s, x) in sum.iter_mut().zip(input) {
                    *s += x;
                }
            }
            let pop_sums = &mut self.pop_sums;
            pop_sums.iter_mut().for_each(|a| *a = [0.0; 4]);
            // Neuron by neuron in index order, as one loop over all neurons would add them, but
            // with each run's sums held in registers.
            for &(start, end, p) in &self.segments {
                let mut acc = pop_sums[p];
                for i in start..end {
                    let (e, inh) =
                        with_plastic(view.input_exc[i], view.input_inh[i], view.input_plastic[i]);
                    acc[0] += e;
                    acc[1] += inh;
                    acc[2] += view.input_ext[i];
                    acc[3] += e + inh + view.input_ext[i];
                }
                pop_sums[p] = acc;
            }
            for ((series, sums), &size) in self
                .input_timecourse
                .iter_mut()
                .zip(pop_sums.iter())
                .zip(&self.population_sizes)
            {
                for (c, sum) in series.iter_mut().zip(sums) {
                    c.push(sum / size.max(1) as f64);
                }
            }
        }
        Ok(())
    }
}

/// The reference's test input (`rls-training.md` §3.9): `X_i = x_E + x_I + x_P` of every neuron
/// (bias excluded), sampled every `sample_every` steps for `start_ms < t <= end_ms`, and averaged
/// in boxes centred on the target times.
#[derive(Debug, Clone)]
pub struct BoxInputRecorder {
    /// The accumulator.
    pub boxes: BoxAverager,
    sample_every: u64,
    start_ms: f64,
    end_ms: f64,
    scratch: Vec<f64>,
}

impl BoxInputRecorder {
    /// Boxes of half width `half_width_ms` centred at `centres_ms`, over `n` neurons.
    pub fn new(
        centres_ms: Vec<f64>,
        half_width_ms: f64,
        n: usize,
        sample_every: u64,
        start_ms: f64,
        end_ms: f64,
    ) -> Self {
        Self {
            boxes: BoxAverager::new(centres_ms, half_width_ms, n),
            sample_every,
            start_ms,
            end_ms,
            scratch: vec![0.0; n],
        }
    }
}

impl Monitor for BoxInputRecorder {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        if view.step.is_multiple_of(self.sample_every)
            && view.t_ms > self.start_ms
            && view.t_ms <= self.end_ms + 1e-9
        {
            for (((x, e), i), p) in self
                .scratch
                .iter_mut()
                .zip(view.input_exc)
                .zip(view.input_inh)
                .zip(view.input_plastic)
            {
                *x = e + i + p;
            }
            self.boxes.add_sample(view.t_ms, &self.scratch);
        }
        Ok(())
    }
}

/// Stops a run whose mean rate over all neurons exceeds `limit_hz` in any window of
/// `window_steps` steps.
#[derive(Debug, Clone)]
pub struct RateGuard {
    limit_hz: f64,
    window_steps: u64,
    dt_ms: f64,
    n: usize,
    count: usize,
    phase: String,
}

impl RateGuard {
    /// A guard over `n` neurons.
    pub fn new(limit_hz: f64, window_steps: u64, dt_ms: f64, n: usize, phase: &str) -> Self {
        Self {
            limit_hz,
            window_steps,
            dt_ms,
            n,
            count: 0,
            phase: phase.to_string(),
        }
    }
}

impl RateGuard {
    /// Saves the spike count of the current window under `PREFIX.count`.
    pub fn snapshot(&self, prefix: &str, out: &mut crate::snapshot::StateArrays) {
        out.put_value(format!("{prefix}.count"), self.count as f64);
    }

    /// Restores the count saved by [`RateGuard::snapshot`].
    pub fn restore(
        &mut self,
        prefix: &str,
        saved: &crate::snapshot::StateArrays,
    ) -> Result<(), String> {
        self.count = saved.take_count(&format!("{prefix}.count"))? as usize;
        Ok(())
    }
}

impl Monitor for RateGuard {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        self.count += view.spiked.len();
        if view.step.is_multiple_of(self.window_steps) {
            let window_ms = self.window_steps as f64 * self.dt_ms;
            let rate = self.count as f64 / self.n as f64 / (window_ms / 1000.0);
            self.count = 0;
            if rate > self.limit_hz {
                return Err(RunError::Runaway {
                    phase: self.phase.clone(),
                    rate_hz: rate,
                    limit_hz: self.limit_hz,
                    window_ms,
                    time_ms: view.t_ms,
                });
            }
        }
        Ok(())
    }
}

/// Membrane potential and input currents of chosen neurons, every `every` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRecorder {
    /// The recorded neurons.
    pub neurons: Vec<usize>,
    every: u64,
    /// Sample times (ms).
    pub time_ms: Vec<f64>,
    /// `[sample][neuron]` of v, excitatory, inhibitory, plastic and external input, back to back
    /// per sample: `values[(s * 5 + q) * neurons + k]`.
    pub values: Vec<f64>,
}

impl TraceRecorder {
    /// The names of the five recorded quantities, in storage order.
    pub const QUANTITIES: [&'static str; 5] =
        ["v", "input_exc", "input_inh", "input_plastic", "input_ext"];

    /// Records `neurons` every `every` steps.
    pub fn new(neurons: Vec<usize>, every: u64) -> Self {
        Self {
            neurons,
            every: every.max(1),
            time_ms: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl TraceRecorder {
    /// Saves the recorded times and values under `PREFIX.*`.
    pub fn snapshot(&self, prefix: &str, out: &mut crate::snapshot::StateArrays) {
        out.put(format!("{prefix}.time_ms"), self.time_ms.clone());
        out.put(format!("{prefix}.values"), self.values.clone());
    }

    /// Restores what [`TraceRecorder::snapshot`] saved from a recorder of the same neurons.
    pub fn restore(
        &mut self,
        prefix: &str,
        saved: &crate::snapshot::StateArrays,
    ) -> Result<(), String> {
        self.time_ms = saved.take(&format!("{prefix}.time_ms"), None)?.to_vec();
        let per_time = Self::QUANTITIES.len() * self.neurons.len();
        let values = saved.take(
            &format!("{prefix}.values"),
            Some(self.time_ms.len() * per_time),
        )?;
        self.values = values.to_vec();
        Ok(())
    }
}

impl Monitor for TraceRecorder {
    fn on_step(&mut self, view: &StepView<'_>) -> Control {
        if self.neurons.is_empty() || !view.step.is_multiple_of(self.every) {
            return Ok(());
        }
        self.time_ms.push(view.t_ms);
        for q in [
            view.v,
            view.input_exc,
            view.input_inh,
            view.input_plastic,
            view.input_ext,
        ] {
            self.values.extend(self.neurons.iter().map(|&i| q[i]));
        }
        Ok(())
    }
}
