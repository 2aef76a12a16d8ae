//! `--isolation` and `--launcher`: which isolators a Mesos container gets,
//! and the values they give the kernel for a container's resources (cpu
//! shares, CFS quota, memory limit), computed without touching anything.

use std::collections::BTreeSet;

/// Why an isolation or launcher setting is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IsolationError {
    #[error("unknown isolator '{0}' in --isolation")]
    Unknown(String),
    #[error("--isolation={0} needs {1}")]
    Needs(String, &'static str),
    #[error("unknown launcher '{0}': expected 'posix' or 'linux'")]
    Launcher(String),
}

/// Isolators this agent knows, by Mesos's names.
const KNOWN: &[&str] = &[
    "posix/cpu",
    "posix/mem",
    "posix/disk",
    "disk/du",
    "cgroups/cpu",
    "cgroups/mem",
    "cgroups/devices",
    "cgroups/all",
    "namespaces/pid",
    "filesystem/posix",
    "filesystem/linux",
    "docker/runtime",
    "gpu/nvidia",
];

/// The isolators enabled by `--isolation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Isolation {
    pub cgroups_cpu: bool,
    pub cgroups_mem: bool,
    pub cgroups_devices: bool,
    pub namespaces_pid: bool,
    pub filesystem_linux: bool,
    pub docker_runtime: bool,
    pub disk_du: bool,
    pub gpu_nvidia: bool,
}

impl Isolation {
    /// Parses a comma-separated `--isolation` value.
    pub fn parse(text: &str) -> Result<Isolation, IsolationError> {
        let names: BTreeSet<&str> = text.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
        if let Some(unknown) = names.iter().find(|n| !KNOWN.contains(n)) {
            return Err(IsolationError::Unknown((*unknown).to_owned()));
        }
        let all = names.contains("cgroups/all");
        let isolation = Isolation {
            cgroups_cpu: all || names.contains("cgroups/cpu"),
            cgroups_mem: all || names.contains("cgroups/mem"),
            cgroups_devices: all || names.contains("cgroups/devices") || names.contains("gpu/nvidia"),
            namespaces_pid: names.contains("namespaces/pid"),
            filesystem_linux: names.contains("filesystem/linux"),
            docker_runtime: names.contains("docker/runtime"),
            disk_du: names.contains("disk/du") || names.contains("posix/disk"),
            gpu_nvidia: names.contains("gpu/nvidia"),
        };
        Ok(isolation)
    }

    /// Whether any isolator needs cgroups.
    pub fn uses_cgroups(&self) -> bool {
        self.cgroups_cpu || self.cgroups_mem || self.cgroups_devices
    }

    /// Checks the isolators against the launcher and what the machine has.
    pub fn check(&self, launcher: Launcher, cgroups_available: bool) -> Result<(), IsolationError> {
        let linux_only = [
            (self.namespaces_pid, "namespaces/pid"),
            (self.filesystem_linux, "filesystem/linux"),
            (self.uses_cgroups(), "cgroups isolation"),
        ];
        for (enabled, name) in linux_only {
            if enabled && launcher != Launcher::Linux {
                return Err(IsolationError::Needs(name.to_owned(), "--launcher=linux"));
            }
        }
        if self.uses_cgroups() && !cgroups_available {
            return Err(IsolationError::Needs("cgroups/*".to_owned(), "cgroups mounted and writable (run as root)"));
        }
        Ok(())
    }
}

/// How container processes are started and tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launcher {
    /// A session per container; destroying kills the session.
    Posix,
    /// A cgroup per container (and namespaces when asked); destroying
    /// kills every process in the cgroup.
    Linux,
}

impl Launcher {
    pub fn parse(text: &str) -> Result<Launcher, IsolationError> {
        match text {
            "posix" => Ok(Launcher::Posix),
            "linux" => Ok(Launcher::Linux),
            other => Err(IsolationError::Launcher(other.to_owned())),
        }
    }
}

/// Mesos's floor on a container's cpu shares.
pub const MIN_CPU_SHARES: u64 = 2;
/// Shares per CPU.
pub const CPU_SHARES_PER_CPU: f64 = 1024.0;
/// The CFS period, in microseconds.
pub const CFS_PERIOD_US: u64 = 100_000;
/// The smallest CFS quota, in microseconds.
pub const MIN_CFS_QUOTA_US: u64 = 1_000;
/// The smallest memory limit a container gets, in bytes.
pub const MIN_MEMORY_BYTES: u64 = 32 * 1024 * 1024;

/// cgroup v1 `cpu.shares` for `cpus`.
pub fn cpu_shares(cpus: f64) -> u64 {
    ((cpus * CPU_SHARES_PER_CPU) as u64).max(MIN_CPU_SHARES)
}

/// The CFS quota (microseconds per [`CFS_PERIOD_US`]) for `cpus`.
pub fn cfs_quota_us(cpus: f64) -> u64 {
    ((cpus * CFS_PERIOD_US as f64) as u64).max(MIN_CFS_QUOTA_US)
}

/// cgroup v2 `cpu.weight` (1..=10000) for v1 shares (2..=262144).
pub fn cpu_weight(shares: u64) -> u64 {
    let shares = shares.clamp(2, 262_144);
    1 + ((shares - 2) * 9999) / 262_142
}

/// The memory limit in bytes for `mem` megabytes.
pub fn memory_limit_bytes(mem_mb: f64) -> u64 {
    ((mem_mb * 1024.0 * 1024.0) as u64).max(MIN_MEMORY_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mesos_isolator_names() {
        let isolation = Isolation::parse("cgroups/cpu,cgroups/mem,namespaces/pid,disk/du").unwrap();
        assert!(isolation.cgroups_cpu && isolation.cgroups_mem && isolation.namespaces_pid);
        assert!(isolation.disk_du && !isolation.filesystem_linux && !isolation.gpu_nvidia);
        assert_eq!(Isolation::parse("posix/cpu,posix/mem").unwrap(), Isolation::default());
        assert_eq!(Isolation::parse("cgroups/cpu,bogus"), Err(IsolationError::Unknown("bogus".into())));
        let gpu = Isolation::parse("gpu/nvidia").unwrap();
        assert!(gpu.gpu_nvidia && gpu.cgroups_devices, "GPUs are isolated through the devices cgroup");
        let images = Isolation::parse("filesystem/linux,docker/runtime").unwrap();
        assert!(images.filesystem_linux && images.docker_runtime);
        assert!(images.check(Launcher::Posix, false).is_err());
        assert!(images.check(Launcher::Linux, false).is_ok());
    }

    #[test]
    fn linux_isolators_need_the_linux_launcher() {
        let isolation = Isolation::parse("namespaces/pid").unwrap();
        assert!(isolation.check(Launcher::Posix, true).is_err());
        assert!(isolation.check(Launcher::Linux, true).is_ok());
        assert!(Isolation::parse("cgroups/mem").unwrap().check(Launcher::Linux, false).is_err());
    }

    #[test]
    fn cgroup_values_follow_mesos() {
        assert_eq!(cpu_shares(1.0), 1024);
        assert_eq!(cpu_shares(0.1), 102);
        assert_eq!(cpu_shares(0.0), MIN_CPU_SHARES);
        assert_eq!(cfs_quota_us(0.5), 50_000);
        assert_eq!(cfs_quota_us(0.001), MIN_CFS_QUOTA_US);
        assert_eq!(memory_limit_bytes(96.0), 96 << 20);
        assert_eq!(memory_limit_bytes(1.0), MIN_MEMORY_BYTES);
        assert_eq!(cpu_weight(2), 1);
        assert_eq!(cpu_weight(1024), 39);
        assert_eq!(cpu_weight(262_144), 10_000);
    }
}
