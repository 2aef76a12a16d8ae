//! The log file under `--log_dir`: appended to, one line per event, and
//! reopened on request (SIGHUP), so that logrotate can move it away and the
//! daemon goes on writing to a fresh file of the same name.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tracing_subscriber::fmt::MakeWriter;

/// A shared handle on the log file.
#[derive(Clone)]
pub struct LogFile {
    path: PathBuf,
    file: Arc<Mutex<File>>,
}

impl LogFile {
    /// The file `<dir>/<program>.INFO` (the name Mesos gives its log), with
    /// `dir` created if needed.
    pub fn create(dir: &Path, program: &str) -> io::Result<LogFile> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{program}.INFO"));
        let file = open(&path)?;
        Ok(LogFile { path, file: Arc::new(Mutex::new(file)) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the path again (creating it if it was moved away); lines go to
    /// the new file from now on. On failure the old file is kept.
    pub fn reopen(&self) -> io::Result<()> {
        let file = open(&self.path)?;
        *self.lock() = file;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, File> {
        // A writer that panicked mid-line leaves nothing worth refusing.
        self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Writes one formatted event while holding the file.
pub struct LogFileWriter<'a>(MutexGuard<'a, File>);

impl Write for LogFileWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = LogFileWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogFileWriter(self.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_file_is_replaced_on_reopen() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = LogFile::create(&dir.path().join("logs"), "mesos-master").expect("log file");
        writeln!(log.make_writer(), "first").expect("write");
        let rotated = dir.path().join("logs/mesos-master.INFO.1");
        std::fs::rename(log.path(), &rotated).expect("rotate");
        writeln!(log.make_writer(), "second").expect("write");
        log.reopen().expect("reopen");
        writeln!(log.make_writer(), "third").expect("write");
        assert_eq!(std::fs::read_to_string(&rotated).expect("rotated"), "first\nsecond\n");
        assert_eq!(std::fs::read_to_string(log.path()).expect("new file"), "third\n");
    }
}
