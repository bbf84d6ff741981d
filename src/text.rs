//! Text from outside (log lines, drift diffs, check output) made safe to put in terminal
//! cells, once, as it is read: tabs become spaces to the next 8-column stop (counted in
//! display columns, so a tab after CJK text still lands on the stop), ANSI/VT escape
//! sequences are removed (CSI such as SGR colours, OSC such as titles and OSC 8 hyperlinks,
//! DCS/SOS/PM/APC strings, two-byte escapes and a lone ESC), and every other control
//! character shows as a visible stand-in instead of vanishing or moving the cursor.
//!
//! ratatui drops control characters when it draws, so without this `INFO\tstarted` shows
//! as `INFOstarted` and `ESC[31m` leaves `[31m` behind. Written here rather than with
//! `strip-ansi-escapes` (built on `vte`) because that crate removes escapes only: it would
//! still need a second pass for tabs by display width and for showing the other controls,
//! and it drops C0 controls silently where a sheriff should see that they were there.
//! Colours are dropped, not rendered: lines are searched, redacted and stored as plain
//! text, and the theme colours them by level.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Columns between tab stops, as terminals and `less` use by default.
pub const TAB_WIDTH: usize = 8;

/// Shown for C1 controls (U+0080–U+009F), which have no picture of their own.
const C1_STAND_IN: char = '\u{FFFD}';

/// `bytes` as printable text: invalid UTF-8 becomes U+FFFD, then as [`printable`].
pub fn printable_bytes(bytes: &[u8]) -> String {
    into_printable(String::from_utf8_lossy(bytes).into_owned())
}

/// [`printable`] for text already owned: handed back as it is when nothing changes, so
/// the common clean log line costs a scan and no copy.
pub fn into_printable(text: String) -> String {
    match printable(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    }
}

/// `text` with tabs expanded, escape sequences removed and other control characters shown
/// as stand-ins (C0 as their Control Pictures `␀`…`␟`, DEL as `␡`, C1 as `�`). Newlines
/// stay, and each starts a new line for tab stops; `\r\n` becomes `\n`. Text with nothing
/// to change is returned as it is, without a copy.
///
/// ```
/// use sheriff::text::printable;
/// assert_eq!(printable("INFO\tstarted"), "INFO    started");
/// assert_eq!(printable("\x1b[31mred text\x1b[0m"), "red text");
/// assert_eq!(printable("bell\x07"), "bell␇");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    if !needs_cleaning(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut column = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => {
                let spaces = TAB_WIDTH - column % TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
            }
            '\n' => {
                out.push('\n');
                column = 0;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\x1b' => skip_escape(&mut chars),
            // C1 forms of CSI and of the string introducers (DCS, SOS, OSC, PM, APC).
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c => {
                let shown = stand_in(c).unwrap_or(c);
                out.push(shown);
                column += shown.width().unwrap_or(0);
            }
        }
    }
    Cow::Owned(out)
}

/// Whether `text` holds a tab, an escape or any other control character.
fn needs_cleaning(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Most lines have none of these bytes: a branch-free pass per chunk, which the
    // compiler vectorises, answers for them; only a hit needs the exact look below.
    let suspect = bytes.chunks(32).any(|chunk| {
        chunk.iter().fold(false, |hit, &b| {
            hit | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
        })
    });
    suspect
        && bytes.iter().enumerate().any(|(i, &b)| {
            (b < 0x20 && b != b'\n')
            || b == 0x7f
            // C1 controls are U+0080–U+009F: 0xC2 then 0x80–0x9F in UTF-8.
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
        })
}

/// What to show for a control character; None for anything printable.
fn stand_in(c: char) -> Option<char> {
    match c {
        '\0'..='\x1f' => char::from_u32(0x2400 + c as u32),
        '\x7f' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}' => Some(C1_STAND_IN),
        _ => None,
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: the rest of one escape sequence. A sequence cut short ends where the text
/// stops looking like one, and what follows is kept as text.
fn skip_escape(chars: &mut Chars) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // nF (ESC, intermediates 0x20–0x2F, final 0x30–0x7E) and Fp/Fe/Fs (ESC, final).
        Some(&c) if ('\x20'..='\x7e').contains(&c) => {
            while chars.next_if(|c| ('\x20'..='\x2f').contains(c)).is_some() {}
            chars.next_if(|c| ('\x30'..='\x7e').contains(c));
        }
        // A lone ESC: at the end, or before something no sequence starts with.
        _ => {}
    }
}

/// A CSI's parameters (0x30–0x3F) and intermediates (0x20–0x2F), then its final byte
/// (0x40–0x7E). Anything else ends the sequence without being consumed.
fn skip_csi(chars: &mut Chars) {
    while chars.next_if(|c| ('\x20'..='\x3f').contains(c)).is_some() {}
    chars.next_if(|c| ('\x40'..='\x7e').contains(c));
}

/// An OSC/DCS/SOS/PM/APC body, up to BEL, ST (`ESC \` or U+009C) or the end of the line.
/// OSC 8 hyperlinks are two of these around the visible text, which stays.
fn skip_string(chars: &mut Chars) {
    while let Some(&c) = chars.peek() {
        match c {
            '\x07' | '\u{9c}' => {
                chars.next();
                return;
            }
            '\x1b' => {
                chars.next();
                chars.next_if_eq(&'\\');
                return;
            }
            // A string never spans lines here: a line after a cut-off sequence still shows.
            '\n' => return,
            _ => {
                chars.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn tabs_expand_to_stops_by_display_width() {
        assert_eq!(printable("INFO\tstarted"), "INFO    started");
        assert_eq!(printable("\tx"), "        x");
        assert_eq!(printable("12345678\tx"), "12345678        x");
        // 日本 is four columns wide: the tab fills the other four.
        assert_eq!(printable("日本\tx"), "日本    x");
        assert_eq!(printable("日本\tx").width(), 9);
        assert_eq!(printable("a\tb\nc\td"), "a       b\nc       d");
    }

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(printable("\x1b[31mred text\x1b[0m"), "red text");
        assert_eq!(printable("\x1b[1;38;2;255;0;0mbold\x1b[m"), "bold");
        assert_eq!(printable("\x1b[2K\x1b[1Gprogress"), "progress");
        assert_eq!(printable("\x1b]0;window title\x07after"), "after");
        assert_eq!(
            printable("see \x1b]8;;https://example.org/x\x1b\\the docs\x1b]8;;\x1b\\ now"),
            "see the docs now"
        );
        assert_eq!(printable("\x1bPq#0;2;0;0;0\x1b\\sixel gone"), "sixel gone");
        assert_eq!(printable("\x1b(Bcharset\x1b7saved\x1b8"), "charsetsaved");
        assert_eq!(printable("\u{9b}32mC1 CSI"), "C1 CSI");
        assert_eq!(
            printable("lone escape at the end\x1b"),
            "lone escape at the end"
        );
    }

    #[test]
    fn cut_off_sequences_keep_the_following_text() {
        assert_eq!(printable("\x1b[31"), "");
        assert_eq!(printable("\x1b[31é"), "é");
        assert_eq!(printable("\x1b]0;title\nnext line"), "\nnext line");
        assert_eq!(printable("\x1b\x07bell"), "␇bell");
    }

    #[test]
    fn other_controls_show_as_stand_ins() {
        assert_eq!(printable("nul\0bell\x07bs\x08"), "nul␀bell␇bs␈");
        assert_eq!(printable("del\x7f"), "del␡");
        assert_eq!(printable("c1\u{85}"), "c1\u{FFFD}");
        assert_eq!(printable("progress\rdone"), "progress␍done");
        assert_eq!(printable("crlf\r\nnext"), "crlf\nnext");
        for c in (0u32..0x20).chain([0x7f]).chain(0x80..0xa0) {
            let text = format!("a{}b", char::from_u32(c).unwrap_or('x'));
            let shown = printable(&text);
            assert!(
                shown.chars().all(|c| c == '\n' || !c.is_control()),
                "{c:#x} left a control: {shown:?}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_and_plain_text_is_not_copied() {
        assert_eq!(printable_bytes(b"caf\xe9\tok"), "caf\u{FFFD}    ok");
        assert!(matches!(printable("plain 日本 ✔"), Cow::Borrowed(_)));
    }
}
