//! The `sh` script a remote tail runs on the host, and what it says back.
//!
//! One run reads one file (one inode) from a given offset. Its first stdout lines are
//! headers (`sheriff-tail …`); after the `current` or `old` header every byte is the file's
//! content, from the offset that header names. The run ends with an exit status saying
//! what comes next ([`FILE_DONE`], [`TRUNCATED`], [`TRY_AGAIN`]); anything else is an
//! error, its reason on stderr.
//!
//! Why it looks like this:
//! - The file is opened once (fd 3) and `stat -` reads that descriptor's identity and size,
//!   so the identity in the header is the file whose bytes follow, with no race.
//! - It follows fd 3 with `cat` in a loop instead of `tail -F`: the descriptor's offset
//!   only moves forward by what was read, so every byte sent is at a known offset. `tail -F`
//!   switches files and starts over after a truncation by itself (saying so only on
//!   stderr, which arrives unordered with stdout), which would make the count wrong.
//! - Each poll stats the name and the descriptor together: another inode (or none) under
//!   the name is a rotation: the rest of fd 3 is read, the inode now under the name is said
//!   on stderr (`sheriff-tail next DEV:INO`, so the next run reads that very file even if
//!   it was rotated away again meanwhile), then [`FILE_DONE`]; a descriptor that shrank is
//!   a truncation ([`TRUNCATED`]).
//! - Idle, it writes nothing and would outlive a dead connection; a newline on stderr now
//!   and then makes a closed channel kill it (SIGPIPE).

use crate::transport::ssh::known_hosts::shell_quote;

/// The file was rotated or removed and its content is read to the end: go on with the file
/// that replaced it (said on stderr, see [`next_file`]), or what the name points at now,
/// from its start.
pub const FILE_DONE: i32 = 10;
/// The file shrank while it was followed: read it again from its start.
pub const TRUNCATED: i32 = 11;
/// The name changed between two looks: run again with the same arguments.
pub const TRY_AGAIN: i32 = 12;

/// The longest header line accepted; anything longer is not this script talking.
pub const MAX_HEADER: usize = 4096;

/// How many bytes before the offset a resume checks (see [`SCRIPT`]).
pub const CHECK: usize = 16;

/// Arguments: FILE, WANT (the `dev:inode` being read, or empty), OFFSET, BACKLOG (lines to
/// show first on a fresh start; empty: from the start of the file), CHECK (hex of the
/// bytes just before OFFSET, as last received).
///
/// An inode number is reused once its file is deleted, so a resume also checks that the
/// file still holds, just before the offset, the bytes last received (`same`): a new file
/// under the old number, or a file truncated and written past the offset, is not the one
/// being read.
const SCRIPT: &str = r#"f=$1 want=$2 off=$3 back=$4 check=$5 beat=0
alive() { beat=$((beat + 1)); if [ "$beat" -ge "$1" ]; then beat=0; printf '\n' >&2; fi; }
same() {
  [ -n "$check" ] || return 0
  n=$((${#check} / 2))
  [ "$off" -ge "$n" ] || return 1
  [ "$(tail -c +$((off - n + 1)) <&4 | head -c "$n" | od -An -v -tx1 | tr -d ' \n')" = "$check" ]
}
if [ -n "$want" ] && [ "$(stat -L -c %d:%i -- "$f" 2>/dev/null)" != "$want" ]; then
  old=$(find "$(dirname -- "$f")" -maxdepth 1 -inum "${want#*:}" -print -quit 2>/dev/null)
  if [ -n "$old" ] && [ -r "$old" ]; then
    exec 3<"$old" 4<"$old"
    if [ "$(stat -L -c %d:%i - <&3)" = "$want" ] && same; then
      exec 4<&-
      echo "sheriff-tail old $want $off"
      tail -c +$((off + 1)) <&3
      exit 10
    fi
  fi
  echo "sheriff-tail gone"
  want= off=0 back=
fi
said=
while [ ! -e "$f" ]; do
  if [ -z "$said" ]; then echo "sheriff-tail missing"; said=1; fi
  sleep 1; alive 5
done
exec 3<"$f" 4<"$f"
id=$(stat -L -c %d:%i - <&3)
[ "$id" = "$(stat -L -c %d:%i - <&4)" ] || exit 12
if [ -n "$want" ] && [ "$id" != "$want" ]; then exit 12; fi
s=$(stat -L -c %s - <&3)
note=
if [ -n "$want" ]; then
  if [ "$s" -lt "$off" ]; then off=0 note=truncated
  elif ! same; then off=0 note=replaced; fi
elif [ -n "$back" ]; then
  off=$((s - $(head -c "$s" <&4 | tail -n "$back" | wc -c)))
else
  off=0
fi
exec 4<&-
echo "sheriff-tail current $id $off $note"
tail -c +$((off + 1)) <&3
last=$s
while sleep 0.25; do
  set -- $(stat -L -c '%d:%i %s' - "$f" <&3 2>/dev/null)
  if [ "${3-}" != "$id" ]; then cat <&3; echo "sheriff-tail next ${3-}" >&2; exit 10; fi
  if [ "$2" -lt "$last" ]; then exit 11; fi
  if [ "$2" -gt "$last" ]; then cat <&3; last=$2; else alive 20; fi
done"#;

/// Where to start reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A first start: the last `n` lines of what is there, then what is appended.
    Backlog(usize),
    /// The file the name points at now, from its first byte (after a rotation).
    Top,
    /// Go on in the file `id` (`dev:inode`) at `offset`, wherever it is now; `recent`:
    /// the last bytes received before `offset` (at most [`CHECK`]).
    Resume {
        id: String,
        offset: u64,
        recent: Vec<u8>,
    },
}

/// The command that reads `path` from `start`.
pub fn command(path: &str, start: &Start) -> String {
    let (want, offset, backlog, check) = match start {
        Start::Backlog(n) => (String::new(), 0, n.to_string(), String::new()),
        Start::Top => (String::new(), 0, String::new(), String::new()),
        Start::Resume { id, offset, recent } => {
            let check = recent.iter().map(|b| format!("{b:02x}")).collect();
            (id.clone(), *offset, String::new(), check)
        }
    };
    format!(
        "sh -c {} sheriff-tail {} {} {} {} {}",
        shell_quote(SCRIPT),
        shell_quote(path),
        shell_quote(&want),
        offset,
        shell_quote(&backlog),
        shell_quote(&check),
    )
}

/// The file that replaced the one a run read to its end, from the run's stderr.
pub fn next_file(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let id = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("sheriff-tail next "))?;
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// One header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    /// No file under the name yet; the script waits for one.
    Missing,
    /// The file being resumed was replaced and is nowhere next to the name any more.
    Gone,
    /// Content follows: the file `id` from `offset`. `old`: the file under another name
    /// now (rotated while away); `changed`: not what was left (shorter than the offset:
    /// truncated; other bytes before it: replaced), so read from its start.
    Content {
        id: String,
        offset: u64,
        old: bool,
        changed: Option<Change>,
    },
}

/// How a file being resumed changed while nobody looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Truncated,
    Replaced,
}

/// Reads a header line (without its newline); None: not one.
pub fn parse_header(line: &[u8]) -> Option<Header> {
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    if words.next()? != "sheriff-tail" {
        return None;
    }
    let kind = words.next()?;
    match kind {
        "missing" => Some(Header::Missing),
        "gone" => Some(Header::Gone),
        "current" | "old" => {
            let id = words.next()?.to_string();
            let offset = words.next()?.parse().ok()?;
            let changed = match words.next() {
                Some("truncated") => Some(Change::Truncated),
                Some("replaced") => Some(Change::Replaced),
                _ => None,
            };
            Some(Header::Content {
                id,
                offset,
                old: kind == "old",
                changed,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_and_anything_else_is_not_one() {
        assert_eq!(
            parse_header(b"sheriff-tail current 2049:77 120 "),
            Some(Header::Content {
                id: "2049:77".into(),
                offset: 120,
                old: false,
                changed: None
            })
        );
        assert_eq!(
            parse_header(b"sheriff-tail current 2049:77 0 replaced"),
            Some(Header::Content {
                id: "2049:77".into(),
                offset: 0,
                old: false,
                changed: Some(Change::Replaced)
            })
        );
        assert_eq!(parse_header(b"sheriff-tail missing"), Some(Header::Missing));
        assert_eq!(parse_header(b"sheriff-tail current x y"), None);
        assert_eq!(parse_header(b"hello"), None);
        assert_eq!(parse_header(b"\xff"), None);
    }

    /// The script itself, run by the local `sh`: a backlog, appends, and a rotation
    /// ending the run with the old file's rest.
    #[tokio::test]
    async fn the_script_reads_a_backlog_then_finishes_a_rotated_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let command = command(&path.display().to_string(), &Start::Backlog(2));
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, b"four\n").unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        std::io::Write::write_all(&mut file, b"five\n").unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        let out = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            let mut stdout = child.stdout.take().unwrap();
            let mut out = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut stdout, &mut out)
                .await
                .unwrap();
            (out, child.wait().await.unwrap())
        })
        .await
        .expect("the run ends after the rotation");
        let text = String::from_utf8(out.0).unwrap();
        let (header, content) = text.split_once('\n').unwrap();
        assert!(header.starts_with("sheriff-tail current "), "{header}");
        assert!(
            header.ends_with(" 4 "),
            "the backlog starts after \"one\\n\": {header}"
        );
        assert_eq!(content, "two\nthree\nfour\nfive\n");
        assert_eq!(out.1.code(), Some(FILE_DONE));
    }
}
