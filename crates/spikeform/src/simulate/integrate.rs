//! Step 3 of the loop: synaptic traces, membranes and the threshold, population by population,
//! each population's model chosen once ([`Membrane`]). Two forms with the same arithmetic: the
//! vectorised path for filtered synapses (trace updates and membranes as simple loops the
//! compiler vectorises, then a threshold scan), and the general loop for voltage jumps.

use super::membrane::Membrane;
use super::threshold::next_event_block;
use super::{voltage_not_finite, Simulator, StepAt};
use crate::error::RunError;
use crate::network::SpikingNetwork;
use crate::neuron::ModelStep;
use crate::rng;

/// Per-population constants of the loop.
pub(super) struct PopulationStep {
    pub(super) model: ModelStep,
    /// `τ_m/dt`: a voltage jump expressed as an input, for monitors.
    tau_m_over_dt: f64,
}

/// What every step of a trial needs: per-population constants, neuron ranges, the trace decays
/// and arrival divisors (excitatory, inhibitory, plastic), the queue geometry, and the path.
pub(super) struct TrialPlan {
    pub(super) steps: Vec<PopulationStep>,
    pub(super) ranges: Vec<std::ops::Range<usize>>,
    /// Decay per step of the E, I and plastic traces.
    pub(super) decays: [f64; 3],
    /// Divisor of arriving spikes in the E, I and plastic channels (`τ`, or `τ/d`).
    pub(super) arrival: [f64; 3],
    pub(super) delay_steps: u64,
    pub(super) slots: u64,
    /// The vectorised path (filtered E and I synapses).
    pub(super) fast: bool,
}

impl TrialPlan {
    pub(super) fn new(net: &SpikingNetwork, vectorised: bool) -> Self {
        let dt = net.dt_ms;
        let decay = |tau: f64| net.integration.trace_decay(dt, tau);
        Self {
            steps: net
                .populations
                .iter()
                .map(|p| PopulationStep {
                    model: ModelStep::new(&p.model, &p.neuron, dt, net.integration),
                    tau_m_over_dt: p.neuron.tau_membrane_ms / dt,
                })
                .collect(),
            ranges: net.ranges(),
            decays: [
                decay(net.tau_exc_ms),
                decay(net.tau_inh_ms),
                decay(net.tau_plastic_ms),
            ],
            arrival: [
                net.arrival_tau(net.tau_exc_ms),
                net.arrival_tau(net.tau_inh_ms),
                net.tau_plastic_ms,
            ],
            delay_steps: net.delay_steps as u64,
            slots: net.delay_steps as u64 + 1,
            fast: vectorised && net.tau_exc_ms > 0.0 && net.tau_inh_ms > 0.0,
        }
    }
}

impl Simulator {
    /// Step 3 for every neuron: traces, membranes, spikes (queued for delivery).
    pub(super) fn integrate(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        at: StepAt<'_>,
        noise_rng: &mut rng::Rng,
    ) -> Result<(), RunError> {
        self.spiked.clear();
        if !plan.fast {
            return self.integrate_general(net, plan, at, noise_rng);
        }
        self.traces_and_membranes(net, plan, at.now, noise_rng);
        self.spiked_prev.iter_mut().for_each(|s| *s = false);
        for (p, range) in plan.ranges.iter().enumerate() {
            match plan.steps[p].model {
                ModelStep::Lif(m) => self.threshold(net, range.clone(), m, at)?,
                ModelStep::Eif(m) => self.threshold(net, range.clone(), m, at)?,
            }
        }
        Ok(())
    }

    /// The vectorised traces and membranes of every population, compiled for AVX2 when the
    /// CPU has it (the same operations either way, so the results are identical).
    fn traces_and_membranes(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        now: usize,
        noise_rng: &mut rng::Rng,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.traces_and_membranes_avx2(net, plan, now, noise_rng) };
            return;
        }
        self.traces_and_membranes_generic(net, plan, now, noise_rng);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn traces_and_membranes_avx2(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        now: usize,
        noise_rng: &mut rng::Rng,
    ) {
        self.traces_and_membranes_generic(net, plan, now, noise_rng);
    }

    #[inline(always)]
    fn traces_and_membranes_generic(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        now: usize,
        noise_rng: &mut rng::Rng,
    ) {
        self.update_traces(net, plan, now);
        for (p, range) in plan.ranges.iter().enumerate() {
            match plan.steps[p].model {
                ModelStep::Lif(m) => self.membranes(range.clone(), m, noise_rng),
                ModelStep::Eif(m) => self.membranes(range.clone(), m, noise_rng),
            }
        }
    }

    /// The E, I and plastic traces take this step's arrivals, `x ← x·d + F/τ`, and the own
    /// traces `r` the previous step's spikes. Without plastic synapses nothing reaches the
    /// plastic queue and nothing reads `r`: both stay at the 0 they start every trial with.
    #[inline(always)]
    fn update_traces(&mut self, net: &SpikingNetwork, plan: &TrialPlan, now: usize) {
        let n = self.n;
        let [de, di, dp] = plan.decays;
        let [te, ti, tp] = plan.arrival;
        trace(&mut self.x_exc, &mut self.queue_exc[now..now + n], de, te);
        trace(&mut self.x_inh, &mut self.queue_inh[now..now + n], di, ti);
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
    }

    /// Membranes of one population on the vectorised path. Without noise or refractory
    /// periods a plain loop; otherwise, as the general loop, a refractory neuron is held at
    /// reset and draws no noise, and the others draw theirs in neuron order.
    #[inline(always)]
    fn membranes<M: Membrane>(
        &mut self,
        range: std::ops::Range<usize>,
        m: M,
        noise_rng: &mut rng::Rng,
    ) {
        let common = *m.common();
        membrane_block(
            m,
            &mut self.v[range.clone()],
            &mut self.refractory[range.clone()],
            [
                &self.input_ext[range.clone()],
                &self.x_exc[range.clone()],
                &self.x_inh[range.clone()],
                &self.x_plastic[range],
            ],
            |_| common.draw_noise(noise_rng),
        );
    }

    /// The threshold pass of one population: scan 8 neurons at a time for a spike or a
    /// non-finite voltage; only then look at them one by one.
    fn threshold<M: Membrane>(
        &mut self,
        net: &SpikingNetwork,
        range: std::ops::Range<usize>,
        m: M,
        at: StepAt<'_>,
    ) -> Result<(), RunError> {
        let common = *m.common();
        let mut start = range.start;
        while start < range.end {
            let v = &self.v[..range.end];
            let block = if M::STRICT {
                next_event_block::<true>(v, start, common.threshold)
            } else {
                next_event_block::<false>(v, start, common.threshold)
            };
            if block >= range.end {
                break;
            }
            let end = (block + 8).min(range.end);
            for i in block..end {
                let v = self.v[i];
                if m.fires(v) {
                    self.v[i] = common.reset;
                    self.refractory[i] = common.refractory_steps;
                    self.spiked_prev[i] = true;
                    self.spiked.push(i as u32);
                    self.deliver(net, i, at.later);
                } else if !v.is_finite() {
                    return Err(voltage_not_finite(i, at.step, at.t_ms, at.phase, v));
                }
            }
            start = end;
        }
        Ok(())
    }

    /// The general loop, neuron by neuron, each population's model chosen once: voltage jumps
    /// for zero synaptic time constants.
    fn integrate_general(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        at: StepAt<'_>,
        noise_rng: &mut rng::Rng,
    ) -> Result<(), RunError> {
        for (p, range) in plan.ranges.iter().enumerate() {
            let tau_m_over_dt = plan.steps[p].tau_m_over_dt;
            match plan.steps[p].model {
                ModelStep::Lif(m) => {
                    self.general(net, plan, (range.clone(), m, tau_m_over_dt), at, noise_rng)?
                }
                ModelStep::Eif(m) => {
                    self.general(net, plan, (range.clone(), m, tau_m_over_dt), at, noise_rng)?
                }
            }
        }
        Ok(())
    }

    /// The general loop over one population.
    fn general<M: Membrane>(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        (range, m, tau_m_over_dt): (std::ops::Range<usize>, M, f64),
        at: StepAt<'_>,
        noise_rng: &mut rng::Rng,
    ) -> Result<(), RunError> {
        let common = *m.common();
        for i in range {
            let jump = self.general_traces(net, plan, i, (at.now, tau_m_over_dt));
            if self.refractory[i] > 0 {
                self.refractory[i] -= 1;
                self.v[i] = common.reset;
                self.spiked_prev[i] = false;
                continue;
            }
            let noise = common.draw_noise(noise_rng);
            let input = self.input_ext[i] + self.x_exc[i] + self.x_inh[i] + self.x_plastic[i];
            let v = m.integrate(self.v[i], input, noise) + jump;
            if !v.is_finite() {
                return Err(voltage_not_finite(i, at.step, at.t_ms, at.phase, v));
            }
            if m.fires(v) {
                self.v[i] = common.reset;
                self.refractory[i] = common.refractory_steps;
                self.spiked.push(i as u32);
                self.spiked_prev[i] = true;
                self.deliver(net, i, at.later);
            } else {
                self.v[i] = v;
                self.spiked_prev[i] = false;
            }
        }
        Ok(())
    }

    /// Neuron `i`'s traces take this step's arrivals (slot `now`) in the general loop; a channel
    /// with a zero time constant becomes a voltage jump instead, returned (and shown to monitors
    /// as `jump · τ_m/dt`).
    #[inline(always)]
    fn general_traces(
        &mut self,
        net: &SpikingNetwork,
        plan: &TrialPlan,
        i: usize,
        (now, tau_m_over_dt): (usize, f64),
    ) -> f64 {
        let [de, di, dp] = plan.decays;
        let [te, ti, tp] = plan.arrival;
        let f_exc = std::mem::take(&mut self.queue_exc[now + i]);
        let f_inh = std::mem::take(&mut self.queue_inh[now + i]);
        let f_pl = std::mem::take(&mut self.queue_plastic[now + i]);
        let mut jump = 0.0;
        if net.tau_exc_ms > 0.0 {
            self.x_exc[i] = self.x_exc[i] * de + f_exc / te;
            self.input_exc[i] = self.x_exc[i];
        } else {
            jump += f_exc;
            self.input_exc[i] = f_exc * tau_m_over_dt;
        }
        if net.tau_inh_ms > 0.0 {
            self.x_inh[i] = self.x_inh[i] * di + f_inh / ti;
            self.input_inh[i] = self.x_inh[i];
        } else {
            jump += f_inh;
            self.input_inh[i] = f_inh * tau_m_over_dt;
        }
        self.x_plastic[i] = self.x_plastic[i] * dp + f_pl / tp;
        let own = if self.spiked_prev[i] { 1.0 } else { 0.0 };
        self.r[i] = self.r[i] * dp + own / tp;
        jump
    }
}

/// One trace channel takes its arrivals, `x ← x·d + F/τ`, then `F ← 0` (elementwise).
#[inline(always)]
pub(super) fn trace(x: &mut [f64], q: &mut [f64], d: f64, tau: f64) {
    for (x, q) in x.iter_mut().zip(q.iter_mut()) {
        *x = *x * d + *q / tau;
        *q = 0.0;
    }
}

/// The membranes of consecutive neurons of one population, the arithmetic of both the serial
/// and the parallel loop. `inputs` are the external current and the E, I and plastic traces,
/// summed in that order. Without noise or refractory periods a plain loop
/// (`v ← drift(v, I)`); otherwise a refractory neuron is held at reset and takes no noise, and
/// the others integrate with `noise(k)`, asked in neuron order for exactly those neurons (so a
/// sequential random stream is drawn in the serial order).
#[inline(always)]
pub(super) fn membrane_block<M: Membrane>(
    m: M,
    v: &mut [f64],
    refractory: &mut [u32],
    [ext, xe, xi, xp]: [&[f64]; 4],
    mut noise: impl FnMut(usize) -> f64,
) {
    let common = *m.common();
    if common.noise_per_step == 0.0 && common.refractory_steps == 0 {
        for k in 0..v.len() {
            let input = ext[k] + xe[k] + xi[k] + xp[k];
            v[k] = m.drift(v[k], input);
        }
        return;
    }
    for k in 0..v.len() {
        if refractory[k] > 0 {
            refractory[k] -= 1;
            v[k] = common.reset;
            continue;
        }
        let noise = noise(k);
        let input = ext[k] + xe[k] + xi[k] + xp[k];
        v[k] = m.integrate(v[k], input, noise);
    }
}
