//! Entry names: a file name is bytes on Unix, a [`Tree`](crate::drift::side::Tree) key is a
//! `String`. A name that is valid UTF-8 and has no backslash is its own key; otherwise each
//! byte that is not part of valid UTF-8 becomes `\xNN` and a backslash becomes `\\`, so
//! every name has exactly one key and the key gives the name back (`fill` needs the bytes).
//!
//! For the remote shell the name travels the other way as a `printf` format in which every
//! byte outside plain ASCII is an octal escape: the command stays ASCII (a command is a
//! `&str`), and newlines or quotes in a name cannot break it.

/// The key of a file name given as bytes.
pub fn from_bytes(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// The file name a key stands for; `None` for a string no name gives (a lone backslash).
pub fn to_bytes(key: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(key.len());
    let mut rest = key;
    while let Some(at) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('\\') {
            out.push(b'\\');
            rest = tail;
        } else {
            let hex = after.strip_prefix('x')?.get(..2)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &after[3..];
        }
    }
    out.extend_from_slice(rest.as_bytes());
    Some(out)
}

/// `bytes` as a `printf` format that prints exactly them: letters, digits and `/._-` as
/// they are, every other byte as `\ooo`.
pub fn printf_format(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"/._-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_their_own_keys() {
        assert_eq!(from_bytes(b"etc/nginx.conf"), "etc/nginx.conf");
        assert_eq!(from_bytes("a b\nc".as_bytes()), "a b\nc");
    }

    #[test]
    fn every_name_comes_back_from_its_key() {
        let names: [&[u8]; 5] = [
            b"caf\xc3\xa9",
            b"bad\xff\xfename",
            b"back\\slash",
            b"\\x41",
            b"",
        ];
        for name in names {
            let key = from_bytes(name);
            assert_eq!(to_bytes(&key).as_deref(), Some(name), "{key:?}");
        }
        assert_ne!(from_bytes(b"\\x41"), from_bytes(b"A"));
        assert_eq!(from_bytes(b"bad\xff"), "bad\\xff");
    }

    #[test]
    fn a_key_no_name_gives_is_refused() {
        assert_eq!(to_bytes("lone\\"), None);
        assert_eq!(to_bytes("\\xzz"), None);
    }

    #[test]
    fn the_printf_format_is_plain_ascii() {
        assert_eq!(
            printf_format(b"/srv/a b'\n%\xff"),
            "/srv/a\\040b\\047\\012\\045\\377"
        );
    }
}
