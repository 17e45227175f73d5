//! Integer time: a duration in ms becomes a count of time steps of `dt_ms` in one place.
//!
//! Simulations count steps and derive `t = step · dt`; every conversion of a duration into steps
//! goes through [`steps`] (experiment files, where a duration must be a whole number of steps)
//! or [`at_least_one_step`] (fixed windows such as 1-ms bins, whatever the time step).

/// `round(ms / dt_ms)`, the number of whole steps nearest to `ms`.
fn nearest_steps(ms: f64, dt_ms: f64) -> f64 {
    (ms / dt_ms).round()
}

/// The number of steps in `ms` when `ms` is a whole multiple of `dt_ms` (to a relative
/// 1e-9, so that `0.3 / 0.1` counts as 3), `None` otherwise or when `ms` is negative or not
/// finite.
pub fn steps(ms: f64, dt_ms: f64) -> Option<u64> {
    if !ms.is_finite() || ms < 0.0 {
        return None;
    }
    let n = nearest_steps(ms, dt_ms);
    ((n * dt_ms - ms).abs() <= 1e-9 * ms.abs().max(1.0)).then_some(n as u64)
}

/// `max(1, round(ms / dt_ms))`: the steps of a window of about `ms`, never empty.
pub fn at_least_one_step(ms: f64, dt_ms: f64) -> u64 {
    nearest_steps(ms, dt_ms).max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_multiples_count_and_others_do_not() {
        assert_eq!(steps(0.3, 0.1), Some(3));
        assert_eq!(steps(0.0, 0.1), Some(0));
        assert_eq!(steps(3000.0, 0.1), Some(30000));
        assert_eq!(steps(0.25, 0.1), None);
        assert_eq!(steps(-1.0, 0.1), None);
        assert_eq!(steps(f64::NAN, 0.1), None);
    }

    #[test]
    fn a_window_holds_at_least_one_step() {
        assert_eq!(at_least_one_step(1.0, 0.1), 10);
        assert_eq!(at_least_one_step(1.0, 5.0), 1);
        assert_eq!(at_least_one_step(100.0, 0.3), 333);
    }
}
