//! Errors per minute for each source over the last ten minutes, for the sparkline row at
//! the top of the Logs pane: which host started failing, and when, at a glance.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::logs::{Level, LogLine};

/// Minutes the sparkline covers.
pub const MINUTES: usize = 10;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

#[derive(Debug, Default)]
pub struct ErrorRates {
    /// Per source: errors per minute, keyed by minutes since the epoch.
    sources: BTreeMap<String, BTreeMap<i64, u32>>,
}

impl ErrorRates {
    pub fn count(&mut self, line: &LogLine) {
        // The source's name is copied only the first time it is seen, not per line.
        if !self.sources.contains_key(&line.source) {
            self.sources.insert(line.source.clone(), BTreeMap::new());
        }
        let Some(minutes) = self.sources.get_mut(&line.source) else {
            return;
        };
        if line.level.is_some_and(|l| l >= Level::Error) {
            *minutes.entry(minute_of(line.received)).or_default() += 1;
            // Older minutes are never drawn again.
            let oldest = minute_of(line.received) - MINUTES as i64;
            while minutes.first_key_value().is_some_and(|(&m, _)| m <= oldest) {
                minutes.pop_first();
            }
        }
    }

    /// The sources seen, in name order.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// `source`'s last ten minutes up to `now` as bars, and its errors in them.
    pub fn sparkline(&self, source: &str, now: DateTime<Utc>) -> (String, u32) {
        let now = minute_of(now);
        let counts: Vec<u32> = (0..MINUTES as i64)
            .rev()
            .map(|ago| {
                self.sources
                    .get(source)
                    .and_then(|m| m.get(&(now - ago)))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        let top = counts.iter().copied().max().unwrap_or(0).max(1);
        let bars = counts
            .iter()
            .map(|&n| match n {
                0 => BARS[0],
                n => BARS[(1 + (n as usize - 1) * 6 / (top as usize - 1).max(1)).min(7)],
            })
            .collect();
        (bars, counts.iter().sum())
    }
}

fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn line(source: &str, minute: u32, level: Option<Level>) -> LogLine {
        LogLine {
            source: source.into(),
            received: Utc.with_ymd_and_hms(2026, 12, 1, 12, minute, 0).unwrap(),
            time: None,
            level,
            text: String::new(),
            origin: None,
        }
    }

    #[test]
    fn each_source_gets_its_own_bars_for_the_last_ten_minutes() {
        let mut rates = ErrorRates::default();
        for _ in 0..6 {
            rates.count(&line("app@web1", 9, Some(Level::Error)));
        }
        rates.count(&line("app@web1", 5, Some(Level::Fatal)));
        rates.count(&line("app@web2", 9, Some(Level::Info)));
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 9, 30).unwrap();
        let (bars, total) = rates.sparkline("app@web1", now);
        assert_eq!(bars.chars().count(), MINUTES);
        assert_eq!(total, 7);
        assert_eq!(bars.chars().last(), Some('█'));
        assert_eq!(bars.chars().nth(MINUTES - 5), Some('▂'));
        assert_eq!(rates.sparkline("app@web2", now), ("▁".repeat(MINUTES), 0));
        assert_eq!(
            rates.sources().collect::<Vec<_>>(),
            ["app@web1", "app@web2"]
        );
    }
}
