//! `{key}` substitution of an environment's vars into URLs, paths and commands.

use std::collections::BTreeMap;

/// Replaces each `{key}` whose key is in `vars`; anything else, including `{}` and braces
/// in shell commands such as `awk '{print $1}'`, is left as written.
///
/// ```
/// use std::collections::BTreeMap;
/// use sheriff::config::template_vars;
/// let vars = BTreeMap::from([("domain".to_string(), "example.org".to_string())]);
/// assert_eq!(template_vars("https://{domain}/{path}", &vars), "https://example.org/{path}");
/// ```
pub fn template_vars(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        // The key ends at the first '}', unless another '{' comes first: then this brace
        // is literal and the next one may start a key.
        let close = after
            .find(['{', '}'])
            .filter(|&i| after[i..].starts_with('}'));
        match close.and_then(|i| vars.get(&after[..i]).map(|value| (i, value))) {
            Some((i, value)) => {
                out.push_str(value);
                rest = &after[i + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("domain".to_string(), "example.org".to_string()),
            ("port".to_string(), "8443".to_string()),
        ])
    }

    #[test]
    fn substitutes_known_keys_and_keeps_the_rest() {
        assert_eq!(
            template_vars("{domain}:{port}", &vars()),
            "example.org:8443"
        );
        assert_eq!(
            template_vars("awk '{print $1}'", &vars()),
            "awk '{print $1}'"
        );
        assert_eq!(template_vars("{}{{domain}}", &vars()), "{}{example.org}");
        assert_eq!(template_vars("tail {", &vars()), "tail {");
        assert_eq!(template_vars("é{domain}é", &vars()), "éexample.orgé");
    }
}
