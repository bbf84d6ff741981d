//! What a value looks like: a placeholder, a path, a name, or something random enough to
//! be a credential. These decide the near misses, so each says which false alarm it stops.

use super::MASK;

/// `$DB_PASSWORD`, `${TOKEN}`, `{{ vault_pw }}`, `<your-token>`, `[PASSWORD]`, `%(pw)s`,
/// `****`, `xxxx`, `null`: not a secret but a stand-in for one (gitleaks and
/// detect-secrets skip the same shapes), or a value already masked.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    if v.is_empty() || v.contains(MASK) || v.contains('•') {
        return true;
    }
    if is_variable(v) || v.starts_with("{{") || v.starts_with("#{") {
        return true;
    }
    if (v.starts_with('<') && v.ends_with('>')) || (v.starts_with('[') && v.ends_with(']')) {
        return true;
    }
    let mut chars = v.chars();
    let head = chars.next().unwrap_or('x');
    if v.len() >= 3 && matches!(head, '*' | 'x' | 'X' | '.' | '#' | '-') && chars.all(|c| c == head)
    {
        return true;
    }
    matches!(
        v.to_ascii_lowercase().as_str(),
        "null"
            | "none"
            | "nil"
            | "true"
            | "false"
            | "undefined"
            | "redacted"
            | "[redacted]"
            | "hidden"
    )
}

/// `$NAME`, `${…}`, `$(…)`, `%(name)s`, `%NAME%`; a password that merely starts with `$`
/// (`$3cr3t!`, an htpasswd `$apr1$…` hash) is not one.
fn is_variable(v: &str) -> bool {
    let ident = |s: &str| {
        !s.is_empty()
            && !s.as_bytes()[0].is_ascii_digit()
            && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
    };
    if let Some(rest) = v.strip_prefix('$') {
        return rest.starts_with('{') || rest.starts_with('(') || ident(rest);
    }
    if let Some(rest) = v.strip_prefix('%') {
        return rest.starts_with('(') || rest.strip_suffix('%').is_some_and(ident);
    }
    false
}

/// An absolute or home-relative file path (`/run/secrets/db`, `~/.pgpass`, `./key.pem`):
/// a config that names where a secret lives, not the secret. Base64 can start with `/`
/// too (an AWS secret key may), so every part between slashes must look like a file name.
pub fn is_path(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    let rest = ["/", "~/", "./", "../"]
        .iter()
        .find_map(|prefix| v.strip_prefix(prefix));
    let Some(rest) = rest else { return false };
    let name = |part: &str| {
        let b = part.as_bytes();
        let plain = b
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'@'));
        let mixed = b.len() >= 12
            && b.iter().any(u8::is_ascii_uppercase)
            && b.iter().any(u8::is_ascii_lowercase)
            && b.iter().any(u8::is_ascii_digit);
        plain && !mixed
    };
    rest.chars().any(|c| c.is_ascii_alphabetic()) && rest.split('/').all(name)
}

/// 8-4-4-4-12 hex: request and trace ids are UUIDs, and standing alone they are no secret.
pub fn is_uuid(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Bits of Shannon entropy per character.
fn entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for &b in value.as_bytes() {
        counts[b as usize] += 1;
    }
    let n = value.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Characters a token or key can be made of (base64, base64url, hex, and the `.~` of
/// OAuth tokens).
pub fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'~')
}

/// Random enough to be a credential, for a value found only by a nearby key word
/// ("the secret is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"): 16+ token characters, both
/// letters and digits, Shannon entropy ≥ 3 bits a character, and not a UUID or a name
/// made of words (`payment-service-v2`).
pub fn looks_random(value: &str) -> bool {
    let b = value.as_bytes();
    if !(16..=1024).contains(&b.len()) || !b.iter().all(|&c| is_token_char(c)) {
        return false;
    }
    if !b.iter().any(u8::is_ascii_digit) || !b.iter().any(u8::is_ascii_alphabetic) {
        return false;
    }
    if is_uuid(value) || is_path(value) {
        return false;
    }
    let wordy = value
        .split(['-', '_', '.', '/'])
        .all(|part| part.len() <= 3 || part.bytes().all(|c| c.is_ascii_alphabetic()));
    !wordy && entropy(value) >= 3.0
}

/// A bare token after `Bearer ` outside an `Authorization` header: a real token has a
/// digit or punctuation in it; "Bearer authentication failed" does not.
pub fn looks_like_token(value: &str) -> bool {
    value.len() >= 8
        && !is_placeholder(value)
        && value
            .bytes()
            .any(|c| c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-' | b'+' | b'/' | b'='))
        && value.bytes().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_paths_and_random_values() {
        for p in [
            "$DB_PASSWORD",
            "${TOKEN}",
            "{{ vault_pw }}",
            "<token>",
            "****",
            "xxxx",
            "null",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        assert!(!is_placeholder("hunter2"));
        assert!(is_path("/run/secrets/db") && is_path("~/.pgpass") && !is_path("/"));
        assert!(looks_random("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(looks_random("9fceb02d0ae598e95dc970b74767f19372d61af8"));
        for not in [
            "payment-service-v2",
            "550e8400-e29b-41d4-a716-446655440000",
            "reset",
            "aaaaaaaaaaaaaaaa1",
        ] {
            assert!(!looks_random(not), "{not}");
        }
    }
}
