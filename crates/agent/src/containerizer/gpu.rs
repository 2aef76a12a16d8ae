//! NVIDIA GPUs (`gpu/nvidia`): which GPUs the agent offers, which
//! container holds which, and the devices cgroup rules that let a container
//! open only its own. Everything here but [`detect`] is pure.
//!
//! GPUs are found as the character devices `/dev/nvidia<N>` (the control
//! devices `/dev/nvidiactl` and `/dev/nvidia-uvm` stay open to every
//! container, as the driver needs them). A machine without GPUs has none to
//! offer, and `gpus` is then left out of the agent's resources.

use std::collections::{BTreeMap, BTreeSet};

/// One GPU: its index and its device numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpuDevice {
    pub index: u32,
    pub major: u64,
    pub minor: u64,
}

/// Why a GPU setting or allocation is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GpuError {
    #[error("'{0}' in --nvidia_gpu_devices is not a GPU index")]
    BadIndex(String),
    #[error("--nvidia_gpu_devices names GPU {0}, which this machine does not have (/dev/nvidia{0})")]
    Missing(u32),
    #[error("the 'gpus' resource and --nvidia_gpu_devices need --isolation to include gpu/nvidia")]
    NeedsIsolator,
    #[error("--resources gives gpus:{given} but {found} GPU(s) are available to the agent")]
    Mismatch { given: u64, found: usize },
    #[error("the container asks for {wanted} GPU(s) but only {free} are free")]
    Exhausted { wanted: usize, free: usize },
}

/// Reads `--nvidia_gpu_devices` (`0,1,3`).
pub fn parse_indices(text: &str) -> Result<Vec<u32>, GpuError> {
    let mut indices = BTreeSet::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        indices.insert(part.parse::<u32>().map_err(|_| GpuError::BadIndex(part.to_owned()))?);
    }
    Ok(indices.into_iter().collect())
}

/// The GPUs the agent manages: those `wanted` (all found when `None`).
pub fn select(found: &[GpuDevice], wanted: Option<&[u32]>) -> Result<Vec<GpuDevice>, GpuError> {
    let Some(wanted) = wanted else { return Ok(found.to_vec()) };
    wanted
        .iter()
        .map(|index| found.iter().find(|d| d.index == *index).copied().ok_or(GpuError::Missing(*index)))
        .collect()
}

/// The `gpus` the agent offers, as Mesos decides it: without `gpu/nvidia`
/// none may be given; with it, a given amount must match the GPUs the agent
/// manages, and an amount left out is their number (`None`: offer none).
/// (`--resources` has already refused fractions of a GPU.)
pub fn offered(
    given: Option<f64>,
    isolator: bool,
    devices_flag: bool,
    managed: usize,
) -> Result<Option<u64>, GpuError> {
    if !isolator {
        if given.is_some_and(|g| g > 0.0) || devices_flag {
            return Err(GpuError::NeedsIsolator);
        }
        return Ok(None);
    }
    match given {
        Some(amount) if amount as usize != managed => Err(GpuError::Mismatch { given: amount as u64, found: managed }),
        Some(amount) => Ok((amount > 0.0).then_some(amount as u64)),
        None => Ok((managed > 0).then_some(managed as u64)),
    }
}

/// Which container holds which GPU.
#[derive(Debug, Clone, Default)]
pub struct GpuAllocator {
    free: BTreeSet<u32>,
    held: BTreeMap<String, BTreeSet<u32>>,
}

impl GpuAllocator {
    pub fn new(devices: &[GpuDevice]) -> GpuAllocator {
        GpuAllocator { free: devices.iter().map(|d| d.index).collect(), held: BTreeMap::new() }
    }

    /// Makes `container` hold `count` GPUs, keeping those it has where it
    /// can; returns the indices it holds afterwards.
    pub fn resize(&mut self, container: &str, count: usize) -> Result<BTreeSet<u32>, GpuError> {
        let mut holding = self.held.remove(container).unwrap_or_default();
        while holding.len() > count {
            let last = *holding.iter().next_back().expect("not empty");
            holding.remove(&last);
            self.free.insert(last);
        }
        let wanted = count - holding.len();
        if wanted > self.free.len() {
            let free = self.free.len();
            self.held.insert(container.to_owned(), holding);
            return Err(GpuError::Exhausted { wanted, free });
        }
        let taken: Vec<u32> = self.free.iter().take(wanted).copied().collect();
        for index in taken {
            self.free.remove(&index);
            holding.insert(index);
        }
        if !holding.is_empty() {
            self.held.insert(container.to_owned(), holding.clone());
        }
        Ok(holding)
    }

    /// Gives back what `container` held.
    pub fn release(&mut self, container: &str) {
        if let Some(holding) = self.held.remove(container) {
            self.free.extend(holding);
        }
    }
}

/// The devices cgroup rules for a container holding `granted`: every
/// managed GPU is allowed if granted and denied otherwise, as
/// `(major, minor, allow)`.
pub fn device_rules(devices: &[GpuDevice], granted: &BTreeSet<u32>) -> Vec<(u64, u64, bool)> {
    devices.iter().map(|d| (d.major, d.minor, granted.contains(&d.index))).collect()
}

/// `count` whole GPUs from a container's `gpus` scalar.
pub fn count(gpus: f64) -> usize {
    gpus.max(0.0).round() as usize
}

/// The GPUs of this machine: `/dev/nvidia<N>` character devices.
pub fn detect() -> Vec<GpuDevice> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(entries) = std::fs::read_dir("/dev") else { return Vec::new() };
    let mut devices: Vec<GpuDevice> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let index: u32 = name.strip_prefix("nvidia")?.parse().ok()?;
            let metadata = std::fs::metadata(entry.path()).ok()?;
            if !metadata.file_type().is_char_device() {
                return None;
            }
            let rdev = metadata.rdev();
            Some(GpuDevice { index, major: nix::sys::stat::major(rdev), minor: nix::sys::stat::minor(rdev) })
        })
        .collect();
    devices.sort_by_key(|d| d.index);
    devices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpus(n: u32) -> Vec<GpuDevice> {
        (0..n).map(|index| GpuDevice { index, major: 195, minor: u64::from(index) }).collect()
    }

    #[test]
    fn device_lists_parse_and_select() {
        assert_eq!(parse_indices("1, 0,1"), Ok(vec![0, 1]));
        assert_eq!(parse_indices("a"), Err(GpuError::BadIndex("a".into())));
        assert_eq!(select(&gpus(2), Some(&[1])).unwrap(), vec![gpus(2)[1]]);
        assert_eq!(select(&gpus(2), Some(&[2])), Err(GpuError::Missing(2)));
        assert_eq!(select(&gpus(2), None).unwrap().len(), 2);
    }

    #[test]
    fn the_gpus_resource_follows_the_isolator_and_the_devices() {
        assert_eq!(offered(None, false, false, 4), Ok(None), "without the isolator GPUs are not offered");
        assert_eq!(offered(Some(1.0), false, false, 0), Err(GpuError::NeedsIsolator));
        assert_eq!(offered(None, false, true, 0), Err(GpuError::NeedsIsolator));
        assert_eq!(offered(None, true, false, 0), Ok(None), "a machine without GPUs offers none");
        assert_eq!(offered(None, true, false, 2), Ok(Some(2)));
        assert_eq!(offered(Some(2.0), true, true, 2), Ok(Some(2)));
        assert_eq!(offered(Some(1.0), true, false, 0), Err(GpuError::Mismatch { given: 1, found: 0 }));
    }

    #[test]
    fn containers_hold_whole_gpus_and_give_them_back() {
        let mut allocator = GpuAllocator::new(&gpus(3));
        assert_eq!(allocator.resize("a", 2).unwrap(), BTreeSet::from([0, 1]));
        assert_eq!(allocator.resize("b", 2), Err(GpuError::Exhausted { wanted: 2, free: 1 }));
        assert_eq!(allocator.resize("b", 1).unwrap(), BTreeSet::from([2]));
        assert_eq!(allocator.resize("a", 1).unwrap(), BTreeSet::from([0]), "shrinking keeps the first");
        allocator.release("b");
        assert_eq!(allocator.resize("c", 2).unwrap(), BTreeSet::from([1, 2]));
        assert!(allocator.resize("d", 0).unwrap().is_empty());
    }

    #[test]
    fn a_container_may_open_only_its_own_gpus() {
        let rules = device_rules(&gpus(3), &BTreeSet::from([1]));
        assert_eq!(rules, vec![(195, 0, false), (195, 1, true), (195, 2, false)]);
        assert_eq!(count(2.0), 2);
        assert_eq!(count(-1.0), 0);
    }
}
