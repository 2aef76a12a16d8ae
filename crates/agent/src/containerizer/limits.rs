//! Watching a container's limits: OOM kills in its memory cgroup
//! (`cgroups/mem`), and its sandbox's disk usage (`disk/du`, measured with
//! `du` every `--container_disk_watch_interval`, enforced with
//! `--enforce_container_disk_quota`). A limit hit is reported once, as a
//! [`ContainerLimitation`] for the agent core.

use std::path::Path;
use std::time::{Duration, Instant};

use mesos_agent_core::ContainerLimitation;
use mesos_proto::v1::{Resource, task_status::Reason, value};

use super::{Cgroups, Containerizer, Isolation, Tracked, isolation};

/// How often the memory cgroup's OOM counter is read.
const OOM_POLL: Duration = Duration::from_millis(200);

/// Watches one container until it is forgotten or a limit is hit.
pub(super) async fn watch(containerizer: Containerizer, container_id: String) {
    let mut next_du = Instant::now();
    loop {
        tokio::time::sleep(OOM_POLL).await;
        let Some(tracked) = containerizer.tracked(&container_id) else { return };
        let config = containerizer.config();
        if let Some(cgroups) = containerizer.linux_cgroups()
            && let Some(limitation) = memory_limitation(cgroups, &container_id, &tracked, &config.isolation)
        {
            containerizer.report(&container_id, limitation);
            return;
        }
        if config.isolation.disk_du
            && Instant::now() >= next_du
            && let Some(sandbox) = tracked.sandbox.clone()
        {
            next_du = Instant::now() + config.disk_watch_interval;
            let Ok(Some(used)) = tokio::task::spawn_blocking(move || disk_usage(&sandbox)).await else { continue };
            containerizer.set_disk_used(&container_id, used);
            if let Some(limitation) = disk_limitation(used, tracked.size.disk_mb, config.enforce_disk_quota) {
                containerizer.report(&container_id, limitation);
                return;
            }
        }
    }
}

/// An OOM kill in the container's memory cgroup, as a limitation.
pub(super) fn memory_limitation(
    cgroups: &Cgroups,
    container_id: &str,
    tracked: &Tracked,
    isolation: &Isolation,
) -> Option<ContainerLimitation> {
    if !isolation.cgroups_mem || !tracked.linux || cgroups.oom_kills(container_id) == 0 {
        return None;
    }
    let limit = isolation::memory_limit_bytes(tracked.size.mem_mb);
    let peak = cgroups.memory_peak(container_id).unwrap_or(limit);
    Some(ContainerLimitation {
        reason: Reason::ContainerLimitationMemory,
        message: format!(
            "Memory limit exceeded: Requested: {}MB Maximum Used: {}MB",
            limit / (1024 * 1024),
            peak / (1024 * 1024)
        ),
        resources: vec![scalar("mem", (limit / (1024 * 1024)) as f64)],
    })
}

/// A disk quota exceeded, when enforced.
pub(super) fn disk_limitation(used_bytes: u64, quota_mb: f64, enforce: bool) -> Option<ContainerLimitation> {
    let quota = (quota_mb * 1024.0 * 1024.0) as u64;
    if !enforce || quota_mb <= 0.0 || used_bytes <= quota {
        return None;
    }
    Some(ContainerLimitation {
        reason: Reason::ContainerLimitationDisk,
        message: format!("Disk usage ({}KB) exceeds quota ({}KB)", used_bytes.div_ceil(1024), quota.div_ceil(1024)),
        resources: vec![scalar("disk", quota_mb)],
    })
}

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.to_owned(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

/// `du -k -s` of a directory, in bytes.
fn disk_usage(path: &Path) -> Option<u64> {
    let output = std::process::Command::new("du").arg("-k").arg("-s").arg(path).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().next()?.parse::<u64>().ok().map(|kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_quota_is_enforced_only_when_asked_and_exceeded() {
        assert!(disk_limitation(2 << 20, 1.0, false).is_none());
        assert!(disk_limitation(1 << 20, 1.0, true).is_none());
        let limitation = disk_limitation(2 << 20, 1.0, true).expect("over quota");
        assert_eq!(limitation.reason, Reason::ContainerLimitationDisk);
        assert_eq!(limitation.message, "Disk usage (2048KB) exceeds quota (1024KB)");
        assert!(disk_limitation(u64::MAX, 0.0, true).is_none(), "no disk resource, no quota");
    }

    #[test]
    fn du_measures_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), vec![1u8; 64 * 1024]).unwrap();
        assert!(disk_usage(dir.path()).unwrap() >= 64 * 1024);
    }
}
