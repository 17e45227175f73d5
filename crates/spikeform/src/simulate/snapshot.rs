//! The simulator's whole state in the middle of a trial, for checkpoints of long trials: what
//! [`Simulator::state`] keeps between trials (spikes in transit, the clock) and also what a
//! trial carries from step to step (voltages, traces, refractory counters, the inputs' states
//! and random streams, the noise and feed-forward streams, the pair rules' STDP traces).

use super::{Access, Simulator, Trial, TrialProgress};
use crate::network::SpikingNetwork;
use crate::snapshot::{flags, set_flags, StateArrays};

impl Simulator {
    /// Saves the simulator and the trial in progress under `sim.*` and `trial.*`.
    pub fn snapshot(&self, progress: &TrialProgress, out: &mut StateArrays) {
        out.put_value("sim.clock", self.clock as f64);
        for (name, values) in self.float_arrays() {
            out.put(format!("sim.{name}"), values.to_vec());
        }
        out.put(
            "sim.refractory",
            self.refractory.iter().map(|&c| f64::from(c)).collect(),
        );
        out.put("sim.spiked_prev", flags(&self.spiked_prev));
        out.put("sim.ff_spiked_prev", flags(&self.ff_spiked_prev));
        self.inputs.snapshot(out);
        out.put_value("trial.steps_done", progress.steps_done as f64);
        out.put_rng("trial.noise", &progress.noise_rng);
        out.put_rng("trial.feedforward", &progress.ff_rng);
        if let Some(rules) = &progress.pair_rules {
            rules.snapshot(out);
        }
    }

    /// Continues `trial` of `net` from a snapshot saved by [`Simulator::snapshot`] of a
    /// simulator of the same network and trial.
    pub fn resume_trial(
        &mut self,
        net: &mut SpikingNetwork,
        trial: &Trial<'_>,
        saved: &StateArrays,
    ) -> Result<TrialProgress, String> {
        let mut progress = self.begin(&Access::Exclusive(net), trial);
        self.clock = saved.take_count("sim.clock")?;
        for (name, values) in self.float_arrays_mut() {
            saved.take_into(&format!("sim.{name}"), values)?;
        }
        let refractory = saved.take("sim.refractory", Some(self.refractory.len()))?;
        for (a, &b) in self.refractory.iter_mut().zip(refractory) {
            *a = b as u32;
        }
        let n_ff = self.ff_spiked_prev.len();
        set_flags(
            &mut self.spiked_prev,
            saved.take("sim.spiked_prev", Some(self.n))?,
        );
        set_flags(
            &mut self.ff_spiked_prev,
            saved.take("sim.ff_spiked_prev", Some(n_ff))?,
        );
        self.inputs.restore(saved)?;
        progress.steps_done = saved.take_count("trial.steps_done")?;
        if progress.steps_done > trial.steps {
            return Err(format!(
                "the saved state is at step {} of a trial of {} steps",
                progress.steps_done, trial.steps
            ));
        }
        progress.noise_rng = saved.take_rng("trial.noise")?;
        progress.ff_rng = saved.take_rng("trial.feedforward")?;
        if let Some(rules) = &mut progress.pair_rules {
            rules.restore(saved)?;
        }
        Ok(progress)
    }

    /// The simulator's `f64` state by name (queues, traces, voltages, this step's inputs).
    fn float_arrays(&self) -> [(&'static str, &[f64]); 12] {
        [
            ("v", &self.v),
            ("x_exc", &self.x_exc),
            ("x_inh", &self.x_inh),
            ("x_plastic", &self.x_plastic),
            ("r", &self.r),
            ("queue_exc", &self.queue_exc),
            ("queue_inh", &self.queue_inh),
            ("queue_plastic", &self.queue_plastic),
            ("s", &self.s),
            ("input_exc", &self.input_exc),
            ("input_inh", &self.input_inh),
            ("input_ext", &self.input_ext),
        ]
    }

    /// [`Simulator::float_arrays`], writable.
    fn float_arrays_mut(&mut self) -> [(&'static str, &mut [f64]); 12] {
        [
            ("v", &mut self.v),
            ("x_exc", &mut self.x_exc),
            ("x_inh", &mut self.x_inh),
            ("x_plastic", &mut self.x_plastic),
            ("r", &mut self.r),
            ("queue_exc", &mut self.queue_exc),
            ("queue_inh", &mut self.queue_inh),
            ("queue_plastic", &mut self.queue_plastic),
            ("s", &mut self.s),
            ("input_exc", &mut self.input_exc),
            ("input_inh", &mut self.input_inh),
            ("input_ext", &mut self.input_ext),
        ]
    }
}
