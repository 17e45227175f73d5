//! Trials on several threads, with the same numbers, bit for bit, as on one.
//!
//! The threads live for the whole trial (`std::thread::scope`): the thread that runs the trial
//! leads, the others work, and they meet at a spinning [`Gate`] twice per step. Thread `k` owns
//! the contiguous block of neurons `bounds[k]..bounds[k+1]` (block edges are multiples of 8) as
//! neurons and as postsynaptic targets. A step:
//!
//! 1. **leader alone** (workers wait at the gate): the inputs' current and Poisson arrivals, and
//!    the step's voltage noise, drawn from the trial's one noise stream in the serial order
//!    (neuron by neuron, non-refractory neurons of noisy populations) into a buffer;
//! 2. **every thread, its block** (gate opened): traces take this step's arrivals, membranes
//!    integrate, the threshold pass resets the neurons that fire and lists them, in neuron
//!    order, in the thread's own spike list. Elementwise, so each neuron's numbers are those of
//!    the serial loop;
//! 3. **every thread, its targets** (after a full crossing): each thread walks every spike list
//!    in thread order, hence every spike of the step in neuron order as the serial loop
//!    delivers them, and adds only the synapses onto its own block
//!    ([`crate::network::StaticSynapses::for_each_run_onto`]). Each target thus sums its inputs
//!    in the serial order, and no two threads write the same queue entry;
//! 4. **leader alone** (after the workers arrive): the spike lists become the step's spikes,
//!    inputs that read spikes see them, monitors observe, the clock advances.
//!
//! Trials that learn, plastic synapses (recurrent, feed-forward or under a pair rule) and voltage
//! jumps stay on the serial loop: [`Simulator::simulation_threads`] gives them one thread.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::gate::{Gate, StopOnDrop};
use super::integrate::{membrane_block, trace, TrialPlan};
use super::membrane::Membrane;
use super::threshold::next_event_block;
use super::{voltage_not_finite, Simulator, Trial};
use crate::error::RunError;
use crate::input::{InputStates, InputStep};
use crate::monitor::{Monitor, StepView};
use crate::network::{Sign, SpikingNetwork};
use crate::neuron::ModelStep;
use crate::rng;

/// A slice shared by the threads of a parallel trial. In each phase of a step, threads write
/// only disjoint ranges of it, or only read it; the gate's crossings separate the phases.
struct Shared<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: a `Shared` is a `&mut [T]` split between threads by the phase rules above.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; concurrent access is to disjoint ranges, or reads only.
unsafe impl<T: Send + Sync> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// Shares `slice`; the caller does not touch it otherwise while this lives.
    fn new(slice: &mut [T]) -> Self {
        Self {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
        }
    }

    /// The elements `range`, to write.
    ///
    /// # Safety
    /// No other reference to an element of `range` exists, on any thread, while the returned
    /// slice lives.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice_mut(&self, range: Range<usize>) -> &mut [T] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (asserted); exclusive by the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }
    }

    /// The elements `range`, to read.
    ///
    /// # Safety
    /// No thread writes an element of `range` while the returned slice lives.
    unsafe fn slice(&self, range: Range<usize>) -> &[T] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (asserted); not written meanwhile by the caller's promise.
        unsafe { std::slice::from_raw_parts(self.ptr.add(range.start), range.len()) }
    }
}

/// The first neuron of a block whose voltage became non-finite, and the voltage.
type Failure = Option<(usize, f64)>;

/// What the threads of one trial share: the network, the plan, the blocks and the state.
struct Parallel<'a> {
    net: &'a SpikingNetwork,
    plan: &'a TrialPlan,
    /// Thread `k` owns neurons `bounds[k]..bounds[k + 1]`.
    bounds: Vec<usize>,
    v: Shared<f64>,
    refractory: Shared<u32>,
    x_exc: Shared<f64>,
    x_inh: Shared<f64>,
    x_plastic: Shared<f64>,
    input_ext: Shared<f64>,
    spiked_prev: Shared<bool>,
    queue_exc: Shared<f64>,
    queue_inh: Shared<f64>,
    /// This step's voltage noise (`noise_per_step · ξ`) of every non-refractory neuron.
    noise: Shared<f64>,
    /// Each thread's spikes of this step, in neuron order.
    spikes: Shared<Vec<u32>>,
    /// Each thread's first non-finite voltage of this step.
    failures: Shared<Failure>,
    /// Offsets of this step's arrival slot and of the slot its spikes go to.
    now: AtomicUsize,
    later: AtomicUsize,
    gate: Gate,
}

/// Steps per measured stretch of [`Pace`] in its current way, and in a try of the other way.
const STRETCH_STEPS: u32 = 128;
const TRY_STEPS: u32 = 16;

/// The most stretches between two tries of the other way.
const MAX_INTERVAL: u32 = 256;

/// Whether the threads of a trial work together or the leader runs the steps alone, chosen by
/// measurement as trials go: stepping together needs every thread on a core at once, and on a
/// machine busier than its cores it is slower than one thread. The numbers are the same either
/// way (every block's work is the same, only who does it changes).
///
/// Steps run in timed stretches (the first step of each untimed): [`STRETCH_STEPS`] in the
/// current way (first: alone), then, every `interval` stretches, [`TRY_STEPS`] the other way.
/// When the try is faster per step it becomes the way (and `interval` returns to 1); otherwise
/// `interval` doubles, up to [`MAX_INTERVAL`], so a way that keeps losing costs little. Only a
/// short try switches ways: stepping together on a busy machine can take a millisecond per step.
/// (Also trying the other way whenever a stretch was slower than its latest try was measured:
/// times per step vary so much on a busy machine that it kept trying, and lost.) A simulator
/// keeps its pace from trial to trial.
#[derive(Debug, Clone)]
pub(super) struct Pace {
    /// The current way: together (`true`) or alone.
    together: bool,
    /// Whether this stretch tries the other way.
    trying: bool,
    /// Latest seconds per step, alone and together.
    per_step: [f64; 2],
    interval: u32,
    stretches_since_try: u32,
    steps_in_stretch: u32,
    stretch_start: std::time::Instant,
}

impl Pace {
    pub(super) fn new() -> Self {
        Self {
            together: false,
            trying: false,
            per_step: [f64::INFINITY; 2],
            interval: 1,
            stretches_since_try: 0,
            steps_in_stretch: 0,
            stretch_start: std::time::Instant::now(),
        }
    }

    /// Starts a stretch afresh (at the start of a trial: the time between trials is not a
    /// step's).
    fn restart(&mut self) {
        self.steps_in_stretch = 0;
        self.stretch_start = std::time::Instant::now();
    }

    /// Whether this step runs on every thread.
    fn together(&self) -> bool {
        self.together != self.trying
    }

    /// Counts a step; at the end of a stretch, records its time per step and chooses the next.
    fn step_done(&mut self) {
        self.steps_in_stretch += 1;
        if self.steps_in_stretch == 1 {
            // The first step of a stretch may wait for sleeping workers: not timed.
            self.stretch_start = std::time::Instant::now();
            return;
        }
        let length = if self.trying {
            TRY_STEPS
        } else {
            STRETCH_STEPS
        };
        if self.steps_in_stretch < length {
            return;
        }
        let way = usize::from(self.together());
        self.per_step[way] = self.stretch_start.elapsed().as_secs_f64() / f64::from(length - 1);
        if self.trying {
            self.trying = false;
            if self.per_step[way] < self.per_step[1 - way] {
                self.together = !self.together;
                self.interval = 1;
            } else {
                self.interval = (self.interval * 2).min(MAX_INTERVAL);
            }
        } else {
            self.stretches_since_try += 1;
            if self.stretches_since_try >= self.interval {
                self.stretches_since_try = 0;
                self.trying = true;
            }
        }
        self.restart();
    }
}

/// The blocks of `threads` threads over `n` neurons: edges at multiples of 8, every block
/// non-empty when `n ≥ 8·threads`.
fn block_bounds(n: usize, threads: usize) -> Vec<usize> {
    (0..=threads)
        .map(|k| {
            if k == threads {
                n
            } else {
                n * k / threads / 8 * 8
            }
        })
        .collect()
}

/// `a ∩ b`, possibly empty.
fn intersect(a: &Range<usize>, b: &Range<usize>) -> Range<usize> {
    a.start.max(b.start)..a.end.min(b.end).max(a.start.max(b.start))
}

impl Simulator {
    /// Threads for the neuron update and the delivery of this trial: one for trials that learn
    /// or change weights, plastic synapses and voltage jumps (the serial loop); otherwise the
    /// count asked for ([`Simulator::threads`]; one when not asked), never more than one block
    /// of 8 neurons per thread.
    pub(super) fn simulation_threads(
        &self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        learns: bool,
    ) -> usize {
        let serial_only = !plan.fast
            || learns
            || !net.plastic.is_empty()
            || !net.projections.is_empty()
            || net.feedforward.is_some();
        if serial_only {
            return 1;
        }
        self.threads.unwrap_or(1).clamp(1, (self.n / 8).max(1))
    }

    /// A trial on `threads` threads (see the module documentation); the same numbers as
    /// [`Simulator::run`]'s serial loop.
    pub(super) fn run_parallel(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        trial: Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
        threads: usize,
    ) -> Result<(), RunError> {
        self.start_trial(net, &trial);
        let mut noise_rng = rng::substream(trial.seed, "noise", trial.index);
        let n = self.n;
        let bounds = block_bounds(n, threads);
        let mut noise = vec![0.0; n];
        let mut spikes: Vec<Vec<u32>> = bounds
            .windows(2)
            .map(|b| Vec::with_capacity(b[1] - b[0]))
            .collect();
        let mut failures: Vec<Failure> = vec![None; threads];
        self.spiked.clear();
        self.spiked.reserve(n);
        let par = Parallel {
            net,
            plan,
            bounds,
            v: Shared::new(&mut self.v),
            refractory: Shared::new(&mut self.refractory),
            x_exc: Shared::new(&mut self.x_exc),
            x_inh: Shared::new(&mut self.x_inh),
            x_plastic: Shared::new(&mut self.x_plastic),
            input_ext: Shared::new(&mut self.input_ext),
            spiked_prev: Shared::new(&mut self.spiked_prev),
            queue_exc: Shared::new(&mut self.queue_exc),
            queue_inh: Shared::new(&mut self.queue_inh),
            noise: Shared::new(&mut noise),
            spikes: Shared::new(&mut spikes),
            failures: Shared::new(&mut failures),
            now: AtomicUsize::new(0),
            later: AtomicUsize::new(0),
            gate: Gate::new(threads - 1),
        };
        // From here to the end of the scope, the fields shared above are reached only through
        // `par`; the leader keeps the inputs, the step's spikes and the clock.
        let lead = Lead {
            inputs: &mut self.inputs,
            spiked: &mut self.spiked,
            clock: &mut self.clock,
            noise_rng: &mut noise_rng,
            pace: &mut self.pace,
        };
        std::thread::scope(|s| {
            for k in 1..threads {
                let par = &par;
                s.spawn(move || par.work(k));
            }
            let _stop = StopOnDrop(&par.gate);
            par.lead(lead, &trial, monitors)
        })
    }
}

/// What only the leader touches.
struct Lead<'a> {
    inputs: &'a mut InputStates,
    spiked: &'a mut Vec<u32>,
    clock: &'a mut u64,
    noise_rng: &'a mut rng::Rng,
    pace: &'a mut Pace,
}

impl Parallel<'_> {
    fn n(&self) -> usize {
        self.v.len
    }

    fn block(&self, k: usize) -> Range<usize> {
        self.bounds[k]..self.bounds[k + 1]
    }

    /// A worker's loop: its block's neuron update, then its targets' delivery, every step until
    /// the leader stops the gate.
    fn work(&self, k: usize) {
        let _stop = StopOnDrop(&self.gate);
        while self.gate.wait() {
            // SAFETY: phase 2, block `k` only (module documentation).
            unsafe { self.update_block(k, self.now.load(Ordering::Relaxed)) };
            if !self.gate.wait() {
                break;
            }
            // SAFETY: phase 3, targets in block `k` only.
            unsafe { self.deliver_onto_block(k, self.later.load(Ordering::Relaxed)) };
        }
    }

    /// The leader's loop over the steps of the trial, block 0 its share of the work.
    fn lead(
        &self,
        mut lead: Lead<'_>,
        trial: &Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        let n = self.n();
        let (slots, delay) = (self.plan.slots, self.plan.delay_steps);
        if !self.gate.collect() {
            return Ok(()); // a worker panicked; the scope passes the panic on
        }
        lead.pace.restart();
        for step in 1..=trial.steps {
            let now = (*lead.clock % slots) as usize * n;
            let later = ((*lead.clock + delay) % slots) as usize * n;
            // SAFETY: phase 1, the workers wait at the gate.
            unsafe { self.inputs_and_noise(lead.inputs, lead.noise_rng, step, trial, now) };
            if lead.pace.together() {
                if !self.together(now, later) {
                    return Ok(());
                }
            } else {
                // SAFETY: the workers wait at the gate; the leader does every block's phases 2
                // and 3, in the same order.
                unsafe { self.alone(now, later) };
            }
            lead.pace.step_done();
            // SAFETY: phase 4, the workers wait at the gate.
            unsafe { self.end_step(&mut lead, step, trial, monitors)? };
            *lead.clock += 1;
        }
        Ok(())
    }

    /// Phase 4 of a step, on the leading thread: a worker's failure becomes the run's error;
    /// the step's spikes in neuron order go to the inputs that read them and to the monitors.
    ///
    /// # Safety
    /// The workers wait at the gate (phase 4), so the leader may read every block.
    unsafe fn end_step(
        &self,
        lead: &mut Lead<'_>,
        step: u64,
        trial: &Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        let n = self.n();
        let t_ms = step as f64 * self.net.dt_ms;
        // SAFETY: phase 4 (the caller's contract).
        unsafe {
            if let Some((i, v)) = self
                .failures
                .slice(0..self.bounds.len() - 1)
                .iter()
                .flatten()
                .next()
            {
                return Err(voltage_not_finite(*i, step, t_ms, trial.phase, *v));
            }
            lead.spiked.clear();
            for list in self.spikes.slice(0..self.bounds.len() - 1) {
                lead.spiked.extend_from_slice(list);
            }
            let at = InputStep {
                step,
                condition: trial.condition,
            };
            lead.inputs.after_spikes(&self.net.inputs, at, lead.spiked);
            let view = StepView {
                step,
                t_ms,
                spiked: lead.spiked,
                v: self.v.slice(0..n),
                input_exc: self.x_exc.slice(0..n),
                input_inh: self.x_inh.slice(0..n),
                input_plastic: self.x_plastic.slice(0..n),
                input_ext: self.input_ext.slice(0..n),
            };
            for m in monitors.iter_mut() {
                m.on_step(&view)?;
            }
        }
        Ok(())
    }

    /// Phases 2 and 3 of a step on every thread; `false` when a worker panicked.
    fn together(&self, now: usize, later: usize) -> bool {
        self.now.store(now, Ordering::Relaxed);
        self.later.store(later, Ordering::Relaxed);
        self.gate.open();
        // SAFETY: phase 2, block 0.
        unsafe { self.update_block(0, now) };
        if !self.gate.collect() {
            return false;
        }
        self.gate.open();
        // SAFETY: phase 3, targets in block 0.
        unsafe { self.deliver_onto_block(0, later) };
        self.gate.collect()
    }

    /// Phases 2 and 3 of a step on the leader alone: every block in turn, the same work and
    /// numbers as [`Parallel::together`].
    ///
    /// # Safety
    /// The workers wait at the gate.
    unsafe fn alone(&self, now: usize, later: usize) {
        let blocks = self.bounds.len() - 1;
        // SAFETY: only the leader runs (the caller's promise).
        unsafe {
            for k in 0..blocks {
                self.update_block(k, now);
            }
            for k in 0..blocks {
                self.deliver_onto_block(k, later);
            }
        }
    }

    /// Phase 1: the inputs' current and excitatory arrivals, then this step's noise, drawn in
    /// the serial loop's order: population by population, neuron by neuron, every neuron of a
    /// noisy population that is not refractory.
    ///
    /// # Safety
    /// The workers wait at the gate.
    unsafe fn inputs_and_noise(
        &self,
        inputs: &mut InputStates,
        noise_rng: &mut rng::Rng,
        step: u64,
        trial: &Trial<'_>,
        now: usize,
    ) {
        let n = self.n();
        // SAFETY: only the leader runs (the caller's promise).
        unsafe {
            inputs.step(
                &self.net.inputs,
                InputStep {
                    step,
                    condition: trial.condition,
                },
                self.input_ext.slice_mut(0..n),
                self.queue_exc.slice_mut(now..now + n),
            );
            for (p, range) in self.plan.ranges.iter().enumerate() {
                let common = *self.plan.steps[p].model.common();
                if common.noise_per_step == 0.0 {
                    continue;
                }
                let refractory = self.refractory.slice(range.clone());
                let noise = self.noise.slice_mut(range.clone());
                for (xi, &r) in noise.iter_mut().zip(refractory) {
                    if r == 0 {
                        *xi = common.draw_noise(noise_rng);
                    }
                }
            }
        }
    }

    /// Phase 2 for block `k`, compiled for AVX2 when the CPU has it (the same operations).
    ///
    /// # Safety
    /// Phase 2: every thread updates only its own block.
    unsafe fn update_block(&self, k: usize, now: usize) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2; the phase rule is the caller's promise.
            unsafe { self.update_block_avx2(k, now) };
            return;
        }
        // SAFETY: the caller's promise.
        unsafe { self.update_block_generic(k, now) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn update_block_avx2(&self, k: usize, now: usize) {
        // SAFETY: the caller's promise.
        unsafe { self.update_block_generic(k, now) }
    }

    /// Traces, membranes and threshold of block `k`, population part by population part.
    ///
    /// # Safety
    /// Phase 2: every thread updates only its own block.
    #[inline(always)]
    unsafe fn update_block_generic(&self, k: usize, now: usize) {
        let block = self.block(k);
        let [de, di, _] = self.plan.decays;
        let [te, ti, _] = self.plan.arrival;
        let queued = now + block.start..now + block.end;
        // SAFETY: block `k` of every per-neuron array and of this step's arrival slot belongs
        // to this thread in phase 2; each slice lives only for its statement.
        unsafe {
            trace(
                self.x_exc.slice_mut(block.clone()),
                self.queue_exc.slice_mut(queued.clone()),
                de,
                te,
            );
            trace(
                self.x_inh.slice_mut(block.clone()),
                self.queue_inh.slice_mut(queued),
                di,
                ti,
            );
            self.spiked_prev.slice_mut(block.clone()).fill(false);
            let spikes = &mut self.spikes.slice_mut(k..k + 1)[0];
            let failure = &mut self.failures.slice_mut(k..k + 1)[0];
            spikes.clear();
            *failure = None;
            for (p, range) in self.plan.ranges.iter().enumerate() {
                let part = intersect(range, &block);
                if part.is_empty() {
                    continue;
                }
                *failure = match self.plan.steps[p].model {
                    ModelStep::Lif(m) => self.update_part(m, part, spikes),
                    ModelStep::Eif(m) => self.update_part(m, part, spikes),
                };
                if failure.is_some() {
                    return;
                }
            }
        }
    }

    /// Membranes and threshold of the neurons `part` of one population (as the serial
    /// `membranes` and `threshold`); spikes are appended to `spikes`; the first non-finite
    /// voltage stops the pass.
    ///
    /// # Safety
    /// `part` lies in this thread's block, in phase 2.
    #[inline(always)]
    unsafe fn update_part<M: Membrane>(
        &self,
        m: M,
        part: Range<usize>,
        spikes: &mut Vec<u32>,
    ) -> Failure {
        // SAFETY: `part` belongs to this thread in phase 2 (the caller's promise).
        let (v, refractory, spiked_prev, inputs, noise) = unsafe {
            (
                self.v.slice_mut(part.clone()),
                self.refractory.slice_mut(part.clone()),
                self.spiked_prev.slice_mut(part.clone()),
                [
                    self.input_ext.slice(part.clone()),
                    self.x_exc.slice(part.clone()),
                    self.x_inh.slice(part.clone()),
                    self.x_plastic.slice(part.clone()),
                ],
                self.noise.slice(part.clone()),
            )
        };
        membrane_block(m, v, refractory, inputs, |k| noise[k]);
        let common = *m.common();
        let mut start = 0;
        while start < v.len() {
            let block = if M::STRICT {
                next_event_block::<true>(v, start, common.threshold)
            } else {
                next_event_block::<false>(v, start, common.threshold)
            };
            if block >= v.len() {
                break;
            }
            let end = (block + 8).min(v.len());
            for i in block..end {
                let x = v[i];
                if m.fires(x) {
                    v[i] = common.reset;
                    refractory[i] = common.refractory_steps;
                    spiked_prev[i] = true;
                    spikes.push((part.start + i) as u32);
                } else if !x.is_finite() {
                    return Some((part.start + i, x));
                }
            }
            start = end;
        }
        None
    }

    /// Phase 3 for the targets in block `k`: every spike of the step, in neuron order, adds
    /// its static synapses onto the block to the arrival slot `later` (E or I queue by the
    /// presynaptic population's sign).
    ///
    /// # Safety
    /// Phase 3: every thread writes only its own block of the queues; spike lists are read only.
    unsafe fn deliver_onto_block(&self, k: usize, later: usize) {
        let block = self.block(k);
        let onto = block.start as u32..block.end as u32;
        let net = self.net;
        // SAFETY: the queues' block `k` of slot `later` belongs to this thread in phase 3; no
        // thread writes a spike list in phase 3.
        let (queue_exc, queue_inh, lists) = unsafe {
            (
                self.queue_exc
                    .slice_mut(later + block.start..later + block.end),
                self.queue_inh
                    .slice_mut(later + block.start..later + block.end),
                self.spikes.slice(0..self.bounds.len() - 1),
            )
        };
        for &i in lists.iter().flatten() {
            let i = i as usize;
            let queue = if net.populations[net.population_of[i]].sign == Sign::Excitatory {
                &mut *queue_exc
            } else {
                &mut *queue_inh
            };
            net.static_synapses
                .for_each_run_onto(i, onto.clone(), |targets, w| {
                    for &t in targets {
                        queue[(t - onto.start) as usize] += w;
                    }
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks cover `0..n` in order, start at multiples of 8 and are never empty.
    #[test]
    fn blocks_cover_the_neurons_in_order() {
        for n in [8, 9, 16, 17, 24, 100, 600, 5000] {
            for threads in 1..=(n / 8).min(5) {
                let b = block_bounds(n, threads);
                assert_eq!((b[0], b[threads]), (0, n));
                assert!(b.windows(2).all(|w| w[0] < w[1] && w[0] % 8 == 0), "{b:?}");
            }
        }
    }
}
