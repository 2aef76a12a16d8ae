//! The resources an agent offers when `--resources` leaves them out, computed
//! from what the machine has (the agent measures; this decides).

use crate::{Ranges, Resource, Resources};

const MB: u64 = 1024 * 1024;
const GB: u64 = 1024 * MB;

/// What the machine has, as measured by the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineCapacity {
    pub cpus: Option<u64>,
    pub memory_bytes: Option<u64>,
    pub work_dir_disk_bytes: Option<u64>,
}

/// Fills in `cpus`, `mem`, `disk` and `ports` that `given` lacks, as Mesos
/// does: all CPUs (1 if unknown); memory less 1 GB when there are at least
/// 2 GB, else half (1 GB if unknown); the work directory's disk less 5 GB
/// when there are at least 10 GB, else half (10 GB if unknown); ports
/// `[31000-32000]`. Memory and disk are whole megabytes.
pub fn with_defaults(given: Resources, machine: MachineCapacity) -> Resources {
    let mut out = given.clone();
    let names = given.names();
    if !names.contains(&"cpus") {
        out.add_resource(Resource::scalar("cpus", machine.cpus.unwrap_or(1) as f64));
    }
    if !names.contains(&"mem") {
        let mem = match machine.memory_bytes {
            Some(total) if total >= 2 * GB => total - GB,
            Some(total) => total / 2,
            None => GB,
        };
        out.add_resource(Resource::scalar("mem", (mem / MB) as f64));
    }
    if !names.contains(&"disk") {
        let disk = match machine.work_dir_disk_bytes {
            Some(total) if total >= 10 * GB => total - 5 * GB,
            Some(total) => total / 2,
            None => 10 * GB,
        };
        out.add_resource(Resource::scalar("disk", (disk / MB) as f64));
    }
    if !names.contains(&"ports") {
        out.add_resource(Resource::ranges("ports", Ranges::single(31000, 32000)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scalar;

    #[test]
    fn defaults_follow_mesos() {
        let machine =
            MachineCapacity { cpus: Some(8), memory_bytes: Some(16 * GB), work_dir_disk_bytes: Some(100 * GB) };
        let bag = with_defaults(Resources::new(), machine);
        assert_eq!(bag.cpus(), Scalar::from_units(8));
        assert_eq!(bag.mem(), Scalar::from_units(15 * 1024));
        assert_eq!(bag.disk(), Scalar::from_units(95 * 1024));
        assert_eq!(bag.ports().to_string(), "[31000-32000]");
        let small = MachineCapacity { cpus: None, memory_bytes: Some(GB), work_dir_disk_bytes: Some(4 * GB) };
        let bag = with_defaults(crate::parse::resources("cpus:2", "*").unwrap(), small);
        assert_eq!(bag.cpus(), Scalar::from_units(2));
        assert_eq!(bag.mem(), Scalar::from_units(512));
        assert_eq!(bag.disk(), Scalar::from_units(2048));
    }
}
