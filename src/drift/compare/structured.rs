//! JSON, YAML, TOML, INI and env files compared by key path, so a reordered or reformatted
//! file is not drift and a change reads `server.workers: 8 → 4`.
//!
//! Each side is parsed into a flat map of key paths to leaves. A leaf that looks secret is
//! hashed there and then; only its digest is compared, and its clear lines live on just
//! long enough to be masked in the same file's line diff, wiped when dropped. Input the
//! parsers could choke on is refused first: nesting deeper than [`MAX_DEPTH`] or more than
//! [`MAX_LEAVES`] leaves (a YAML alias bomb) is compared as text instead.

use std::collections::BTreeMap;

use super::canonical::LaidOut;
use super::ini;
use super::model::{KeyChange, Shown};
use super::rules::{Format, Placeholders, Rules};
use super::secret::{self, Salt, SecretDigest};
use zeroize::Zeroizing;

/// Deeper nesting than any real config has; past it a file is compared as text.
pub(crate) const MAX_DEPTH: usize = 64;
/// More leaves than any real config has; bounds what aliases can expand to.
pub(crate) const MAX_LEAVES: usize = 200_000;

/// A parsed document, whatever its format.
enum Node {
    Scalar(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Leaf {
    Plain(String),
    Secret(SecretDigest),
}

/// One side read as key paths.
pub(crate) struct KeyMap {
    leaves: BTreeMap<String, Leaf>,
    /// The lines of the secret values found, wiped when dropped. A value the structure
    /// calls secret may sit on a line the redactor cannot judge alone (a list item under
    /// `password:`), so the line diff of the same file masks these wherever they appear;
    /// they never reach a result.
    pub secret_lines: Vec<Zeroizing<String>>,
}

impl KeyMap {
    /// Every leaf as a `path = value` line in key order, for [`super::canonical`]: a
    /// value's line breaks written `\n`, a secret shown as `••` and compared by digest.
    pub(crate) fn laid_out(&self) -> Vec<LaidOut> {
        self.leaves
            .iter()
            .map(|(path, leaf)| match leaf {
                Leaf::Plain(value) => {
                    let text = format!("{path} = {}", value.replace('\n', "\\n"));
                    LaidOut {
                        key: text.clone(),
                        text,
                    }
                }
                Leaf::Secret(digest) => LaidOut {
                    text: format!("{path} = {}", secret::SECRET_SHOWN),
                    key: format!("{path} = \0{}", digest.hex()),
                },
            })
            .collect()
    }
}

/// Why a side could not be read as its format.
#[derive(Debug)]
pub(crate) struct NotStructured(pub String);

/// How a side is read: its placeholders, the rules, and the run's salt.
pub(crate) struct Reader<'r> {
    pub rules: &'r Rules,
    pub placeholders: &'r Placeholders,
    pub salt: &'r Salt,
}

impl Reader<'_> {
    pub(crate) fn read(&self, text: &str, format: Format) -> Result<KeyMap, NotStructured> {
        if matches!(format, Format::Json | Format::Toml | Format::Yaml)
            && bracket_depth(text) > MAX_DEPTH
        {
            return Err(NotStructured(format!("nested deeper than {MAX_DEPTH}")));
        }
        let mut keys = KeyMap {
            leaves: BTreeMap::new(),
            secret_lines: Vec::new(),
        };
        match format {
            Format::Ini | Format::Env => {
                let pairs = ini::key_values(text, format)
                    .ok_or_else(|| NotStructured("a line is not key = value".into()))?;
                for (path, value) in pairs {
                    self.add_leaf(&mut keys, path, value);
                }
            }
            Format::Json | Format::Yaml | Format::Toml => {
                let node = parse(text, format)?;
                self.flatten(&mut keys, String::new(), node, 0)?;
            }
            Format::Text => return Err(NotStructured("text".into())),
        }
        Ok(keys)
    }

    fn flatten(
        &self,
        keys: &mut KeyMap,
        path: String,
        node: Node,
        depth: usize,
    ) -> Result<(), NotStructured> {
        if depth > MAX_DEPTH {
            return Err(NotStructured(format!("nested deeper than {MAX_DEPTH}")));
        }
        if keys.leaves.len() > MAX_LEAVES {
            return Err(NotStructured(format!("more than {MAX_LEAVES} values")));
        }
        match node {
            Node::Scalar(value) => self.add_leaf(keys, path, value),
            Node::List(items) if items.is_empty() => self.add_leaf(keys, path, "[]".into()),
            Node::Map(entries) if entries.is_empty() => self.add_leaf(keys, path, "{}".into()),
            Node::List(items) => {
                for (index, item) in items.into_iter().enumerate() {
                    self.flatten(keys, format!("{path}[{index}]"), item, depth + 1)?;
                }
            }
            Node::Map(entries) => {
                for (key, item) in entries {
                    let child = join_key(&path, &key);
                    self.flatten(keys, child, item, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// Places a value under its path: env values replaced by placeholders, and a secret
    /// hashed at once so only its digest is kept.
    fn add_leaf(&self, keys: &mut KeyMap, path: String, value: String) {
        let path = self.placeholders.apply(&path).unwrap_or(path);
        let value = self.placeholders.apply(&value).unwrap_or(value);
        let last_key = last_segment(&path);
        let leaf = if secret::is_secret_assignment(last_key, &value) {
            let digest = self.salt.digest(&value);
            let value = Zeroizing::new(value);
            keys.secret_lines.extend(
                value
                    .lines()
                    .map(str::trim)
                    .filter(|line| line.len() >= 4)
                    .map(|line| Zeroizing::new(line.to_string())),
            );
            Leaf::Secret(digest)
        } else {
            Leaf::Plain(value)
        };
        if let Some(ignore) = &self.rules.ignore_lines {
            if let Leaf::Plain(value) = &leaf {
                if ignore.is_match(&format!("{path}: {value}")) {
                    return;
                }
            }
        }
        keys.leaves.insert(path, leaf);
    }
}

/// The key differences from side a to side b, in key order.
pub(crate) fn key_changes(a: &KeyMap, b: &KeyMap) -> Vec<KeyChange> {
    let shown = |leaf: &Leaf| match leaf {
        Leaf::Plain(value) => Shown::Value(secret::shown(value)),
        Leaf::Secret(_) => Shown::Secret,
    };
    let mut changes = Vec::new();
    let mut b_only: BTreeMap<&String, &Leaf> = b.leaves.iter().collect();
    for (path, a_leaf) in &a.leaves {
        let b_leaf = b_only.remove(path);
        if b_leaf == Some(a_leaf) {
            continue;
        }
        changes.push(KeyChange {
            key: secret::shown(path),
            a: Some(shown(a_leaf)),
            b: b_leaf.map(shown),
        });
    }
    for (path, b_leaf) in b_only {
        changes.push(KeyChange {
            key: secret::shown(path),
            a: None,
            b: Some(shown(b_leaf)),
        });
    }
    changes.sort_by(|x, y| x.key.cmp(&y.key));
    changes
}

fn parse(text: &str, format: Format) -> Result<Node, NotStructured> {
    // The first line only: the toml crate goes on to quote the offending line of the file,
    // which may hold a value no rule would mask out of its context.
    let bad = |e: &dyn std::fmt::Display| {
        let message = e.to_string();
        NotStructured(secret::shown(message.lines().next().unwrap_or("")))
    };
    match format {
        Format::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(from_json)
            .map_err(|e| bad(&e)),
        Format::Toml => toml::from_str::<toml::Table>(text)
            .map(|t| from_toml(toml::Value::Table(t)))
            .map_err(|e| bad(&e)),
        _ => {
            let mut documents = Vec::new();
            for document in serde_yaml_ng::Deserializer::from_str(text) {
                let mut value: serde_yaml_ng::Value =
                    serde::Deserialize::deserialize(document).map_err(|e| bad(&e))?;
                // Compose files share settings through `<<: *defaults`: what a service
                // gets is the merged mapping, so that is what is compared.
                value.apply_merge().map_err(|e| bad(&e))?;
                documents.push(from_yaml(value));
            }
            match documents.len() {
                1 => Ok(documents.remove(0)),
                _ => Ok(Node::List(documents)),
            }
        }
    }
}

fn from_json(value: serde_json::Value) -> Node {
    use serde_json::Value;
    match value {
        Value::Array(items) => Node::List(items.into_iter().map(from_json).collect()),
        Value::Object(map) => Node::Map(map.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
        Value::String(s) => Node::Scalar(s),
        other => Node::Scalar(other.to_string()),
    }
}

fn from_toml(value: toml::Value) -> Node {
    use toml::Value;
    match value {
        Value::Array(items) => Node::List(items.into_iter().map(from_toml).collect()),
        Value::Table(map) => Node::Map(map.into_iter().map(|(k, v)| (k, from_toml(v))).collect()),
        Value::String(s) => Node::Scalar(s),
        other => Node::Scalar(other.to_string()),
    }
}

fn from_yaml(value: serde_yaml_ng::Value) -> Node {
    use serde_yaml_ng::Value;
    match value {
        Value::Sequence(items) => Node::List(items.into_iter().map(from_yaml).collect()),
        Value::Mapping(map) => Node::Map(
            map.into_iter()
                .map(|(k, v)| (yaml_scalar(k), from_yaml(v)))
                .collect(),
        ),
        Value::Tagged(tagged) => from_yaml(tagged.value),
        scalar => Node::Scalar(yaml_scalar(scalar)),
    }
}

fn yaml_scalar(value: serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value;
    match value {
        Value::String(s) => s,
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // A mapping used as a key: rare enough that its YAML text is a fine name.
        other => serde_yaml_ng::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// `path.key`, or `path["odd key"]` when the key would not read as one segment.
fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | ':' | '$' | '@'));
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", serde_json::Value::from(key)),
    }
}

/// The last key of a path, the name a secret would be assigned to (`password` in
/// `database.password`, `DB_PASSWORD` in `DB_PASSWORD#2`).
fn last_segment(path: &str) -> &str {
    let path = path.split('#').next().unwrap_or(path);
    let path = path.trim_end_matches(|c: char| c == ']' || c.is_ascii_digit() || c == '[');
    path.rsplit(['.', '[', '"'])
        .find(|s| !s.is_empty())
        .unwrap_or(path)
}

/// The deepest nesting of `[` and `{` outside strings, found in one pass so a hostile file
/// never reaches a recursive parser.
fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None::<u8>);
    let mut escaped = false;
    for &byte in text.as_bytes() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == q {
                quote = None;
            }
            continue;
        }
        match byte {
            b'"' => quote = Some(byte),
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}
