//! Pure functions over recordings: rates, variability, correlation, PSTH, PCA, selectivity.
