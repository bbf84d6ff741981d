//! What a row shows, from what its check returned: `fail_after` and `recover_after`
//! damping, and flapping.
//!
//! A check that fails once in a hundred runs (a dropped packet, a slow GC pause) should
//! not turn a row red and back; one that keeps changing its mind should say so, rather
//! than blink between OK and CRITICAL. The rules follow Nagios's soft and hard states and
//! its flap detection, simplified to counts a sheriff can check by eye.

use std::collections::VecDeque;

use super::CheckStatus;

/// How many of the latest raw results flapping looks at.
pub const FLAP_WINDOW: usize = 10;
/// State changes within [`FLAP_WINDOW`] results from which a row is flapping.
pub const FLAP_START: usize = 4;
/// State changes within [`FLAP_WINDOW`] results at or under which flapping stops.
pub const FLAP_STOP: usize = 1;

/// Turns one row's raw results into what the row shows:
///
/// - The first result is shown as it is (a restart must not hide an outage).
/// - A row showing OK shows a problem only after `fail_after` non-OK results in a row;
///   it then shows the latest of them (two warnings and a critical show CRITICAL).
/// - A row already showing a problem shows each new non-OK result at once (from WARNING
///   to CRITICAL and back): it is down either way, and the latest result says best how.
/// - A row showing a problem shows OK only after `recover_after` OK results in a row.
/// - A row is flapping when its last 10 results change state 4 or more times, and stops
///   flapping once they change 1 time or fewer, so it does not blink in and out of it.
///   While flapping it shows WARNING: it is neither reliably up nor reliably down.
///
/// `Damper::new(1, 1)` shows each result as it comes, except while flapping.
#[derive(Debug, Clone)]
pub struct Damper {
    fail_after: u32,
    recover_after: u32,
    /// The damped state; `None` before the first result.
    shown: Option<CheckStatus>,
    /// Results in a row that disagree with `shown` (non-OK ones while OK is shown, OK
    /// ones while a problem is), and the latest of them.
    streak: u32,
    latest: CheckStatus,
    recent: VecDeque<CheckStatus>,
    flapping: bool,
}

/// What a row shows after one result.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The state the row shows.
    pub status: CheckStatus,
    /// Set while the row is flapping (it then shows WARNING).
    pub flapping: Option<Flap>,
    /// A raw state not shown yet: (state, results in a row so far, results needed). Not
    /// set while flapping.
    pub pending: Option<(CheckStatus, u32, u32)>,
}

/// How much a flapping row changed: `changes` state changes in its last `runs` results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flap {
    pub changes: usize,
    pub runs: usize,
}

impl Damper {
    /// A damper that needs `fail_after` non-OK results in a row to show a problem and
    /// `recover_after` OK results in a row to show OK again; 0 counts as 1.
    pub fn new(fail_after: u32, recover_after: u32) -> Damper {
        Damper {
            fail_after: fail_after.max(1),
            recover_after: recover_after.max(1),
            shown: None,
            streak: 0,
            latest: CheckStatus::Ok,
            recent: VecDeque::with_capacity(FLAP_WINDOW),
            flapping: false,
        }
    }

    /// Takes one raw result and says what the row shows now.
    pub fn observe(&mut self, raw: CheckStatus) -> Shown {
        if self.recent.len() == FLAP_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(raw);
        let changes = self.changes();
        if changes >= FLAP_START {
            self.flapping = true;
        } else if changes <= FLAP_STOP {
            self.flapping = false;
        }

        let pending = self.damp(raw);
        let shown = self.shown.unwrap_or(raw);
        if self.flapping {
            return Shown {
                status: CheckStatus::Warning,
                flapping: Some(Flap {
                    changes,
                    runs: self.recent.len(),
                }),
                pending: None,
            };
        }
        Shown {
            status: shown,
            flapping: None,
            pending,
        }
    }

    /// Moves the damped state on by `raw`; returns the state still pending, if any.
    fn damp(&mut self, raw: CheckStatus) -> Option<(CheckStatus, u32, u32)> {
        let Some(shown) = self.shown else {
            self.shown = Some(raw);
            return None;
        };
        let (disagrees, needed) = match (shown == CheckStatus::Ok, raw == CheckStatus::Ok) {
            (true, true) => (false, 0),
            (true, false) => (true, self.fail_after),
            (false, true) => (true, self.recover_after),
            (false, false) => {
                // Down already: a different problem shows at once.
                self.shown = Some(raw);
                (false, 0)
            }
        };
        if !disagrees {
            self.streak = 0;
            return None;
        }
        self.streak = self.streak.saturating_add(1);
        self.latest = raw;
        if self.streak >= needed {
            self.shown = Some(self.latest);
            self.streak = 0;
            return None;
        }
        Some((self.latest, self.streak, needed))
    }

    /// State changes between consecutive results in the flap window.
    fn changes(&self) -> usize {
        self.recent
            .iter()
            .zip(self.recent.iter().skip(1))
            .filter(|(a, b)| a != b)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckStatus::{Critical as Crit, Ok, Unknown, Warning as Warn};

    fn run(damper: &mut Damper, raws: &[CheckStatus]) -> Vec<Shown> {
        raws.iter().map(|&raw| damper.observe(raw)).collect()
    }

    fn statuses(shown: &[Shown]) -> Vec<CheckStatus> {
        shown.iter().map(|s| s.status).collect()
    }

    #[test]
    fn the_first_result_is_shown_as_it_is() {
        assert_eq!(Damper::new(3, 3).observe(Crit).status, Crit);
        assert_eq!(Damper::new(3, 3).observe(Ok).status, Ok);
    }

    #[test]
    fn a_check_alternating_ok_and_critical_flaps_and_never_shows_critical() {
        let mut damper = Damper::new(3, 1);
        let raws: Vec<_> = (0..30)
            .map(|i| if i % 2 == 0 { Ok } else { Crit })
            .collect();
        let shown = run(&mut damper, &raws);
        // Changes reach 4 on the fifth result.
        assert_eq!(statuses(&shown[..4]), [Ok, Ok, Ok, Ok]);
        assert!(shown[..4].iter().all(|s| s.flapping.is_none()));
        assert_eq!(shown[1].pending, Some((Crit, 1, 3)));
        assert_eq!(
            shown[4].flapping,
            Some(Flap {
                changes: 4,
                runs: 5
            })
        );
        assert!(shown[4..].iter().all(|s| s.status == Warn));
        assert_eq!(
            shown[29].flapping,
            Some(Flap {
                changes: 9,
                runs: 10
            })
        );
        assert!(shown.iter().all(|s| s.status != Crit));
    }

    #[test]
    fn a_steady_failure_shows_on_the_fail_after_th_result() {
        let mut damper = Damper::new(3, 1);
        let shown = run(&mut damper, &[Ok, Crit, Crit, Crit, Crit]);
        assert_eq!(statuses(&shown), [Ok, Ok, Ok, Crit, Crit]);
        assert_eq!(shown[1].pending, Some((Crit, 1, 3)));
        assert_eq!(shown[2].pending, Some((Crit, 2, 3)));
        assert_eq!(shown[3].pending, None);
        // Mixed problems count together; the latest is what shows.
        let mut damper = Damper::new(3, 1);
        let shown = run(&mut damper, &[Ok, Warn, Unknown, Crit]);
        assert_eq!(statuses(&shown), [Ok, Ok, Ok, Crit]);
        assert_eq!(shown[2].pending, Some((Unknown, 2, 3)));
        // A single OK in between starts the count again.
        let mut damper = Damper::new(3, 1);
        let shown = run(&mut damper, &[Ok, Crit, Crit, Ok, Crit, Crit, Crit]);
        assert_eq!(statuses(&shown), [Ok, Ok, Ok, Ok, Ok, Ok, Crit]);
    }

    #[test]
    fn recovery_needs_recover_after_oks_in_a_row() {
        let mut damper = Damper::new(1, 2);
        let shown = run(&mut damper, &[Crit, Ok, Crit, Ok, Ok, Ok]);
        assert_eq!(statuses(&shown), [Crit, Crit, Crit, Crit, Ok, Ok]);
        assert_eq!(shown[1].pending, Some((Ok, 1, 2)));
        assert_eq!(shown[3].pending, Some((Ok, 1, 2)));
        assert_eq!(shown[4].pending, None);
        // While down, a different problem shows at once.
        let mut damper = Damper::new(3, 2);
        let shown = run(&mut damper, &[Warn, Crit, Ok, Warn]);
        assert_eq!(statuses(&shown), [Warn, Crit, Crit, Warn]);
    }

    #[test]
    fn one_and_one_follows_the_check_exactly_when_not_flapping() {
        let mut damper = Damper::new(1, 1);
        let raws = [
            Ok, Ok, Crit, Crit, Crit, Warn, Warn, Ok, Ok, Ok, Ok, Unknown,
        ];
        let shown = run(&mut damper, &raws);
        assert_eq!(statuses(&shown), raws);
        assert!(shown
            .iter()
            .all(|s| s.pending.is_none() && s.flapping.is_none()));
        assert_eq!(Damper::new(0, 0).observe(Crit).status, Crit);
    }

    #[test]
    fn flapping_stops_only_when_the_changes_die_down() {
        let mut damper = Damper::new(1, 1);
        let mut raws: Vec<_> = (0..10)
            .map(|i| if i % 2 == 0 { Ok } else { Crit })
            .collect();
        raws.extend([Ok; 10]);
        let shown = run(&mut damper, &raws);
        // After the last CRITICAL the window holds one change fewer each run: still
        // flapping at 3 and 2 changes (under 4, but over 1), not at 1.
        let changes: Vec<_> = shown[10..]
            .iter()
            .map(|s| s.flapping.map(|f| f.changes))
            .collect();
        assert_eq!(
            changes,
            [
                Some(9),
                Some(8),
                Some(7),
                Some(6),
                Some(5),
                Some(4),
                Some(3),
                Some(2),
                None,
                None
            ]
        );
        assert!(shown[10..18].iter().all(|s| s.status == Warn));
        assert!(shown[18..].iter().all(|s| s.status == Ok));
        // Two changes do not start it again.
        let shown = run(&mut damper, &[Crit, Ok, Ok]);
        assert!(shown.iter().all(|s| s.flapping.is_none()));
        assert_eq!(statuses(&shown), [Crit, Ok, Ok]);
    }

    #[test]
    fn a_row_leaving_flapping_shows_its_damped_state() {
        // Flapping between OK and CRITICAL, then CRITICAL for good: once flapping stops
        // the row shows CRITICAL, the failure having long passed fail_after.
        let mut damper = Damper::new(3, 2);
        let mut raws: Vec<_> = (0..10)
            .map(|i| if i % 2 == 0 { Ok } else { Crit })
            .collect();
        raws.extend([Crit; 10]);
        let shown = run(&mut damper, &raws);
        let last = shown.last().expect("results");
        assert_eq!(last.status, Crit);
        assert_eq!(last.flapping, None);
        assert!(shown.iter().any(|s| s.flapping.is_some()));
    }
}
