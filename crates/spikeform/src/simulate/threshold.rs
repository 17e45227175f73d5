//! The threshold scan of the vectorised path.

/// The start of the first block of 8 neurons (`start`, `start + 8`, ...; the last one may be
/// shorter) holding a voltage that is a spike or non-finite, or `v.len()` if none does. A
/// voltage is quiet when it is finite and `v ≤ θ` (`STRICT`: spikes are `v > θ`, the LIF) or
/// `v < θ` (spikes are `v ≥ θ`, the EIF). Compiled for AVX2 when the CPU has it; the
/// comparisons are exact either way.
pub(super) fn next_event_block<const STRICT: bool>(
    v: &[f64],
    start: usize,
    threshold: f64,
) -> usize {
    #[inline(always)]
    fn scan<const STRICT: bool>(v: &[f64], start: usize, threshold: f64) -> usize {
        let quiet = |x: f64| {
            x.is_finite()
                && if STRICT {
                    x <= threshold
                } else {
                    x < threshold
                }
        };
        let mut b = start;
        while b < v.len() {
            let end = (b + 8).min(v.len());
            if v[b..end].iter().fold(false, |a, &x| a | !quiet(x)) {
                return b;
            }
            b = end;
        }
        v.len()
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn scan_avx2<const STRICT: bool>(v: &[f64], start: usize, threshold: f64) -> usize {
            scan::<STRICT>(v, start, threshold)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { scan_avx2::<STRICT>(v, start, threshold) };
        }
    }
    scan::<STRICT>(v, start, threshold)
}
