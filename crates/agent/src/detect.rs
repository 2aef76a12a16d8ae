//! Measuring the machine, for the resources `--resources` leaves out.

use std::path::Path;

use mesos_resources::detect::MachineCapacity;

/// CPUs, memory and the work directory's disk, as far as they can be read.
pub fn machine_capacity(work_dir: &Path) -> MachineCapacity {
    let cpus = std::thread::available_parallelism().ok().map(|n| n.get() as u64);
    let memory_bytes = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        text.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let work_dir_disk_bytes =
        nix::sys::statvfs::statvfs(work_dir).ok().map(|stats| stats.blocks() * stats.fragment_size());
    MachineCapacity { cpus, memory_bytes, work_dir_disk_bytes }
}
