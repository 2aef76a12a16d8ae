//! Metrics in Prometheus's text exposition format: the values of
//! `/metrics/snapshot` under names with every character Prometheus does not
//! allow turned into `_` (`master/tasks_running` is `master_tasks_running`).

use std::collections::BTreeMap;
use std::fmt::Write;

/// A Mesos metric name as a Prometheus metric name.
pub fn name(metric: &str) -> String {
    let mut out: String =
        metric.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The whole exposition: one untyped sample per metric, sorted by name.
pub fn text(metrics: &BTreeMap<String, f64>) -> String {
    let mut out = String::new();
    let renamed: BTreeMap<String, f64> = metrics.iter().map(|(k, v)| (name(k), *v)).collect();
    for (metric, value) in renamed {
        let value = if value.is_nan() {
            "NaN".to_owned()
        } else if value.is_infinite() {
            if value > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() }
        } else {
            value.to_string()
        };
        let _ = writeln!(out, "# TYPE {metric} untyped\n{metric} {value}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert_eq!(name("master/tasks_running"), "master_tasks_running");
        assert_eq!(name("allocator/mesos/roles/a.b/shares/dominant"), "allocator_mesos_roles_a_b_shares_dominant");
        let metrics = BTreeMap::from([("master/elected".to_owned(), 1.0), ("system/load_1min".to_owned(), 0.25)]);
        assert_eq!(
            text(&metrics),
            "# TYPE master_elected untyped\nmaster_elected 1\n# TYPE system_load_1min untyped\nsystem_load_1min 0.25\n"
        );
    }
}
