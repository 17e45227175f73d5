//! Helpers for flat, row-major, time-major matrices (`x[t * n_cols + j]`).

/// Checks that `x` holds an `n_rows × n_cols` matrix.
pub(super) fn check_shape(x: &[f64], n_rows: usize, n_cols: usize, what: &str) {
    assert_eq!(
        x.len(),
        n_rows * n_cols,
        "{what}: length {} is not {n_rows} rows × {n_cols} columns",
        x.len()
    );
}

/// Column `j` of the row-major `n_rows × n_cols` matrix `x`: the time series of signal `j`.
///
/// # Panics
///
/// If `x.len() != n_rows * n_cols` or `j >= n_cols`.
pub fn column(x: &[f64], n_rows: usize, n_cols: usize, j: usize) -> Vec<f64> {
    check_shape(x, n_rows, n_cols, "column");
    assert!(j < n_cols, "column {j} out of range for {n_cols} columns");
    (0..n_rows).map(|t| x[t * n_cols + j]).collect()
}

/// The columns `cols` of the row-major `n_rows × n_cols` matrix `x`, in that order, as a new
/// row-major `n_rows × cols.len()` matrix: `out[t * cols.len() + k] = x[t * n_cols + cols[k]]`.
///
/// Use it to line up the series to compare, e.g. the target columns `almOrd[k]` against the model
/// columns `matchedCells[k]` before [`mean_pearson_columns`](super::mean_pearson_columns).
///
/// # Panics
///
/// If `x.len() != n_rows * n_cols` or an index in `cols` is `>= n_cols`.
pub fn gather_columns(x: &[f64], n_rows: usize, n_cols: usize, cols: &[usize]) -> Vec<f64> {
    check_shape(x, n_rows, n_cols, "gather_columns");
    if let Some(&bad) = cols.iter().find(|&&c| c >= n_cols) {
        panic!("gather_columns: column {bad} out of range for {n_cols} columns");
    }
    let mut out = Vec::with_capacity(n_rows * cols.len());
    for row in x.chunks_exact(n_cols.max(1)).take(n_rows) {
        out.extend(cols.iter().map(|&c| row[c]));
    }
    out
}

/// Mean of every column of the row-major `n_rows × n_cols` matrix `x`:
/// `m_j = (1/n_rows) Σ_t x[t, j]`, the time average of each signal. NaN entries propagate; with
/// `n_rows == 0` every mean is NaN.
///
/// # Panics
///
/// If `x.len() != n_rows * n_cols`.
pub fn column_means(x: &[f64], n_rows: usize, n_cols: usize) -> Vec<f64> {
    check_shape(x, n_rows, n_cols, "column_means");
    let mut sums = vec![0.0; n_cols];
    if n_cols > 0 {
        for row in x.chunks_exact(n_cols) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += v;
            }
        }
    }
    let n = n_rows as f64;
    sums.iter().map(|s| s / n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 3 × 4 matrix: x[t, j] = 10 t + j.
    fn example() -> Vec<f64> {
        (0..3)
            .flat_map(|t| (0..4).map(move |j| (10 * t + j) as f64))
            .collect()
    }

    #[test]
    fn column_reads_a_time_series() {
        assert_eq!(column(&example(), 3, 4, 2), vec![2.0, 12.0, 22.0]);
    }

    #[test]
    fn gather_reorders_columns() {
        let g = gather_columns(&example(), 3, 4, &[3, 0, 3]);
        assert_eq!(g, vec![3.0, 0.0, 3.0, 13.0, 10.0, 13.0, 23.0, 20.0, 23.0]);
        assert!(gather_columns(&example(), 3, 4, &[]).is_empty());
    }

    #[test]
    fn column_means_are_time_averages() {
        assert_eq!(column_means(&example(), 3, 4), vec![10.0, 11.0, 12.0, 13.0]);
        assert!(column_means(&[], 0, 2).iter().all(|m| m.is_nan()));
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn gather_rejects_bad_index() {
        gather_columns(&example(), 3, 4, &[4]);
    }

    #[test]
    #[should_panic(expected = "is not 3 rows")]
    fn shape_is_checked() {
        column_means(&[1.0; 11], 3, 4);
    }
}
