//! Atomic file writes: write a temporary file beside the target, fsync it,
//! rename it over the target, fsync the directory. A crash at any point
//! leaves the old content or the new one, never a torn file.
//!
//! With the `failpoints` feature, each step is a fault-injection point
//! (`checkpoint::before_write`, `checkpoint::before_rename`,
//! `checkpoint::after_rename`); configured to `return`, the process aborts
//! there, as if it crashed; configured to `return(error)`, the write fails
//! there with an I/O error, as a full or failing disk makes it.

use std::io::Write;
use std::path::Path;

use super::CheckpointError;

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let error = |source| CheckpointError { path: path.display().to_string(), source };
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).map_err(error)?;
    crash_point("checkpoint::before_write").map_err(error)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("checkpoint");
    let temporary = parent.join(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&temporary).map_err(error)?;
    file.write_all(bytes).map_err(error)?;
    file.sync_all().map_err(error)?;
    drop(file);
    crash_point("checkpoint::before_rename").map_err(error)?;
    std::fs::rename(&temporary, path).map_err(error)?;
    crash_point("checkpoint::after_rename").map_err(error)?;
    if let Ok(directory) = std::fs::File::open(parent) {
        let _ = directory.sync_all();
    }
    Ok(())
}

/// At `name` when that failpoint is set: `return(error)` fails the write
/// with an I/O error, any other `return` aborts the process.
#[cfg(feature = "failpoints")]
pub fn crash_point(name: &str) -> std::io::Result<()> {
    let act = |argument: Option<String>| -> std::io::Result<()> {
        if argument.as_deref() == Some("error") {
            eprintln!("failpoint {name}: failing the write");
            return Err(std::io::Error::other(format!("failpoint {name}")));
        }
        eprintln!("failpoint {name}: crashing");
        std::process::abort()
    };
    fail::eval(name, act).unwrap_or(Ok(()))
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn crash_point(_name: &str) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/record");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["record"]);
    }
}
