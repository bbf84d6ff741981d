//! A file or tree target under a local root, listed and read the way the host scripts do
//! it (symlinks below the path not followed, the path itself followed, readability as
//! `access(2)` says), so a local environment gives the same Tree as a remote one.

use std::collections::HashMap;
use std::ffi::CString;
use std::io::Read as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sha2::Digest;

use super::fill::{Read, Wanted};
use super::record::{self, Listed, ListedKind};
use super::{DriftTarget, FetchError};
use crate::drift::side::Tree;
use crate::logs::tail::under_root;

pub async fn list(target: &DriftTarget, root: &Path) -> Result<Tree, FetchError> {
    let Some((path, file_target)) = target.path() else {
        return Ok(Tree::default());
    };
    let (base, path) = (under_root(root, path), path.to_string());
    let (globs, max_entries) = (target.globs(), target.limits.max_entries);
    blocking(base.clone(), move || {
        let Some(listed) = list_blocking(&base, file_target)? else {
            let mut tree = Tree::default();
            tree.notes
                .push(format!("{} does not exist", base.display()));
            return Ok(tree);
        };
        let name = record::base_name(&path);
        record::into_tree(listed, &name, &globs, file_target, max_entries).map_err(|why| {
            FetchError::Closed {
                place: "this machine".into(),
                path: base.display().to_string(),
                why,
            }
        })
    })
    .await
}

pub async fn read(
    root: &Path,
    base: &str,
    wanted: &[Wanted],
    limits: &super::Limits,
) -> Result<Vec<(String, Read)>, FetchError> {
    let base = under_root(root, base);
    let wanted = wanted.to_vec();
    let cap = limits.file_cap;
    blocking(base.clone(), move || {
        let base_is_dir = base.is_dir();
        let reads = wanted
            .into_iter()
            .map(|want| {
                let path = if base_is_dir {
                    base.join(std::ffi::OsStr::from_bytes(&want.rel))
                } else {
                    base.clone()
                };
                (want.key, read_one(&path, cap))
            })
            .collect();
        Ok(reads)
    })
    .await
}

/// Runs `work` on the blocking pool: a large tree must not stall the async workers.
async fn blocking<T: Send + 'static>(
    path: PathBuf,
    work: impl FnOnce() -> Result<T, FetchError> + Send + 'static,
) -> Result<T, FetchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| FetchError::Local {
            path,
            source: std::io::Error::other(format!("the listing stopped: {e}")),
        })?
}

fn read_one(path: &Path, cap: u64) -> Read {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Read::Gone("cannot be read now (removed or its permissions changed)".into());
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(size.min(cap) as usize);
    // One byte past the cap tells a file that grew past it since the listing.
    match (&mut file).take(cap + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 == size => Read::Bytes(bytes),
        Ok(_) => Read::Changed,
        Err(e) => Read::Gone(e.to_string()),
    }
}

/// Every path under `base` (the path itself first, followed if it is a symlink); `None`
/// when nothing is there.
fn list_blocking(base: &Path, file_target: bool) -> Result<Option<Vec<Listed>>, FetchError> {
    let local_error = |source| FetchError::Local {
        path: base.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(base) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::symlink_metadata(base)
        {
            // A dangling symlink: listed as the link it is.
            Ok(meta) => meta,
            Err(_) => return Ok(None),
        },
        Err(e) => return Err(local_error(e)),
    };
    let mut walk = Walk {
        owners: Owners::default(),
        out: Vec::new(),
    };
    walk.add(base, Vec::new(), &meta);
    let base_listed = walk
        .out
        .last()
        .map(|l| (l.kind == ListedKind::Dir, l.readable));
    if !file_target && base_listed == Some((true, true)) {
        walk.dir(base, &[]);
    }
    Ok(Some(walk.out))
}

struct Walk {
    owners: Owners,
    out: Vec<Listed>,
}

impl Walk {
    /// Lists the entries of `dir` (at `rel`), recursing into the readable directories.
    fn dir(&mut self, dir: &Path, rel: &[u8]) {
        // An entry that vanishes mid-walk is left out, as find leaves it out.
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let mut child = rel.to_vec();
            if !child.is_empty() {
                child.push(b'/');
            }
            child.extend_from_slice(entry.file_name().as_bytes());
            self.add(&path, child.clone(), &meta);
            if meta.is_dir() && self.out.last().is_some_and(|l| l.readable) {
                self.dir(&path, &child);
            }
        }
    }

    fn add(&mut self, path: &Path, rel: Vec<u8>, meta: &std::fs::Metadata) {
        let file_type = meta.file_type();
        let readable = if file_type.is_dir() {
            may_access(path, libc::R_OK | libc::X_OK)
        } else {
            may_access(path, libc::R_OK)
        };
        let kind = if file_type.is_symlink() {
            let target = std::fs::read_link(path).unwrap_or_default();
            ListedKind::Symlink {
                target: target.as_os_str().as_bytes().to_vec(),
            }
        } else if file_type.is_dir() {
            ListedKind::Dir
        } else if file_type.is_file() {
            let sha256 = if readable { hash_file(path) } else { None };
            ListedKind::File {
                size: meta.len(),
                sha256,
            }
        } else {
            ListedKind::Special
        };
        let owner = format!(
            "{}:{}",
            self.owners.user(meta.uid()),
            self.owners.group(meta.gid())
        );
        self.out.push(Listed {
            rel,
            kind,
            readable,
            mode: meta.mode() & 0o7777,
            owner,
        });
    }
}

fn hash_file(path: &Path) -> Option<[u8; 32]> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hasher.finalize().into())
}

/// `access(2)`: what the listing user may do, as find's `-readable` asks it.
fn may_access(path: &Path, mode: libc::c_int) -> bool {
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; access only reads it.
    unsafe { libc::access(c_path.as_ptr(), mode) == 0 }
}

/// User and group names by id, as `find -printf %u:%g` prints them (the number when the
/// id has no name), looked up once each.
#[derive(Default)]
struct Owners {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Owners {
    fn user(&mut self, uid: u32) -> String {
        self.users
            .entry(uid)
            .or_insert_with(|| crate::accounts::user_name(uid).unwrap_or_else(|| uid.to_string()))
            .clone()
    }

    fn group(&mut self, gid: u32) -> String {
        self.groups
            .entry(gid)
            .or_insert_with(|| crate::accounts::group_name(gid).unwrap_or_else(|| gid.to_string()))
            .clone()
    }
}
