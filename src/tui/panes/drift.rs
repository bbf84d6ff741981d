//! Drift: for each drift target, the files that differ between its two environments.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::drift_view::{self, said_lines, DiffView};
use super::{Action, Detail, DrawContext, Handled, ListView, Pane};
use crate::config::Config;
use crate::drift::accepted::{Acceptance, AcceptedDrift};
use crate::drift::compare::{FileDiff, Status};
use crate::drift::{DriftReport, PeerDrift};
use crate::event::Event;
use crate::handoff::Refs;
use crate::text::printable;
use crate::tui::app::Effect;
use crate::tui::theme::{Slot, Theme};
use crate::tui::widgets::fit;
use chrono::{DateTime, Utc};

#[derive(Debug, Default)]
pub struct DriftPane {
    /// One per `[[drift]]`, in config order; None until first compared.
    targets: Vec<(String, (String, String), Option<DriftReport>)>,
    view: ListView,
    /// The diff of a file opened with `enter`, shown instead of the list until `back`.
    diff: Option<DiffView>,
    /// Every acceptance in the handoff log: what it covers is not counted.
    acceptances: Vec<Acceptance>,
    /// Targets being compared now, since when.
    busy: std::collections::HashMap<String, DateTime<Utc>>,
    /// When the acceptances were last applied: a tick applies them again only when one
    /// ran out since.
    applied_at: Option<DateTime<Utc>>,
}

/// A visible row: a target's header, one of its files, or a host that differs from its
/// reference.
enum Row<'a> {
    Target(&'a str, &'a (String, String), Option<&'a DriftReport>),
    /// A drifted file, and the acceptance that covers it, if one does.
    File(
        &'a str,
        &'a (String, String),
        &'a FileDiff,
        Option<&'a AcceptedDrift>,
    ),
    /// A host that differs from its reference, and the acceptance that covers it.
    Peer(&'a str, &'a PeerDrift, Option<&'a AcceptedDrift>),
}

impl DriftPane {
    pub fn configure(&mut self, config: &Config) {
        let old = std::mem::take(&mut self.targets);
        for spec in &config.drifts {
            let report = old
                .iter()
                .find(|(n, b, _)| *n == spec.name && *b == spec.between)
                .and_then(|(_, _, r)| r.clone());
            self.targets
                .push((spec.name.clone(), spec.between.clone(), report));
        }
    }

    fn rows(&self) -> Vec<Row<'_>> {
        let mut rows = Vec::new();
        for (name, between, report) in &self.targets {
            rows.push(Row::Target(name, between, report.as_ref()));
            if let Some(report) = report {
                // Same files stay out of the list; the header counts them.
                // Unaccepted first: what needs a look is at the top.
                let accepted = |f: &FileDiff| report.accepted.iter().find(|a| a.path == f.path);
                let (open, accepted_files): (Vec<&FileDiff>, Vec<&FileDiff>) =
                    report.drifted().partition(|f| accepted(f).is_none());
                rows.extend(open.into_iter().map(|f| Row::File(name, between, f, None)));
                rows.extend(
                    accepted_files
                        .into_iter()
                        .map(|f| Row::File(name, between, f, accepted(f))),
                );
                let accepted =
                    |p: &PeerDrift| report.accepted_peers.iter().find(|a| a.path == p.host);
                rows.extend(report.peers.iter().map(|p| Row::Peer(name, p, accepted(p))));
            }
        }
        rows
    }

    /// The open diff and the file it shows, while that file still drifts.
    fn open_diff(&self) -> Option<(&DiffView, &FileDiff, &(String, String))> {
        let view = self.diff.as_ref()?;
        let (file, between) = self.file_of(view)?;
        Some((view, file, between))
    }

    fn file_of(&self, view: &DiffView) -> Option<(&FileDiff, &(String, String))> {
        let (_, between, report) = self.targets.iter().find(|(n, _, _)| *n == view.target)?;
        let file = report.as_ref()?.drifted().find(|f| f.path == view.path)?;
        Some((file, between))
    }

    /// `}` / `{` in a diff: the next (or previous) drifted file's diff, across targets in
    /// the list's order, with the list's selection moved to it.
    fn step_file(&mut self, view: DiffView, forward: bool) -> Handled {
        let files: Vec<(usize, String, String)> = self
            .rows()
            .iter()
            .enumerate()
            .filter_map(|(i, row)| match row {
                Row::File(name, _, file, _) => Some((i, name.to_string(), file.path.clone())),
                _ => None,
            })
            .collect();
        let here = files
            .iter()
            .position(|(_, name, path)| *name == view.target && *path == view.path);
        let to = match (here, forward) {
            (Some(i), true) => files.get(i + 1),
            (Some(i), false) => i.checked_sub(1).and_then(|i| files.get(i)),
            (None, _) => files.first(),
        };
        match to {
            Some((row, name, path)) => {
                self.view.selected = *row;
                self.diff = Some(DiffView::open(name, path));
                Handled::done()
            }
            None => {
                self.diff = Some(view);
                let word = if forward { "after" } else { "before" };
                Handled::effect(Effect::Say(format!("no drifted file {word} this one")))
            }
        }
    }

    /// A bug from an open diff: the file's key changes and the hunk at the top of the view
    /// (only the key changes when it has no hunks).
    fn hunk_subject(
        &self,
        view: &DiffView,
        file: &FileDiff,
        between: &(String, String),
    ) -> Option<crate::tracker::draft::Subject> {
        let (_, _, report) = self.targets.iter().find(|(n, _, _)| *n == view.target)?;
        let (left, right) = between;
        let mut output = said_lines(file);
        if let Some(hunk) = view.hunk_at_top(file, between) {
            output.push(format!("--- {left}/{}", file.path));
            output.push(format!("+++ {right}/{}", file.path));
            output.extend(hunk.unified().lines().map(str::to_string));
        }
        Some(crate::tracker::draft::Subject {
            kind: "drift",
            name: view.target.clone(),
            env: Some(left.clone()),
            target: Some(format!("{left} ↔ {right}")),
            // The file, not the hunk: a bug about another hunk of it is the same bug.
            item: Some(file.path.clone()),
            state: "DRIFT".into(),
            summary: file
                .note
                .clone()
                .or_else(|| file.keys.first().map(|k| k.describe()))
                .unwrap_or_else(|| format!("{} differs", file.path)),
            since: report.as_ref().map(|r| r.at),
            output: Some(output.join("\n")),
            ..Default::default()
        })
    }

    /// Drifted files and differing hosts no acceptance covers, in all targets.
    pub fn drifted_count(&self) -> usize {
        self.targets
            .iter()
            .filter_map(|(_, _, r)| r.as_ref())
            .map(open_drift)
            .sum()
    }

    /// Takes the acceptances among `entries` (new entries of the handoff log).
    pub fn learn_acceptances(&mut self, entries: &[crate::handoff::Entry], now: DateTime<Utc>) {
        let learned = crate::drift::accepted::from_log(entries);
        if learned.is_empty() {
            return;
        }
        self.acceptances.extend(learned);
        // New acceptances apply at once, whatever the clock.
        self.applied_at = None;
        self.reapply_acceptances(now);
    }

    /// Marks what the acceptances cover in `report` at `now`.
    pub fn apply_acceptances(&self, report: &mut DriftReport, now: DateTime<Utc>) {
        report.apply_acceptances(&self.acceptances, now);
    }

    /// Applies the acceptances again when one ran out of time since they last were.
    pub fn reapply_acceptances(&mut self, now: DateTime<Utc>) {
        let since = self.applied_at.replace(now);
        let ran_out = |a: &Acceptance| {
            a.until
                .is_some_and(|until| until <= now && since.is_none_or(|s| until > s))
        };
        if since.is_some() && !self.acceptances.iter().any(ran_out) {
            return;
        }
        let acceptances = &self.acceptances;
        for (_, _, report) in &mut self.targets {
            if let Some(report) = report {
                report.apply_acceptances(acceptances, now);
            }
        }
    }

    /// What `a` accepts: the hunk at the top of an open diff, else the selected file, else
    /// the selected target's drift as it is now. `None` when there is nothing to accept.
    pub fn to_accept(&self) -> Option<Acceptance> {
        let acceptance =
            |target: &str, path: Option<&str>, hunk: Option<String>, content: String| Acceptance {
                target: target.to_string(),
                path: path.map(str::to_string),
                hunk,
                content,
                host: None,
                why: String::new(),
                by: String::new(),
                at: Utc::now(),
                until: None,
            };
        if let Some((view, file, between)) = self.open_diff() {
            return Some(match view.hunk_at_top(file, between) {
                Some(hunk) => {
                    let id = hunk.content_id().to_string();
                    acceptance(&view.target, Some(&file.path), Some(id.clone()), id)
                }
                None => acceptance(
                    &view.target,
                    Some(&file.path),
                    None,
                    file.content_id().to_string(),
                ),
            });
        }
        let rows = self.rows();
        match rows.get(self.view.selected)? {
            Row::File(name, _, file, _) => Some(acceptance(
                name,
                Some(&file.path),
                None,
                file.content_id().to_string(),
            )),
            Row::Target(name, _, Some(report)) if report.drifted().next().is_some() => {
                let diff = report.diff.as_ref()?;
                Some(acceptance(name, None, None, diff.content_id().to_string()))
            }
            Row::Peer(name, peer, _) => {
                let content = peer.diff.as_ref()?.content_id().to_string();
                Some(Acceptance {
                    host: Some(peer.host.clone()),
                    ..acceptance(name, None, None, content)
                })
            }
            _ => None,
        }
    }
}

impl Pane for DriftPane {
    fn title(&self, theme: &Theme) -> Line<'static> {
        if let Some((view, file, between)) = self.open_diff() {
            return view.title(file, between);
        }
        let mut spans = vec![Span::raw("Drift ")];
        // Unaccepted drift per pair of environments, in config order.
        let mut pairs: Vec<(&(String, String), usize)> = Vec::new();
        for (_, between, report) in &self.targets {
            let n = report.as_ref().map_or(0, open_drift);
            match pairs.iter_mut().find(|(p, _)| *p == between) {
                Some((_, count)) => *count += n,
                None => pairs.push((between, n)),
            }
        }
        let one_pair = pairs.len() == 1;
        for (i, ((a, b), n)) in pairs.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled("· ", theme.style(Slot::Muted)));
            }
            if n > 0 && one_pair {
                spans.push(Span::styled(
                    format!("{n}~ "),
                    theme.style(Slot::StatusWarn),
                ));
            }
            spans.push(Span::raw(format!("{a} ↔ {b} ")));
            if n > 0 && !one_pair {
                spans.push(Span::styled(
                    format!("{n}~ "),
                    theme.style(Slot::StatusWarn),
                ));
            }
        }
        Line::from(spans)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext) {
        let theme = ctx.theme;
        if let Some((view, file, between)) = self.open_diff() {
            view.draw(frame, area, theme, file, between);
            return;
        }
        let rows = self.rows();
        if rows.is_empty() {
            let text =
                "No drift targets. Add [[drift]] sections to compare config between environments.";
            frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
            return;
        }
        let width = area.width as usize;
        let path_w = rows
            .iter()
            .filter_map(|r| match r {
                Row::File(_, _, f, _) => Some(printable(&f.path).width() + 1),
                Row::Target(..) | Row::Peer(..) => None,
            })
            .max()
            .unwrap_or(8);
        let lines: Vec<Line> = self
            .view
            .visible(rows.len(), area.height as usize)
            .map(|i| {
                let busy = match &rows[i] {
                    Row::Target(name, ..) => self.busy.get(*name).map(|since| ctx.now - *since),
                    _ => None,
                };
                let line = row_line(&rows[i], theme, path_w, width, busy);
                if ctx.focused && i == self.view.selected {
                    line.style(theme.style(Slot::Selection))
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn on_event(&mut self, event: &Event) -> bool {
        if let Event::DriftBusy { name, since } = event {
            match since {
                Some(since) => self.busy.insert(name.clone(), *since),
                None => self.busy.remove(name),
            };
            return true;
        }
        let Event::Drift(report) = event else {
            return false;
        };
        match self.targets.iter_mut().find(|(n, _, _)| *n == report.name) {
            Some(target) => target.2 = Some(DriftReport::clone(report)),
            None => self.targets.push((
                report.name.clone(),
                report.between.clone(),
                Some(DriftReport::clone(report)),
            )),
        }
        let len = self.rows().len();
        self.view.clamp(len);
        // A file compared again and found the same has no diff left to show.
        if self
            .diff
            .as_ref()
            .is_some_and(|v| self.file_of(v).is_none())
        {
            self.diff = None;
        }
        true
    }

    fn handle(&mut self, action: Action, page: usize) -> Handled {
        if let Some(mut view) = self.diff.take() {
            if action == Action::Back {
                return Handled::done();
            }
            if matches!(action, Action::NextFile | Action::PrevFile) {
                return self.step_file(view, action == Action::NextFile);
            }
            let handled = match self.file_of(&view) {
                Some((file, between)) => view.handle(action, file, between, page),
                None => return self.handle(action, page),
            };
            self.diff = Some(view);
            return handled;
        }
        let rows = self.rows();
        if let (Action::Open, Some(Row::File(name, _, file, _))) =
            (action, rows.get(self.view.selected))
        {
            self.diff = Some(DiffView::open(name, &file.path));
            return Handled::done();
        }
        if action == Action::RunCheck {
            // `r`: the selected target compared now (its worker answers as `drift NAME`).
            let name = match rows.get(self.view.selected) {
                Some(Row::Target(name, ..))
                | Some(Row::File(name, ..))
                | Some(Row::Peer(name, ..)) => name.to_string(),
                None => return Handled::NotHere,
            };
            return Handled::effect(Effect::RunCheck {
                check: format!("drift {name}"),
                target: String::new(),
            });
        }
        if drift_view::ACTIONS.contains(&action) {
            return Handled::effect(Effect::Say(
                "hunks and layouts are in a file's diff: enter on a drifted file opens it".into(),
            ));
        }
        let len = rows.len();
        Handled::taken(self.view.apply(action, len, page))
    }

    fn hints(&self) -> &'static [Action] {
        if self.open_diff().is_some() {
            return drift_view::HINTS;
        }
        // `a` and `r` do what a sheriff came here for: accept drift, compare again.
        &[
            Action::Open,
            Action::Acknowledge,
            Action::RunCheck,
            Action::RecordChange,
            Action::Note,
        ]
    }

    fn detail(&self, theme: &Theme) -> Option<Detail> {
        let rows = self.rows();
        match rows.get(self.view.selected)? {
            Row::Target(name, between, report) => {
                let (a, b) = between;
                let mut lines = vec![Line::raw(format!("{name}: {a} ↔ {b}"))];
                match report {
                    None => lines.push(Line::styled("not compared yet", theme.style(Slot::Muted))),
                    Some(report) => {
                        let (ra, rb) = &report.reference;
                        if !ra.is_empty() {
                            lines.push(Line::styled(
                                format!("read from {ra} and {rb}"),
                                theme.style(Slot::Muted),
                            ));
                        }
                        if let Some(err) = &report.error {
                            lines.push(Line::styled(
                                format!("error: {err}"),
                                theme.style(Slot::Error),
                            ));
                        }
                        for file in report.files() {
                            lines.push(file_line(file, between, theme, 40, 200));
                        }
                        for peer in &report.peers {
                            let accepted =
                                report.accepted_peers.iter().find(|a| a.path == peer.host);
                            lines.push(peer_line(peer, accepted, theme, 200));
                        }
                        for note in report.diff.iter().flat_map(|d| &d.notes) {
                            lines.push(Line::styled(note.clone(), theme.style(Slot::Muted)));
                        }
                    }
                }
                Some(Detail {
                    title: format!("drift · {name}"),
                    lines,
                })
            }
            // `enter` on a file opens its diff in the pane instead.
            Row::File(..) => None,
            Row::Peer(name, peer, accepted) => {
                let mut lines = vec![peer_line(peer, *accepted, theme, 200)];
                match &peer.diff {
                    Some(diff) => {
                        let sides = (peer.differs_from.clone(), peer.host.clone());
                        for file in diff.drifted() {
                            lines.push(Line::raw(""));
                            lines.extend(file_text(file, &sides).into_iter().map(Line::raw));
                        }
                    }
                    None => lines.extend(
                        peer.paths
                            .iter()
                            .map(|p| Line::raw(format!("  {}", printable(p)))),
                    ),
                }
                Some(Detail {
                    title: format!("drift · {name} · {}", peer.host),
                    lines,
                })
            }
        }
    }

    fn bug_subject(&self) -> Option<crate::tracker::draft::Subject> {
        if let Some((view, file, between)) = self.open_diff() {
            return self.hunk_subject(view, file, between);
        }
        let rows = self.rows();
        let drifted = |report: &DriftReport| {
            report
                .drifted()
                .map(|f| match &f.note {
                    Some(note) => format!("{} — {note}", f.path),
                    None => f.path.clone(),
                })
                .collect::<Vec<_>>()
        };
        let target_of = |name: &str| {
            rows.iter().find_map(|r| match r {
                Row::Target(n, between, report) if *n == name => Some((*between, *report)),
                _ => None,
            })
        };
        let (name, (left, right), report, file, peer) = match rows.get(self.view.selected)? {
            Row::Target(name, between, report) => (*name, *between, *report, None, None),
            Row::File(name, between, file, _) => {
                let (_, report) = target_of(name)?;
                (*name, *between, report, Some(*file), None)
            }
            Row::Peer(name, peer, _) => {
                let (between, report) = target_of(name)?;
                (*name, between, report, None, Some(*peer))
            }
        };
        let files = report.map(drifted).unwrap_or_default();
        let (summary, output) = match (file, peer) {
            (Some(f), _) => (
                f.note
                    .clone()
                    .or_else(|| f.keys.first().map(|k| k.describe()))
                    .unwrap_or_else(|| format!("{} differs", f.path)),
                Some(file_text(f, &(left.clone(), right.clone())).join("\n")),
            ),
            (None, Some(p)) => (
                format!("{} differs from {}", p.host, p.differs_from),
                Some(match &p.diff {
                    Some(diff) => {
                        let sides = (p.differs_from.clone(), p.host.clone());
                        diff.drifted()
                            .flat_map(|f| file_text(f, &sides))
                            .collect::<Vec<_>>()
                            .join("\n")
                    }
                    None => p.paths.join("\n"),
                }),
            ),
            (None, None) => (
                format!("{} files differ between {left} and {right}", files.len()),
                Some(files.join("\n")),
            ),
        };
        Some(crate::tracker::draft::Subject {
            kind: "drift",
            name: name.to_string(),
            env: Some(left.clone()),
            target: Some(format!("{left} ↔ {right}")),
            item: file
                .map(|f| f.path.clone())
                .or(peer.map(|p| p.host.clone())),
            state: "DRIFT".into(),
            summary,
            since: report.map(|r| r.at),
            output,
            ..Default::default()
        })
    }

    fn selection_refs(&self) -> Refs {
        let rows = self.rows();
        let drift = match rows.get(self.view.selected) {
            Some(Row::Target(name, ..)) | Some(Row::File(name, ..)) | Some(Row::Peer(name, ..)) => {
                Some(name.to_string())
            }
            None => None,
        };
        Refs {
            drift,
            ..Refs::default()
        }
    }

    fn click_row(&mut self, row: usize, page: usize) {
        if self.diff.is_some() {
            return;
        }
        let len = self.rows().len();
        let index = self.view.visible(len, page).start + row;
        if index < len {
            self.view.selected = index;
        }
    }
}

/// After this long a comparison under way says so on its target's row.
const SHOW_BUSY_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

fn row_line(
    row: &Row,
    theme: &Theme,
    path_w: usize,
    width: usize,
    busy: Option<chrono::TimeDelta>,
) -> Line<'static> {
    let busy = busy.filter(|b| *b >= SHOW_BUSY_AFTER).map(|b| {
        let seconds = b.num_seconds().max(0) as u64;
        crate::config::duration::format_duration(std::time::Duration::from_secs(seconds))
    });
    match row {
        Row::Target(name, (a, b), report) => {
            let (mut summary, slot) = match report {
                None => ("comparing…".to_string(), Slot::Muted),
                Some(r) if r.error.is_some() => (
                    format!("error: {}", r.error.as_deref().unwrap_or("")),
                    Slot::Error,
                ),
                Some(r) => {
                    let drifted = r.drifted().count();
                    let open = r.unaccepted().count();
                    let same = r.files().len().saturating_sub(drifted);
                    let accepted = match drifted - open {
                        0 => String::new(),
                        n => format!(", {n} accepted"),
                    };
                    if open == 0 {
                        (format!("{same} same{accepted}, no drift"), Slot::StatusOk)
                    } else {
                        (
                            format!("{open} differ, {same} same{accepted}"),
                            Slot::StatusWarn,
                        )
                    }
                }
            };
            if let Some(busy) = busy {
                // A host that hangs shows here until the call's time limit ends it.
                summary = match report {
                    None => format!("comparing… {busy}"),
                    Some(_) => format!("{summary} · comparing again, {busy} so far"),
                };
            }
            let head = if width >= 60 {
                format!("{name} ({a} ↔ {b}) ")
            } else {
                format!("{name}: ")
            };
            Line::from(vec![
                Span::styled(head.clone(), theme.style(Slot::Title)),
                Span::styled(
                    fit(&summary, width.saturating_sub(head.width())),
                    theme.style(slot),
                ),
            ])
        }
        Row::File(_, between, file, None) => file_line(file, between, theme, path_w, width),
        Row::File(_, _, file, Some(accepted)) => {
            accepted_line(file, accepted, theme, path_w, width)
        }
        Row::Peer(_, peer, accepted) => peer_line(peer, *accepted, theme, width),
    }
}

/// `  ✓ app.env    accepted by alex until 12-09 10:00: staging runs 4 workers`
fn accepted_line(
    file: &FileDiff,
    accepted: &AcceptedDrift,
    theme: &Theme,
    path_w: usize,
    width: usize,
) -> Line<'static> {
    let said = accepted_said(accepted);
    let path_w = path_w.min(width / 2).clamp(8, 40);
    Line::from(vec![
        Span::styled("  ✓ ", theme.style(Slot::StatusOk)),
        Span::styled(
            format!("{} ", fit(&printable(&file.path), path_w)),
            theme.style(Slot::Muted),
        ),
        Span::styled(
            fit(&printable(&said), width.saturating_sub(path_w + 5)),
            theme.style(Slot::Muted),
        ),
    ])
}

/// `accepted by alex until 12-09 10:00: staging runs 4 workers`
fn accepted_said(accepted: &AcceptedDrift) -> String {
    let until = match accepted.until {
        Some(until) => format!(
            " until {}",
            until.with_timezone(&chrono::Local).format("%m-%d %H:%M")
        ),
        None => String::new(),
    };
    format!("accepted by {}{until}: {}", accepted.by, accepted.why)
}

/// What counts as drift in a report: files and hosts no acceptance covers.
fn open_drift(report: &DriftReport) -> usize {
    report.unaccepted().count() + report.unaccepted_peers().count()
}

/// `  ≠ web3.prod differs from web1.prod in nginx.conf, app.env`, or once accepted
/// `  ✓ web3.prod differs from web1.prod in nginx.conf · accepted by alex: canary`
fn peer_line(
    peer: &PeerDrift,
    accepted: Option<&AcceptedDrift>,
    theme: &Theme,
    width: usize,
) -> Line<'static> {
    let mut text = format!(
        "{} differs from {} in {}",
        peer.host,
        peer.differs_from,
        printable(&peer.paths.join(", "))
    );
    let (mark, slot) = match accepted {
        Some(accepted) => {
            text.push_str(&format!(" · {}", accepted_said(accepted)));
            ("  ✓ ", Slot::StatusOk)
        }
        None => ("  ≠ ", Slot::StatusWarn),
    };
    Line::from(vec![
        Span::styled(mark, theme.style(slot)),
        Span::styled(
            fit(&text, width.saturating_sub(4)),
            theme.style(Slot::Muted),
        ),
    ])
}

/// What a bug shows of a file: its key changes, its note, then its unified diff (secrets
/// masked already).
fn file_text(file: &FileDiff, (a, b): &(String, String)) -> Vec<String> {
    let mut lines = said_lines(file);
    if !file.hunks.is_empty() {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!("--- {a}/{}", file.path));
        lines.push(format!("+++ {b}/{}", file.path));
        for hunk in &file.hunks {
            lines.extend(hunk.unified().lines().map(str::to_string));
        }
    }
    lines
}

fn file_line(
    file: &FileDiff,
    (a, b): &(String, String),
    theme: &Theme,
    path_w: usize,
    width: usize,
) -> Line<'static> {
    let (symbol, summary) = match file.status {
        Status::Same => ("=", "same".to_string()),
        Status::Changed => ("~", file.counts().to_string()),
        Status::OnlyA => ("<", format!("only in {a}")),
        Status::OnlyB => (">", format!("only in {b}")),
        Status::Mode => ("m", "mode differs".to_string()),
        Status::Unreadable => ("!", "unreadable".to_string()),
    };
    // What says most in one line: the note, else the first key that changed.
    let said = file
        .note
        .clone()
        .or_else(|| file.keys.first().map(|k| k.describe()));
    let summary = match said {
        Some(said) if file.status == Status::Changed => format!("{summary}  {said}"),
        Some(said) => said,
        None => summary,
    };
    let slot = match file.status {
        Status::Same => Slot::StatusOk,
        Status::Unreadable => Slot::Error,
        _ => Slot::StatusWarn,
    };
    let path_w = path_w.min(width / 2).clamp(8, 40);
    Line::from(vec![
        Span::styled(format!("  {symbol} "), theme.style(slot)),
        Span::styled(
            // A file name may hold any byte but `/` and NUL: tabs and escapes too.
            format!("{} ", fit(&printable(&file.path), path_w)),
            theme.style(Slot::Text),
        ),
        Span::styled(
            fit(&summary, width.saturating_sub(path_w + 5)),
            theme.style(Slot::Muted),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DriftSpec;
    use crate::drift::compare::{compare_trees, EnvVars, Rules};
    use crate::drift::side::{Entry, Tree};

    fn report(name: &str, between: (&str, &str), differing: usize) -> DriftReport {
        let tree = |value: &str| Tree {
            entries: (0..differing)
                .map(|i| (format!("f{i}.conf"), Entry::file(value.as_bytes().to_vec())))
                .collect(),
            notes: Vec::new(),
        };
        let between = (between.0.to_string(), between.1.to_string());
        let mut report = DriftReport::new(name, &between);
        report.diff = Some(compare_trees(
            &tree("a\n"),
            &tree("b\n"),
            &Rules::default(),
            &EnvVars::default(),
        ));
        report
    }

    #[test]
    fn a_slow_comparison_says_it_is_under_way_on_its_row() {
        let theme = Theme::builtin_default(crate::tui::theme::ColorDepth::TrueColor);
        let between = ("production".to_string(), "staging".to_string());
        let text = |row: &Row, busy| -> String {
            let line = row_line(row, &theme, 20, 120, busy);
            line.spans.iter().map(|s| s.content.to_string()).collect()
        };
        let first = Row::Target("nginx", &between, None);
        let said = text(&first, Some(chrono::TimeDelta::seconds(12)));
        assert!(said.contains("comparing… 12s"), "{said:?}");
        let compared = report("nginx", ("production", "staging"), 1);
        let again = Row::Target("nginx", &between, Some(&compared));
        let said = text(&again, Some(chrono::TimeDelta::seconds(95)));
        assert!(
            said.contains("1 differ, 0 same · comparing again, 1m35s so far"),
            "{said}"
        );
        // A quick one is not worth a flicker.
        assert!(!text(&again, Some(chrono::TimeDelta::seconds(1))).contains("comparing"));
        let mut pane = DriftPane::default();
        let busy = |since| Event::DriftBusy {
            name: "nginx".into(),
            since,
        };
        pane.on_event(&busy(Some(Utc::now())));
        assert!(pane.busy.contains_key("nginx"));
        pane.on_event(&busy(None));
        assert!(pane.busy.is_empty());
    }

    #[test]
    fn the_title_counts_unaccepted_drift_per_pair_of_environments() {
        let config = Config {
            drifts: vec![
                DriftSpec::path("nginx", "/etc/nginx/", ("production", "staging")),
                DriftSpec::path("app", "/etc/app/", ("production", "staging")),
                DriftSpec::path("app dev", "/etc/app/", ("production", "dev")),
            ],
            ..Config::default()
        };
        let mut pane = DriftPane::default();
        pane.configure(&config);
        for r in [
            report("nginx", ("production", "staging"), 2),
            report("app", ("production", "staging"), 1),
            report("app dev", ("production", "dev"), 1),
        ] {
            pane.on_event(&Event::Drift(Box::new(r)));
        }
        let theme = Theme::builtin_default(crate::tui::theme::ColorDepth::TrueColor);
        let title: String = pane
            .title(&theme)
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(
            title,
            "Drift production ↔ staging 3~ · production ↔ dev 1~ "
        );
    }
}
