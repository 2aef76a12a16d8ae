//! The registry in a file under the work directory, as records in an
//! embedded database (`redb`): a batch is one transaction, so a crash
//! leaves either all of it or none, and only the records a batch touched
//! are written. A file that cannot be read back whole is an error, never
//! an empty registry.

use std::path::{Path, PathBuf};

use mesos_registry::{Changes, Registry};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableError};

use super::{Store, StoreError};

const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("registry");

/// The file name under `--work_dir`.
pub const FILE_NAME: &str = "registry.db";

pub struct FileStore {
    path: PathBuf,
    database: Database,
}

impl FileStore {
    /// Opens (or creates) the registry file at `path`.
    pub fn open(path: &Path) -> Result<FileStore, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Open { path: path.display().to_string(), reason: e.to_string() })?;
        }
        let database = Database::create(path)
            .map_err(|e| StoreError::Open { path: path.display().to_string(), reason: e.to_string() })?;
        Ok(FileStore { path: path.to_owned(), database })
    }

    fn read_error(&self, error: impl std::fmt::Display) -> StoreError {
        StoreError::Read { path: self.path.display().to_string(), reason: error.to_string() }
    }

    fn write_error(&self, error: impl std::fmt::Display) -> StoreError {
        StoreError::Write { path: self.path.display().to_string(), reason: error.to_string() }
    }
}

impl Store for FileStore {
    fn load(&mut self) -> Result<Registry, StoreError> {
        let transaction = self.database.begin_read().map_err(|e| self.read_error(e))?;
        let table = match transaction.open_table(RECORDS) {
            Ok(table) => table,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Registry::new()),
            Err(error) => return Err(self.read_error(error)),
        };
        let mut records = Vec::new();
        for entry in table.iter().map_err(|e| self.read_error(e))? {
            let (key, value) = entry.map_err(|e| self.read_error(e))?;
            records.push((key.value().to_owned(), value.value().to_vec()));
        }
        Registry::from_records(records)
            .map_err(|source| StoreError::Corrupt { path: self.path.display().to_string(), source })
    }

    fn write(&mut self, changes: &Changes) -> Result<(), StoreError> {
        let transaction = self.database.begin_write().map_err(|e| self.write_error(e))?;
        {
            let mut table = transaction.open_table(RECORDS).map_err(|e| self.write_error(e))?;
            for (key, bytes) in &changes.put {
                table.insert(key.as_str(), bytes.as_slice()).map_err(|e| self.write_error(e))?;
            }
            for key in &changes.delete {
                table.remove(key.as_str()).map_err(|e| self.write_error(e))?;
            }
        }
        transaction.commit().map_err(|e| self.write_error(e))
    }
}
