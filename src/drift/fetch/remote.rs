//! A file or tree target on a host: one `sh` script lists it with hashes, another prints
//! the files a diff needs, each framed by its length. Only `sh`, GNU find and coreutils
//! are assumed on the host. Names travel as raw bytes (NUL-separated in the listing,
//! octal `printf` formats in the commands), so spaces, newlines and non-UTF-8 are safe.

use std::collections::HashMap;

use super::fill::{Read, Wanted};
use super::record::{self, Listed, ListedKind};
use super::{key, DriftTarget, FetchError, HostPlace};
use crate::drift::side::Tree;
use crate::transport::ssh::known_hosts::shell_quote;

/// `$1` the path, `$2` `file` or `tree`, then `find` arguments that skip excluded files
/// when hashing. Prints one record per path (readable flag, then type, mode, user, group,
/// size, relative path, symlink target, each NUL-terminated), `END`, then `sha256sum`
/// lines for the readable files. `-H` follows the path itself when it is a symlink
/// (`current -> releases/42`), never the links below it. Where the host has `gzip`, the
/// listing comes compressed (paths and hex hashes shrink to about a third): what crosses
/// the network for 10,000 files is then near what `rsync -n --checksum` moves.
const LIST_SCRIPT: &str = r#"LC_ALL=C; export LC_ALL
list() {
p=$1; what=$2; shift 2
if [ ! -e "$p" ] && [ ! -h "$p" ]; then printf 'MISSING\0'; return 0; fi
if [ "$what" = file ]; then depth='-maxdepth 0'; else depth=; fi
find -H "$p" $depth \( -readable \( ! -type d -o -executable \) -printf 'R\0' -o -printf 'U\0' \) -printf '%y\0%m\0%u\0%g\0%s\0%P\0%l\0'
printf 'END\0'
if [ -d "$p" ]; then
  if [ "$what" = tree ] && cd -- "$p"; then find . "$@" -type f -readable -exec sha256sum -- {} +; fi
elif [ -f "$p" ] && [ -r "$p" ]; then
  sha256sum < "$p"
fi
return 0
}
if command -v gzip >/dev/null 2>&1; then list "$@" | gzip -1c; else list "$@"; fi
"#;

/// `$1` the target's path as a `printf` format, `$2` the per-file cap, then relative paths
/// as formats. For each path: `E` when it cannot be read, `C` when it grew past the cap
/// since the listing, else `F<size>`, exactly that many bytes (zero-padded if the file
/// shrank meanwhile), and its size once more, so a file that changed shows.
const READ_SCRIPT: &str = r#"LC_ALL=C; export LC_ALL
b=$(printf "$1"; printf x); b=${b%x}; c=$2; shift 2
for e in "$@"; do
  if [ -d "$b" ]; then p=$(printf "$e"; printf x); p=$b/${p%x}; else p=$b; fi
  if [ -f "$p" ] && [ -r "$p" ] && n=$(wc -c < "$p"); then
    if [ "$n" -gt "$c" ]; then printf 'C\n'; continue; fi
    printf 'F%s\n' "$n"
    { head -c "$n" < "$p"; head -c "$n" /dev/zero; } | head -c "$n"
    m=$(wc -c < "$p") || m=gone
    printf '\n%s\n' "$m"
  else
    printf 'E\n'
  fi
done
"#;

/// A command line stays well under Linux's 128 KiB limit on one argument (`sh -c` gets
/// the whole command as one); more paths than fit go in further calls.
const MAX_COMMAND: usize = 96 * 1024;

const FIELDS_PER_RECORD: usize = 8;

pub async fn list(target: &DriftTarget, on: &HostPlace) -> Result<Tree, FetchError> {
    let Some((path, file_target)) = target.path() else {
        return Ok(Tree::default());
    };
    let path = safe_start(path);
    let mode = if file_target { "file" } else { "tree" };
    let mut command = format!(
        "sh -c {} sh {} {mode}",
        shell_quote(LIST_SCRIPT),
        shell_quote(&path)
    );
    for arg in target.globs().hash_skips() {
        command.push(' ');
        command.push_str(&shell_quote(&arg));
    }
    let out = on.exec(&command, target.timeout).await?;
    let bad = |why: String| FetchError::BadOutput {
        host: on.host.clone(),
        path: path.clone(),
        why: with_stderr(why, &out.stderr),
    };
    let stdout = inflated(&out.stdout).map_err(|e| bad(format!("a bad gzip stream: {e}")))?;
    let listing = parse_listing(&stdout).map_err(bad)?;
    let Some(listed) = listing else {
        let mut tree = Tree::default();
        tree.notes
            .push(format!("{path} does not exist on {}", on.host));
        return Ok(tree);
    };
    let name = record::base_name(&path);
    let globs = target.globs();
    record::into_tree(
        listed,
        &name,
        &globs,
        file_target,
        target.limits.max_entries,
    )
    .map_err(|why| FetchError::Closed {
        place: on.host.clone(),
        path: path.clone(),
        why,
    })
}

/// The listing as the script printed it: inflated when it came gzip'd (its magic bytes;
/// a plain listing starts with a record letter or `MISSING`).
fn inflated(stdout: &[u8]) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
    if !stdout.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(stdout));
    }
    // A listing of the most entries a tree keeps is far below this; more is not one.
    const MAX_INFLATED: u64 = 256 * 1024 * 1024;
    let mut plain = Vec::new();
    let inflating = flate2::read::MultiGzDecoder::new(stdout);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(inflating, MAX_INFLATED),
        &mut plain,
    )?;
    Ok(std::borrow::Cow::Owned(plain))
}

/// Reads `wanted` under `base`, in as few calls as the command length allows.
pub async fn read(
    target: &DriftTarget,
    base: &str,
    wanted: &[Wanted],
    on: &HostPlace,
) -> Result<Vec<(String, Read)>, FetchError> {
    let base = safe_start(base);
    let head = format!(
        "sh -c {} sh {} {}",
        shell_quote(READ_SCRIPT),
        shell_quote(&key::printf_format(base.as_bytes())),
        target.limits.file_cap
    );
    let mut results = Vec::with_capacity(wanted.len());
    let mut rest = wanted;
    while !rest.is_empty() {
        let mut command = head.clone();
        let mut taken = 0;
        for want in rest {
            let arg = shell_quote(&key::printf_format(&want.rel));
            if taken > 0 && command.len() + arg.len() + 1 > MAX_COMMAND {
                break;
            }
            command.push(' ');
            command.push_str(&arg);
            taken += 1;
        }
        let (batch, later) = rest.split_at(taken);
        let out = on.exec(&command, target.timeout).await?;
        let reads = parse_reads(&out.stdout, batch.len()).map_err(|why| FetchError::BadOutput {
            host: on.host.clone(),
            path: base.clone(),
            why: with_stderr(why, &out.stderr),
        })?;
        results.extend(batch.iter().map(|w| w.key.clone()).zip(reads));
        rest = later;
    }
    Ok(results)
}

/// A relative path that starts with `-` would be an option to `find`.
fn safe_start(path: &str) -> String {
    if path.starts_with('-') {
        format!("./{path}")
    } else {
        path.to_string()
    }
}

/// The first line the host printed on stderr, masked: it says why (no GNU find, …).
fn with_stderr(why: String, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(
            "{why} (the host said: {})",
            crate::redact::mask(&crate::text::into_printable(line.to_string()))
        ),
        None => why,
    }
}

/// The records of a listing; `None` when the path does not exist.
fn parse_listing(stdout: &[u8]) -> Result<Option<Vec<Listed>>, String> {
    if stdout == b"MISSING\0" {
        return Ok(None);
    }
    let end = find_end(stdout).ok_or("the listing was cut short (no END mark)")?;
    let mut fields: Vec<&[u8]> = stdout[..end].split(|&b| b == 0).collect();
    // The last record's terminator leaves one empty piece.
    if fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    if !fields.len().is_multiple_of(FIELDS_PER_RECORD) {
        return Err(format!("{} fields is not whole records", fields.len()));
    }
    let hashes = parse_hashes(&stdout[end + b"END\0".len()..])?;
    fields
        .chunks(FIELDS_PER_RECORD)
        .map(|record| parse_record(record, &hashes))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Where the `END` mark starts. Records hold a fixed number of fields and begin with a
/// readable flag, so only a field at a record's start can be the mark: a file named `END`
/// cannot fake it.
fn find_end(stdout: &[u8]) -> Option<usize> {
    let (mut start, mut field) = (0, 0usize);
    loop {
        let rest = &stdout[start..];
        if field.is_multiple_of(FIELDS_PER_RECORD) && rest.starts_with(b"END\0") {
            return Some(start);
        }
        start += memchr::memchr(0, rest)? + 1;
        field += 1;
    }
}

fn parse_record(record: &[&[u8]], hashes: &HashMap<Vec<u8>, [u8; 32]>) -> Result<Listed, String> {
    let text = |i: usize| String::from_utf8_lossy(record[i]).into_owned();
    let readable = match record[0] {
        b"R" => true,
        b"U" => false,
        other => {
            return Err(format!(
                "unknown readable flag {:?}",
                String::from_utf8_lossy(other)
            ))
        }
    };
    let mode = u32::from_str_radix(&text(2), 8).map_err(|_| format!("bad mode {:?}", text(2)))?;
    let size: u64 = text(5)
        .parse()
        .map_err(|_| format!("bad size {:?}", text(5)))?;
    let rel = record[6].to_vec();
    let kind = match record[1] {
        b"f" => ListedKind::File {
            size,
            sha256: hashes.get(&rel).copied(),
        },
        b"d" => ListedKind::Dir,
        b"l" => ListedKind::Symlink {
            target: record[7].to_vec(),
        },
        _ => ListedKind::Special,
    };
    Ok(Listed {
        rel,
        kind,
        readable,
        mode,
        owner: format!("{}:{}", text(3), text(4)),
    })
}

/// `sha256sum` lines by relative path (`./a` is `a`; `-`, the one file read from stdin,
/// is the empty path). GNU sha256sum starts a line with `\` when the name holds a
/// backslash, newline or carriage return, and escapes those as `\\`, `\n`, `\r`.
fn parse_hashes(text: &[u8]) -> Result<HashMap<Vec<u8>, [u8; 32]>, String> {
    let mut hashes = HashMap::new();
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let (escaped, line) = match line.strip_prefix(b"\\") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let bad = || format!("bad sha256sum line {:?}", String::from_utf8_lossy(line));
        let (hex, name) = (
            line.get(..64).ok_or_else(bad)?,
            line.get(66..).ok_or_else(bad)?,
        );
        let sha256 = hex_digest(hex).ok_or_else(bad)?;
        let name = if escaped {
            unescape(name)
        } else {
            name.to_vec()
        };
        let rel = match name.as_slice() {
            b"-" => Vec::new(),
            other => other.strip_prefix(b"./").unwrap_or(other).to_vec(),
        };
        hashes.insert(rel, sha256);
    }
    Ok(hashes)
}

fn unescape(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut bytes = name.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(&other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

fn hex_digest(hex: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        *out.get_mut(i)? = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

/// The framed files of the read script, one per asked path.
fn parse_reads(stdout: &[u8], count: usize) -> Result<Vec<Read>, String> {
    let mut at = 0;
    let mut reads = Vec::with_capacity(count);
    let line = |at: &mut usize| -> Result<String, String> {
        let rest = &stdout[*at..];
        let end = memchr::memchr(b'\n', rest).ok_or("the files were cut short")?;
        *at += end + 1;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    };
    for _ in 0..count {
        let head = line(&mut at)?;
        if head == "E" {
            reads.push(Read::Gone(
                "cannot be read now (removed or its permissions changed)".into(),
            ));
            continue;
        }
        if head == "C" {
            reads.push(Read::Changed);
            continue;
        }
        let size: usize = head
            .strip_prefix('F')
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("bad file header {head:?}"))?;
        let bytes = stdout
            .get(at..at.saturating_add(size))
            .ok_or("a file was cut short")?
            .to_vec();
        at += size;
        if stdout.get(at) != Some(&b'\n') {
            return Err("a file was not followed by its size".into());
        }
        at += 1;
        let after = line(&mut at)?;
        reads.push(if after.trim() == size.to_string() {
            Read::Bytes(bytes)
        } else {
            Read::Changed
        });
    }
    Ok(reads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_sha256sum_names_come_back_whole() {
        let hash = "a".repeat(64);
        let text = format!("\\{hash}  ./odd\\nname\\\\x\n{hash}  ./plain name\n{hash}  -\n");
        let hashes = parse_hashes(text.as_bytes()).unwrap();
        assert!(hashes.contains_key(b"odd\nname\\x".as_slice()));
        assert!(hashes.contains_key(b"plain name".as_slice()));
        assert!(hashes.contains_key(b"".as_slice()));
    }

    #[test]
    fn a_file_named_end_does_not_end_the_listing() {
        let record = [&b"R\0f\0"[..], b"644\0u\0g\0", b"1\0END\0\0"].concat();
        let mut stdout = record.clone();
        stdout.extend_from_slice(b"END\0");
        let listed = parse_listing(&stdout).unwrap().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].rel, b"END");
    }

    #[test]
    fn framed_files_and_changed_ones() {
        let out = b"F3\nabc\n3\nE\nF2\nxy\n5\nC\n";
        let reads = parse_reads(out, 4).unwrap();
        assert!(matches!(&reads[0], Read::Bytes(b) if b == b"abc"));
        assert!(matches!(reads[1], Read::Gone(_)));
        assert!(matches!(reads[2], Read::Changed));
        assert!(matches!(reads[3], Read::Changed));
        assert!(parse_reads(b"F9\nabc", 1).is_err());
    }
}
