//! Realistic log lines for the demo: a production app log and a staging nginx error log,
//! a few lines a second, mostly routine with warnings and errors mixed in.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Local, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::io::AsyncWriteExt;

/// Lines already in each file when the demo starts, so the Logs pane opens with history.
const BACKLOG: usize = 40;
/// Lines in each rotated copy of the app log the demo starts with (an hour each).
const HISTORY: usize = 600;
/// Mean time between appended lines (both files together).
const EVERY: Duration = Duration::from_millis(350);

/// Writes between two rotations of the app log: about two minutes at the demo's pace.
const ROTATE_EVERY: u32 = 300;

/// Which log a line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    App,
    Nginx,
}

/// The two files the writer appends to.
pub struct LogWriter {
    pub app: PathBuf,
    pub nginx: PathBuf,
}

impl LogWriter {
    /// Writes the backlog (timestamps spread over the last ten minutes) synchronously, so
    /// the files exist before the config naming them is read.
    pub fn seed(&self, now: DateTime<Utc>) -> std::io::Result<()> {
        let mut rng = StdRng::from_rng(&mut rand::rng());
        // Two rotated copies of the app log, as logrotate leaves them, for scrolling back
        // past the first screen: `app.log.1` and, older, `app.log.2.gz`.
        for (copy, hours_ago) in [(2, 3), (1, 2)] {
            let from = now - TimeDelta::hours(hours_ago) - TimeDelta::minutes(10);
            let mut text = String::new();
            for i in 0..HISTORY {
                let at = from + TimeDelta::seconds((i * 3600 / HISTORY) as i64);
                text.push_str(&line(Kind::App, at, &mut rng));
                text.push('\n');
            }
            std::fs::write(self.copy(copy), text)?;
        }
        std::fs::write(self.copy_gz(2), gzip(&std::fs::read(self.copy(2))?)?)?;
        std::fs::remove_file(self.copy(2))?;
        for (kind, path) in [(Kind::App, &self.app), (Kind::Nginx, &self.nginx)] {
            let mut text = String::new();
            for i in 0..BACKLOG {
                let at = now - TimeDelta::seconds(((BACKLOG - i) * 15) as i64);
                text.push_str(&line(kind, at, &mut rng));
                text.push('\n');
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    }

    /// Appends lines until the task is aborted. Files are opened for append each round, so
    /// a file someone truncated or rotated by hand goes on being written.
    pub async fn run(self) {
        let mut rng = StdRng::from_rng(&mut rand::rng());
        let mut written: u32 = 0;
        loop {
            written = written.wrapping_add(1);
            // Now and then the app log is rotated as logrotate does, by rename, so the
            // demo shows a tail going on into the new file.
            if written.is_multiple_of(ROTATE_EVERY) {
                self.rotate().await;
            }
            let jitter = rng.random_range(0..=EVERY.as_millis() as u64);
            tokio::time::sleep(Duration::from_millis(EVERY.as_millis() as u64 / 2 + jitter)).await;
            let (kind, path) = if rng.random_bool(0.6) {
                (Kind::App, &self.app)
            } else {
                (Kind::Nginx, &self.nginx)
            };
            // Now and then a burst, as real incidents write several lines at once.
            let count = if rng.random_bool(0.1) {
                rng.random_range(2..=4)
            } else {
                1
            };
            let mut text = String::new();
            for _ in 0..count {
                text.push_str(&line(kind, Utc::now(), &mut rng));
                text.push('\n');
            }
            // Without `create`, a sandbox being torn down is not written back into being.
            let file = tokio::fs::OpenOptions::new().append(true).open(path).await;
            if let Ok(mut file) = file {
                let _ = file.write_all(text.as_bytes()).await;
                let _ = file.flush().await;
            }
        }
    }
}

impl LogWriter {
    /// `app.log.N` (`N` from 1).
    fn copy(&self, n: u32) -> PathBuf {
        self.app.with_extension(format!("log.{n}"))
    }

    fn copy_gz(&self, n: u32) -> PathBuf {
        self.app.with_extension(format!("log.{n}.gz"))
    }

    /// As logrotate with `compress` and `delaycompress` rotates: the oldest copy goes, the
    /// others move one number back, `.1` is gzip'd as `.2.gz`, the log becomes `.1`, and a
    /// new empty log takes its place.
    async fn rotate(&self) {
        let _ = tokio::fs::rename(self.copy_gz(2), self.copy_gz(3)).await;
        if let Ok(bytes) = tokio::fs::read(self.copy(1)).await {
            if let Ok(packed) = gzip(&bytes) {
                if tokio::fs::write(self.copy_gz(2), packed).await.is_ok() {
                    let _ = tokio::fs::remove_file(self.copy(1)).await;
                }
            }
        }
        if tokio::fs::rename(&self.app, self.copy(1)).await.is_ok() {
            let _ = tokio::fs::write(&self.app, "").await;
        }
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut packed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    packed.write_all(bytes)?;
    packed.finish()
}

fn line(kind: Kind, at: DateTime<Utc>, rng: &mut StdRng) -> String {
    match kind {
        Kind::App => app_line(at, rng),
        Kind::Nginx => nginx_line(at, rng),
    }
}

fn app_line(at: DateTime<Utc>, rng: &mut StdRng) -> String {
    let ts = at.format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let roll = rng.random_range(0..100);
    let ms = rng.random_range(3..90);
    let id = rng.random_range(10_000..99_999);
    match roll {
        0..=54 => {
            let (method, path) = [
                "GET /api/orders",
                "GET /api/cart",
                "POST /api/cart/items",
                "GET /healthz",
            ][rng.random_range(0..4)]
            .split_once(' ')
            .unwrap_or(("GET", "/"));
            format!("{ts} INFO  http: {method} {path} 200 {ms}ms req={id}")
        }
        55..=69 => format!("{ts} INFO  worker: job {id} done in {ms}ms"),
        70..=77 => format!("{ts} DEBUG cache: miss key=cart:{id} fill={ms}ms"),
        78..=89 => format!(
            "{ts} WARN  db: slow query {}ms: SELECT * FROM orders WHERE customer_id = $1",
            rng.random_range(400..1800)
        ),
        90..=95 => format!("{ts} WARN  http: retrying upstream payments (attempt 2/3) req={id}"),
        _ => format!("{ts} ERROR payments: charge failed: processor timeout after 10s req={id}"),
    }
}

fn nginx_line(at: DateTime<Utc>, rng: &mut StdRng) -> String {
    let ts = at.with_timezone(&Local).format("%Y/%m/%d %H:%M:%S");
    let conn = rng.random_range(1000..9999);
    let client = format!("10.0.3.{}", rng.random_range(2..250));
    let tail = format!(
        "client: {client}, server: api.staging.example.org, request: \"GET /healthz HTTP/1.1\", \
         upstream: \"http://127.0.0.1:8080/healthz\", host: \"api.staging.example.org\""
    );
    match rng.random_range(0..100) {
        0..=14 => format!(
            "{ts} [error] 2211#2211: *{conn} upstream timed out (110: Connection timed out) while reading response header from upstream, {tail}"
        ),
        15..=22 => format!(
            "{ts} [error] 2211#2211: *{conn} connect() failed (111: Connection refused) while connecting to upstream, {tail}"
        ),
        23..=44 => format!(
            "{ts} [warn] 2211#2211: *{conn} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/4/{:02}/00000{conn} while reading upstream, {tail}",
            conn % 100
        ),
        45..=54 => format!(
            "{ts} [warn] 2211#2211: *{conn} upstream server temporarily disabled while reading response header from upstream, {tail}"
        ),
        55..=89 => format!("{ts} [info] 2211#2211: *{conn} client {client} closed keepalive connection"),
        _ => format!("{ts} [notice] 2210#2210: signal process started"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::level::detect_level;
    use crate::logs::Level;

    #[test]
    fn lines_carry_a_mix_of_levels() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            for kind in [Kind::App, Kind::Nginx] {
                seen.insert(detect_level(&line(kind, Utc::now(), &mut rng)));
            }
        }
        for level in [Level::Info, Level::Warn, Level::Error, Level::Debug] {
            assert!(seen.contains(&Some(level)), "{level:?} never written");
        }
        assert!(!seen.contains(&None));
    }
}
