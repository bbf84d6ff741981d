//! Small drawing helpers shared by the panes.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Slot;
use crate::checks::CheckStatus;

/// The theme slot of a check status.
pub fn status_slot(status: CheckStatus) -> Slot {
    match status {
        CheckStatus::Ok => Slot::StatusOk,
        CheckStatus::Warning => Slot::StatusWarn,
        CheckStatus::Critical => Slot::StatusCrit,
        CheckStatus::Unknown => Slot::StatusUnknown,
    }
}

/// `text` cut with "…" or padded with spaces to exactly `width` columns.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = truncate(text, width);
    let used = out.width();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// `text` padded with spaces to at least `width` columns (never cut): `format!("{:<18}")`
/// pads by characters, which misaligns wide ones.
pub fn pad(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(text.width())));
    out
}

/// `text` cut with "…" to at most `width` columns.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The last `width` values as ▁▂▃▄▅▆▇█, scaled to their own range.
pub fn sparkline(values: impl Iterator<Item = f64>, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values: Vec<f64> = values.collect();
    let values = &values[values.len().saturating_sub(width)..];
    let max = values.iter().cloned().fold(0.0_f64, f64::max);
    if max <= 0.0 {
        return String::new();
    }
    values
        .iter()
        .map(|v| BARS[((v / max) * 7.0).clamp(0.0, 7.0) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_pads_and_cuts_by_columns() {
        assert_eq!(fit("api", 5), "api  ");
        assert_eq!(fit("production", 5), "prod…");
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(fit("🚀 launch", 4), "🚀 …");
        assert_eq!(fit("🚀🚀🚀", 4), "🚀… ");
        assert_eq!(pad("→ ←", 5), "→ ←  ");
        assert_eq!(pad("日本", 3), "日本");
    }

    #[test]
    fn sparkline_scales_to_the_maximum() {
        assert_eq!(sparkline([1.0, 2.0, 4.0, 8.0].into_iter(), 8), "▁▂▄█");
        assert_eq!(sparkline([1.0, 2.0, 4.0].into_iter(), 2), "▄█");
        assert_eq!(sparkline(std::iter::empty(), 4), "");
    }
}
