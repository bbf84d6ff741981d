//! Forecasts: when a metric's trend will cross its threshold ("full in 3d4h"), said only
//! when the trend is clear enough to act on.
//!
//! A forecast that cries wolf is worse than none: a sheriff who is told a disk fills in
//! two hours and finds it flat learns to ignore the column. So the line is fitted only
//! when the points are many, cover the window, lie close to a line and slope clearly;
//! every condition is written on [`Rule`] in the words a user reads.
//!
//! The least-squares fit is written out (a handful of sums) rather than taken from a
//! statistics crate: the code needs one straight line, its R² and its slope's standard
//! error, and none of a crate's model machinery.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::duration::format_duration;

/// When a metric is expected to reach its threshold.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Forecast {
    pub threshold: f64,
    pub crosses_at: DateTime<Utc>,
    /// Seconds from the `now` the forecast was made for until `crosses_at` (at least 1).
    pub in_seconds: i64,
}

/// When sheriff forecasts a threshold crossing. All of these must hold, or no forecast is
/// shown:
///
/// - There are at least `min_points` readings (default 8); readings that are not a
///   number (NaN, infinity) do not count.
/// - They stretch over at least `min_span_fraction` of the window looked at (default
///   0.5: half of a 6 h window, 3 h), so a check that just started does not extrapolate
///   from its first minutes.
/// - A straight line explains them: R² is at least `min_r_squared` (default 0.8), so a
///   noisy metric never warns. A sudden step (flat, then a jump, then flat) is not a line
///   (R² is at most 0.75 for evenly spaced readings) and gives no forecast either.
/// - The line clearly slopes: its slope is at least `min_slope_sigmas` standard errors
///   away from zero (default 3), so a flat metric never warns.
/// - The metric moves toward the threshold and has not reached it yet (once it has, the
///   check's state says so).
/// - The line reaches the threshold after now and within the horizon asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub min_points: usize,
    pub min_span_fraction: f64,
    pub min_r_squared: f64,
    pub min_slope_sigmas: f64,
}

impl Default for Rule {
    /// At least 8 readings over half the window, R² ≥ 0.8, slope ≥ 3 standard errors.
    fn default() -> Rule {
        Rule {
            min_points: 8,
            min_span_fraction: 0.5,
            min_r_squared: 0.8,
            min_slope_sigmas: 3.0,
        }
    }
}

/// When the straight line through `points` (the readings within the last `window`,
/// oldest first) reaches `threshold`, if that is within `horizon` of `now` and the
/// readings pass `rule`. The threshold may lie above (a disk filling) or below (a
/// certificate's days left, free bytes) the readings.
pub fn forecast(
    points: &[(DateTime<Utc>, f64)],
    threshold: f64,
    now: DateTime<Utc>,
    window: Duration,
    horizon: Duration,
    rule: &Rule,
) -> Option<Forecast> {
    if !threshold.is_finite() {
        return None;
    }
    let finite: Vec<(DateTime<Utc>, f64)> = points
        .iter()
        .copied()
        .filter(|(_, v)| v.is_finite())
        .collect();
    // Two points fit any line exactly: the standard error needs a third.
    if finite.len() < rule.min_points.max(3) {
        return None;
    }
    // Seconds since the first reading: epoch seconds squared would lose the precision
    // the sums need.
    let first = finite.iter().map(|(t, _)| *t).min()?;
    let secs = |t: DateTime<Utc>| (t - first).num_milliseconds() as f64 / 1000.0;
    let xy: Vec<(f64, f64)> = finite.iter().map(|&(t, v)| (secs(t), v)).collect();
    let fit = Fit::of(&xy)?;

    let span = xy.iter().map(|p| p.0).fold(0.0, f64::max);
    // Written as what must hold, so a NaN anywhere (a rule read from config) fails it.
    let covers = span > 0.0 && span >= rule.min_span_fraction * window.as_secs_f64();
    let explains = fit.r_squared >= rule.min_r_squared;
    let slopes = fit.slope != 0.0 && fit.slope.abs() >= rule.min_slope_sigmas * fit.slope_error;
    if !(covers && explains && slopes) {
        return None;
    }

    let at_now = fit.at(secs(now));
    let (_, latest) = xy.iter().copied().max_by(|a, b| a.0.total_cmp(&b.0))?;
    let ahead = |v: f64| {
        if fit.slope > 0.0 {
            v < threshold
        } else {
            v > threshold
        }
    };
    if !(ahead(at_now) && ahead(latest)) {
        return None;
    }
    let seconds = (threshold - at_now) / fit.slope;
    if !(seconds > 0.0 && seconds <= horizon.as_secs_f64()) {
        return None;
    }
    // Under i64::MAX by the horizon check unless the horizon is absurd; `as` saturates.
    let in_seconds = (seconds.round() as i64).max(1);
    let crosses_at = now.checked_add_signed(TimeDelta::try_seconds(in_seconds)?)?;
    Some(Forecast {
        threshold,
        crosses_at,
        in_seconds,
    })
}

/// How long until a crossing, as the Health pane writes it after "full in": the two
/// largest units, in the same style as every other duration sheriff shows ("3d4h",
/// "5h12m", "40m"); under a minute is "<1m". Minutes are rounded down: a forecast is
/// never exact, and sooner is the safer side.
pub fn describe(in_seconds: i64) -> String {
    if in_seconds < 60 {
        return "<1m".to_string();
    }
    let minutes = in_seconds.unsigned_abs() / 60;
    format_duration(Duration::from_secs(minutes * 60))
}

/// An ordinary least-squares line `y = intercept + slope·x`.
struct Fit {
    intercept: f64,
    slope: f64,
    r_squared: f64,
    slope_error: f64,
}

impl Fit {
    /// The fit of `points` (at least three); `None` when x or y never varies or a sum
    /// overflows.
    fn of(points: &[(f64, f64)]) -> Option<Fit> {
        let n = points.len() as f64;
        let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
        // Sums about the means (a second pass) rather than Σx², whose cancellation loses
        // digits when the values are large and vary little (bytes free on a big disk).
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for &(x, y) in points {
            let (dx, dy) = (x - mean_x, y - mean_y);
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        if !(sxx > 0.0 && syy > 0.0 && sxx.is_finite() && syy.is_finite() && sxy.is_finite()) {
            return None;
        }
        let slope = sxy / sxx;
        let intercept = mean_y - slope * mean_x;
        let sse: f64 = points
            .iter()
            .map(|&(x, y)| {
                let r = y - (intercept + slope * x);
                r * r
            })
            .sum();
        let r_squared = 1.0 - sse / syy;
        let slope_error = (sse / (n - 2.0) / sxx).sqrt();
        (r_squared.is_finite() && slope_error.is_finite()).then_some(Fit {
            intercept,
            slope,
            r_squared,
            slope_error,
        })
    }

    fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;

    /// xorshift64*: a small deterministic generator, so a failing seed can be replayed.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Rng {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        /// Uniform in [-1, 1).
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
            bits as f64 / (1u64 << 52) as f64 - 1.0
        }
    }

    fn start() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).expect("a valid time")
    }

    /// `count` readings every `step` seconds from `start()`, valued `f(seconds)`.
    fn readings(count: u64, step: u64, mut f: impl FnMut(f64) -> f64) -> Vec<(DateTime<Utc>, f64)> {
        (0..count)
            .map(|i| {
                let s = i * step;
                (start() + TimeDelta::seconds(s as i64), f(s as f64))
            })
            .collect()
    }

    fn end_of(points: &[(DateTime<Utc>, f64)]) -> DateTime<Utc> {
        points.last().map(|p| p.0).expect("points")
    }

    /// A disk at 50% filling steadily to 80% over six hours (5%/h), read every 5 minutes,
    /// with ±0.3% of noise.
    fn filling_disk(seed: u64) -> Vec<(DateTime<Utc>, f64)> {
        let mut rng = Rng::new(seed);
        readings(73, 300, |s| {
            50.0 + 30.0 * s / (6 * HOUR) as f64 + 0.3 * rng.next()
        })
    }

    fn six_hours() -> Duration {
        Duration::from_secs(6 * HOUR)
    }

    #[test]
    fn a_steadily_filling_disk_is_full_when_the_rate_says() {
        for seed in 0..20 {
            let points = filling_disk(seed);
            let now = end_of(&points);
            let week = Duration::from_secs(7 * DAY);
            let f = forecast(&points, 90.0, now, six_hours(), week, &Rule::default())
                .expect("a clear trend warns");
            // 80% now, 5%/h: 90% two hours from now.
            let expected = 2.0 * HOUR as f64;
            let off = (f.in_seconds as f64 - expected).abs() / expected;
            assert!(off <= 0.02, "seed {seed}: {}s", f.in_seconds);
            assert_eq!(f.crosses_at, now + TimeDelta::seconds(f.in_seconds));
            assert_eq!(f.threshold, 90.0);
        }
    }

    #[test]
    fn a_crossing_beyond_the_horizon_is_not_forecast() {
        let points = filling_disk(1);
        let now = end_of(&points);
        let hour = Duration::from_secs(HOUR);
        assert_eq!(
            forecast(&points, 90.0, now, six_hours(), hour, &Rule::default()),
            None
        );
        // 1% in six hours: 90% is ten days away, past a week's horizon.
        let slow = readings(73, 300, |s| 50.0 + s / (6 * HOUR) as f64);
        let week = Duration::from_secs(7 * DAY);
        let month = Duration::from_secs(30 * DAY);
        assert_eq!(
            forecast(&slow, 90.0, now, six_hours(), week, &Rule::default()),
            None
        );
        let f = forecast(&slow, 90.0, now, six_hours(), month, &Rule::default());
        assert_eq!(f.map(|f| f.in_seconds / DAY as i64), Some(9));
    }

    #[test]
    fn noise_around_a_level_never_warns() {
        let month = Duration::from_secs(30 * DAY);
        for seed in 0..2000 {
            let mut rng = Rng::new(seed);
            let points = readings(73, 300, |_| 60.0 + 5.0 * rng.next());
            let now = end_of(&points);
            for threshold in [90.0, 30.0] {
                let f = forecast(
                    &points,
                    threshold,
                    now,
                    six_hours(),
                    month,
                    &Rule::default(),
                );
                assert_eq!(f, None, "seed {seed} toward {threshold}");
            }
        }
    }

    #[test]
    fn a_flat_metric_never_warns() {
        let month = Duration::from_secs(30 * DAY);
        let flat = readings(73, 300, |_| 60.0);
        let now = end_of(&flat);
        assert_eq!(
            forecast(&flat, 90.0, now, six_hours(), month, &Rule::default()),
            None
        );
        // Flat with a last-digit wobble: the slope is no bigger than its error.
        let mut rng = Rng::new(7);
        let wobble = readings(73, 300, |_| 60.0 + 1e-9 * rng.next());
        assert_eq!(
            forecast(&wobble, 90.0, now, six_hours(), month, &Rule::default()),
            None
        );
    }

    #[test]
    fn falling_metrics_reach_a_lower_threshold() {
        // A certificate with 30 days left, read hourly for a week: 23 left now, 14 is
        // nine days away.
        let days_left = readings(169, HOUR, |s| 30.0 - s / DAY as f64);
        let now = end_of(&days_left);
        let week = Duration::from_secs(7 * DAY);
        let month = Duration::from_secs(30 * DAY);
        let f = forecast(&days_left, 14.0, now, week, month, &Rule::default()).expect("warns");
        assert!(
            (f.in_seconds - 9 * DAY as i64).abs() <= 1,
            "{}",
            f.in_seconds
        );
        assert_eq!(describe(f.in_seconds), "9d");

        // 500 GB free, losing 10 GB an hour with noise: 440 GB after 6 h, empty in 44 h.
        let mut rng = Rng::new(3);
        let free = readings(73, 300, |s| {
            500e9 - 10e9 * s / HOUR as f64 + 0.5e9 * rng.next()
        });
        let now = end_of(&free);
        let f = forecast(&free, 0.0, now, six_hours(), week, &Rule::default()).expect("warns");
        let off = (f.in_seconds as f64 - 44.0 * HOUR as f64).abs() / (44.0 * HOUR as f64);
        assert!(off <= 0.02, "{}", f.in_seconds);
    }

    #[test]
    fn seven_readings_are_too_few() {
        let week = Duration::from_secs(7 * DAY);
        let hour_steps = |n| readings(n, HOUR, |s| 50.0 + s / HOUR as f64);
        let seven = hour_steps(7);
        let now = end_of(&seven);
        assert_eq!(
            forecast(&seven, 90.0, now, six_hours(), week, &Rule::default()),
            None
        );
        let eight = hour_steps(8);
        let now = end_of(&eight);
        assert!(forecast(&eight, 90.0, now, six_hours(), week, &Rule::default()).is_some());
    }

    #[test]
    fn readings_over_a_sliver_of_the_window_are_not_extrapolated() {
        // Twenty readings in the first hour of a check's life, with a 6 h window.
        let young = readings(20, 180, |s| 50.0 + s / 360.0);
        let now = end_of(&young);
        let week = Duration::from_secs(7 * DAY);
        assert_eq!(
            forecast(&young, 90.0, now, six_hours(), week, &Rule::default()),
            None
        );
    }

    #[test]
    fn a_step_change_projects_no_crossing() {
        // Flat at 50%, a jump to 70% (a big file landed), flat again: wherever the step
        // falls in the window, a line explains at most 75% of it, so nothing is projected.
        let week = Duration::from_secs(7 * DAY);
        for tenth in 1..10 {
            let at = (6 * HOUR * tenth / 10) as f64;
            let mut rng = Rng::new(tenth);
            let points = readings(
                73,
                300,
                |s| if s < at { 50.0 } else { 70.0 } + 0.2 * rng.next(),
            );
            let now = end_of(&points);
            let f = forecast(&points, 90.0, now, six_hours(), week, &Rule::default());
            assert_eq!(f, None, "step at {tenth}/10 of the window");
        }
    }

    #[test]
    fn values_that_are_not_numbers_are_ignored() {
        let clean = filling_disk(5);
        let now = end_of(&clean);
        let week = Duration::from_secs(7 * DAY);
        let expected = forecast(&clean, 90.0, now, six_hours(), week, &Rule::default());
        let mut dirty = clean.clone();
        dirty.insert(10, (start() + TimeDelta::seconds(3001), f64::NAN));
        dirty.insert(30, (start() + TimeDelta::seconds(9001), f64::INFINITY));
        dirty.insert(50, (start() + TimeDelta::seconds(15001), f64::NEG_INFINITY));
        let got = forecast(&dirty, 90.0, now, six_hours(), week, &Rule::default());
        assert_eq!(got, expected);
        assert!(got.is_some());
        let junk = readings(73, 300, |_| f64::NAN);
        assert_eq!(
            forecast(&junk, 90.0, now, six_hours(), week, &Rule::default()),
            None
        );
        let huge = readings(73, 300, |s| f64::MAX / 2.0 + s * 1e300);
        assert_eq!(
            forecast(&huge, f64::MAX, now, six_hours(), week, &Rule::default()),
            None
        );
        assert_eq!(
            forecast(&clean, f64::NAN, now, six_hours(), week, &Rule::default()),
            None
        );
        assert_eq!(
            forecast(&[], 90.0, now, six_hours(), week, &Rule::default()),
            None
        );
    }

    #[test]
    fn a_metric_past_or_leaving_its_threshold_is_not_forecast() {
        let week = Duration::from_secs(7 * DAY);
        let points = filling_disk(2);
        let now = end_of(&points);
        // Already past 70%: the check's state says so, not a forecast.
        assert_eq!(
            forecast(&points, 70.0, now, six_hours(), week, &Rule::default()),
            None
        );
        // Filling, away from a lower threshold.
        assert_eq!(
            forecast(&points, 10.0, now, six_hours(), week, &Rule::default()),
            None
        );
    }

    #[test]
    fn durations_read_as_the_rest_of_sheriff_writes_them() {
        assert_eq!(describe(3 * DAY as i64 + 4 * HOUR as i64 + 59), "3d4h");
        assert_eq!(describe(5 * HOUR as i64 + 12 * 60 + 59), "5h12m");
        assert_eq!(describe(40 * 60 + 30), "40m");
        assert_eq!(describe(2 * HOUR as i64), "2h");
        assert_eq!(describe(59), "<1m");
        assert_eq!(describe(-5), "<1m");
        assert!(!describe(i64::MAX).is_empty());
    }
}
