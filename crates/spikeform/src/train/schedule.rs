//! When learning happens, in integer steps.

/// Learning steps of one trial: every `every_steps` steps in the window
/// `(start_step, end_step]`, i.e. steps `n` with `start_step < n <= end_step` and
/// `n % every_steps == 0` (the reference tests `mod(t, learn_every) == 0` in floating point,
/// which selects the same steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearningSchedule {
    /// Learning starts strictly after this step.
    pub start_step: u64,
    /// Last step at which learning may happen.
    pub end_step: u64,
    /// Interval between updates, in steps (> 0).
    pub every_steps: u64,
}

impl LearningSchedule {
    /// Whether step `n` is a learning step.
    pub fn is_learning_step(&self, n: u64) -> bool {
        n > self.start_step && n <= self.end_step && n.is_multiple_of(self.every_steps)
    }

    /// Number of learning steps per trial.
    pub fn updates_per_trial(&self) -> u64 {
        self.end_step / self.every_steps - self.start_step / self.every_steps
    }

    /// The 1-based index of learning step `n` within the trial (the reference's `learn_seq`).
    pub fn update_index(&self, n: u64) -> u64 {
        n / self.every_steps - self.start_step / self.every_steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part3_schedule_has_100_updates() {
        let s = LearningSchedule {
            start_step: 10_000,
            end_step: 30_000,
            every_steps: 200,
        };
        let steps: Vec<u64> = (1..=30_000).filter(|&n| s.is_learning_step(n)).collect();
        assert_eq!(steps.len(), 100);
        assert_eq!(steps[0], 10_200);
        assert_eq!(*steps.last().unwrap(), 30_000);
        assert_eq!(s.updates_per_trial(), 100);
        assert_eq!(s.update_index(10_200), 1);
        assert_eq!(s.update_index(30_000), 100);
    }

    #[test]
    fn part1_schedule_has_100_updates() {
        let s = LearningSchedule {
            start_step: 1100,
            end_step: 6100,
            every_steps: 50,
        };
        let steps: Vec<u64> = (2..=6100).filter(|&n| s.is_learning_step(n)).collect();
        assert_eq!(steps.len(), 100);
        assert_eq!(steps[0], 1150);
    }
}
