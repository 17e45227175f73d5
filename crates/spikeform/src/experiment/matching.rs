//! Greedy matching of recorded neurons to model neurons by mean rate (`rls-training.md` §3.5).

/// Assigns each recorded neuron to a distinct model neuron with the closest rate.
///
/// Recorded neurons are taken in order of decreasing mean rate (stable for ties); each takes the
/// still-unassigned model neuron with minimal `|ν_model − ν_recorded|` (the lowest index on
/// ties). Returns `(order, matched)`: `order[k]` is the k-th recorded neuron taken and
/// `matched[k]` the model neuron (an index into `model_rates_hz`) assigned to it.
///
/// # Panics
/// If there are more recorded than model neurons (validated before).
pub fn greedy_rate_match(
    recorded_rates_hz: &[f64],
    model_rates_hz: &[f64],
) -> (Vec<usize>, Vec<usize>) {
    assert!(recorded_rates_hz.len() <= model_rates_hz.len());
    let mut order: Vec<usize> = (0..recorded_rates_hz.len()).collect();
    order.sort_by(|&a, &b| recorded_rates_hz[b].total_cmp(&recorded_rates_hz[a]));
    // Model neurons sorted by rate; the closest free neuron is found by walking outwards from
    // the insertion point, skipping used ones.
    let mut by_rate: Vec<usize> = (0..model_rates_hz.len()).collect();
    by_rate.sort_by(|&a, &b| {
        model_rates_hz[a]
            .total_cmp(&model_rates_hz[b])
            .then(a.cmp(&b))
    });
    let sorted: Vec<f64> = by_rate.iter().map(|&i| model_rates_hz[i]).collect();
    let mut used = vec![false; by_rate.len()];
    let mut matched = Vec::with_capacity(order.len());
    for &a in &order {
        let target = recorded_rates_hz[a];
        let pos = sorted.partition_point(|&r| r < target);
        let mut best: Option<(f64, usize, usize)> = None; // (distance, model index, sorted pos)
                                                          // Scan left and right until the distance exceeds the best found.
        let consider = |p: usize, best: &mut Option<(f64, usize, usize)>| {
            let d = (sorted[p] - target).abs();
            let idx = by_rate[p];
            match best {
                Some((bd, bi, _)) if d > *bd || (d == *bd && idx > *bi) => {}
                _ => *best = Some((d, idx, p)),
            }
        };
        let mut l = pos;
        while l > 0 {
            l -= 1;
            if used[l] {
                continue;
            }
            if let Some((bd, _, _)) = best {
                if target - sorted[l] > bd {
                    break;
                }
            }
            consider(l, &mut best);
        }
        let mut r = pos;
        while r < sorted.len() {
            if !used[r] {
                if let Some((bd, _, _)) = best {
                    if sorted[r] - target > bd {
                        break;
                    }
                }
                consider(r, &mut best);
            }
            r += 1;
        }
        let (_, idx, p) = best.expect("enough model neurons");
        used[p] = true;
        matched.push(idx);
    }
    (order, matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: the reference's O(n·m) loop.
    fn brute(rec: &[f64], model: &[f64]) -> (Vec<usize>, Vec<usize>) {
        let mut order: Vec<usize> = (0..rec.len()).collect();
        order.sort_by(|&a, &b| rec[b].total_cmp(&rec[a]));
        let mut used = vec![false; model.len()];
        let matched = order
            .iter()
            .map(|&a| {
                let mut best = usize::MAX;
                for i in 0..model.len() {
                    if !used[i]
                        && (best == usize::MAX
                            || (model[i] - rec[a]).abs() < (model[best] - rec[a]).abs())
                    {
                        best = i;
                    }
                }
                used[best] = true;
                best
            })
            .collect();
        (order, matched)
    }

    #[test]
    fn greedy_matching_equals_the_reference_loop() {
        use rand::Rng as _;
        let mut rng = crate::rng::stream(5, "match");
        for trial in 0..20 {
            let m = 50 + trial * 7;
            // Rates on a coarse grid so that ties happen.
            let model: Vec<f64> = (0..m)
                .map(|_| (rng.random::<f64>() * 20.0).round() / 2.0)
                .collect();
            let rec: Vec<f64> = (0..m / 2)
                .map(|_| (rng.random::<f64>() * 20.0).round() / 2.0)
                .collect();
            assert_eq!(greedy_rate_match(&rec, &model), brute(&rec, &model));
        }
    }

    #[test]
    fn matches_closest_rates() {
        let (order, matched) = greedy_rate_match(&[1.0, 10.0], &[0.5, 9.0, 30.0, 1.2]);
        assert_eq!(order, vec![1, 0]);
        assert_eq!(matched, vec![1, 3]);
    }
}
