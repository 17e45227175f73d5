//! The one time loop of spiking networks. The order of work inside a step is written here once:
//!
//! 1. **learn** — on a learning step, every trained neuron's RLS update, from the state at the
//!    end of the previous step (parallel over neurons; each neuron's update is independent);
//! 2. **integrate** — for every neuron: the synaptic traces take the input that arrives now
//!    (spikes of `delay` steps ago), its own trace `r` takes its spike of the previous step, the
//!    membrane integrates bias + cue + Poisson drive + synaptic input (+ noise); a neuron above
//!    threshold spikes, resets, and its spike is queued for its targets;
//! 3. **feed-forward** — the feed-forward units' traces take their previous spikes, and each unit
//!    spikes with its current probability, queueing input for the trained neurons;
//! 4. **observe** — monitors and guards see the step; any of them can stop the run;
//! 5. **advance** — the step counter moves on.
//!
//! Traces use forward Euler by default, `x ← x − dt·x/τ + F/τ` (the reference's form), or the
//! exact decay `x ← x e^{−dt/τ} + F/τ`. Spike delivery is delayed by `delay_steps` (one step in
//! the reference: spikes of step `n` reach the traces at step `n + 1`). Delivery queues are not
//! cleared between trials unless asked, so the last step's spikes of one trial arrive at step 1
//! of the next, as in the reference (`rls-training.md` §6, quirk 6).

use rand::Rng as _;
use rand_distr::{Distribution, Poisson, StandardNormal};

use crate::error::RunError;
use crate::monitor::{Monitor, StepView};
use crate::network::SpikingNetwork;
use crate::neuron::lif::LifStep;
use crate::rng;
use crate::train::{apply_gain, dot, LearningSchedule};

/// Learning during a trial.
#[derive(Debug, Clone, Copy)]
pub struct Learning<'a> {
    /// When updates happen.
    pub schedule: LearningSchedule,
    /// Targets of this trial's condition: `targets[row * n_updates + k]` is row `row`'s target
    /// at its `k`-th update (0-based).
    pub targets: &'a [f64],
    /// Updates per trial.
    pub n_updates: usize,
}

/// How a trial holds the network: exclusively when it learns, shared when it does not.
enum Access<'a> {
    Learning(&'a mut SpikingNetwork),
    Frozen(&'a SpikingNetwork),
}

impl Access<'_> {
    fn net(&self) -> &SpikingNetwork {
        match self {
            Access::Learning(net) => net,
            Access::Frozen(net) => net,
        }
    }
}

/// One trial to simulate.
#[derive(Debug, Clone, Copy)]
pub struct Trial<'a> {
    /// Steps to simulate (`n = 1..=steps`).
    pub steps: u64,
    /// Condition index (selects cue amplitudes, feed-forward rates and weights).
    pub condition: usize,
    /// Learning, or `None` for frozen weights.
    pub learning: Option<Learning<'a>>,
    /// Seed of this trial's random streams (initial voltages, noise, Poisson spikes).
    pub seed: u64,
    /// Index of the trial, selecting its random sub-streams.
    pub index: u64,
    /// Name of the phase, for messages.
    pub phase: &'a str,
}

/// What a simulator carries from one trial to the next: spikes in transit and the clock.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorState {
    /// Absolute step counter.
    pub clock: u64,
    /// Delivery queues (excitatory, inhibitory, plastic), back to back.
    pub queues: Vec<f64>,
    /// Neurons that spiked in the last step (0/1).
    pub spiked_prev: Vec<f64>,
    /// Feed-forward units that spiked in the last step (0/1).
    pub ff_spiked_prev: Vec<f64>,
}

thread_local! {
    /// Each thread's inputs `ρ` and gain for one row's RLS update, kept across updates so that
    /// learning does not allocate inside the time loop.
    static LEARN_SCRATCH: std::cell::RefCell<(Vec<f64>, Vec<f64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// The state of a spiking network between steps, and the scratch space of the loop.
#[derive(Debug, Clone)]
pub struct Simulator {
    n: usize,
    v: Vec<f64>,
    refractory: Vec<u32>,
    /// Ornstein-Uhlenbeck current of each neuron (0 where its population has none).
    ou: Vec<f64>,
    x_exc: Vec<f64>,
    x_inh: Vec<f64>,
    x_plastic: Vec<f64>,
    /// Own filtered spike train of every neuron (the presynaptic trace of plastic synapses).
    r: Vec<f64>,
    spiked_prev: Vec<bool>,
    /// Delivery queues: `queue_*[slot * n + i]`, slot = arrival step mod (delay + 1).
    queue_exc: Vec<f64>,
    queue_inh: Vec<f64>,
    queue_plastic: Vec<f64>,
    /// Feed-forward traces and previous spikes.
    s: Vec<f64>,
    ff_spiked_prev: Vec<bool>,
    /// Absolute step counter across trials (indexes the delivery queues).
    clock: u64,
    // Per-step views for monitors.
    input_exc: Vec<f64>,
    input_inh: Vec<f64>,
    input_ext: Vec<f64>,
    spiked: Vec<u32>,
    /// Reset delivery queues at the start of each trial (the reference carries them over).
    pub reset_queues: bool,
    /// Take the vectorised path where the network allows it (always, except in the test that
    /// checks it against the general loop).
    vectorised: bool,
}

/// The outcome of a membrane potential that became NaN or infinite.
fn voltage_not_finite(neuron: usize, step: u64, time_ms: f64, phase: &str, value: f64) -> RunError {
    RunError::NonFinite {
        quantity: "membrane potential",
        neuron,
        step,
        time_ms,
        phase: phase.to_string(),
        value,
    }
}

/// The start of the first block of 8 neurons (`start`, `start + 8`, ...; the last one may be
/// shorter) holding a voltage that fails `v is finite and v <= threshold` (a spike, or a
/// non-finite value), or `v.len()` if none does. Compiled for AVX2 when the CPU has it; the
/// comparisons are exact either way.
fn next_event_block(v: &[f64], start: usize, threshold: f64) -> usize {
    #[inline(always)]
    fn scan(v: &[f64], start: usize, threshold: f64) -> usize {
        let mut b = start;
        while b < v.len() {
            let end = (b + 8).min(v.len());
            if v[b..end]
                .iter()
                .fold(false, |a, &x| a | !(x.is_finite() && x <= threshold))
            {
                return b;
            }
            b = end;
        }
        v.len()
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn scan_avx2(v: &[f64], start: usize, threshold: f64) -> usize {
            scan(v, start, threshold)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { scan_avx2(v, start, threshold) };
        }
    }
    scan(v, start, threshold)
}

/// What the vectorised step needs of a trial: per-population constants, the populations'
/// neuron ranges and the trace decays (excitatory, inhibitory, plastic).
#[derive(Clone, Copy)]
struct TrialConstants<'a> {
    steps: &'a [PopulationStep],
    ranges: &'a [std::ops::Range<usize>],
    decays: [f64; 3],
}

/// Per-population constants of the loop.
struct PopulationStep {
    lif: LifStep,
    bias: f64,
    poisson: Option<(Poisson<f64>, f64)>,
    tau_m_over_dt: f64,
    /// Ornstein-Uhlenbeck current: (mean, dt/τ, σ√dt).
    ou: Option<(f64, f64, f64)>,
}

impl Simulator {
    /// A simulator for `net`, all state zero.
    pub fn new(net: &SpikingNetwork) -> Self {
        let n = net.n_neurons();
        let slots = net.delay_steps + 1;
        let n_ff = net.feedforward.as_ref().map_or(0, |f| f.n_units);
        Self {
            n,
            v: vec![0.0; n],
            refractory: vec![0; n],
            ou: vec![0.0; n],
            x_exc: vec![0.0; n],
            x_inh: vec![0.0; n],
            x_plastic: vec![0.0; n],
            r: vec![0.0; n],
            spiked_prev: vec![false; n],
            queue_exc: vec![0.0; slots * n],
            queue_inh: vec![0.0; slots * n],
            queue_plastic: vec![0.0; slots * n],
            s: vec![0.0; n_ff],
            ff_spiked_prev: vec![false; n_ff],
            clock: 0,
            input_exc: vec![0.0; n],
            input_inh: vec![0.0; n],
            input_ext: vec![0.0; n],
            spiked: Vec::new(),
            reset_queues: false,
            vectorised: true,
        }
    }

    /// The state carried between trials.
    pub fn state(&self) -> SimulatorState {
        let flag = |v: &[bool]| v.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
        SimulatorState {
            clock: self.clock,
            queues: [&self.queue_exc, &self.queue_inh, &self.queue_plastic]
                .iter()
                .flat_map(|q| q.iter().copied())
                .collect(),
            spiked_prev: flag(&self.spiked_prev),
            ff_spiked_prev: flag(&self.ff_spiked_prev),
        }
    }

    /// Restores a state saved by [`Simulator::state`] of a simulator of the same network.
    pub fn restore(&mut self, state: &SimulatorState) -> Result<(), String> {
        let q = self.queue_exc.len();
        if state.queues.len() != 3 * q
            || state.spiked_prev.len() != self.spiked_prev.len()
            || state.ff_spiked_prev.len() != self.ff_spiked_prev.len()
        {
            return Err("the saved simulator state has other sizes than this network".into());
        }
        self.clock = state.clock;
        self.queue_exc.copy_from_slice(&state.queues[..q]);
        self.queue_inh.copy_from_slice(&state.queues[q..2 * q]);
        self.queue_plastic.copy_from_slice(&state.queues[2 * q..]);
        for (a, b) in self.spiked_prev.iter_mut().zip(&state.spiked_prev) {
            *a = *b != 0.0;
        }
        for (a, b) in self.ff_spiked_prev.iter_mut().zip(&state.ff_spiked_prev) {
            *a = *b != 0.0;
        }
        Ok(())
    }

    /// Membrane potentials.
    pub fn voltages(&self) -> &[f64] {
        &self.v
    }

    /// Simulates one trial from a fresh state (`v ~ U(v_min, v_max)` per population; traces,
    /// refractory counters and own traces zero), learning if asked.
    pub fn run_trial(
        &mut self,
        net: &mut SpikingNetwork,
        trial: Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        self.run(Access::Learning(net), trial, monitors)
    }

    /// Simulates one trial of a network whose weights stay as they are (a test trial), so that
    /// several such trials can share the network, each with its own simulator.
    pub fn run_frozen_trial(
        &mut self,
        net: &SpikingNetwork,
        trial: Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        if trial.learning.is_some() {
            return Err(RunError::Invalid(format!(
                "{}: a frozen trial cannot learn",
                trial.phase
            )));
        }
        self.run(Access::Frozen(net), trial, monitors)
    }

    fn run(
        &mut self,
        mut access: Access<'_>,
        trial: Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        let net = access.net();
        let n = self.n;
        let dt = net.dt_ms;
        let mut init_rng = rng::substream(trial.seed, "initial-voltage", trial.index);
        let mut noise_rng = rng::substream(trial.seed, "noise", trial.index);
        let mut ff_rng = rng::substream(trial.seed, "feedforward-spikes", trial.index);
        let steps: Vec<PopulationStep> = net
            .populations
            .iter()
            .map(|p| PopulationStep {
                lif: LifStep::new(&p.neuron, dt, net.integration),
                bias: p.bias,
                poisson: p.poisson.as_ref().and_then(|d| {
                    let lambda = d.inputs as f64 * d.rate_hz * dt / 1000.0;
                    Poisson::new(lambda).ok().map(|dist| (dist, d.weight))
                }),
                tau_m_over_dt: p.neuron.tau_membrane_ms / dt,
                ou: p
                    .ou_current
                    .map(|o| (o.mean, dt / o.tau_ms, o.sigma * dt.sqrt())),
            })
            .collect();
        for (i, ou) in self.ou.iter_mut().enumerate() {
            *ou = steps[net.population_of[i]]
                .ou
                .map_or(0.0, |(mean, _, _)| mean);
        }
        for (i, v) in self.v.iter_mut().enumerate() {
            let p = &net.populations[net.population_of[i]].neuron;
            *v = p.initial_v_min + (p.initial_v_max - p.initial_v_min) * init_rng.random::<f64>();
        }
        for x in [
            &mut self.x_exc,
            &mut self.x_inh,
            &mut self.x_plastic,
            &mut self.r,
            &mut self.s,
        ] {
            x.iter_mut().for_each(|a| *a = 0.0);
        }
        self.refractory.iter_mut().for_each(|a| *a = 0);
        if self.reset_queues {
            for q in [
                &mut self.queue_exc,
                &mut self.queue_inh,
                &mut self.queue_plastic,
            ] {
                q.iter_mut().for_each(|a| *a = 0.0);
            }
            self.spiked_prev.iter_mut().for_each(|a| *a = false);
            self.ff_spiked_prev.iter_mut().for_each(|a| *a = false);
        }
        let decay = |tau: f64| net.integration.trace_decay(dt, tau);
        let (decay_e, decay_i, decay_p) = (
            decay(net.tau_exc_ms),
            decay(net.tau_inh_ms),
            decay(net.tau_plastic_ms),
        );
        let decays = [decay_e, decay_i, decay_p];
        let delay_steps = net.delay_steps as u64;
        let slots = delay_steps + 1;
        let c = trial.condition;
        let ranges = net.ranges();
        // The common case (filtered synapses, no Poisson drive or OU current) takes a
        // vectorised path with the same arithmetic and the same order of noise draws.
        let fast = self.vectorised
            && net.tau_exc_ms > 0.0
            && net.tau_inh_ms > 0.0
            && steps.iter().all(|p| p.poisson.is_none() && p.ou.is_none());

        for step in 1..=trial.steps {
            let t_ms = step as f64 * dt;
            let now = (self.clock % slots) as usize * n;
            let later = ((self.clock + delay_steps) % slots) as usize * n;

            // 1. learn
            if let (Some(learning), Access::Learning(net)) = (trial.learning, &mut access) {
                if learning.schedule.is_learning_step(step) {
                    let k = learning.schedule.update_index(step) as usize - 1;
                    self.learn(net, c, |row| learning.targets[row * learning.n_updates + k]);
                }
            }
            let net = access.net();

            // 2. integrate
            self.spiked.clear();
            let cue = net
                .cue
                .as_ref()
                .filter(|cue| cue.is_on(step))
                .map(|cue| &cue.amplitude[c]);
            if fast {
                self.integrate_fast(
                    net,
                    TrialConstants {
                        steps: &steps,
                        ranges: &ranges,
                        decays,
                    },
                    now,
                    cue,
                    &mut noise_rng,
                );
                self.spiked_prev.iter_mut().for_each(|s| *s = false);
                for (p, range) in ranges.iter().enumerate() {
                    let threshold = steps[p].lif.threshold;
                    let reset = steps[p].lif.reset;
                    // Scan 8 neurons at a time for a spike or a non-finite voltage (either fails
                    // `v is finite and v <= threshold`); only then look at them one by one.
                    let mut start = range.start;
                    while start < range.end {
                        let block = next_event_block(&self.v[..range.end], start, threshold);
                        if block >= range.end {
                            break;
                        }
                        let end = (block + 8).min(range.end);
                        for i in block..end {
                            let v = self.v[i];
                            if v > threshold {
                                self.v[i] = reset;
                                self.refractory[i] = steps[p].lif.refractory_steps;
                                self.spiked_prev[i] = true;
                                self.spiked.push(i as u32);
                                self.deliver(net, i, later);
                            } else if !v.is_finite() {
                                return Err(voltage_not_finite(i, step, t_ms, trial.phase, v));
                            }
                        }
                        start = end;
                    }
                }
            } else {
                for i in 0..n {
                    let pop = &steps[net.population_of[i]];
                    let mut f_exc = std::mem::take(&mut self.queue_exc[now + i]);
                    let f_inh = std::mem::take(&mut self.queue_inh[now + i]);
                    let f_pl = std::mem::take(&mut self.queue_plastic[now + i]);
                    let mut ext = pop.bias;
                    if let Some(cue) = cue {
                        ext += cue[i];
                    }
                    if let Some((mean, rate, noise)) = pop.ou {
                        let xi: f64 = noise_rng.sample(StandardNormal);
                        self.ou[i] += rate * (mean - self.ou[i]) + noise * xi;
                        ext += self.ou[i];
                    }
                    if let Some((dist, w)) = &pop.poisson {
                        f_exc += w * dist.sample(&mut noise_rng);
                    }
                    let mut jump = 0.0;
                    if net.tau_exc_ms > 0.0 {
                        self.x_exc[i] = self.x_exc[i] * decay_e + f_exc / net.tau_exc_ms;
                        self.input_exc[i] = self.x_exc[i];
                    } else {
                        jump += f_exc;
                        self.input_exc[i] = f_exc * pop.tau_m_over_dt;
                    }
                    if net.tau_inh_ms > 0.0 {
                        self.x_inh[i] = self.x_inh[i] * decay_i + f_inh / net.tau_inh_ms;
                        self.input_inh[i] = self.x_inh[i];
                    } else {
                        jump += f_inh;
                        self.input_inh[i] = f_inh * pop.tau_m_over_dt;
                    }
                    self.x_plastic[i] = self.x_plastic[i] * decay_p + f_pl / net.tau_plastic_ms;
                    let own = if self.spiked_prev[i] { 1.0 } else { 0.0 };
                    self.r[i] = self.r[i] * decay_p + own / net.tau_plastic_ms;
                    self.input_ext[i] = ext;
                    if self.refractory[i] > 0 {
                        self.refractory[i] -= 1;
                        self.v[i] = pop.lif.reset;
                        self.spiked_prev[i] = false;
                        continue;
                    }
                    let noise = pop.lif.draw_noise(&mut noise_rng);
                    let input = ext + self.x_exc[i] + self.x_inh[i] + self.x_plastic[i];
                    let v = pop.lif.integrate(self.v[i], input, noise) + jump;
                    if !v.is_finite() {
                        return Err(voltage_not_finite(i, step, t_ms, trial.phase, v));
                    }
                    if v > pop.lif.threshold {
                        self.v[i] = pop.lif.reset;
                        self.refractory[i] = pop.lif.refractory_steps;
                        self.spiked.push(i as u32);
                        self.spiked_prev[i] = true;
                        self.deliver(net, i, later);
                    } else {
                        self.v[i] = v;
                        self.spiked_prev[i] = false;
                    }
                }
            }

            // 3. feed-forward
            if let Some(ff) = net.feedforward.as_ref().filter(|ff| ff.is_on(step)) {
                let m = (step - ff.start_step - 1) as usize;
                let p = &ff.probability[c][m * ff.n_units..(m + 1) * ff.n_units];
                let queue = &mut self.queue_plastic[later..later + n];
                for (k, (&p_k, (s_k, prev_k))) in p
                    .iter()
                    .zip(self.s.iter_mut().zip(self.ff_spiked_prev.iter_mut()))
                    .enumerate()
                {
                    let own = if *prev_k { 1.0 } else { 0.0 };
                    *s_k = *s_k * decay_p + own / net.tau_plastic_ms;
                    let fires = ff_rng.random::<f64>() < f64::from(p_k);
                    *prev_k = fires;
                    if fires {
                        let (neurons, weights) = net.plastic.feedforward_targets(c, k);
                        for (&i, &w) in neurons.iter().zip(weights) {
                            queue[i as usize] += w;
                        }
                    }
                }
            }

            // 4. observe
            let view = StepView {
                step,
                t_ms,
                spiked: &self.spiked,
                v: &self.v,
                input_exc: if fast { &self.x_exc } else { &self.input_exc },
                input_inh: if fast { &self.x_inh } else { &self.input_inh },
                input_plastic: &self.x_plastic,
                input_ext: &self.input_ext,
            };
            for m in monitors.iter_mut() {
                m.on_step(&view)?;
            }

            // 5. advance
            self.clock += 1;
        }
        Ok(())
    }

    /// Queues the static and plastic outputs of neuron `i`'s spike for arrival slot `later`.
    #[inline]
    fn deliver(&mut self, net: &SpikingNetwork, i: usize, later: usize) {
        let n = self.n;
        let exc = net.populations[net.population_of[i]].sign == crate::network::Sign::Excitatory;
        let queue = if exc {
            &mut self.queue_exc
        } else {
            &mut self.queue_inh
        };
        let queue = &mut queue[later..later + n];
        net.static_synapses.for_each_run(i, |targets, w| {
            for &t in targets {
                queue[t as usize] += w;
            }
        });
        let (neurons, positions) = net.plastic.outgoing(i);
        let weights = net.plastic.weights();
        let queue = &mut self.queue_plastic[later..later + n];
        for (&post, &k) in neurons.iter().zip(positions) {
            queue[post as usize] += weights[k as usize];
        }
    }

    /// Traces and membranes of every neuron for the common case, population by population, in
    /// simple loops the compiler vectorises; the same operations as the general loop, so the
    /// results are identical.
    fn integrate_fast(
        &mut self,
        net: &SpikingNetwork,
        constants: TrialConstants<'_>,
        now: usize,
        cue: Option<&Vec<f64>>,
        noise_rng: &mut rng::Rng,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.integrate_fast_avx2(net, constants, now, cue, noise_rng) };
            return;
        }
        self.integrate_fast_generic(net, constants, now, cue, noise_rng);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn integrate_fast_avx2(
        &mut self,
        net: &SpikingNetwork,
        constants: TrialConstants<'_>,
        now: usize,
        cue: Option<&Vec<f64>>,
        noise_rng: &mut rng::Rng,
    ) {
        self.integrate_fast_generic(net, constants, now, cue, noise_rng);
    }

    #[inline(always)]
    fn integrate_fast_generic(
        &mut self,
        net: &SpikingNetwork,
        constants: TrialConstants<'_>,
        now: usize,
        cue: Option<&Vec<f64>>,
        noise_rng: &mut rng::Rng,
    ) {
        let TrialConstants {
            steps,
            ranges,
            decays,
        } = constants;
        let n = self.n;
        let (te, ti, tp) = (net.tau_exc_ms, net.tau_inh_ms, net.tau_plastic_ms);
        let [de, di, dp] = decays;
        /// x ← x·d + F/τ, then F ← 0.
        #[inline(always)]
        fn trace(x: &mut [f64], q: &mut [f64], d: f64, tau: f64) {
            for (x, q) in x.iter_mut().zip(q.iter_mut()) {
                *x = *x * d + *q / tau;
                *q = 0.0;
            }
        }
        trace(&mut self.x_exc, &mut self.queue_exc[now..now + n], de, te);
        trace(&mut self.x_inh, &mut self.queue_inh[now..now + n], di, ti);
        // Without plastic synapses nothing reaches the plastic queue and nothing reads the
        // presynaptic traces `r`: both stay at the 0 they start every trial with.
        if !net.plastic.is_empty() {
            trace(
                &mut self.x_plastic,
                &mut self.queue_plastic[now..now + n],
                dp,
                tp,
            );
            for (r, &sp) in self.r.iter_mut().zip(&self.spiked_prev) {
                let own = if sp { 1.0 } else { 0.0 };
                *r = *r * dp + own / tp;
            }
        }
        for (p, range) in ranges.iter().enumerate() {
            let pop = &steps[p];
            let (alpha, v_rest, bias) = (pop.lif.alpha, pop.lif.v_rest, pop.bias);
            let ext = &mut self.input_ext[range.clone()];
            match cue {
                Some(c) => {
                    for (e, c) in ext.iter_mut().zip(&c[range.clone()]) {
                        *e = bias + c;
                    }
                }
                None => ext.iter_mut().for_each(|e| *e = bias),
            }
            let v = &mut self.v[range.clone()];
            let (xe, xi, xp) = (
                &self.x_exc[range.clone()],
                &self.x_inh[range.clone()],
                &self.x_plastic[range.clone()],
            );
            if pop.lif.noise_per_step == 0.0 && pop.lif.refractory_steps == 0 {
                for k in 0..v.len() {
                    let input = ext[k] + xe[k] + xi[k] + xp[k];
                    v[k] += alpha * (v_rest + input - v[k]);
                }
            } else {
                // As the general loop: a refractory neuron is held at reset and draws no noise;
                // the others draw theirs in neuron order.
                let refractory = &mut self.refractory[range.clone()];
                for k in 0..v.len() {
                    if refractory[k] > 0 {
                        refractory[k] -= 1;
                        v[k] = pop.lif.reset;
                        continue;
                    }
                    let noise = pop.lif.draw_noise(noise_rng);
                    let input = ext[k] + xe[k] + xi[k] + xp[k];
                    v[k] = pop.lif.integrate(v[k], input, noise);
                }
            }
        }
    }

    /// One RLS update of every trained neuron (`rls-training.md` §3.7), in parallel. The error
    /// uses the virtual plastic input `w·r + w_ff·s` with the current weights, plus the known
    /// offset (static input `x_E + x_I` and bias), minus the target.
    fn learn(
        &mut self,
        net: &mut SpikingNetwork,
        condition: usize,
        target: impl Fn(usize) -> f64 + Sync,
    ) {
        let r = &self.r;
        let s = &self.s;
        let x_exc = &self.x_exc;
        let x_inh = &self.x_inh;
        let population_of = &net.population_of;
        let populations = &net.populations;
        net.plastic.par_for_each_row_mut(|row_index, row, weights| {
            LEARN_SCRATCH.with_borrow_mut(|(rho, gain)| {
                let n_rec = row.inputs.len();
                rho.clear();
                rho.extend(row.inputs.iter().map(|&j| r[j as usize]));
                rho.extend_from_slice(s);
                gain.resize(rho.len(), 0.0);
                let w_ff = &mut row.feedforward[condition];
                let plastic = dot(weights, &rho[..n_rec]) + dot(w_ff, &rho[n_rec..]);
                let i = row.neuron;
                let offset = x_exc[i] + x_inh[i] + populations[population_of[i]].bias;
                let error = plastic + offset - target(row_index);
                row.rls.update_gain(rho, gain);
                apply_gain(weights, &gain[..n_rec], error);
                apply_gain(w_ff, &gain[n_rec..], error);
            })
        });
        net.plastic.sync_feedforward(condition);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::spiking::{build_network, Connectivity, NetworkSpec, SpikingExperiment};
    use crate::monitor::Control;
    use crate::network::{Population, Sign};
    use crate::neuron::LifParams;

    /// Every spike (step, neuron) and every membrane potential of a trial.
    #[derive(Default)]
    struct Everything {
        spikes: Vec<(u64, u32)>,
        v: Vec<f64>,
    }

    impl Monitor for Everything {
        fn on_step(&mut self, view: &StepView<'_>) -> Control {
            self.spikes
                .extend(view.spiked.iter().map(|&i| (view.step, i)));
            self.v.extend_from_slice(view.v);
            Ok(())
        }
    }

    /// The vectorised path handles voltage noise and refractory periods exactly as the general
    /// loop does: same noise draws in the same order, same spikes, same voltages to the bit.
    #[test]
    fn vectorised_path_equals_the_general_loop_with_noise_and_refractoriness() {
        let population = |name, sign, noise_sigma, refractory_ms, bias| {
            let neuron = LifParams {
                noise_sigma,
                refractory_ms,
                ..LifParams::tutorial()
            };
            Population::new(name, 300, sign, neuron, bias)
        };
        let exp = SpikingExperiment::untrained(
            "paths",
            3,
            0.1,
            3_000,
            NetworkSpec::new(
                vec![
                    population("E", Sign::Excitatory, 0.65, 2.0, 0.4),
                    population("I", Sign::Inhibitory, 0.0, 0.5, 1.2),
                ],
                Connectivity::FixedOutDegree {
                    out_degree: 60,
                    weight: vec![vec![0.05, 0.2], vec![-0.2, -0.2]],
                },
            ),
        );
        let run = |vectorised: bool| {
            let mut net = build_network(&exp);
            let mut sim = Simulator::new(&net);
            sim.vectorised = vectorised;
            let mut all = Everything::default();
            sim.run_trial(&mut net, exp.frozen_trial(0, 1, "test"), &mut [&mut all])
                .unwrap();
            all
        };
        let (fast, general) = (run(true), run(false));
        let count =
            |pop: std::ops::Range<u32>| fast.spikes.iter().filter(|(_, i)| pop.contains(i)).count();
        // Both populations fire (E from noise, I from its bias), so every branch is exercised.
        assert!(count(0..300) > 300 && count(300..600) > 300);
        assert_eq!(fast.spikes, general.spikes);
        assert!(fast
            .v
            .iter()
            .zip(&general.v)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
