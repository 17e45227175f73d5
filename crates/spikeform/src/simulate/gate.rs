//! The spinning gate of the parallel simulation: one leader (the thread that runs the trial) and
//! a fixed set of workers meet at it a few times per step, a few hundred nanoseconds each time
//! instead of the microseconds of a fork/join or a sleeping barrier.
//!
//! A crossing: every worker announces its arrival ([`Gate::wait`]) and spins until the leader
//! opens the gate; the leader waits until every worker has arrived ([`Gate::collect`]), may then
//! work alone (the workers are idle, so it sees and may change everything they wrote), and opens
//! the gate ([`Gate::open`]). `collect` then `open` at once is a plain barrier. Spinning turns
//! into yielding the core after [`SPIN_BEFORE_YIELD`], so a machine with fewer free cores than
//! threads slows down but does not stall.
//!
//! Memory order: a worker's arrival is a release and the leader's `collect` an acquire, so the
//! leader sees all a worker wrote before arriving; `open` is a release and a worker's wait an
//! acquire, so the workers see all the leader (and, through it, every worker) wrote before.
//!
//! Stopping: [`Gate::stop`] opens the gate for good; workers return `false` from `wait` at once
//! and leave. The leader stops the gate when the trial ends, fails or panics, and a worker that
//! panics stops it too (the leader then leaves its `collect`), so no thread spins forever.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

/// How long a thread spins at the gate before it starts yielding its core between checks. A
/// step's phases differ by microseconds, so waits are short on a machine with a free core per
/// thread. On a machine busier than its cores, yielding early was measured faster than spinning
/// longer: spinning 200 µs before yielding made a step on two threads take about 1.5 ms instead
/// of 0.15 ms (the partner thread waits for a core meanwhile).
const SPIN_BEFORE_YIELD: Duration = Duration::from_micros(5);

/// How long a worker yields at the gate before it sleeps between checks: the leader may run
/// steps alone for a while (see `parallel::Pace`), and a sleeping worker leaves the core to it.
const YIELD_BEFORE_SLEEP: Duration = Duration::from_millis(2);

/// A worker's sleep between checks after [`YIELD_BEFORE_SLEEP`].
const SLEEP: Duration = Duration::from_micros(100);

/// Waits until `done()`: spins with the CPU's pause hint, checking the clock every 64 checks;
/// after [`SPIN_BEFORE_YIELD`] yields the core between checks, and, when `may_sleep`, after
/// [`YIELD_BEFORE_SLEEP`] sleeps between them.
fn spin_until(may_sleep: bool, mut done: impl FnMut() -> bool) {
    let mut since: Option<Instant> = None;
    loop {
        for _ in 0..64 {
            if done() {
                return;
            }
            std::hint::spin_loop();
        }
        let waited = since.get_or_insert_with(Instant::now).elapsed();
        if may_sleep && waited > YIELD_BEFORE_SLEEP {
            std::thread::sleep(SLEEP);
        } else if waited > SPIN_BEFORE_YIELD {
            std::thread::yield_now();
        }
    }
}

/// A reusable meeting point of one leader and `workers` workers.
pub(super) struct Gate {
    workers: usize,
    /// Workers that arrived since the gate was last opened.
    arrived: CachePadded<AtomicUsize>,
    /// How many times the gate was opened.
    generation: CachePadded<AtomicUsize>,
    stopped: AtomicBool,
}

impl Gate {
    /// A closed gate for `workers` workers and one leader.
    pub(super) fn new(workers: usize) -> Self {
        Self {
            workers,
            arrived: CachePadded::new(AtomicUsize::new(0)),
            generation: CachePadded::new(AtomicUsize::new(0)),
            stopped: AtomicBool::new(false),
        }
    }

    /// Worker: arrives and waits until the leader opens the gate; `false` when it was stopped.
    pub(super) fn wait(&self) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        self.arrived.fetch_add(1, Ordering::AcqRel);
        spin_until(true, || {
            self.generation.load(Ordering::Acquire) != generation
                || self.stopped.load(Ordering::Acquire)
        });
        !self.stopped.load(Ordering::Acquire)
    }

    /// Leader: waits until every worker has arrived; `false` when the gate was stopped (a
    /// worker panicked).
    pub(super) fn collect(&self) -> bool {
        spin_until(false, || {
            self.arrived.load(Ordering::Acquire) >= self.workers
                || self.stopped.load(Ordering::Acquire)
        });
        !self.stopped.load(Ordering::Acquire)
    }

    /// Leader, after [`Gate::collect`]: lets the workers go.
    pub(super) fn open(&self) {
        self.arrived.store(0, Ordering::Relaxed);
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Opens the gate for good: every wait, now or later, returns `false`.
    pub(super) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.generation.fetch_add(1, Ordering::Release);
    }
}

/// Stops the gate when dropped: at the end of a trial, on an error and on a panic alike.
pub(super) struct StopOnDrop<'a>(pub(super) &'a Gate);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Phases separated by the gate never overlap: in every round each worker adds its share to
    /// a counter after the first crossing, and the leader, after collecting, sees every share of
    /// that round and none of the next; a mutation (a missing `collect`) makes it fail.
    #[test]
    fn rounds_separated_by_the_gate_do_not_overlap() {
        for workers in [1, 2, 3] {
            let gate = Gate::new(workers);
            let counter = AtomicUsize::new(0);
            let rounds = 2_000;
            std::thread::scope(|s| {
                for _ in 0..workers {
                    s.spawn(|| {
                        let _stop = StopOnDrop(&gate);
                        while gate.wait() {
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
                let _stop = StopOnDrop(&gate);
                for round in 0..rounds {
                    assert!(gate.collect());
                    assert_eq!(counter.load(Ordering::Relaxed), round * workers);
                    gate.open();
                }
                assert!(gate.collect());
                assert_eq!(counter.load(Ordering::Relaxed), rounds * workers);
            });
        }
    }

    /// A worker that panics stops the gate: the leader's `collect` returns instead of spinning
    /// forever, and the panic reaches the scope.
    #[test]
    fn a_panicking_worker_releases_the_leader() {
        let gate = Gate::new(2);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|s| {
                s.spawn(|| {
                    let _stop = StopOnDrop(&gate);
                    while gate.wait() {}
                });
                s.spawn(|| {
                    let _stop = StopOnDrop(&gate);
                    gate.wait();
                    panic!("worker fails");
                });
                let _stop = StopOnDrop(&gate);
                while gate.collect() {
                    gate.open();
                }
            });
        }));
        assert!(outcome.is_err());
    }
}
