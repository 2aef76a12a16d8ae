//! The agent's file browsing (`/files/*` and the operator calls LIST_FILES
//! and READ_FILE): virtual paths for each executor's sandbox, resolved to
//! real ones without leaving the sandbox, and `/files/read`'s offset and
//! length rules, which are Mesos's:
//!
//! - no `offset` (or `-1`): the answer is the file's length, no data;
//! - `length` missing or `-1`: up to the end of the file;
//! - at most 16 pages are read at once;
//! - an offset at or past the end gives the length and no data.

use std::path::{Component, Path, PathBuf};

/// Why a file request is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilesError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
}

/// Virtual path → real directory, for every sandbox the agent knows.
#[derive(Debug, Default, Clone)]
pub struct Attached(pub Vec<(String, PathBuf)>);

impl Attached {
    /// The real path of `virtual_path`, which must lie in an attached
    /// directory.
    pub fn resolve(&self, virtual_path: &str) -> Result<PathBuf, FilesError> {
        let trimmed = virtual_path.trim_end_matches('/');
        let not_found = || FilesError::NotFound(format!("File '{virtual_path}' not found"));
        if Path::new(trimmed).components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(not_found());
        }
        let (prefix, real) = self
            .0
            .iter()
            .filter(|(prefix, _)| trimmed == prefix || trimmed.starts_with(&format!("{prefix}/")))
            .max_by_key(|(prefix, _)| prefix.len())
            .ok_or_else(not_found)?;
        let rest = trimmed[prefix.len()..].trim_start_matches('/');
        Ok(if rest.is_empty() { real.clone() } else { real.join(rest) })
    }
}

/// Parses `offset` and `length` as Mesos does.
pub fn parse_window(offset: Option<&str>, length: Option<&str>) -> Result<(i64, i64), FilesError> {
    let offset = match offset {
        Some(text) => {
            text.parse::<i64>().map_err(|e| FilesError::BadRequest(format!("Failed to parse offset: {e}")))?
        }
        None => -1,
    };
    let length = match length {
        Some(text) => {
            text.parse::<i64>().map_err(|e| FilesError::BadRequest(format!("Failed to parse length: {e}")))?
        }
        None => -1,
    };
    if offset < -1 {
        return Err(FilesError::BadRequest(format!("Negative offset provided: {offset}")));
    }
    if length < -1 {
        return Err(FilesError::BadRequest(format!("Negative length provided: {length}")));
    }
    Ok((offset, length))
}

/// What to read of a file of `size` bytes: `None` means answer with the
/// size and no data; otherwise `(offset, bytes to read)`.
pub fn read_window(size: u64, offset: i64, length: i64, page_size: u64) -> Option<(u64, u64)> {
    if offset < 0 || offset as u64 >= size {
        return None;
    }
    let offset = offset as u64;
    let wanted = if length < 0 { size - offset } else { length as u64 };
    Some((offset, wanted.min(16 * page_size).min(size - offset)))
}

/// A read: the offset answered and the data.
pub fn read(path: &Path, offset: i64, length: i64) -> Result<(u64, Vec<u8>), FilesError> {
    use std::io::{Read, Seek, SeekFrom};
    let metadata = std::fs::metadata(path).map_err(|_| FilesError::NotFound("File not found".into()))?;
    if metadata.is_dir() {
        return Err(FilesError::BadRequest("Cannot read a directory".into()));
    }
    let size = metadata.len();
    let Some((offset, count)) = read_window(size, offset, length, page_size()) else {
        return Ok((size, Vec::new()));
    };
    let mut file = std::fs::File::open(path).map_err(|e| FilesError::NotFound(format!("Failed to open file: {e}")))?;
    file.seek(SeekFrom::Start(offset)).map_err(|e| FilesError::BadRequest(e.to_string()))?;
    let mut data = Vec::with_capacity(count as usize);
    file.take(count).read_to_end(&mut data).map_err(|e| FilesError::BadRequest(e.to_string()))?;
    Ok((offset, data))
}

fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE).ok().flatten().map_or(4096, |p| p as u64)
}

/// One entry of `/files/browse`, as Mesos describes files.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEntry {
    pub path: String,
    pub nlink: u64,
    pub size: u64,
    pub mtime: i64,
    pub mode: String,
    /// The `st_mode` bits (`FileInfo.mode` in the operator API).
    pub mode_bits: u32,
    pub uid: String,
    pub gid: String,
}

/// The entries of a directory (or the file itself), sorted by name.
pub fn browse(virtual_path: &str, real: &Path) -> Result<Vec<FileEntry>, FilesError> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(real).map_err(|_| FilesError::NotFound(format!("'{virtual_path}' not found")))?;
    let entry = |path: String, m: &std::fs::Metadata| FileEntry {
        path,
        nlink: m.nlink(),
        size: m.size(),
        mtime: m.mtime(),
        mode: mode_string(m.mode(), m.is_dir(), m.file_type().is_symlink()),
        mode_bits: m.mode(),
        uid: nix::unistd::User::from_uid(m.uid().into()).ok().flatten().map_or(m.uid().to_string(), |u| u.name),
        gid: nix::unistd::Group::from_gid(m.gid().into()).ok().flatten().map_or(m.gid().to_string(), |g| g.name),
    };
    if !metadata.is_dir() {
        return Ok(vec![entry(virtual_path.to_owned(), &metadata)]);
    }
    let base = virtual_path.trim_end_matches('/');
    let mut entries: Vec<FileEntry> = std::fs::read_dir(real)
        .map_err(|e| FilesError::NotFound(e.to_string()))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let m = std::fs::symlink_metadata(e.path()).ok()?;
            Some(entry(format!("{base}/{name}"), &m))
        })
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// `drwxr-xr-x`-style modes.
pub fn mode_string(mode: u32, dir: bool, link: bool) -> String {
    let kind = if dir {
        'd'
    } else if link {
        'l'
    } else {
        '-'
    };
    let bits = ['r', 'w', 'x'];
    std::iter::once(kind).chain((0..9).map(|i| if mode & (0o400 >> i) != 0 { bits[i % 3] } else { '-' })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_windows_follow_mesos() {
        assert_eq!(read_window(100, -1, -1, 4096), None, "no offset: the length only");
        assert_eq!(read_window(100, 0, -1, 4096), Some((0, 100)));
        assert_eq!(read_window(100, 10, 5, 4096), Some((10, 5)));
        assert_eq!(read_window(100, 90, 50, 4096), Some((90, 10)), "cut at the end");
        assert_eq!(read_window(100, 100, 5, 4096), None, "at the end: the length");
        assert_eq!(read_window(100, 200, 5, 4096), None);
        assert_eq!(read_window(1 << 20, 0, -1, 4096), Some((0, 16 * 4096)), "at most 16 pages");
    }

    #[test]
    fn windows_parse_and_refuse_negatives() {
        assert_eq!(parse_window(None, None), Ok((-1, -1)));
        assert_eq!(parse_window(Some("5"), Some("10")), Ok((5, 10)));
        assert!(
            matches!(parse_window(Some("-2"), None), Err(FilesError::BadRequest(m)) if m.contains("Negative offset"))
        );
        assert!(
            matches!(parse_window(Some("x"), None), Err(FilesError::BadRequest(m)) if m.contains("Failed to parse offset"))
        );
        assert!(
            matches!(parse_window(None, Some("-5")), Err(FilesError::BadRequest(m)) if m.contains("Negative length"))
        );
    }

    #[test]
    fn virtual_paths_resolve_inside_their_sandbox_only() {
        let attached = Attached(vec![
            ("/frameworks/F/executors/E/runs/latest".into(), PathBuf::from("/w/s")),
            ("/w/s".into(), PathBuf::from("/w/s")),
        ]);
        assert_eq!(attached.resolve("/frameworks/F/executors/E/runs/latest/stdout"), Ok(PathBuf::from("/w/s/stdout")));
        assert_eq!(attached.resolve("/w/s/"), Ok(PathBuf::from("/w/s")));
        assert!(attached.resolve("/w/s/../../etc/passwd").is_err());
        assert!(attached.resolve("/w/other").is_err());
        assert!(attached.resolve("/w/sx").is_err());
    }

    #[test]
    fn modes_render_like_ls() {
        assert_eq!(mode_string(0o755, true, false), "drwxr-xr-x");
        assert_eq!(mode_string(0o640, false, false), "-rw-r-----");
    }
}
