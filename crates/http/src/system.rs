//! Machine metrics both daemons publish (`system/...` in
//! `/metrics/snapshot`), read from `/proc`.

use std::collections::BTreeMap;

/// `system/cpus_total`, `system/load_{1,5,15}min`, `system/mem_{total,free}_bytes`.
pub fn metrics() -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    out.insert("system/cpus_total".to_owned(), cpus as f64);
    if let Ok(loadavg) = std::fs::read_to_string("/proc/loadavg") {
        let loads: Vec<f64> = loadavg.split_whitespace().take(3).filter_map(|v| v.parse().ok()).collect();
        for (name, value) in ["system/load_1min", "system/load_5min", "system/load_15min"].iter().zip(loads) {
            out.insert((*name).to_owned(), value);
        }
    }
    if let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") {
        for line in meminfo.lines() {
            let mut parts = line.split_whitespace();
            let (Some(key), Some(kb)) = (parts.next(), parts.next().and_then(|v| v.parse::<f64>().ok())) else {
                continue;
            };
            match key {
                "MemTotal:" => out.insert("system/mem_total_bytes".to_owned(), kb * 1024.0),
                "MemAvailable:" => out.insert("system/mem_free_bytes".to_owned(), kb * 1024.0),
                _ => None,
            };
        }
    }
    out
}

/// Wraps JSON text for `?jsonp=<callback>`, as Mesos's legacy endpoints do.
pub fn jsonp(callback: Option<&str>, json: String) -> (bool, String) {
    match callback.filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric() || "_$.".contains(ch))) {
        Some(callback) => (true, format!("{callback}({json});")),
        None => (false, json),
    }
}
