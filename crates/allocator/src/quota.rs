//! Quota: checking a role's guarantees and limits, and cutting offers down
//! to what limits and the guarantee headroom allow.
//!
//! Guarantees are quantities (a missing name means zero), limits are caps (a
//! missing name means no cap). A role's consumption is its reservations plus
//! its offered or allocated unreserved non-revocable scalars, sub-roles
//! included. The *headroom* is what must stay unallocated so that unmet
//! guarantees can still be met: `Σ max(0, guarantee - consumption)`, held
//! back from the cluster's available unreserved non-revocable scalars.

use mesos_proto::v1::resource::disk_info::source::Type as SourceType;
use mesos_resources::{Resource, ResourceValue, Resources, Scalar, role};

use crate::api::{AllocatorError, Quota};
use crate::quantities::{NameId, Names, Qty};

/// Checks a quota request as Mesos does: scalars only (quantities cannot say
/// otherwise), non-negative, guarantees within limits, top-level roles only.
pub(crate) fn validate(role_name: &str, quota: &Quota) -> Result<(), AllocatorError> {
    let invalid = |reason: String| AllocatorError::InvalidQuota { role: role_name.to_owned(), reason };
    role::validate(role_name).map_err(|e| invalid(e.to_string()))?;
    if role_name == role::DEFAULT {
        return Err(invalid("quota cannot be set for the default role '*'".into()));
    }
    if role_name.contains('/') {
        return Err(invalid("quota is not supported on nested roles".into()));
    }
    for (name, amount) in quota.guarantees.iter().chain(&quota.limits) {
        if name.is_empty() {
            return Err(invalid("empty resource name".into()));
        }
        if *amount < Scalar::ZERO {
            return Err(invalid(format!("negative quantity of '{name}'")));
        }
    }
    for (name, guarantee) in &quota.guarantees {
        if let Some(limit) = quota.limits.get(name)
            && guarantee > limit
        {
            return Err(invalid(format!("guarantee of '{name}' ({guarantee}) is above its limit ({limit})")));
        }
    }
    Ok(())
}

/// Whether a resource may be cut into a smaller amount (a MOUNT, BLOCK or
/// RAW disk is all or nothing).
fn divisible(resource: &Resource) -> bool {
    let whole = [SourceType::Mount, SourceType::Block, SourceType::Raw].map(|t| t as i32);
    !resource.disk.as_ref().and_then(|disk| disk.source.as_ref()).is_some_and(|source| whole.contains(&source.r#type))
}

/// Keeps, of each scalar, at most its `cap` (`None`: no cap); non-scalars
/// pass untouched.
fn shrink(bag: &Resources, names: &mut Names, cap: impl Fn(NameId) -> Option<i64>) -> Resources {
    let mut spent = Qty::default();
    let mut kept = Resources::new();
    for resource in bag.iter() {
        let ResourceValue::Scalar(amount) = resource.value else {
            kept.add_resource(resource.clone());
            continue;
        };
        let id = names.id(&resource.name);
        let Some(cap) = cap(id) else {
            kept.add_resource(resource.clone());
            continue;
        };
        let left = cap - spent.get(id);
        if left >= amount.millis() {
            spent.add_at(id, amount.millis());
            kept.add_resource(resource.clone());
        } else if left > 0 && divisible(resource) {
            spent.add_at(id, left);
            let mut cut = resource.clone();
            cut.value = ResourceValue::Scalar(Scalar::from_millis(left));
            kept.add_resource(cut);
        }
    }
    kept
}

/// At most `target` of each scalar; names absent from `target` are dropped.
pub(crate) fn shrink_to(bag: &Resources, names: &mut Names, target: &Qty) -> Resources {
    shrink(bag, names, |id| Some(target.get(id)))
}

/// At most `limits` of each limited scalar; unlimited names pass.
pub(crate) fn shrink_to_limits(bag: &Resources, names: &mut Names, limits: &[(NameId, i64)]) -> Resources {
    shrink(bag, names, |id| limits.iter().find(|(limited, _)| *limited == id).map(|&(_, limit)| limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Quantities;
    use mesos_resources::parse;

    fn quantities(pairs: &[(&str, i64)]) -> Quantities {
        pairs.iter().map(|&(n, v)| (n.to_owned(), Scalar::from_units(v))).collect()
    }

    #[test]
    fn quota_validation() {
        let ok = Quota { guarantees: quantities(&[("cpus", 2)]), limits: quantities(&[("cpus", 4), ("mem", 64)]) };
        assert!(validate("eng", &ok).is_ok());
        assert!(validate("eng/web", &ok).is_err());
        assert!(validate("*", &ok).is_err());
        assert!(validate("bad role", &ok).is_err());
        let above = Quota { guarantees: quantities(&[("cpus", 8)]), limits: quantities(&[("cpus", 4)]) };
        assert!(validate("eng", &above).is_err());
    }

    #[test]
    fn shrinking() {
        let mut names = Names::default();
        let bag = parse::resources("cpus:4;mem:1024;ports:[1-2]", "*").unwrap();
        let cpus = names.id("cpus");
        let mem = names.id("mem");
        let mut target = Qty::default();
        target.set(cpus, 1500);
        let cut = shrink_to(&bag, &mut names, &target);
        assert_eq!(cut.cpus(), Scalar::from_millis(1500));
        assert_eq!(cut.mem(), Scalar::ZERO);
        let capped = shrink_to_limits(&bag, &mut names, &[(mem, 512_000)]);
        assert_eq!(capped.cpus(), Scalar::from_units(4));
        assert_eq!(capped.mem(), Scalar::from_units(512));
        assert_eq!(capped.ports().to_string(), "[1-2]");
    }
}
