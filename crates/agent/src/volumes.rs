//! Persistent volumes on the agent's disk: a directory per volume under
//! `<work_dir>/volumes`, made when the master says a volume was created and
//! removed (with its data) when it was destroyed; a task that uses a volume
//! finds it linked into its sandbox at the volume's container path.

use std::path::Path;

use mesos_proto::v1;
use mesos_resources::Resource;

use crate::paths::Paths;

/// (role, persistence id, container path) of each persistent volume.
fn volumes(resources: &[v1::Resource]) -> Vec<(String, String, String)> {
    resources
        .iter()
        .filter_map(|wire| Resource::from_proto(wire).ok())
        .filter_map(|resource| {
            let disk = resource.disk.as_ref()?;
            let id = disk.persistence.as_ref()?.id.clone();
            let container_path = disk.volume.as_ref().map(|v| v.container_path.clone()).unwrap_or_default();
            let role = resource.reservation_role()?.to_owned();
            Some((role, id, container_path))
        })
        .collect()
}

/// Makes the directories of the volumes in `now` and removes those of the
/// volumes in `before` that are gone.
pub fn sync(paths: &Paths, before: &[v1::Resource], now: &[v1::Resource]) -> std::io::Result<()> {
    let kept = volumes(now);
    for (role, id, _) in &kept {
        std::fs::create_dir_all(paths.volume(role, id))?;
    }
    for (role, id, _) in volumes(before) {
        if !kept.iter().any(|(r, i, _)| *r == role && *i == id) {
            let dir = paths.volume(&role, &id);
            match std::fs::remove_dir_all(&dir) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
                _ => tracing::info!(volume = %dir.display(), "removed a destroyed persistent volume"),
            }
        }
    }
    Ok(())
}

/// Links the volumes among `resources` into `sandbox` at their container
/// paths (relative to the sandbox).
pub fn link_into_sandbox(paths: &Paths, sandbox: &Path, resources: &[v1::Resource]) -> Result<(), String> {
    for (role, id, container_path) in volumes(resources) {
        let relative = container_path.trim_start_matches('/');
        if relative.is_empty() || relative.split('/').any(|part| part == "..") {
            return Err(format!("volume '{id}' has an invalid container path '{container_path}'"));
        }
        let source = paths.volume(&role, &id);
        std::fs::create_dir_all(&source).map_err(|e| format!("cannot create volume {}: {e}", source.display()))?;
        let target = sandbox.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        if target.symlink_metadata().is_err() {
            std::os::unix::fs::symlink(&source, &target)
                .map_err(|e| format!("cannot link volume '{id}' into the sandbox: {e}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_resources::{Reservation, ResourceFormat};

    fn volume(id: &str, path: &str) -> v1::Resource {
        let mut disk = Resource::scalar("disk", 10.0).reserved(Reservation::new_dynamic("eng", None));
        disk.disk = Some(v1::resource::DiskInfo {
            persistence: Some(v1::resource::disk_info::Persistence { id: id.into(), principal: None }),
            volume: Some(v1::Volume {
                container_path: path.into(),
                mode: v1::volume::Mode::Rw as i32,
                ..Default::default()
            }),
            source: None,
        });
        disk.to_proto(ResourceFormat::PostRefinement)
    }

    #[test]
    fn volumes_are_made_linked_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path());
        sync(&paths, &[], &[volume("v1", "data"), volume("v2", "more")]).unwrap();
        assert!(paths.volume("eng", "v1").is_dir() && paths.volume("eng", "v2").is_dir());
        std::fs::write(paths.volume("eng", "v1").join("file"), "kept").unwrap();

        let sandbox = dir.path().join("sandbox");
        std::fs::create_dir_all(&sandbox).unwrap();
        link_into_sandbox(&paths, &sandbox, &[volume("v1", "data")]).unwrap();
        assert_eq!(std::fs::read_to_string(sandbox.join("data/file")).unwrap(), "kept");
        assert!(link_into_sandbox(&paths, &sandbox, &[volume("v3", "../escape")]).is_err());

        sync(&paths, &[volume("v1", "data"), volume("v2", "more")], &[volume("v1", "data")]).unwrap();
        assert!(paths.volume("eng", "v1").is_dir() && !paths.volume("eng", "v2").exists());
    }
}
