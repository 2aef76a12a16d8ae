//! The registry of a master on its own: `<work_dir>/registry.db`, records
//! in an embedded database (`redb`), and `<work_dir>/registry.marker`
//! (`marker.rs`) beside it.
//!
//! Each batch is one transaction holding the records it changed and the
//! registry's new [`Seal`] (the next version, and the digest of every
//! record), committed in two phases (the commit slot is fsynced before it
//! becomes the primary, so redb never has to fall back to an older commit
//! after a crash); then the marker gets the same seal; only then does
//! [`Store::write`] return and the batch count as stored.
//!
//! Opening checks every page's checksum (redb's integrity check on open,
//! which would otherwise only run after a crash), then [`verify`] compares
//! the marker, the stored seal and a digest of the records read back. A
//! file that cannot be opened, a record that does not decode and a state
//! older than the marker's are errors, never an empty or shorter registry
//! (or, with [`Recover::Discard`], the file is kept aside and the registry
//! starts empty, loudly).

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use mesos_registry::{Changes, Digest, Marker, Registry, Seal, Verdict, verify};
use redb::{Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition, TableError};

use crate::{Recover, Store, StoreError, marker, recovery_advice};

const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("registry");
/// The seal, in the same transaction as the records it seals.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("registry_meta");
const SEAL: &str = "seal";

/// The file name under `--work-dir`.
pub const FILE_NAME: &str = "registry.db";

pub struct FileStore {
    path: PathBuf,
    marker: PathBuf,
    recover: Recover,
    open: Option<Open>,
}

/// The database once loaded, with the seal and digest of what it holds.
struct Open {
    database: Database,
    seal: Seal,
    digest: Digest,
}

impl FileStore {
    /// The registry file at `path` (created on first load if missing),
    /// with its marker beside it.
    pub fn new(path: &Path, recover: Recover) -> FileStore {
        FileStore { path: path.to_owned(), marker: marker::path_beside(path), recover, open: None }
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn untrusted(&self, reason: String) -> StoreError {
        StoreError::Untrusted { path: self.name(), reason }
    }

    /// Opens, checks and reads the file; on success the store is ready to
    /// write and the marker agrees with the file.
    fn load_checked(&mut self) -> Result<Registry, StoreError> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Open { path: self.name(), reason: e.to_string() })?;
        }
        let (database, repair) = open_database(&self.path, true)?;
        let contents = read_contents(&database, &self.path)?;
        let marker = marker::read(&self.marker);
        let stored = match &contents.stored {
            Ok(stored) => *stored,
            Err(reason) => {
                return Err(self.untrusted(format!("the seal stored with its records cannot be read ({reason})")));
            }
        };
        let verdict = verify(&marker, stored.as_ref(), contents.digest.summary()).map_err(|mismatch| {
            let repair = if repair.rolled_back {
                " (on opening it, redb found its latest commit damaged and fell back to the one before)"
            } else {
                ""
            };
            self.untrusted(format!("{mismatch}{repair}"))
        })?;
        let registry = Registry::from_records(contents.records)
            .map_err(|source| StoreError::Corrupt { path: self.name(), source })?;
        let mut open = Open { database, seal: Seal::empty(), digest: contents.digest };
        match verdict {
            Verdict::Fresh => tracing::info!(path = %self.name(), "starting a new registry"),
            Verdict::Current(seal) => open.seal = seal,
            Verdict::AheadOfMarker(seal) => {
                tracing::info!(path = %self.name(), %seal, "the last batch was stored but not acknowledged; keeping it");
                open.seal = seal;
            }
            Verdict::Unsealed(contents) => {
                tracing::warn!(path = %self.name(), %contents, "sealing a registry written without a seal");
                open.seal = Seal::empty().next(contents);
                commit(&open.database, &Changes::default(), &open.seal).map_err(|e| self.write_error(e))?;
            }
        }
        if repair.rolled_back {
            tracing::warn!(
                path = %self.name(),
                seal = %open.seal,
                "redb fell back to the commit before its latest, which was never acknowledged: the registry is the last one stored"
            );
        }
        if marker != Marker::Present(open.seal) {
            marker::write(&self.marker, &open.seal).map_err(|e| self.marker_error(e))?;
        }
        self.open = Some(open);
        Ok(registry)
    }

    /// `--registry_recover=discard`: keeps the file and its marker aside
    /// under new names and starts an empty registry.
    fn discard(&mut self, error: &StoreError) -> Result<Registry, StoreError> {
        let suffix = format!("discarded-{}", unix_seconds());
        let kept = aside(&self.path, &suffix).map_err(|e| StoreError::Open { path: self.name(), reason: e })?;
        let kept_marker =
            aside(&self.marker, &suffix).map_err(|e| StoreError::Open { path: self.name(), reason: e })?;
        tracing::error!(
            "--registry_recover=discard: DISCARDING THE REGISTRY at {}: {error}. Starting with an EMPTY registry: \
             every agent must register anew, and quota, weights and maintenance are gone. The old registry is kept \
             at {} (marker: {}). Remove --registry_recover=discard once the master runs.",
            self.name(),
            kept.unwrap_or_else(|| "(there was no file)".into()),
            kept_marker.unwrap_or_else(|| "(there was none)".into()),
        );
        self.load_checked()
    }

    fn write_error(&self, error: impl std::fmt::Display) -> StoreError {
        StoreError::Write { path: self.name(), reason: error.to_string() }
    }

    fn marker_error(&self, error: std::io::Error) -> StoreError {
        StoreError::Write { path: self.marker.display().to_string(), reason: error.to_string() }
    }
}

impl Store for FileStore {
    fn advice(&self) -> String {
        recovery_advice(
            &format!(
                "restore a backup with `mesos registry import --work-dir={} BACKUP.json` (the master stopped)",
                self.path.parent().unwrap_or(Path::new(".")).display()
            ),
            "the damaged file is kept aside",
        )
    }

    fn load(&mut self) -> Result<Registry, StoreError> {
        match self.load_checked() {
            Ok(registry) => Ok(registry),
            Err(error) if error.is_damage() && self.recover == Recover::Discard => self.discard(&error),
            Err(error) => Err(error),
        }
    }

    fn write(&mut self, changes: &Changes) -> Result<(), StoreError> {
        let name = self.name();
        let Some(open) = self.open.as_mut() else {
            return Err(StoreError::Write { path: name, reason: "the registry was not loaded".into() });
        };
        // Updated before the commit: a failed write ends the master, and
        // the next start reads the file again.
        open.digest.apply(changes);
        let seal = open.seal.next(open.digest.summary());
        commit(&open.database, changes, &seal).map_err(|reason| StoreError::Write { path: name, reason })?;
        open.seal = seal;
        marker::write(&self.marker, &seal).map_err(|e| self.marker_error(e))
    }
}

/// Whether opening the file ran redb's repair, and whether that repair
/// dropped the latest commit for the one before it.
#[derive(Debug, Default, Clone, Copy)]
struct Repair {
    rolled_back: bool,
}

/// Opens the database, verifying every page's checksum. redb reports a
/// repair's progress to a callback: 0.0 when it starts, 0.6 and 0.9 as it
/// rebuilds its allocator, and 0.3 only after finding the latest commit
/// damaged and falling back to the previous one (redb 4). That last signal
/// is only told to the operator; [`verify`] decides.
fn open_database(path: &Path, create: bool) -> Result<(Database, Repair), StoreError> {
    let rolled_back = Rc::new(Cell::new(false));
    let seen = rolled_back.clone();
    let mut builder = Database::builder();
    builder.set_check_integrity_on_open(true).set_repair_callback(move |session| {
        let progress = session.progress();
        if progress > 0.0 && progress < 0.6 {
            seen.set(true);
        }
    });
    let opened =
        std::panic::catch_unwind(AssertUnwindSafe(|| if create { builder.create(path) } else { builder.open(path) }));
    let name = path.display().to_string();
    match opened {
        Ok(Ok(database)) => Ok((database, Repair { rolled_back: rolled_back.get() })),
        Ok(Err(DatabaseError::DatabaseAlreadyOpen)) => Err(StoreError::InUse { path: name }),
        Ok(Err(DatabaseError::Storage(redb::StorageError::Io(error))))
            if !matches!(error.kind(), std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof) =>
        {
            Err(StoreError::Open { path: name, reason: error.to_string() })
        }
        Ok(Err(error)) => Err(StoreError::Damaged { path: name, reason: error.to_string() }),
        Err(_) => Err(StoreError::Damaged { path: name, reason: "reading it failed (the file is damaged)".into() }),
    }
}

/// What the file holds.
struct Contents {
    records: Vec<(String, Vec<u8>)>,
    digest: Digest,
    /// The stored seal (`None` when there is none), or why it is unreadable.
    stored: Result<Option<Seal>, String>,
}

fn read_contents(database: &Database, path: &Path) -> Result<Contents, StoreError> {
    let damaged = |error: &dyn std::fmt::Display| StoreError::Damaged {
        path: path.display().to_string(),
        reason: error.to_string(),
    };
    let read = std::panic::catch_unwind(AssertUnwindSafe(|| -> Result<Contents, StoreError> {
        let transaction = database.begin_read().map_err(|e| damaged(&e))?;
        let mut records = Vec::new();
        match transaction.open_table(RECORDS) {
            Ok(table) => {
                for entry in table.iter().map_err(|e| damaged(&e))? {
                    let (key, value) = entry.map_err(|e| damaged(&e))?;
                    records.push((key.value().to_owned(), value.value().to_vec()));
                }
            }
            Err(TableError::TableDoesNotExist(_)) => {}
            Err(error) => return Err(damaged(&error)),
        }
        let stored = match transaction.open_table(META) {
            Ok(table) => match table.get(SEAL).map_err(|e| damaged(&e))? {
                Some(bytes) => Seal::decode(bytes.value()).map(Some),
                None => Err("it is missing from a sealed registry".to_owned()),
            },
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(error) => return Err(damaged(&error)),
        };
        let digest = Digest::of(records.iter().map(|(k, v)| (k, v)));
        Ok(Contents { records, digest, stored })
    }));
    read.unwrap_or_else(|_| Err(damaged(&"reading it failed (the file is damaged)")))
}

/// One transaction: `changes` and the seal, committed in two phases.
fn commit(database: &Database, changes: &Changes, seal: &Seal) -> Result<(), String> {
    let mut transaction = database.begin_write().map_err(|e| e.to_string())?;
    transaction.set_two_phase_commit(true);
    {
        let mut table = transaction.open_table(RECORDS).map_err(|e| e.to_string())?;
        for (key, bytes) in &changes.put {
            table.insert(key.as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
        }
        for key in &changes.delete {
            table.remove(key.as_str()).map_err(|e| e.to_string())?;
        }
        let mut meta = transaction.open_table(META).map_err(|e| e.to_string())?;
        meta.insert(SEAL, seal.encode().as_bytes()).map_err(|e| e.to_string())?;
    }
    transaction.commit().map_err(|e| e.to_string())
}

fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Renames `path` to `<path>.<suffix>`; `None` when there was no file.
fn aside(path: &Path, suffix: &str) -> Result<Option<String>, String> {
    let target = PathBuf::from(format!("{}.{suffix}", path.display()));
    match std::fs::rename(path, &target) {
        Ok(()) => Ok(Some(target.display().to_string())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!("cannot move {} aside: {error}", path.display())),
    }
}

/// What `mesos registry export --work-dir` finds in a stopped master's file.
pub struct Inspection {
    pub registry: Registry,
    /// Whether a master would start from it, and if not why.
    pub verdict: Result<Verdict, String>,
}

/// Reads the registry file at `path` (which must exist) without changing
/// what it holds or its marker, and says whether a master would trust it.
pub fn inspect(path: &Path) -> Result<Inspection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Open { path: path.display().to_string(), reason: "there is no such file".into() });
    }
    let (database, repair) = open_database(path, false)?;
    let contents = read_contents(&database, path)?;
    let verdict = contents.stored.clone().and_then(|stored| {
        verify(&marker::read(&marker::path_beside(path)), stored.as_ref(), contents.digest.summary()).map_err(|m| {
            let note = if repair.rolled_back { " (redb fell back to the commit before its latest)" } else { "" };
            format!("{m}{note}")
        })
    });
    let registry = Registry::from_records(contents.records)
        .map_err(|source| StoreError::Corrupt { path: path.display().to_string(), source })?;
    Ok(Inspection { registry, verdict })
}

/// Replaces the registry file at `path` with `registry` (a stopped
/// master's; a running master holds the file and the import is refused).
/// The old file, if any, is kept as `<path>.replaced-<unix seconds>`.
/// The new file is sealed one version beyond the marker, and the marker
/// written last, so a stop at any point leaves a pair a master accepts:
/// the old one, or the new file one version ahead of the marker. Returns
/// the new seal.
pub fn import(path: &Path, registry: &Registry) -> Result<Seal, StoreError> {
    let name = path.display().to_string();
    let failed = |reason: String| StoreError::Write { path: name.clone(), reason };
    if path.exists()
        && let Err(error @ StoreError::InUse { .. }) = open_database(path, false).map(drop)
    {
        return Err(error);
    }
    let marker_path = marker::path_beside(path);
    let base = match marker::read(&marker_path) {
        Marker::Present(seal) => seal,
        Marker::Missing | Marker::Unreadable(_) => {
            marker::write(&marker_path, &Seal::empty()).map_err(|e| failed(e.to_string()))?;
            Seal::empty()
        }
    };
    let records = registry.records();
    let seal = base.next(Digest::of(records.iter().map(|(k, v)| (k, v))).summary());
    let temporary = PathBuf::from(format!("{name}.import"));
    let _ = std::fs::remove_file(&temporary);
    {
        let database = Database::create(&temporary).map_err(|e| failed(e.to_string()))?;
        let changes = Changes { put: records, delete: Vec::new() };
        commit(&database, &changes, &seal).map_err(failed)?;
    }
    if path.exists() {
        let kept = PathBuf::from(format!("{name}.replaced-{}", unix_seconds()));
        std::fs::hard_link(path, &kept).map_err(|e| failed(format!("cannot keep the old file: {e}")))?;
    }
    std::fs::rename(&temporary, path).map_err(|e| failed(e.to_string()))?;
    let directory = path.parent().unwrap_or(Path::new("."));
    marker::sync_directory(directory).map_err(|e| failed(e.to_string()))?;
    marker::write(&marker_path, &seal).map_err(|e| failed(e.to_string()))?;
    Ok(seal)
}

#[cfg(test)]
mod tests {
    use mesos_proto::v1::{AgentId, AgentInfo};
    use mesos_registry::Operation;

    use super::*;

    fn admit(registry: &mut Registry, id: &str) -> Changes {
        let info =
            AgentInfo { hostname: format!("h-{id}"), id: Some(AgentId { value: id.into() }), ..Default::default() };
        let keys = registry.apply(&Operation::AdmitAgent(info)).unwrap();
        registry.changes(keys)
    }

    fn store(dir: &tempfile::TempDir, recover: Recover) -> FileStore {
        FileStore::new(&dir.path().join(FILE_NAME), recover)
    }

    /// Loads, and drops the store (as a master that stops).
    fn load(dir: &tempfile::TempDir, recover: Recover) -> Result<Registry, StoreError> {
        store(dir, recover).load()
    }

    #[test]
    fn batches_survive_a_restart_and_the_marker_follows_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut registry = Registry::new();
        let mut file = store(&dir, Recover::Refuse);
        assert_eq!(file.load().unwrap(), registry);
        assert_eq!(marker::read(&file.marker), Marker::Present(Seal::empty()));
        for id in ["a", "b", "c"] {
            file.write(&admit(&mut registry, id)).unwrap();
        }
        drop(file);
        assert_eq!(load(&dir, Recover::Refuse).unwrap(), registry);
        let Marker::Present(seal) = marker::read(&dir.path().join(marker::FILE_NAME)) else { panic!("no marker") };
        assert_eq!(seal.version, 3);
        assert_eq!(seal.contents, Digest::of(registry.records()).summary());
    }

    #[test]
    fn a_batch_committed_before_its_marker_is_kept_and_the_marker_caught_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut registry = Registry::new();
        let mut file = store(&dir, Recover::Refuse);
        file.load().unwrap();
        file.write(&admit(&mut registry, "a")).unwrap();
        // The next batch is committed, and the master stops before the marker.
        let changes = admit(&mut registry, "b");
        let open = file.open.as_mut().unwrap();
        open.digest.apply(&changes);
        commit(&open.database, &changes, &open.seal.next(open.digest.summary())).unwrap();
        drop(file);
        assert_eq!(load(&dir, Recover::Refuse).unwrap(), registry);
        let Marker::Present(seal) = marker::read(&dir.path().join(marker::FILE_NAME)) else { panic!("no marker") };
        assert_eq!(seal.version, 2);
    }

    #[test]
    fn an_older_copy_or_a_lost_marker_is_refused_and_discard_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut registry = Registry::new();
        let mut file = store(&dir, Recover::Refuse);
        file.load().unwrap();
        file.write(&admit(&mut registry, "a")).unwrap();
        drop(file);
        let older = std::fs::read(&path).unwrap();
        let mut file = store(&dir, Recover::Refuse);
        file.load().unwrap();
        file.write(&admit(&mut registry, "b")).unwrap();
        drop(file);

        std::fs::write(&path, &older).unwrap();
        let error = load(&dir, Recover::Refuse).unwrap_err();
        assert!(matches!(error, StoreError::Untrusted { .. }), "{error}");
        assert!(error.to_string().contains("older than version 2"), "{error}");
        assert!(store(&dir, Recover::Refuse).advice().contains("--registry_recover=discard"));
        // Refusing changes nothing.
        assert!(load(&dir, Recover::Refuse).is_err());

        let marker = dir.path().join(marker::FILE_NAME);
        std::fs::remove_file(&marker).unwrap();
        let error = load(&dir, Recover::Refuse).unwrap_err();
        assert!(error.to_string().contains("marker is missing"), "{error}");

        assert_eq!(load(&dir, Recover::Discard).unwrap(), Registry::new());
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(names.iter().any(|n| n.starts_with("registry.db.discarded-")), "{names:?}");
        assert_eq!(load(&dir, Recover::Refuse).unwrap(), Registry::new());
    }

    #[test]
    fn a_registry_written_before_seals_is_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut registry = Registry::new();
        let changes = admit(&mut registry, "a");
        {
            let database = Database::create(&path).unwrap();
            let transaction = database.begin_write().unwrap();
            {
                let mut table = transaction.open_table(RECORDS).unwrap();
                for (key, bytes) in &changes.put {
                    table.insert(key.as_str(), bytes.as_slice()).unwrap();
                }
            }
            transaction.commit().unwrap();
        }
        assert_eq!(load(&dir, Recover::Refuse).unwrap(), registry);
        assert!(matches!(marker::read(&dir.path().join(marker::FILE_NAME)), Marker::Present(s) if s.version == 1));
        assert_eq!(load(&dir, Recover::Refuse).unwrap(), registry);
    }

    #[test]
    fn import_replaces_the_file_and_inspect_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut registry = Registry::new();
        let mut file = store(&dir, Recover::Refuse);
        file.load().unwrap();
        file.write(&admit(&mut registry, "a")).unwrap();
        file.write(&admit(&mut registry, "b")).unwrap();
        // A running master holds the file.
        assert!(matches!(import(&path, &Registry::new()), Err(StoreError::InUse { .. })));
        drop(file);
        let backup = inspect(&path).unwrap();
        assert_eq!(backup.registry, registry);
        assert!(matches!(backup.verdict, Ok(Verdict::Current(_))));

        // The file is damaged beyond use; the backup is restored.
        std::fs::write(&path, b"garbage").unwrap();
        assert!(load(&dir, Recover::Refuse).is_err());
        let seal = import(&path, &backup.registry).unwrap();
        assert_eq!(seal.version, 3);
        assert_eq!(load(&dir, Recover::Refuse).unwrap(), registry);
        assert!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .any(|e| { e.unwrap().file_name().to_str().is_some_and(|n| n.starts_with("registry.db.replaced-")) })
        );

        // Into an empty work directory.
        let fresh = tempfile::tempdir().unwrap();
        import(&fresh.path().join(FILE_NAME), &registry).unwrap();
        assert_eq!(load(&fresh, Recover::Refuse).unwrap(), registry);
    }
}
