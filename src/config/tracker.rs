//! `[tracker]`, its `[tracker.template.KIND]` tables and `[[tracker.route]]` array, and
//! `[[autofile]]`. What each tracker kind needs is checked here, at load time: a tracker
//! that cannot be reached would only fail when the sheriff files a bug at 3am.

use std::ops::Range;

use toml::de::DeTable;
use toml::Spanned;

use super::diagnostic::did_you_mean;
use super::fields::{Fields, Problems};
use super::model::{AutofileRule, BugTemplate, JiraFlavor, Route, Tier, TrackerKind, TrackerSpec};

const TRACKER_KEYS: &[&str] = &[
    "kind",
    "repo",
    "project",
    "url",
    "token_env",
    "token_file",
    "path",
    "labels",
    "assignee",
    "flavor",
    "user",
    "to",
    "from",
    "smtp",
    "template",
    "route",
    "timeout",
    "component",
];

/// Keys people reach for when they mean to paste a secret.
const SECRET_KEYS: &[&str] = &["token", "password", "api_token", "api_key", "secret"];

/// What a bug can be about, each with its own template.
pub const TEMPLATE_KINDS: [&str; 5] = ["check", "log", "drift", "entry", "host"];

pub(crate) fn tracker(
    table: &DeTable<'_>,
    header: Range<usize>,
    problems: &mut Problems,
) -> TrackerSpec {
    let mut f = Fields::new(table, "[tracker]", TRACKER_KEYS, problems);
    f.report_unknown_with(|key| {
        SECRET_KEYS.contains(&key).then(|| {
            format!(
                "tokens come from token_env or token_file, never the config: remove \"{key}\" \
                 and set token_env = \"GITHUB_TOKEN\" (a variable's name) or token_file = \"PATH\""
            )
        })
    });
    let mut spec = TrackerSpec::default();
    let kind = f.string("kind");
    if let Some(kind) = &kind {
        match TrackerKind::from_name(kind.get_ref()) {
            Some(k) => spec.kind = k,
            None => {
                let names: Vec<&str> = TrackerKind::ALL.iter().map(|k| k.name()).collect();
                let message = match did_you_mean(kind.get_ref(), names.iter().copied()) {
                    Some(s) => format!(
                        "unknown tracker kind \"{}\" (did you mean \"{s}\"?)",
                        kind.get_ref()
                    ),
                    None => format!(
                        "unknown tracker kind \"{}\": use one of {}",
                        kind.get_ref(),
                        names.join(", ")
                    ),
                };
                f.problems.at(kind.span(), message);
            }
        }
    }
    let text = |f: &mut Fields, key: &str| f.string(key).map(Spanned::into_inner);
    spec.repo = text(&mut f, "repo");
    spec.project = text(&mut f, "project");
    spec.url = text(&mut f, "url");
    spec.assignee = text(&mut f, "assignee");
    spec.user = text(&mut f, "user");
    spec.to = text(&mut f, "to");
    spec.from = text(&mut f, "from");
    spec.smtp = text(&mut f, "smtp");
    spec.component = text(&mut f, "component");
    if let Some(flavor) = f.string("flavor") {
        match flavor.get_ref().as_str() {
            "cloud" => spec.flavor = JiraFlavor::Cloud,
            "datacenter" | "data-center" | "server" => spec.flavor = JiraFlavor::DataCenter,
            other => f.problems.at(
                flavor.span(),
                format!("unknown Jira flavor \"{other}\": use \"cloud\" or \"datacenter\""),
            ),
        }
    }
    if let Some(var) = f.string("token_env") {
        if !looks_like_variable_name(var.get_ref()) {
            f.problems.at(
                var.span(),
                "token_env is the name of an environment variable, like \"GITHUB_TOKEN\"; put \
                 the token itself in that variable, never in the config",
            );
        }
        spec.token_env = Some(var.into_inner());
    }
    spec.token_file = f.path("token_file");
    if spec.token_env.is_some() && spec.token_file.is_some() {
        let later = [f.key_span("token_env"), f.key_span("token_file")]
            .into_iter()
            .flatten()
            .max_by_key(|s| s.start);
        if let Some(span) = later {
            f.problems.at(span, "set token_env or token_file, not both");
        }
    }
    spec.path = f.path("path");
    spec.timeout = f.duration("timeout").map(Spanned::into_inner);
    spec.labels = strings(&mut f, "labels");
    for (name, table, span) in f.named_tables("template") {
        let name = name.into_inner();
        if !TEMPLATE_KINDS.contains(&name.as_str()) {
            f.problems.at(
                span,
                format!(
                    "no bug template kind \"{name}\": use one of {}",
                    TEMPLATE_KINDS.join(", ")
                ),
            );
            continue;
        }
        let mut t = Fields::new(table, "[tracker.template]", &["title", "body"], f.problems);
        t.report_unknown();
        let template = BugTemplate {
            title: t.string("title").map(Spanned::into_inner),
            body: t.string("body").map(Spanned::into_inner),
        };
        spec.templates.insert(name, template);
    }
    for (table, _) in f.tables("route") {
        spec.routes.push(route(table, f.problems));
    }
    needs(
        &spec,
        kind.as_ref().map_or(header, |k| k.span()),
        f.problems,
    );
    spec
}

fn strings(f: &mut Fields, key: &str) -> Vec<String> {
    f.strings(key)
        .unwrap_or_default()
        .into_iter()
        .map(Spanned::into_inner)
        .collect()
}

fn route(table: &DeTable<'_>, problems: &mut Problems) -> Route {
    let keys = &[
        "env", "check", "owner", "tier", "repo", "project", "labels", "assignee",
    ];
    let mut f = Fields::new(table, "[[tracker.route]]", keys, problems);
    f.report_unknown();
    let text = |f: &mut Fields, key: &str| f.string(key).map(Spanned::into_inner);
    let mut route = Route {
        env: text(&mut f, "env"),
        check: text(&mut f, "check"),
        owner: text(&mut f, "owner"),
        repo: text(&mut f, "repo"),
        project: text(&mut f, "project"),
        assignee: text(&mut f, "assignee"),
        labels: strings(&mut f, "labels"),
        tier: None,
    };
    if let Some(tier) = f.string("tier") {
        match Tier::parse(tier.get_ref()) {
            Some(t) => route.tier = Some(t),
            None => f.problems.at(
                tier.span(),
                "tier is \"critical\", \"important\" or \"peripheral\"",
            ),
        }
    }
    route
}

/// The keys each kind cannot work without.
fn needs(spec: &TrackerSpec, at: Range<usize>, problems: &mut Problems) {
    let site = ("url", spec.url.is_some(), "\"https://tracker.example.org\"");
    let project = ("project", spec.project.is_some(), "\"OPS\"");
    let repo = ("repo", spec.repo.is_some(), "\"owner/name\"");
    let needed: Vec<(&str, bool, &str)> = match spec.kind {
        TrackerKind::Github => vec![repo],
        TrackerKind::Gitlab => vec![repo, ("url", spec.url.is_some(), "\"https://gitlab.com\"")],
        TrackerKind::Gitea => vec![
            ("url", spec.url.is_some(), "\"https://git.example.org\""),
            repo,
        ],
        TrackerKind::Jira => {
            let mut v = vec![site, project];
            if spec.flavor == JiraFlavor::Cloud {
                v.push((
                    "user",
                    spec.user.is_some(),
                    "\"sam@example.org\" (the account of the API token)",
                ));
            }
            v
        }
        TrackerKind::Redmine | TrackerKind::Bugzilla => vec![site, project],
        TrackerKind::Phorge => vec![site],
        TrackerKind::Webhook => vec![(
            "url",
            spec.url.is_some(),
            "\"https://hooks.example.org/bugs\"",
        )],
        TrackerKind::Mail => vec![
            ("to", spec.to.is_some(), "\"ops-bugs@example.org\""),
            ("from", spec.from.is_some(), "\"sheriff@example.org\""),
        ],
        TrackerKind::Dir => vec![],
    };
    for (key, present, example) in needed {
        if !present {
            problems.at(
                at.clone(),
                format!(
                    "tracker kind \"{}\" needs {key} = {example} in [tracker]",
                    spec.kind.name()
                ),
            );
        }
    }
}

/// A token pasted into `token_env` is a secret in the config all the same.
fn looks_like_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let shaped = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let token_prefix = ["ghp_", "gho_", "ghs_", "github_pat_", "glpat-"]
        .iter()
        .any(|p| name.starts_with(p));
    shaped && !token_prefix
}

/// One `[[autofile]]` rule.
pub(crate) fn autofile(table: &DeTable<'_>, problems: &mut Problems) -> AutofileRule {
    let keys = &["checks", "envs", "tiers", "after", "labels", "per_hour"];
    let mut f = Fields::new(table, "[[autofile]]", keys, problems);
    f.report_unknown();
    let mut rule = AutofileRule {
        checks: strings(&mut f, "checks"),
        envs: strings(&mut f, "envs"),
        labels: strings(&mut f, "labels"),
        ..AutofileRule::default()
    };
    if let Some(tiers) = f.strings("tiers") {
        for tier in tiers {
            match Tier::parse(tier.get_ref()) {
                Some(t) => rule.tiers.push(t),
                None => f.problems.at(
                    tier.span(),
                    "tiers are \"critical\", \"important\" or \"peripheral\"",
                ),
            }
        }
    }
    if let Some(after) = f.duration("after") {
        rule.after = after.into_inner();
    }
    if let Some(n) = f.integer("per_hour") {
        if *n.get_ref() < 1 {
            f.problems.at(
                n.span(),
                "per_hour is how many bugs an hour at most: 1 or more",
            );
        } else {
            rule.per_hour = *n.get_ref() as u32;
        }
    }
    rule
}
