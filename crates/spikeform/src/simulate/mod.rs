//! The one time loop of spiking networks. The order of work inside a step is written here once:
//!
//! 1. **learn** — on a learning step, every trained neuron's RLS update, from the state at the
//!    end of the previous step (parallel over neurons; each neuron's update is independent);
//! 2. **input** — every input component of the network adds its current (bias, cue, OU
//!    currents, windowed currents, external layers) and its spikes arriving in the excitatory
//!    channel (Poisson drive), once, for whichever integration path runs next;
//! 3. **integrate** — for every neuron: the synaptic traces take the input that arrives now
//!    (spikes of `delay` steps ago), its own trace `r` takes its spike of the previous step, the
//!    membrane integrates external + synaptic input (+ noise) with its population's model; a
//!    neuron that fires resets, and its spike is queued for its targets with the current
//!    weights; inputs that read the network's spikes (the latent readout) then see this step's
//!    spikes (`Input::after_spikes`);
//! 4. **feed-forward** — the feed-forward units' traces take their previous spikes, and each unit
//!    spikes with its current probability, queueing input for the trained neurons;
//! 5. **synapse rules** — plastic projections update their weights for this step's spikes, then
//!    their traces take the spikes and decay (only in trials that may change the network);
//! 6. **observe** — monitors and guards see the step; any of them can stop the run;
//! 7. **advance** — the step counter moves on.
//!
//! Traces use forward Euler by default, `x ← x − dt·x/τ + F/τ` (the reference's form), or the
//! exact decay `x ← x e^{−dt/τ} + F/τ`. Spike delivery is delayed by `delay_steps` (one step in
//! the reference: spikes of step `n` reach the traces at step `n + 1`). Delivery queues are not
//! cleared between trials unless asked, so the last step's spikes of one trial arrive at step 1
//! of the next, as in the reference (`rls-training.md` §6, quirk 6).
//!
//! The neuron loop has two forms with the same arithmetic: a vectorised one for filtered
//! synapses ([`integrate`]) and a general one for voltage jumps (zero synaptic time constants);
//! a unit test compares them bit for bit.
//!
//! Trials that change no weights, of networks without plastic synapses or voltage jumps, run
//! step 3 on several threads (module `parallel`, [`Simulator::threads`]) with the same numbers
//! to the bit: threads own blocks of neurons for the update and blocks of targets for the
//! delivery, every thread delivers every spike in neuron order onto its own targets, the noise
//! is drawn in the serial order, and the rest of a step runs on the leading thread.

mod gate;
mod integrate;
mod membrane;
mod parallel;
mod snapshot;
mod threshold;

pub use crate::train::Learning;

use rand::Rng as _;

use crate::error::RunError;
use crate::input::{InputStates, InputStep};
use crate::monitor::{Monitor, StepView};
use crate::network::SpikingNetwork;
use crate::plasticity::{PairRules, RuleView, SynapseRule};
use crate::rng;

use integrate::TrialPlan;

/// How a trial holds the network: exclusively when its synapse rules may change it (training,
/// untrained simulation), shared when its weights stay as they are (parallel test trials).
enum Access<'a> {
    Exclusive(&'a mut SpikingNetwork),
    Frozen(&'a SpikingNetwork),
}

impl Access<'_> {
    fn net(&self) -> &SpikingNetwork {
        match self {
            Access::Exclusive(net) => net,
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

/// The state of a spiking network between steps, and the scratch space of the loop.
#[derive(Debug, Clone)]
pub struct Simulator {
    n: usize,
    v: Vec<f64>,
    refractory: Vec<u32>,
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
    /// States and random streams of the network's inputs.
    inputs: InputStates,
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
    /// Threads of the neuron update and the spike delivery: `None` for one (today's serial
    /// loop; the CLI does not set it yet: on the shared 2-core development machine two threads
    /// measured slower), `Some(k)` for `k` (tests, benchmarks). Results do not depend on it
    /// (see the `parallel` module); trials that change weights always run on one thread.
    pub threads: Option<usize>,
    /// Whether parallel trials step on every thread or on the leading one, as measured so far.
    pace: parallel::Pace,
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

/// The two places in a step where synapse rules act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hook {
    /// Step 1, before integration.
    Before,
    /// Step 5, after the step's spikes.
    After,
}

/// The pair rules of a trial that holds a network with plastic projections (none in frozen
/// trials, whose weights stay as they are).
fn trial_pair_rules(access: &Access<'_>) -> Option<PairRules> {
    match access {
        Access::Exclusive(net) if !net.projections.is_empty() => Some(PairRules::new(net)),
        _ => None,
    }
}

/// A trial in progress: the steps done and what the loop carries from step to step besides the
/// simulator's own state (the trial's noise and feed-forward streams, the STDP traces of the
/// pair rules). [`Simulator::begin_trial`] starts one, [`Simulator::continue_trial`] runs it on
/// in segments, and [`Simulator::snapshot`] saves it with the simulator mid-trial.
#[derive(Debug, Clone)]
pub struct TrialProgress {
    /// Steps of the trial simulated so far.
    pub steps_done: u64,
    noise_rng: rng::Rng,
    ff_rng: rng::Rng,
    pair_rules: Option<PairRules>,
}

/// Where a step is, for the loops and their messages.
#[derive(Debug, Clone, Copy)]
struct StepAt<'a> {
    step: u64,
    t_ms: f64,
    phase: &'a str,
    /// Offset of this step's arrival slot in the delivery queues.
    now: usize,
    /// Offset of the slot that spikes of this step arrive in.
    later: usize,
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
            inputs: InputStates::default(),
            clock: 0,
            input_exc: vec![0.0; n],
            input_inh: vec![0.0; n],
            input_ext: vec![0.0; n],
            spiked: Vec::new(),
            reset_queues: false,
            vectorised: true,
            threads: None,
            pace: parallel::Pace::new(),
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

    /// The state of the network's input `index` (in `SpikingNetwork::inputs` order) as the last
    /// trial left it: what a learning input (the trained latent readout) learned in it.
    pub fn input_state(&self, index: usize) -> Option<&[f64]> {
        self.inputs.state(index)
    }

    /// Simulates one trial from a fresh state (`v ~ U(v_min, v_max)` per population; traces,
    /// refractory counters and own traces zero), learning if asked; synapse rules act.
    pub fn run_trial(
        &mut self,
        net: &mut SpikingNetwork,
        trial: Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        self.run(Access::Exclusive(net), trial, monitors)
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

    /// The loop: the steps of the module documentation, one named call each.
    fn run(
        &mut self,
        mut access: Access<'_>,
        trial: Trial<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        let plan = TrialPlan::new(access.net(), self.vectorised);
        let threads = self.simulation_threads(access.net(), &plan, trial.learning.is_some());
        if threads > 1 {
            return self.run_parallel(access.net(), &plan, trial, monitors, threads);
        }
        let mut progress = self.begin(&access, &trial);
        let until = trial.steps;
        self.run_steps(&mut access, &plan, &trial, (&mut progress, until), monitors)
    }

    /// Starts a trial that holds `net` exclusively (fresh state, as [`Simulator::run_trial`]
    /// does) without simulating a step; [`Simulator::continue_trial`] runs it.
    pub fn begin_trial(&mut self, net: &mut SpikingNetwork, trial: &Trial<'_>) -> TrialProgress {
        self.begin(&Access::Exclusive(net), trial)
    }

    /// Runs the trial of `progress` on to step `until` (at most `trial.steps`): the same steps,
    /// with the same arithmetic and draws, as one [`Simulator::run_trial`] call, however the
    /// trial is split.
    pub fn continue_trial(
        &mut self,
        net: &mut SpikingNetwork,
        trial: &Trial<'_>,
        progress: &mut TrialProgress,
        until: u64,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        let plan = TrialPlan::new(net, self.vectorised);
        let until = until.min(trial.steps);
        let mut access = Access::Exclusive(net);
        self.run_steps(&mut access, &plan, trial, (progress, until), monitors)
    }

    fn begin(&mut self, access: &Access<'_>, trial: &Trial<'_>) -> TrialProgress {
        self.start_trial(access.net(), trial);
        TrialProgress {
            steps_done: 0,
            noise_rng: rng::substream(trial.seed, "noise", trial.index),
            ff_rng: rng::substream(trial.seed, "feedforward-spikes", trial.index),
            pair_rules: trial_pair_rules(access),
        }
    }

    /// Steps `progress.steps_done + 1 ..= until` of the trial.
    fn run_steps(
        &mut self,
        access: &mut Access<'_>,
        plan: &TrialPlan,
        trial: &Trial<'_>,
        (progress, until): (&mut TrialProgress, u64),
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        let mut learning = trial.learning;
        let dt = access.net().dt_ms;
        while progress.steps_done < until {
            let step = progress.steps_done + 1;
            let at = self.step_at(plan, step, dt, trial.phase);
            let rules = (learning.as_mut(), progress.pair_rules.as_mut());
            self.apply_rules(access, rules, (step, trial.condition), Hook::Before);
            let net = access.net();
            self.add_inputs(net, step, trial.condition, at.now);
            self.integrate(net, plan, at, &mut progress.noise_rng)?;
            let at_step = InputStep {
                step,
                condition: trial.condition,
            };
            self.inputs.after_spikes(&net.inputs, at_step, &self.spiked);
            let ff_rng = &mut progress.ff_rng;
            self.feedforward(net, plan, (step, trial.condition), at.later, ff_rng);
            let rules = (learning.as_mut(), progress.pair_rules.as_mut());
            self.apply_rules(access, rules, (step, trial.condition), Hook::After);
            self.observe(plan, at, monitors)?;
            self.clock += 1;
            progress.steps_done = step;
        }
        Ok(())
    }

    /// Fresh voltages, zero traces and refractory counters, the inputs' trial states, and
    /// (when asked) empty delivery queues.
    fn start_trial(&mut self, net: &SpikingNetwork, trial: &Trial<'_>) {
        let mut init_rng = rng::substream(trial.seed, "initial-voltage", trial.index);
        for (i, v) in self.v.iter_mut().enumerate() {
            let p = &net.populations[net.population_of[i]].neuron;
            *v = p.initial_v_min + (p.initial_v_max - p.initial_v_min) * init_rng.random::<f64>();
        }
        let traces = [
            &mut self.x_exc,
            &mut self.x_inh,
            &mut self.x_plastic,
            &mut self.r,
            &mut self.s,
        ];
        for x in traces {
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
        self.inputs
            .start_trial(&net.inputs, self.n, trial.seed, trial.index);
    }

    /// The step's time and queue slots.
    fn step_at<'a>(&self, plan: &TrialPlan, step: u64, dt: f64, phase: &'a str) -> StepAt<'a> {
        let n = self.n;
        StepAt {
            step,
            t_ms: step as f64 * dt,
            phase,
            now: (self.clock % plan.slots) as usize * n,
            later: ((self.clock + plan.delay_steps) % plan.slots) as usize * n,
        }
    }

    /// Steps 1 and 5: every synapse rule of the trial at the hook (RLS first, then the pair
    /// rules), seeing the traces and this step's spikes (none yet before integration).
    fn apply_rules(
        &self,
        access: &mut Access<'_>,
        (learning, pairs): (Option<&mut Learning<'_>>, Option<&mut PairRules>),
        (step, condition): (u64, usize),
        hook: Hook,
    ) {
        let Access::Exclusive(net) = access else {
            return;
        };
        if learning.is_none() && pairs.is_none() {
            return;
        }
        let view = RuleView {
            step,
            condition,
            spiked: if hook == Hook::Before {
                &[]
            } else {
                &self.spiked
            },
            own_traces: &self.r,
            feedforward_traces: &self.s,
            x_exc: &self.x_exc,
            x_inh: &self.x_inh,
        };
        let rules = [
            learning.map(|l| l as &mut dyn SynapseRule),
            pairs.map(|p| p as &mut dyn SynapseRule),
        ];
        for rule in rules.into_iter().flatten() {
            match hook {
                Hook::Before => rule.before_integration(net, &view),
                Hook::After => rule.after_spikes(net, &view),
            }
        }
    }

    /// Step 2: the inputs' current (into `input_ext`) and excitatory arrivals (into this step's
    /// slot of the excitatory queue).
    fn add_inputs(&mut self, net: &SpikingNetwork, step: u64, condition: usize, now: usize) {
        let n = self.n;
        self.inputs.step(
            &net.inputs,
            InputStep { step, condition },
            &mut self.input_ext,
            &mut self.queue_exc[now..now + n],
        );
    }

    /// Step 4: the feed-forward units' traces and spikes.
    fn feedforward(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        (step, condition): (u64, usize),
        later: usize,
        ff_rng: &mut rng::Rng,
    ) {
        let Some(ff) = net.feedforward.as_ref().filter(|ff| ff.is_on(step)) else {
            return;
        };
        let n = self.n;
        let m = (step - ff.start_step - 1) as usize;
        let p = &ff.probability[condition][m * ff.n_units..(m + 1) * ff.n_units];
        let queue = &mut self.queue_plastic[later..later + n];
        for (k, (&p_k, (s_k, prev_k))) in p
            .iter()
            .zip(self.s.iter_mut().zip(self.ff_spiked_prev.iter_mut()))
            .enumerate()
        {
            let own = if *prev_k { 1.0 } else { 0.0 };
            *s_k = *s_k * plan.decays[2] + own / net.tau_plastic_ms;
            let fires = ff_rng.random::<f64>() < f64::from(p_k);
            *prev_k = fires;
            if fires {
                let (neurons, weights) = net.plastic.feedforward_targets(condition, k);
                for (&i, &w) in neurons.iter().zip(weights) {
                    queue[i as usize] += w;
                }
            }
        }
    }

    /// Step 6: every monitor sees the step.
    fn observe(
        &self,
        plan: &TrialPlan,
        at: StepAt<'_>,
        monitors: &mut [&mut dyn Monitor],
    ) -> Result<(), RunError> {
        let view = StepView {
            step: at.step,
            t_ms: at.t_ms,
            spiked: &self.spiked,
            v: &self.v,
            input_exc: if plan.fast {
                &self.x_exc
            } else {
                &self.input_exc
            },
            input_inh: if plan.fast {
                &self.x_inh
            } else {
                &self.input_inh
            },
            input_plastic: &self.x_plastic,
            input_ext: &self.input_ext,
        };
        for m in monitors.iter_mut() {
            m.on_step(&view)?;
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
        for projection in &net.projections {
            projection.deliver(i, queue);
        }
        let (neurons, positions) = net.plastic.outgoing(i);
        let weights = net.plastic.weights();
        let queue = &mut self.queue_plastic[later..later + n];
        for (&post, &k) in neurons.iter().zip(positions) {
            queue[post as usize] += weights[k as usize];
        }
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
