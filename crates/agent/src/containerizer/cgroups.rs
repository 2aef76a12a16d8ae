//! Control groups for Mesos containers, on cgroup v1 (a hierarchy per
//! controller) and cgroup v2 (one unified hierarchy) behind one interface:
//! each container gets `<cgroups_root>/<container id>` in the hierarchies
//! it uses; its processes join at launch; limits, usage, OOM kills and
//! "kill everything in it" all go through this file.
//!
//! Which version is in use is read from `/proc/self/mountinfo`: v1 when the
//! memory controller is mounted as a v1 hierarchy, otherwise v2 when a
//! cgroup2 file system offers the cpu and memory controllers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::isolation;

/// `USER_HZ`: the unit of `cpuacct.stat`.
const USER_HZ: f64 = 100.0;

/// Usage read from a container's cgroups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CgroupUsage {
    pub cpus_user_time_secs: Option<f64>,
    pub cpus_system_time_secs: Option<f64>,
    pub cpus_nr_periods: Option<u32>,
    pub cpus_nr_throttled: Option<u32>,
    pub cpus_throttled_time_secs: Option<f64>,
    pub mem_total_bytes: Option<u64>,
    pub mem_rss_bytes: Option<u64>,
    pub mem_cache_bytes: Option<u64>,
    pub mem_limit_bytes: Option<u64>,
    pub processes: Option<u32>,
}

#[derive(Debug, Clone)]
enum Version {
    /// Mount point of each v1 controller (`cpu`, `cpuacct`, `memory`,
    /// `freezer`, `devices`).
    V1(BTreeMap<String, PathBuf>),
    /// The cgroup2 mount point.
    V2(PathBuf),
}

/// The cgroups of this agent's containers.
#[derive(Debug, Clone)]
pub struct Cgroups {
    version: Version,
    /// `--cgroups_root`, for example `mesos`.
    root: String,
}

/// The controllers a container uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Controllers {
    pub cpu: bool,
    pub memory: bool,
    pub devices: bool,
}

impl Cgroups {
    /// Finds the cgroup file systems mounted under `hierarchy`
    /// (`--cgroups_hierarchy`), if any is usable.
    pub fn detect(hierarchy: &Path, root: &str) -> Option<Cgroups> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let version = parse_mountinfo(&mountinfo, hierarchy)?;
        let cgroups = Cgroups { version, root: root.trim_matches('/').to_owned() };
        cgroups.prepare().ok()?;
        Some(cgroups)
    }

    /// "v1" or "v2".
    pub fn version_name(&self) -> &'static str {
        match self.version {
            Version::V1(_) => "v1",
            Version::V2(_) => "v2",
        }
    }

    /// Creates the agent's root cgroups and, on v2, enables the controllers
    /// for the containers below.
    fn prepare(&self) -> std::io::Result<()> {
        match &self.version {
            Version::V1(mounts) => {
                for mount in mounts.values() {
                    std::fs::create_dir_all(mount.join(&self.root))?;
                }
                Ok(())
            }
            Version::V2(mount) => {
                let mut dir = mount.clone();
                for part in Path::new(&self.root).components() {
                    let controllers = std::fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
                    let wanted: Vec<String> = ["cpu", "memory", "pids"]
                        .iter()
                        .filter(|c| controllers.split_whitespace().any(|have| have == **c))
                        .map(|c| format!("+{c}"))
                        .collect();
                    let _ = std::fs::write(dir.join("cgroup.subtree_control"), wanted.join(" "));
                    dir = dir.join(part);
                    std::fs::create_dir_all(&dir)?;
                }
                let controllers = std::fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
                let wanted: Vec<String> = ["cpu", "memory", "pids"]
                    .iter()
                    .filter(|c| controllers.split_whitespace().any(|have| have == **c))
                    .map(|c| format!("+{c}"))
                    .collect();
                std::fs::write(dir.join("cgroup.subtree_control"), wanted.join(" "))
            }
        }
    }

    /// The directory of a container in one v1 controller, or in v2.
    fn dir(&self, controller: &str, container: &str) -> Option<PathBuf> {
        match &self.version {
            Version::V1(mounts) => mounts.get(controller).map(|m| m.join(&self.root).join(container)),
            Version::V2(mount) => Some(mount.join(&self.root).join(container)),
        }
    }

    /// v1 controllers a container's processes join: the freezer (which
    /// tracks every process for destruction) and those of its isolators.
    fn v1_controllers(controllers: Controllers) -> Vec<&'static str> {
        let mut names = vec!["freezer"];
        if controllers.cpu {
            names.extend(["cpu", "cpuacct"]);
        }
        if controllers.memory {
            names.push("memory");
        }
        if controllers.devices {
            names.push("devices");
        }
        names
    }

    /// Creates the container's cgroups; returns the `cgroup.procs` files
    /// its first process must join.
    pub fn create(&self, container: &str, controllers: Controllers) -> std::io::Result<Vec<PathBuf>> {
        match &self.version {
            Version::V1(mounts) => {
                let mut procs = Vec::new();
                for name in Self::v1_controllers(controllers) {
                    let Some(mount) = mounts.get(name) else { continue };
                    let dir = mount.join(&self.root).join(container);
                    std::fs::create_dir_all(&dir)?;
                    procs.push(dir.join("cgroup.procs"));
                }
                Ok(procs)
            }
            Version::V2(mount) => {
                let dir = mount.join(&self.root).join(container);
                std::fs::create_dir_all(&dir)?;
                Ok(vec![dir.join("cgroup.procs")])
            }
        }
    }

    /// Whether the container's tracking cgroup exists.
    pub fn exists(&self, container: &str) -> bool {
        self.tracking_dir(container).is_some_and(|d| d.is_dir())
    }

    /// The cgroup holding every process of the container.
    fn tracking_dir(&self, container: &str) -> Option<PathBuf> {
        self.dir("freezer", container)
    }

    /// Sets cpu shares (weight on v2) and, when `cfs`, a CFS quota.
    pub fn set_cpu(&self, container: &str, cpus: f64, cfs: bool) -> std::io::Result<()> {
        let shares = isolation::cpu_shares(cpus);
        let quota = isolation::cfs_quota_us(cpus);
        match &self.version {
            Version::V1(_) => {
                let Some(dir) = self.dir("cpu", container) else { return Ok(()) };
                std::fs::write(dir.join("cpu.shares"), shares.to_string())?;
                if cfs {
                    std::fs::write(dir.join("cpu.cfs_period_us"), isolation::CFS_PERIOD_US.to_string())?;
                    std::fs::write(dir.join("cpu.cfs_quota_us"), quota.to_string())?;
                }
                Ok(())
            }
            Version::V2(_) => {
                let Some(dir) = self.dir("cpu", container) else { return Ok(()) };
                std::fs::write(dir.join("cpu.weight"), isolation::cpu_weight(shares).to_string())?;
                let max = if cfs { quota.to_string() } else { "max".to_owned() };
                std::fs::write(dir.join("cpu.max"), format!("{max} {}", isolation::CFS_PERIOD_US))
            }
        }
    }

    /// Sets the memory limit. Lowering it below current usage may fail, as
    /// with Mesos; the caller logs it.
    pub fn set_memory(&self, container: &str, bytes: u64) -> std::io::Result<()> {
        let Some(dir) = self.dir("memory", container) else { return Ok(()) };
        match &self.version {
            Version::V1(_) => {
                std::fs::write(dir.join("memory.soft_limit_in_bytes"), bytes.to_string())?;
                std::fs::write(dir.join("memory.limit_in_bytes"), bytes.to_string())
            }
            Version::V2(_) => {
                std::fs::write(dir.join("memory.low"), bytes.to_string())?;
                std::fs::write(dir.join("memory.max"), bytes.to_string())
            }
        }
    }

    /// Allows or denies a character device (major, minor) in the devices
    /// cgroup (v1; v2 uses eBPF device programs, which this agent does not
    /// load, so it leaves devices open there).
    pub fn allow_device(&self, container: &str, major: u64, minor: u64, allow: bool) -> std::io::Result<()> {
        if let (Version::V1(_), Some(dir)) = (&self.version, self.dir("devices", container)) {
            let file = if allow { "devices.allow" } else { "devices.deny" };
            std::fs::write(dir.join(file), format!("c {major}:{minor} rwm"))?;
        }
        Ok(())
    }

    /// The number of OOM kills in the container so far.
    pub fn oom_kills(&self, container: &str) -> u64 {
        let Some(dir) = self.dir("memory", container) else { return 0 };
        let (file, key) = match self.version {
            Version::V1(_) => ("memory.oom_control", "oom_kill"),
            Version::V2(_) => ("memory.events", "oom_kill"),
        };
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        keyed(&text).get(key).copied().unwrap_or(0)
    }

    /// The highest memory use recorded, in bytes (v1), or the current one.
    pub fn memory_peak(&self, container: &str) -> Option<u64> {
        let dir = self.dir("memory", container)?;
        let file = match self.version {
            Version::V1(_) => "memory.max_usage_in_bytes",
            Version::V2(_) => {
                if dir.join("memory.peak").exists() {
                    "memory.peak"
                } else {
                    "memory.current"
                }
            }
        };
        read_number(&dir.join(file))
    }

    /// Usage of a container from its cgroups.
    pub fn usage(&self, container: &str, controllers: Controllers) -> CgroupUsage {
        let mut usage = CgroupUsage { processes: Some(self.processes(container).len() as u32), ..Default::default() };
        match &self.version {
            Version::V1(_) => {
                if let Some(dir) = self.dir("cpuacct", container).filter(|_| controllers.cpu) {
                    let stat = keyed(&std::fs::read_to_string(dir.join("cpuacct.stat")).unwrap_or_default());
                    usage.cpus_user_time_secs = stat.get("user").map(|t| *t as f64 / USER_HZ);
                    usage.cpus_system_time_secs = stat.get("system").map(|t| *t as f64 / USER_HZ);
                }
                if let Some(dir) = self.dir("cpu", container).filter(|_| controllers.cpu) {
                    let stat = keyed(&std::fs::read_to_string(dir.join("cpu.stat")).unwrap_or_default());
                    usage.cpus_nr_periods = stat.get("nr_periods").map(|n| *n as u32);
                    usage.cpus_nr_throttled = stat.get("nr_throttled").map(|n| *n as u32);
                    usage.cpus_throttled_time_secs = stat.get("throttled_time").map(|n| *n as f64 / 1e9);
                }
                if let Some(dir) = self.dir("memory", container).filter(|_| controllers.memory) {
                    let stat = keyed(&std::fs::read_to_string(dir.join("memory.stat")).unwrap_or_default());
                    usage.mem_rss_bytes = stat.get("total_rss").copied();
                    usage.mem_cache_bytes = stat.get("total_cache").copied();
                    usage.mem_total_bytes = read_number(&dir.join("memory.usage_in_bytes"));
                    usage.mem_limit_bytes = read_number(&dir.join("memory.limit_in_bytes"));
                }
            }
            Version::V2(mount) => {
                let dir = mount.join(&self.root).join(container);
                let cpu = keyed(&std::fs::read_to_string(dir.join("cpu.stat")).unwrap_or_default());
                usage.cpus_user_time_secs = cpu.get("user_usec").map(|u| *u as f64 / 1e6);
                usage.cpus_system_time_secs = cpu.get("system_usec").map(|u| *u as f64 / 1e6);
                usage.cpus_nr_periods = cpu.get("nr_periods").map(|n| *n as u32);
                usage.cpus_nr_throttled = cpu.get("nr_throttled").map(|n| *n as u32);
                usage.cpus_throttled_time_secs = cpu.get("throttled_usec").map(|n| *n as f64 / 1e6);
                if controllers.memory {
                    let stat = keyed(&std::fs::read_to_string(dir.join("memory.stat")).unwrap_or_default());
                    usage.mem_rss_bytes = stat.get("anon").copied();
                    usage.mem_cache_bytes = stat.get("file").copied();
                    usage.mem_total_bytes = read_number(&dir.join("memory.current"));
                    usage.mem_limit_bytes = read_number(&dir.join("memory.max"));
                }
            }
        }
        usage
    }

    /// Pids of every process in the container.
    pub fn processes(&self, container: &str) -> Vec<i32> {
        let Some(dir) = self.tracking_dir(container) else { return Vec::new() };
        std::fs::read_to_string(dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Kills every process of the container: frozen first so that none can
    /// fork away, then SIGKILLed, then thawed so the kills land.
    pub fn kill_all(&self, container: &str) {
        let Some(dir) = self.tracking_dir(container) else { return };
        if !dir.is_dir() {
            return;
        }
        let (freeze, thaw, state_file) = match self.version {
            Version::V1(_) => ("FROZEN", "THAWED", "freezer.state"),
            Version::V2(_) => ("1", "0", "cgroup.freeze"),
        };
        if matches!(self.version, Version::V2(_)) && dir.join("cgroup.kill").exists() {
            let _ = std::fs::write(dir.join("cgroup.kill"), "1");
            return;
        }
        let _ = std::fs::write(dir.join(state_file), freeze);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.version, Version::V1(_)) {
            let state = std::fs::read_to_string(dir.join(state_file)).unwrap_or_default();
            if state.trim() == "FROZEN" || state.is_empty() {
                break;
            }
            let _ = std::fs::write(dir.join(state_file), freeze);
            std::thread::sleep(Duration::from_millis(10));
        }
        for pid in self.processes(container) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = std::fs::write(dir.join(state_file), thaw);
    }

    /// Removes the container's cgroups once empty, killing what is left.
    /// Gives up (leaving them) after `timeout`.
    pub fn destroy(&self, container: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            self.kill_all(container);
            if self.processes(container).is_empty() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let dirs: Vec<PathBuf> = match &self.version {
            Version::V1(mounts) => mounts.values().map(|m| m.join(&self.root).join(container)).collect(),
            Version::V2(mount) => vec![mount.join(&self.root).join(container)],
        };
        for dir in dirs {
            while dir.exists() {
                if std::fs::remove_dir(&dir).is_ok() || Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Which cgroup version is mounted under `hierarchy`, from mountinfo lines
/// (`... <mount point> <options> - <fstype> <source> <super options>`).
fn parse_mountinfo(mountinfo: &str, hierarchy: &Path) -> Option<Version> {
    let mut v1 = BTreeMap::new();
    let mut v2 = None;
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(dash) = fields.iter().position(|f| *f == "-") else { continue };
        let (Some(point), Some(fstype), Some(options)) = (fields.get(4), fields.get(dash + 1), fields.get(dash + 3))
        else {
            continue;
        };
        let point = PathBuf::from(point);
        if !point.starts_with(hierarchy) {
            continue;
        }
        match *fstype {
            "cgroup" => {
                for option in options.split(',') {
                    if ["cpu", "cpuacct", "memory", "freezer", "devices"].contains(&option) {
                        v1.insert(option.to_owned(), point.clone());
                    }
                }
            }
            "cgroup2" => v2 = Some(point),
            _ => {}
        }
    }
    if v1.contains_key("memory") && v1.contains_key("freezer") {
        return Some(Version::V1(v1));
    }
    let mount = v2?;
    let controllers = std::fs::read_to_string(mount.join("cgroup.controllers")).unwrap_or_default();
    let has = |c: &str| controllers.split_whitespace().any(|have| have == c);
    (has("cpu") && has("memory")).then_some(Version::V2(mount))
}

/// `key value` lines, as in `memory.stat`, `cpu.stat`, `memory.events`.
fn keyed(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some((parts.next()?.to_owned(), parts.next()?.parse().ok()?))
        })
        .collect()
}

fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn v1_controllers_are_found_even_when_mounted_together() {
        let Some(Version::V1(mounts)) = parse_mountinfo(HYBRID, Path::new("/sys/fs/cgroup")) else {
            panic!("v1 expected")
        };
        assert_eq!(mounts["cpu"], PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(mounts["cpuacct"], PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(mounts["memory"], PathBuf::from("/sys/fs/cgroup/memory"));
        assert!(!mounts.contains_key("name=systemd"));
        assert!(parse_mountinfo(HYBRID, Path::new("/elsewhere")).is_none());
    }

    #[test]
    fn keyed_files_parse() {
        let stat = keyed("user 120\nsystem 30\nbogus\n");
        assert_eq!(stat["user"], 120);
        assert_eq!(stat["system"], 30);
        assert_eq!(keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")["oom_kill"], 2);
    }
}
