//! The state of a run in the middle of a trial, as named arrays and random generators, so that
//! a long trial (a plastic run of hundreds of seconds) can be checkpointed and resumed bit for
//! bit: voltages, synaptic and STDP traces, delivery queues, plastic weights and their record,
//! the recorders' data so far, and the random streams where they stand.
//!
//! Every component writes its own arrays under a prefix ([`StateArrays::put`]) and reads them
//! back with their lengths checked ([`StateArrays::take`]). Integers are stored as `f64` (exact
//! below 2⁵³; step counters, spike counts and indices are far below that).

use crate::rng::Rng;

/// Named `f64` arrays and named random generators: a snapshot of some state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateArrays {
    /// The arrays, in the order written.
    pub arrays: Vec<(String, Vec<f64>)>,
    /// The random generators, in the order written.
    pub rngs: Vec<(String, Rng)>,
}

impl StateArrays {
    /// Adds the array `name`.
    pub fn put(&mut self, name: impl Into<String>, values: Vec<f64>) {
        self.arrays.push((name.into(), values));
    }

    /// Adds one number as the one-element array `name`.
    pub fn put_value(&mut self, name: impl Into<String>, value: f64) {
        self.put(name, vec![value]);
    }

    /// Adds the random generator `name`.
    pub fn put_rng(&mut self, name: impl Into<String>, rng: &Rng) {
        self.rngs.push((name.into(), rng.clone()));
    }

    /// The array `name`, which must hold `len` values when `len` is given.
    pub fn take(&self, name: &str, len: Option<usize>) -> Result<&[f64], String> {
        let values = self
            .arrays
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| format!("the saved state lacks `{name}`"))?;
        match len {
            Some(len) if values.len() != len => Err(format!(
                "the saved `{name}` holds {} values where this run has {len}: it belongs to \
                 another network",
                values.len()
            )),
            _ => Ok(values),
        }
    }

    /// Copies the array `name` into `into` (same length).
    pub fn take_into(&self, name: &str, into: &mut [f64]) -> Result<(), String> {
        into.copy_from_slice(self.take(name, Some(into.len()))?);
        Ok(())
    }

    /// The one-element array `name`.
    pub fn take_value(&self, name: &str) -> Result<f64, String> {
        Ok(self.take(name, Some(1))?[0])
    }

    /// A count or index saved as one value: a non-negative integer.
    pub fn take_count(&self, name: &str) -> Result<u64, String> {
        let v = self.take_value(name)?;
        if v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53) {
            Ok(v as u64)
        } else {
            Err(format!("the saved `{name}` is not a count: {v}"))
        }
    }

    /// The random generator `name`.
    pub fn take_rng(&self, name: &str) -> Result<Rng, String> {
        self.rngs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
            .ok_or_else(|| format!("the saved state lacks the random stream `{name}`"))
    }

    /// Saves a list of lists (spike times per neuron) as `NAME.counts` and `NAME.values`.
    pub fn put_lists(&mut self, name: &str, lists: &[Vec<f64>]) {
        self.put(
            format!("{name}.counts"),
            lists.iter().map(|l| l.len() as f64).collect(),
        );
        self.put(format!("{name}.values"), lists.concat());
    }

    /// Reads `n` lists saved by [`StateArrays::put_lists`].
    pub fn take_lists(&self, name: &str, n: usize) -> Result<Vec<Vec<f64>>, String> {
        let counts = self.take(&format!("{name}.counts"), Some(n))?;
        let total: f64 = counts.iter().sum();
        let values = self.take(&format!("{name}.values"), Some(total as usize))?;
        let mut start = 0;
        Ok(counts
            .iter()
            .map(|&c| {
                let list = values[start..start + c as usize].to_vec();
                start += c as usize;
                list
            })
            .collect())
    }
}

/// 0/1 flags as `f64`.
pub(crate) fn flags(v: &[bool]) -> Vec<f64> {
    v.iter().map(|&b| f64::from(u8::from(b))).collect()
}

/// Reads 0/1 flags back.
pub(crate) fn set_flags(into: &mut [bool], values: &[f64]) {
    for (a, &b) in into.iter_mut().zip(values) {
        *a = b != 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_lists_and_rngs_round_trip_and_lengths_are_checked() {
        let mut s = StateArrays::default();
        s.put("a", vec![1.0, 2.0]);
        s.put_value("n", 7.0);
        s.put_lists("spikes", &[vec![0.5], vec![], vec![1.0, 2.0]]);
        let mut rng = crate::rng::stream(1, "x");
        s.put_rng("r", &rng);
        assert_eq!(s.take("a", Some(2)).unwrap(), &[1.0, 2.0]);
        assert!(s.take("a", Some(3)).unwrap_err().contains("holds 2 values"));
        assert!(s.take("b", None).unwrap_err().contains("lacks `b`"));
        assert_eq!(s.take_count("n").unwrap(), 7);
        assert_eq!(
            s.take_lists("spikes", 3).unwrap(),
            vec![vec![0.5], vec![], vec![1.0, 2.0]]
        );
        use rand::Rng as _;
        let mut back = s.take_rng("r").unwrap();
        assert_eq!(back.random::<u64>(), rng.random::<u64>());
    }
}
