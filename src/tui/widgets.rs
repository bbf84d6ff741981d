//! Small drawing helpers shared by the panes.

use ratatui::text::Span;
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

/// Styled pieces cut with "…" (in the style of the piece it cuts) or padded with spaces to
/// exactly `width` columns, so a long line never wraps and columns after it stay aligned.
pub fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| s.content.width()).sum();
    let mut out = Vec::with_capacity(spans.len() + 1);
    let mut used = 0;
    if total <= width {
        used = total;
        out = spans;
    } else {
        for span in spans {
            let w = span.content.width();
            // Whole while a column is left for the "…" after it.
            if used + w < width {
                used += w;
                out.push(span);
                continue;
            }
            let mut kept = String::new();
            for c in span.content.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw + 1 > width {
                    break;
                }
                kept.push(c);
                used += cw;
            }
            if width > used {
                kept.push('…');
                used += 1;
            }
            out.push(Span::styled(kept, span.style));
            break;
        }
    }
    if used < width {
        out.push(Span::raw(" ".repeat(width - used)));
    }
    out
}

/// The last `width` values as ▁▂▃▄▅▆▇█, scaled to their own range.
pub fn sparkline(values: impl Iterator<Item = f64>, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values: Vec<f64> = values.collect();
    let values = &values[values.len().saturating_sub(width)..];
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let Some(max) = finite().reduce(f64::max) else {
        return String::new();
    };
    let min = finite().reduce(f64::min).unwrap_or(max);
    // From the series' own low to its high, so a disk going 62% → 64% shows its climb;
    // a flat series is a flat mid line.
    let span = max - min;
    values
        .iter()
        .map(|v| match (v.is_finite(), span > 0.0) {
            (false, _) => ' ',
            (true, false) => BARS[3],
            (true, true) => BARS[(((v - min) / span) * 7.0).clamp(0.0, 7.0) as usize],
        })
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
    fn fit_spans_cuts_in_the_piece_that_overflows() {
        let text = |spans: Vec<Span<'static>>| -> String {
            spans.iter().map(|s| s.content.to_string()).collect()
        };
        let pieces = || vec![Span::raw("ab"), Span::raw("日本語"), Span::raw("cd")];
        assert_eq!(text(fit_spans(pieces(), 12)), "ab日本語cd  ");
        assert_eq!(text(fit_spans(pieces(), 10)), "ab日本語cd");
        assert_eq!(text(fit_spans(pieces(), 9)), "ab日本語…");
        assert_eq!(text(fit_spans(pieces(), 6)), "ab日… ");
        assert_eq!(text(fit_spans(pieces(), 3)), "ab…");
        assert_eq!(text(fit_spans(pieces(), 0)), "");
    }

    #[test]
    fn sparkline_spans_the_series_low_to_high() {
        assert_eq!(sparkline([1.0, 2.0, 4.0, 8.0].into_iter(), 8), "▁▂▄█");
        // The last two of three: 2 is the low, 4 the high.
        assert_eq!(sparkline([1.0, 2.0, 4.0].into_iter(), 2), "▁█");
        // A disk creeping from 62% to 64% shows its climb.
        assert_eq!(sparkline([62.0, 63.0, 64.0].into_iter(), 8), "▁▄█");
        assert_eq!(sparkline([5.0, 5.0].into_iter(), 8), "▄▄");
        assert_eq!(sparkline(std::iter::empty(), 4), "");
    }
}
