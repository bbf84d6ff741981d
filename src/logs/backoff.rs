//! The wait before a source that ended (a command that exited, a `journalctl` that lost
//! its journal) is started again: doubling while it keeps ending quickly, so a command that
//! fails at once costs a start every 30 s rather than a busy loop, and back to the first
//! wait after a run that lasted, so one exit after a day of output restarts at once.

use std::time::Duration;

/// Restart waits for one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    next: Duration,
}

impl Default for Backoff {
    /// 1 s, doubling to 30 s.
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
    }
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Backoff {
            first,
            max: max.max(first),
            next: first,
        }
    }

    /// The wait before the next start, after a run that lasted `lasted`. A run longer than
    /// the longest wait counts as a success: the doubling starts over.
    ///
    /// ```
    /// use sheriff::logs::backoff::Backoff;
    /// use std::time::Duration;
    /// let s = Duration::from_secs;
    /// let mut b = Backoff::default();
    /// assert_eq!(b.after_run(s(0)), s(1));
    /// assert_eq!(b.after_run(s(0)), s(2));
    /// assert_eq!(b.after_run(s(60)), s(1));
    /// ```
    pub fn after_run(&mut self, lasted: Duration) -> Duration {
        if lasted > self.max {
            self.next = self.first;
        }
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_and_stays() {
        let s = Duration::from_secs;
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..7).map(|_| b.after_run(s(0)).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
    }
}
