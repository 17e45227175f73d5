//! Inputs from outside the network, as components: whatever adds current to neurons, or spikes
//! to their excitatory channel, during a step.
//!
//! Each input is one file and one implementation of [`Input`]. The simulator calls every input
//! of the network once per step, before the neurons integrate, in the order the network lists
//! them (`simulate` step 2a), so that both integration paths see the same external input:
//!
//! ```text
//! I_ext,i(n) = Σ_inputs current_i(n)            (bias, cue, OU current, windowed current, ...)
//! F_E,i(n)  += Σ_inputs arrivals_i(n)            (Poisson drive: spikes into the E channel)
//! ```
//!
//! An input's description is immutable and shared (test trials run in parallel on one
//! network); what changes during a trial (an OU current, a filtered external channel) lives in
//! a per-simulator state vector the input sizes and initialises itself. Every input draws from
//! its own named random stream, a sub-stream per trial, so adding an input never changes the
//! draws of another component.

mod bias;
mod correlated_layer;
mod cue;
mod latent;
mod latent_readout;
mod opto_layer;
mod ou_current;
mod ou_stimulus;
mod poisson_drive;
mod poisson_layer;
mod windowed_current;

pub use bias::Bias;
pub use correlated_layer::CorrelatedPoissonLayer;
pub use cue::CueInput;
pub use latent::{LatentCourse, LatentFeedback};
pub use latent_readout::{ReadoutClock, ReadoutParts, TrainedReadout};
pub use opto_layer::OptoLayer;
pub use ou_current::OuCurrentInput;
pub use ou_stimulus::OuStimulus;
pub use poisson_drive::PoissonDriveInput;
pub use poisson_layer::PoissonLayer;
pub use windowed_current::{Waveform, WindowedCurrent};

use crate::rng::Rng;

/// Where a step is: what an input needs to know to add its part.
#[derive(Debug, Clone, Copy)]
pub struct InputStep {
    /// Step within the trial (1-based; `t = step · dt`).
    pub step: u64,
    /// Condition of the trial.
    pub condition: usize,
}

/// What an input adds to during a step: one entry per neuron.
#[derive(Debug)]
pub struct Drive<'a> {
    /// External current of this step (added to the membrane input).
    pub current: &'a mut [f64],
    /// Weighted spikes arriving in the excitatory channel this step (added before the channel's
    /// trace update, so with voltage jumps they move `v` at once).
    pub excitatory: &'a mut [f64],
}

/// Something that adds input to neurons during a step. See the module documentation.
pub trait Input: Send + Sync + std::fmt::Debug {
    /// Name of the input's random stream; unique among a network's inputs.
    fn stream(&self) -> String;

    /// Length of the per-simulator state (0 for stateless inputs).
    fn state_len(&self) -> usize {
        0
    }

    /// Sets the state at the start of a trial.
    fn start_trial(&self, _state: &mut [f64]) {}

    /// Whether this input adds the same current at every step of every trial and condition,
    /// and nothing else (a bias): the simulator then adds it once per trial.
    fn is_constant(&self) -> bool {
        false
    }

    /// Adds this step's input to `drive`, advancing `state` and drawing from `rng`.
    fn step(&self, at: InputStep, state: &mut [f64], rng: &mut Rng, drive: &mut Drive<'_>);

    /// Whether this input reads the network's spikes ([`Input::after_spikes`]).
    fn reads_spikes(&self) -> bool {
        false
    }

    /// Sees the neurons that spiked in step `at` (after integration), advancing `state`;
    /// called only when [`Input::reads_spikes`] (a readout of the network's activity, for
    /// feedback).
    fn after_spikes(&self, _at: InputStep, _spiked: &[u32], _state: &mut [f64]) {}
}

/// The inputs of a network and, per simulator, their states and random streams.
#[derive(Debug, Default, Clone)]
pub(crate) struct InputStates {
    states: Vec<Vec<f64>>,
    rngs: Vec<Rng>,
    /// Sum of the constant inputs, per neuron.
    constant: Vec<f64>,
    /// Whether each input is constant (asked once per trial, not at every step).
    is_constant: Vec<bool>,
    /// The inputs that read the network's spikes (asked once per trial; usually none).
    reading_spikes: Vec<usize>,
    /// Whether the current buffer holds the constant sum and nothing else varies, so that
    /// later steps of the trial have nothing to write.
    settled: bool,
}

impl InputStates {
    /// Starts a trial: fresh states, the trial's random sub-streams, the constant part.
    pub(crate) fn start_trial(
        &mut self,
        inputs: &[std::sync::Arc<dyn Input>],
        n: usize,
        seed: u64,
        trial_index: u64,
    ) {
        self.states.resize_with(inputs.len(), Vec::new);
        self.rngs.clear();
        self.constant.clear();
        self.constant.resize(n, 0.0);
        self.is_constant.clear();
        self.is_constant
            .extend(inputs.iter().map(|i| i.is_constant()));
        self.reading_spikes.clear();
        self.reading_spikes
            .extend((0..inputs.len()).filter(|&i| inputs[i].reads_spikes()));
        let mut no_arrivals = Vec::new();
        for (input, state) in inputs.iter().zip(&mut self.states) {
            state.clear();
            state.resize(input.state_len(), 0.0);
            input.start_trial(state);
            let mut rng = crate::rng::substream(seed, &input.stream(), trial_index);
            if input.is_constant() {
                let mut drive = Drive {
                    current: &mut self.constant,
                    excitatory: &mut no_arrivals,
                };
                input.step(
                    InputStep {
                        step: 0,
                        condition: 0,
                    },
                    state,
                    &mut rng,
                    &mut drive,
                );
            }
            self.rngs.push(rng);
        }
    }

    /// This step's external current (into `current`, overwritten) and excitatory arrivals
    /// (added to `excitatory`): the constant inputs' sum first, then every other input in the
    /// network's order. With constant inputs only, `current` is written at the first step of
    /// the trial and left as it is (the caller does not write it).
    pub(crate) fn step(
        &mut self,
        inputs: &[std::sync::Arc<dyn Input>],
        at: InputStep,
        current: &mut [f64],
        excitatory: &mut [f64],
    ) {
        if self.settled {
            return;
        }
        current.copy_from_slice(&self.constant);
        self.settled = self.is_constant.iter().all(|&c| c);
        let mut drive = Drive {
            current,
            excitatory,
        };
        let states = self.states.iter_mut().zip(&mut self.rngs);
        for ((input, (state, rng)), &constant) in inputs.iter().zip(states).zip(&self.is_constant) {
            if !constant {
                input.step(at, state, rng, &mut drive);
            }
        }
    }

    /// Saves every input's state and random stream, the constant part and whether the
    /// current buffer is settled, under `inputs.*`.
    pub(crate) fn snapshot(&self, out: &mut crate::snapshot::StateArrays) {
        for (k, (state, rng)) in self.states.iter().zip(&self.rngs).enumerate() {
            out.put(format!("inputs.{k}.state"), state.clone());
            out.put_rng(format!("inputs.{k}.rng"), rng);
        }
        out.put("inputs.constant", self.constant.clone());
        out.put_value("inputs.settled", f64::from(u8::from(self.settled)));
    }

    /// Restores what [`InputStates::snapshot`] saved, after `start_trial` of the same trial.
    pub(crate) fn restore(&mut self, saved: &crate::snapshot::StateArrays) -> Result<(), String> {
        for (k, (state, rng)) in self.states.iter_mut().zip(&mut self.rngs).enumerate() {
            saved.take_into(&format!("inputs.{k}.state"), state)?;
            *rng = saved.take_rng(&format!("inputs.{k}.rng"))?;
        }
        saved.take_into("inputs.constant", &mut self.constant)?;
        self.settled = saved.take_value("inputs.settled")? != 0.0;
        Ok(())
    }

    /// The state of input `index` (in the network's order) as the last step left it.
    pub(crate) fn state(&self, index: usize) -> Option<&[f64]> {
        self.states.get(index).map(Vec::as_slice)
    }

    /// Hands this step's spikes to the inputs that read them (none, in most networks: then
    /// this returns at once).
    pub(crate) fn after_spikes(
        &mut self,
        inputs: &[std::sync::Arc<dyn Input>],
        at: InputStep,
        spiked: &[u32],
    ) {
        for &i in &self.reading_spikes {
            inputs[i].after_spikes(at, spiked, &mut self.states[i]);
        }
    }
}
