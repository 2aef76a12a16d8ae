//! The marker: the seal of the last batch the master acknowledged, kept
//! outside the registry file (`<work_dir>/registry.marker`), written after
//! each commit the way every durable record here is: to a temporary file,
//! fsynced, renamed over the marker, and the directory fsynced. A stop at
//! any point leaves the old marker or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

use mesos_registry::{Marker, Seal};

/// The marker's file name beside the registry file.
pub const FILE_NAME: &str = "registry.marker";

/// The marker of the registry file at `registry`.
pub fn path_beside(registry: &Path) -> PathBuf {
    registry.with_file_name(FILE_NAME)
}

/// Reads the marker at `path`.
pub fn read(path: &Path) -> Marker {
    match std::fs::read(path) {
        Ok(bytes) => match Seal::decode(&bytes) {
            Ok(seal) => Marker::Present(seal),
            Err(reason) => Marker::Unreadable(format!("{}: {reason}", path.display())),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Marker::Missing,
        Err(error) => Marker::Unreadable(format!("{}: {error}", path.display())),
    }
}

/// Writes `seal` to the marker at `path`, durably.
pub fn write(path: &Path, seal: &Seal) -> std::io::Result<()> {
    let directory = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(FILE_NAME);
    let temporary = directory.join(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(seal.encode().as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    sync_directory(directory)
}

/// Makes renames in `directory` durable.
pub fn sync_directory(directory: &Path) -> std::io::Result<()> {
    std::fs::File::open(directory)?.sync_all()
}

#[cfg(test)]
mod tests {
    use mesos_registry::{Digest, Seal};

    use super::*;

    #[test]
    fn a_marker_is_written_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_beside(&dir.path().join("registry.db"));
        assert_eq!(read(&path), Marker::Missing);
        let seal = Seal { version: 3, contents: Digest::of([("master", b"m")]).summary() };
        write(&path, &seal).unwrap();
        write(&path, &seal.next(Digest::default().summary())).unwrap();
        assert_eq!(read(&path), Marker::Present(seal.next(Digest::default().summary())));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [FILE_NAME]);
        std::fs::write(&path, b"mesos-registry-seal 1 version=9\n").unwrap();
        assert!(matches!(read(&path), Marker::Unreadable(_)));
    }
}
