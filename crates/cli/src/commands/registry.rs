//! `mesos registry export|import`: the registry as JSON (the shape of the
//! master's `/registrar(1)/registry`), for backups and restores. Export
//! asks the leading master, or reads a stopped master's `registry.db` with
//! `--work-dir`; import writes a stopped master's file (a running master
//! holds it locked, and the import is refused).

use std::io::Read;
use std::path::Path;

use mesos_proto::internal;
use mesos_registry::{Registry, Verdict};
use mesos_registry_store::file;

use super::print_json;
use crate::api::Master;
use crate::args::RegistryCommand;
use crate::error::CliError;

/// Runs the commands that need no master; `None` for those that do.
pub fn offline(command: &RegistryCommand) -> Option<Result<(), CliError>> {
    match command {
        RegistryCommand::Export { work_dir: Some(work_dir), force } => Some(export_file(work_dir, *force)),
        RegistryCommand::Export { work_dir: None, force: true } => {
            Some(Err(CliError::Usage("--force applies to a registry file (--work-dir) only".into())))
        }
        RegistryCommand::Export { work_dir: None, .. } => None,
        RegistryCommand::Import { work_dir, file } => Some(import(work_dir, file)),
    }
}

/// The leading master's registry.
pub async fn export(master: &mut Master) -> Result<(), CliError> {
    let body = master.get_path("/registrar(1)/registry").await?;
    let registry: internal::Registry =
        mesos_proto::json::from_slice(&body).map_err(|e| CliError::Protocol(format!("the registry: {e}")))?;
    print_json(&registry)
}

fn export_file(work_dir: &Path, force: bool) -> Result<(), CliError> {
    let path = work_dir.join(file::FILE_NAME);
    let inspection = file::inspect(&path).map_err(|e| CliError::Registry(e.to_string()))?;
    match (&inspection.verdict, force) {
        (Ok(Verdict::AheadOfMarker(seal)), _) => {
            eprintln!("mesos: note: its last batch ({seal}) was stored but never acknowledged; it is included");
        }
        (Ok(_), _) => {}
        (Err(reason), true) => eprintln!("mesos: warning: a master would refuse {}: {reason}", path.display()),
        (Err(reason), false) => {
            return Err(CliError::Registry(format!(
                "a master would refuse {}: {reason} (--force prints what it holds anyway)",
                path.display()
            )));
        }
    }
    print_json(&inspection.registry.to_proto())
}

fn import(work_dir: &Path, backup: &Path) -> Result<(), CliError> {
    let bytes = if backup == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        bytes
    } else {
        std::fs::read(backup).map_err(|e| CliError::Registry(format!("cannot read {}: {e}", backup.display())))?
    };
    let message: internal::Registry = mesos_proto::json::from_slice(&bytes)
        .map_err(|e| CliError::Registry(format!("{} is not a registry: {e}", backup.display())))?;
    let registry = Registry::from_proto(message)
        .map_err(|e| CliError::Registry(format!("{} is not a registry: {e}", backup.display())))?;
    let path = work_dir.join(file::FILE_NAME);
    let seal = file::import(&path, &registry).map_err(|e| CliError::Registry(e.to_string()))?;
    println!(
        "imported {} agents, {} unreachable and {} gone agents, {} quota and {} weights into {} ({seal})",
        registry.agents.len(),
        registry.unreachable.len(),
        registry.gone.len(),
        registry.quota.len(),
        registry.weights.len(),
        path.display(),
    );
    Ok(())
}
