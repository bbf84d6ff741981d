use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One line of the handoff log (JSON Lines). Time is stored UTC and shown local.
///
/// Build one with [`Entry::new`] and the `with_*` methods rather than a struct literal, so
/// fields added later (with serde defaults) do not break callers:
///
/// ```
/// use sheriff::handoff::{Entry, EntryKind, Refs};
/// let e = Entry::new(EntryKind::Change, "alex", "restarted php-fpm on web1")
///     .with_why("workers stuck after deploy 4.2")
///     .with_refs(Refs { host: Some("web1.prod".into()), ..Refs::default() });
/// assert!(e.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    #[serde(deserialize_with = "deserialize_time")]
    pub time: DateTime<Utc>,
    pub author: String,
    pub kind: EntryKind,
    pub text: String,
    /// Required for `change`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    #[serde(default, skip_serializing_if = "Refs::is_empty")]
    pub refs: Refs,
    /// Free labels. A `check-state` entry carries its state as `state:critical` (see
    /// [`Entry::check_status`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// What an entry is about; any may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<String>,
}

impl Refs {
    pub fn is_empty(&self) -> bool {
        self == &Refs::default()
    }

    /// `api · staging · web1.prod`: the refs worth showing next to an entry, in one line.
    pub fn label(&self) -> String {
        [&self.check, &self.env, &self.host, &self.drift, &self.bug]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Note,
    Change,
    Ack,
    Incident,
    Bug,
    DriftAccepted,
    CheckState,
    ShiftStart,
    ShiftEnd,
}

impl EntryKind {
    pub const ALL: [EntryKind; 9] = [
        EntryKind::Note,
        EntryKind::Change,
        EntryKind::Ack,
        EntryKind::Incident,
        EntryKind::Bug,
        EntryKind::DriftAccepted,
        EntryKind::CheckState,
        EntryKind::ShiftStart,
        EntryKind::ShiftEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Change => "change",
            EntryKind::Ack => "ack",
            EntryKind::Incident => "incident",
            EntryKind::Bug => "bug",
            EntryKind::DriftAccepted => "drift-accepted",
            EntryKind::CheckState => "check-state",
            EntryKind::ShiftStart => "shift-start",
            EntryKind::ShiftEnd => "shift-end",
        }
    }

    /// Written by sheriff itself rather than typed by a person; folded in the timeline.
    /// (A bug is the sheriff's own act unless it was autofiled: see [`Entry::is_automatic`].)
    pub fn is_automatic(self) -> bool {
        matches!(
            self,
            EntryKind::CheckState | EntryKind::Bug | EntryKind::DriftAccepted
        )
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown entry kind \"{s}\""))
    }
}

/// Why an entry may not be saved. Checked by the store before anything reaches the disk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("a {kind} needs some text")]
    EmptyText { kind: EntryKind },
    #[error("a change needs its why: say why it was done (--why in `sheriff change`)")]
    MissingWhy,
    #[error("a check-state entry needs the check (refs.check) and its state")]
    MissingCheckState,
    #[error("the author is empty: set [handoff] author in the config, or $USER")]
    EmptyAuthor,
}

impl Entry {
    /// Whether sheriff wrote this by itself: check states, accepted drift, and bugs filed
    /// by an `[[autofile]]` rule; a bug the sheriff filed with `b` is theirs.
    pub fn is_automatic(&self) -> bool {
        match self.kind {
            EntryKind::Bug => self.tags.iter().any(|t| t == "autofiled"),
            kind => kind.is_automatic(),
        }
    }

    /// A new entry written now, with a fresh id.
    pub fn new(kind: EntryKind, author: impl Into<String>, text: impl Into<String>) -> Entry {
        let time = Utc::now();
        Entry {
            id: new_id(time),
            time,
            author: author.into(),
            kind,
            text: text.into(),
            why: None,
            refs: Refs::default(),
            tags: Vec::new(),
        }
    }

    /// A `check-state` entry: sheriff writes one when a check changes state, so the log
    /// knows which problems are still open at handoff time.
    pub fn check_state(
        author: impl Into<String>,
        refs: Refs,
        state: impl Into<String>,
        summary: impl Into<String>,
    ) -> Entry {
        let tag = format!("{STATE_TAG}{}", state.into());
        Entry::new(EntryKind::CheckState, author, summary)
            .with_refs(refs)
            .with_tags(vec![tag])
    }

    /// A `check-state` entry's state (`ok|warning|critical|unknown`): its `state:` tag, or
    /// else the word after the last `→` in the text (`api: ok → critical (503)`), the form
    /// the demo and older entries use. The report counts a check as still open when its
    /// latest state is not `ok`.
    pub fn check_status(&self) -> Option<&str> {
        if let Some(tag) = self.tags.iter().find_map(|t| t.strip_prefix(STATE_TAG)) {
            return Some(tag);
        }
        let after = self.text.rsplit_once('→')?.1.trim_start();
        let word = after.split(|c: char| !c.is_ascii_alphabetic()).next()?;
        ["ok", "warning", "critical", "unknown"]
            .into_iter()
            .find(|s| *s == word)
    }

    pub fn with_why(mut self, why: impl Into<String>) -> Entry {
        self.why = Some(why.into());
        self
    }

    pub fn with_refs(mut self, refs: Refs) -> Entry {
        self.refs = refs;
        self
    }

    pub fn with_tags(mut self, tags: Vec<String>) -> Entry {
        self.tags = tags;
        self
    }

    /// What the store insists on: text for every kind but the shift markers, a why for a
    /// change, the check and its state for a check-state.
    pub fn validate(&self) -> Result<(), EntryError> {
        if self.author.trim().is_empty() {
            return Err(EntryError::EmptyAuthor);
        }
        let marker = matches!(self.kind, EntryKind::ShiftStart | EntryKind::ShiftEnd);
        if !marker && self.text.trim().is_empty() {
            return Err(EntryError::EmptyText { kind: self.kind });
        }
        match self.kind {
            EntryKind::Change if self.why.as_deref().is_none_or(|w| w.trim().is_empty()) => {
                Err(EntryError::MissingWhy)
            }
            EntryKind::CheckState if self.refs.check.is_none() || self.check_status().is_none() => {
                Err(EntryError::MissingCheckState)
            }
            _ => Ok(()),
        }
    }

    /// The first line of the text, for one-line views (timelines, reports).
    pub fn headline(&self) -> &str {
        self.text.lines().next().unwrap_or("")
    }
}

/// chrono's own `Deserialize` goes through its general-purpose parser (~270 ns a time);
/// the log writes one fixed shape, `2026-11-23T11:40:00.123456789Z`, read here in ~20 ns
/// (a quarter of the time of loading a 1M-entry log). Anything else, such as an offset
/// written by another tool, falls back to the full RFC 3339 parser.
fn deserialize_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct Rfc3339;
    impl serde::de::Visitor<'_> for Rfc3339 {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an RFC 3339 time such as 2026-11-23T11:40:00Z")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<DateTime<Utc>, E> {
            if let Some(t) = fast_utc(s.as_bytes()) {
                return Ok(t);
            }
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(E::custom)
        }
    }
    d.deserialize_str(Rfc3339)
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, or None.
fn fast_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    fn num(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    }
    let shape = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || b.last() != Some(&b'Z') || shape.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let frac = &b[19..b.len() - 1];
    let mut nanos = 0;
    if !frac.is_empty() {
        let digits = frac
            .strip_prefix(b".")
            .filter(|d| (1..=9).contains(&d.len()))?;
        nanos = num(digits)? * 10u32.pow(9 - digits.len() as u32);
    }
    let date =
        chrono::NaiveDate::from_ymd_opt(num(&b[0..4])? as i32, num(&b[5..7])?, num(&b[8..10])?)?;
    let time =
        date.and_hms_nano_opt(num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?, nanos)?;
    Some(time.and_utc())
}

/// The tag prefix that carries a check-state entry's state.
const STATE_TAG: &str = "state:";

/// `18c3f2a4b1e-9f3a2c0d41b7e655`: milliseconds since the epoch in hex (so ids sort by
/// time) and 64 random bits. Readers treat ids as unique (the live view shows each id
/// once), so they must stay unique even for thousands of entries in one millisecond from
/// several writers: 24 bits collided 29 times in a million generated entries.
fn new_id(time: DateTime<Utc>) -> String {
    let millis = u64::try_from(time.timestamp_millis()).unwrap_or(0);
    let salt: u64 = rand::random();
    format!("{millis:011x}-{salt:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_in_kebab_case() {
        for kind in EntryKind::ALL {
            let json = serde_json::to_string(&kind).expect("kind serializes");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.as_str().parse::<EntryKind>(), Ok(kind));
        }
    }

    #[test]
    fn change_needs_a_why() {
        let e = Entry::new(EntryKind::Change, "alex", "restarted nginx");
        assert_eq!(e.validate(), Err(EntryError::MissingWhy));
        assert_eq!(
            e.clone().with_why("  ").validate(),
            Err(EntryError::MissingWhy)
        );
        assert!(e.with_why("config reload hung").validate().is_ok());
    }

    #[test]
    fn shift_markers_need_no_text_but_notes_do() {
        assert!(Entry::new(EntryKind::ShiftStart, "alex", "")
            .validate()
            .is_ok());
        assert!(Entry::new(EntryKind::Note, "alex", " \n")
            .validate()
            .is_err());
    }

    #[test]
    fn ids_differ_and_sort_by_time() {
        let a = Entry::new(EntryKind::Note, "alex", "a");
        let b = Entry::new(EntryKind::Note, "alex", "b");
        assert_ne!(a.id, b.id);
        assert!(a.id[..11] <= b.id[..11]);
    }

    #[test]
    fn check_status_from_tag_or_arrow() {
        let refs = Refs {
            check: Some("api".into()),
            ..Refs::default()
        };
        let e = Entry::check_state("sheriff", refs.clone(), "critical", "503");
        assert_eq!(e.check_status(), Some("critical"));
        assert!(e.validate().is_ok());
        let demo = Entry::new(
            EntryKind::CheckState,
            "demo",
            "api staging: ok → warning (slow)",
        )
        .with_refs(refs);
        assert_eq!(demo.check_status(), Some("warning"));
    }

    #[test]
    fn times_parse_fast_and_slow_to_the_same_instant() {
        for (text, expect) in [
            ("2026-11-23T11:40:00Z", "2026-11-23T11:40:00Z"),
            ("2026-11-23T11:40:00.5Z", "2026-11-23T11:40:00.500Z"),
            (
                "2026-11-23T11:40:00.123456789Z",
                "2026-11-23T11:40:00.123456789Z",
            ),
            ("2026-11-23T12:40:00+01:00", "2026-11-23T11:40:00Z"),
        ] {
            let line =
                format!(r#"{{"id":"1","time":"{text}","author":"a","kind":"note","text":"t"}}"#);
            let e: Entry = serde_json::from_str(&line).expect(text);
            assert_eq!(
                e.time,
                expect.parse::<DateTime<Utc>>().expect("expected"),
                "{text}"
            );
        }
        for bad in ["2026-13-23T11:40:00Z", "2026-11-23T11:40:00.Z", "yesterday"] {
            let line =
                format!(r#"{{"id":"1","time":"{bad}","author":"a","kind":"note","text":"t"}}"#);
            assert!(serde_json::from_str::<Entry>(&line).is_err(), "{bad}");
        }
        let now = Entry::new(EntryKind::Note, "a", "t");
        let back: Entry =
            serde_json::from_str(&serde_json::to_string(&now).expect("json")).expect("parse");
        assert_eq!(back.time, now.time);
    }

    #[test]
    fn minimal_line_parses_with_defaults() {
        let line =
            r#"{"id":"1","time":"2026-11-23T11:40:00Z","author":"alex","kind":"note","text":"hi"}"#;
        let e: Entry = serde_json::from_str(line).expect("parses");
        assert!(e.refs.is_empty() && e.tags.is_empty() && e.why.is_none());
    }
}
