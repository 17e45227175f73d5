//! Weights of a plastic projection against the rates of its neurons (`plasticity.md` §5.4,
//! §6): the per-synapse regression of `J_jk` on the presynaptic rate `r_k` (Kohonen's law
//! `J* = β·τ·r_k` has slope β·τ with r in kHz), the correlation of each presynaptic neuron's
//! rate with its mean outgoing weight (iSTDP correlates them), and the spread of the
//! postsynaptic rates (iSTDP collapses it onto the target).

use super::correlation::pearson;
use super::stats::mean_sd_ignoring_nan as mean_sd;

/// Weight–rate statistics of one projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightRateStats {
    /// Least-squares slope of `J_jk` on `r_k` (weight per kHz), over synapses whose
    /// postsynaptic rate exceeds the threshold.
    pub slope_per_khz: f64,
    /// Pearson correlation of `J_jk` and `r_k` over the same synapses.
    pub correlation: f64,
    /// Number of synapses used.
    pub synapses_used: usize,
    /// Pearson correlation, over presynaptic neurons, of `r_k` and the mean outgoing weight.
    pub outgoing_correlation: f64,
    /// Mean postsynaptic rate (Hz).
    pub post_rate_mean_hz: f64,
    /// SD of the postsynaptic rates across cells (Hz).
    pub post_rate_sd_hz: f64,
}

/// The statistics of weights `w` with presynaptic `pre` and postsynaptic `post` neurons, for
/// per-neuron rates `rates_hz`, using synapses whose postsynaptic rate is above
/// `min_post_rate_hz` for the regression.
pub fn weight_rate_stats(
    w: &[f64],
    pre: &[u32],
    post: &[u32],
    rates_hz: &[f64],
    min_post_rate_hz: f64,
) -> WeightRateStats {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for ((&w, &k), &j) in w.iter().zip(pre).zip(post) {
        if rates_hz[j as usize] > min_post_rate_hz {
            xs.push(rates_hz[k as usize] / 1000.0);
            ys.push(w);
        }
    }
    let (mx, _) = mean_sd(&xs);
    let (my, _) = mean_sd(&ys);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let (mut sum, mut count) = (vec![0.0; rates_hz.len()], vec![0usize; rates_hz.len()]);
    for (&w, &k) in w.iter().zip(pre) {
        sum[k as usize] += w;
        count[k as usize] += 1;
    }
    let (mut r_pre, mut w_out) = (Vec::new(), Vec::new());
    for k in 0..rates_hz.len() {
        if count[k] > 0 {
            r_pre.push(rates_hz[k]);
            w_out.push(sum[k] / count[k] as f64);
        }
    }
    let mut posts: Vec<u32> = post.to_vec();
    posts.sort_unstable();
    posts.dedup();
    let post_rates: Vec<f64> = posts.iter().map(|&j| rates_hz[j as usize]).collect();
    let (post_rate_mean_hz, post_rate_sd_hz) = mean_sd(&post_rates);
    WeightRateStats {
        slope_per_khz: sxy / sxx,
        correlation: pearson(&xs, &ys),
        synapses_used: xs.len(),
        outgoing_correlation: pearson(&r_pre, &w_out),
        post_rate_mean_hz,
        post_rate_sd_hz,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weights exactly `400·r_k` (r in kHz) give slope 400 and correlation 1; synapses onto a
    /// silent neuron are left out of the regression.
    #[test]
    fn slope_of_a_linear_law() {
        let rates = [2.0, 4.0, 6.0, 8.0, 0.0];
        let pre = [0, 1, 2, 3, 0, 1, 2, 3, 1];
        let post = [1, 2, 3, 0, 2, 3, 0, 1, 4];
        let w: Vec<f64> = pre
            .iter()
            .zip(&post)
            .map(|(&k, &j)| if j == 4 { 9.0 } else { 0.4 * rates[k as usize] })
            .collect();
        let s = weight_rate_stats(&w, &pre, &post, &rates, 1.0);
        assert!((s.slope_per_khz - 400.0).abs() < 1e-9, "{s:?}");
        assert!((s.correlation - 1.0).abs() < 1e-12 && s.synapses_used == 8);
        assert!((s.post_rate_mean_hz - 4.0).abs() < 1e-12);
        // every outgoing weight on the law: mean outgoing weight ∝ rate, correlation 1
        let mut on_law = w.clone();
        on_law[8] = 0.4 * rates[1];
        let s = weight_rate_stats(&on_law, &pre, &post, &rates, 1.0);
        assert!((s.outgoing_correlation - 1.0).abs() < 1e-12, "{s:?}");
    }
}
