//! Usage of processes read from `/proc`, for containers without cgroups
//! (`posix/cpu`, `posix/mem`): cpu times and resident memory summed over
//! the container's processes.

use super::cgroups::CgroupUsage;

/// Clock ticks per second of `/proc/<pid>/stat` times.
const TICKS: f64 = 100.0;

/// Sums the usage of `pids`.
pub fn processes(pids: &[i32]) -> CgroupUsage {
    let page = 4096u64;
    let mut usage = CgroupUsage { processes: Some(0), ..Default::default() };
    let (mut user, mut system, mut rss) = (0.0, 0.0, 0u64);
    for pid in pids {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(fields) = after_name(&stat) else { continue };
        // Fields after the name start at field 3 (state): utime is field
        // 14, stime 15, rss 24.
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        user += field(14) as f64 / TICKS;
        system += field(15) as f64 / TICKS;
        rss += field(24) * page;
        usage.processes = usage.processes.map(|n| n + 1);
    }
    usage.cpus_user_time_secs = Some(user);
    usage.cpus_system_time_secs = Some(system);
    usage.mem_rss_bytes = Some(rss);
    usage
}

fn after_name(stat: &str) -> Option<Vec<&str>> {
    Some(stat[stat.rfind(')')? + 1..].split_whitespace().collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_memory_and_a_count() {
        let usage = super::processes(&[std::process::id() as i32]);
        assert_eq!(usage.processes, Some(1));
        assert!(usage.mem_rss_bytes.unwrap_or(0) > 0);
    }
}
