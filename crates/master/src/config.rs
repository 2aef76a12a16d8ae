//! Turning validated flags into the master core's configuration.

use std::time::Duration;

use mesos_allocator::{AllocatorConfig, Quantities, SorterKind};
use mesos_master_core::MasterConfig;
use mesos_proto::v1::MasterInfo;
use mesos_resources::{Scalar, role};

use crate::flags::MasterFlags;

/// A flag whose value is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --{flag}: {reason}")]
pub struct ConfigError {
    pub flag: &'static str,
    pub reason: String,
}

fn error(flag: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError { flag, reason: reason.into() }
}

/// Builds the core configuration for a master with identity `info`.
pub fn master_config(flags: &MasterFlags, info: MasterInfo, seed: u64) -> Result<MasterConfig, ConfigError> {
    let mut config = MasterConfig::new(info);
    config.offer_timeout = flags.offer_timeout.map(Duration::from);
    config.allocation_interval = flags.allocation_interval.into();
    config.agent_ping_timeout = flags.agent_ping_timeout.into();
    if config.agent_ping_timeout < Duration::from_secs(1) || config.agent_ping_timeout > Duration::from_secs(900) {
        return Err(error("agent_ping_timeout", "must be between 1secs and 15mins"));
    }
    config.max_agent_ping_timeouts = flags.max_agent_ping_timeouts;
    if let Some(limit) = &flags.agent_removal_rate_limit {
        config.agent_removal_rate_limit = Some(parse_rate_limit(limit)?);
    }
    config.max_completed_frameworks = flags.max_completed_frameworks;
    config.max_completed_tasks_per_framework = flags.max_completed_tasks_per_framework;
    config.max_unreachable_tasks_per_framework = flags.max_unreachable_tasks_per_framework;
    config.max_operator_event_stream_subscribers = flags.max_operator_event_stream_subscribers;
    if let Some(roles) = &flags.roles {
        let list: Vec<String> = roles.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect();
        for name in &list {
            role::validate(name).map_err(|e| error("roles", e.to_string()))?;
        }
        config.roles_whitelist = Some(list);
    }
    if let Some(weights) = &flags.weights {
        config.weights = parse_weights(weights)?;
    }
    config.agent_reregister_timeout = flags.agent_reregister_timeout.into();
    config.recovery_agent_removal_limit = parse_percentage(&flags.recovery_agent_removal_limit)?;
    config.registry_strict = flags.registry_strict;
    config.registry_gc_interval = flags.registry_gc_interval.into();
    config.registry_max_agent_age = flags.registry_max_agent_age.into();
    config.registry_max_agent_count = flags.registry_max_agent_count;
    config.allocator = AllocatorConfig {
        min_allocatable_resources: parse_min_allocatable(&flags.min_allocatable_resources)?,
        fair_sharing_excluded_resource_names: flags
            .fair_sharing_excluded_resource_names
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        filter_gpu_resources: flags.filter_gpu_resources,
        role_sorter: parse_sorter("role_sorter", &flags.role_sorter)?,
        framework_sorter: parse_sorter("framework_sorter", &flags.framework_sorter)?,
        seed,
    };
    Ok(config)
}

/// `--recovery_agent_removal_limit`: a percentage such as `100%` (or `50`).
fn parse_percentage(text: &str) -> Result<f64, ConfigError> {
    let invalid = || error("recovery_agent_removal_limit", format!("'{text}' is not a percentage between 0% and 100%"));
    let number: f64 = text.trim().trim_end_matches('%').trim().parse().map_err(|_| invalid())?;
    if !(0.0..=100.0).contains(&number) {
        return Err(invalid());
    }
    Ok(number / 100.0)
}

fn parse_sorter(flag: &'static str, value: &str) -> Result<SorterKind, ConfigError> {
    match value {
        "drf" => Ok(SorterKind::Drf),
        "random" => Ok(SorterKind::Random),
        other => Err(error(flag, format!("unknown sorter '{other}' (expected drf or random)"))),
    }
}

/// `<count>/<duration>`, e.g. `1/10mins`.
fn parse_rate_limit(text: &str) -> Result<(u32, Duration), ConfigError> {
    let invalid = || error("agent_removal_rate_limit", format!("'{text}' is not <count>/<duration> (e.g. 1/10mins)"));
    let (count, window) = text.split_once('/').ok_or_else(invalid)?;
    let count: u32 = count.trim().parse().map_err(|_| invalid())?;
    let window = mesos_flags::parse_duration(window).map_err(|_| invalid())?;
    if count == 0 || window.is_zero() {
        return Err(invalid());
    }
    Ok((count, window))
}

/// `role=weight,role=weight`.
fn parse_weights(text: &str) -> Result<Vec<(String, f64)>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (name, weight) =
                pair.split_once('=').ok_or_else(|| error("weights", format!("'{pair}' is not role=weight")))?;
            role::validate(name).map_err(|e| error("weights", e.to_string()))?;
            let weight: f64 = weight.parse().map_err(|_| error("weights", format!("'{weight}' is not a number")))?;
            if !(weight.is_finite() && weight > 0.0) {
                return Err(error("weights", format!("weight of '{name}' must be positive")));
            }
            Ok((name.to_owned(), weight))
        })
        .collect()
}

/// `cpus:0.01|mem:32`: alternatives separated by `|`, each a `;`-separated
/// list of scalar quantities.
fn parse_min_allocatable(text: &str) -> Result<Vec<Quantities>, ConfigError> {
    let mut alternatives = Vec::new();
    for alternative in text.split('|').map(str::trim).filter(|s| !s.is_empty()) {
        let mut quantities = Quantities::new();
        for item in alternative.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, amount) = item
                .split_once(':')
                .ok_or_else(|| error("min_allocatable_resources", format!("'{item}' is not name:quantity")))?;
            let amount: f64 = amount
                .trim()
                .parse()
                .map_err(|_| error("min_allocatable_resources", format!("'{amount}' is not a number")))?;
            if !(amount.is_finite() && amount >= 0.0) {
                return Err(error("min_allocatable_resources", format!("'{amount}' must be a non-negative number")));
            }
            quantities.insert(name.trim().to_owned(), Scalar::from_f64(amount));
        }
        alternatives.push(quantities);
    }
    Ok(alternatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weights_and_min_allocatable() {
        assert_eq!(parse_weights("a=2, b=0.5").unwrap(), vec![("a".into(), 2.0), ("b".into(), 0.5)]);
        assert!(parse_weights("a=0").is_err());
        assert!(parse_weights("a").is_err());
        let min = parse_min_allocatable("cpus:0.01|mem:32;disk:1").unwrap();
        assert_eq!(min.len(), 2);
        assert_eq!(min[1]["disk"], Scalar::from_units(1));
        assert!(parse_min_allocatable("cpus:x").is_err());
        assert_eq!(parse_rate_limit("1/10mins").unwrap(), (1, Duration::from_secs(600)));
        assert!(parse_rate_limit("0/1secs").is_err());
        assert!(parse_rate_limit("fast").is_err());
    }
}
