//! A bag of resources and its arithmetic.
//!
//! Entries of the same kind (name, type, reservations, allocation role, disk
//! information, markers) are kept merged, so a bag holds at most one entry per
//! kind and two bags compare by content. Bags are small (one agent's worth),
//! so linear scans are the right tool.

use std::fmt;

use mesos_proto::v1;

use crate::{Ranges, Resource, ResourceError, ResourceFormat, ResourceValue, Scalar};

/// A normalized collection of resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    entries: Vec<Resource>,
}

impl Resources {
    pub fn new() -> Resources {
        Resources::default()
    }

    /// Reads and validates wire resources (either reservation format).
    pub fn from_proto(resources: &[v1::Resource]) -> Result<Resources, ResourceError> {
        let mut bag = Resources { entries: Vec::with_capacity(resources.len()) };
        for resource in resources {
            bag.add_resource(Resource::from_proto(resource)?);
        }
        Ok(bag)
    }

    /// Writes the resources in the given reservation format.
    pub fn to_proto(&self, format: ResourceFormat) -> Vec<v1::Resource> {
        self.entries.iter().map(|r| r.to_proto(format)).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Resource> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds one resource, merging it into an entry of the same kind.
    pub fn add_resource(&mut self, resource: Resource) {
        if resource.value.is_empty() {
            return;
        }
        match self.entries.iter_mut().find(|e| e.same_kind(&resource)) {
            Some(entry) => entry.value.add(&resource.value),
            None => self.entries.push(resource),
        }
    }

    /// Removes one resource from the entry of the same kind; what is not
    /// there is ignored, and entries that become empty are dropped.
    pub fn subtract_resource(&mut self, resource: &Resource) {
        if let Some(index) = self.entries.iter().position(|e| e.same_kind(resource)) {
            self.entries[index].value.subtract(&resource.value);
            if self.entries[index].value.is_empty() {
                self.entries.remove(index);
            }
        }
    }

    pub fn add(&mut self, other: &Resources) {
        for resource in &other.entries {
            self.add_resource(resource.clone());
        }
    }

    pub fn subtract(&mut self, other: &Resources) {
        for resource in &other.entries {
            self.subtract_resource(resource);
        }
    }

    pub fn plus(&self, other: &Resources) -> Resources {
        let mut sum = self.clone();
        sum.add(other);
        sum
    }

    pub fn minus(&self, other: &Resources) -> Resources {
        let mut difference = self.clone();
        difference.subtract(other);
        difference
    }

    /// Whether every resource of `other` fits in an entry of `self`.
    pub fn contains(&self, other: &Resources) -> bool {
        other.entries.iter().all(|wanted| self.contains_resource(wanted))
    }

    pub fn contains_resource(&self, wanted: &Resource) -> bool {
        self.entries.iter().any(|e| e.same_kind(wanted) && e.value.contains(&wanted.value))
    }

    /// `self - other` if `other` is contained, else `None`.
    pub fn checked_minus(&self, other: &Resources) -> Option<Resources> {
        self.contains(other).then(|| self.minus(other))
    }

    /// An agent's total: its static resources with its checkpointed ones
    /// (dynamic reservations, persistent volumes) carved out of them. Fails
    /// when a checkpointed resource does not come from what is there.
    pub fn with_checkpointed(&self, checkpointed: &Resources) -> Result<Resources, ResourceError> {
        let mut total = self.clone();
        for resource in checkpointed.iter() {
            let base = Resources::from_iter([resource.static_base()]);
            total = total.checked_minus(&base).ok_or_else(|| ResourceError::Invalid {
                name: resource.name.clone(),
                reason: format!("checkpointed {resource} is not part of the agent's resources"),
            })?;
            total.add_resource(resource.clone());
        }
        Ok(total)
    }

    /// The resources an agent must remember across restarts.
    pub fn checkpointed(&self) -> Resources {
        self.filter(Resource::needs_checkpointing)
    }

    pub fn filter(&self, keep: impl Fn(&Resource) -> bool) -> Resources {
        Resources { entries: self.entries.iter().filter(|r| keep(r)).cloned().collect() }
    }

    pub fn unreserved(&self) -> Resources {
        self.filter(Resource::is_unreserved)
    }

    /// Resources whose reservation belongs to exactly `role`.
    pub fn reserved_to(&self, role: &str) -> Resources {
        self.filter(|r| r.reservation_role() == Some(role))
    }

    pub fn reserved(&self) -> Resources {
        self.filter(|r| !r.is_unreserved())
    }

    /// Resources a framework in `role` may be offered.
    pub fn allocatable_to(&self, role: &str) -> Resources {
        self.filter(|r| r.is_allocatable_to(role))
    }

    pub fn revocable(&self) -> Resources {
        self.filter(|r| r.revocable)
    }

    pub fn non_revocable(&self) -> Resources {
        self.filter(|r| !r.revocable)
    }

    /// The same resources, marked as allocated to `role`.
    pub fn allocated_to(&self, role: &str) -> Resources {
        let mut out = Resources::new();
        for resource in &self.entries {
            let mut resource = resource.clone();
            resource.allocation_role = Some(role.to_owned());
            out.add_resource(resource);
        }
        out
    }

    /// The same resources without allocation roles.
    pub fn unallocated(&self) -> Resources {
        let mut out = Resources::new();
        for resource in &self.entries {
            let mut resource = resource.clone();
            resource.allocation_role = None;
            out.add_resource(resource);
        }
        out
    }

    /// The roles these resources are allocated to.
    pub fn allocation_roles(&self) -> Vec<&str> {
        let mut roles: Vec<&str> = self.entries.iter().filter_map(|r| r.allocation_role.as_deref()).collect();
        roles.sort_unstable();
        roles.dedup();
        roles
    }

    /// Total of the scalar resource `name`, whatever its reservations.
    pub fn scalar(&self, name: &str) -> Scalar {
        self.entries
            .iter()
            .filter(|r| r.name == name)
            .filter_map(|r| match r.value {
                ResourceValue::Scalar(s) => Some(s),
                _ => None,
            })
            .sum()
    }

    /// Union of the ranges resource `name`.
    pub fn ranges(&self, name: &str) -> Ranges {
        let mut total = Ranges::new();
        for resource in self.entries.iter().filter(|r| r.name == name) {
            if let ResourceValue::Ranges(r) = &resource.value {
                total.add(r);
            }
        }
        total
    }

    pub fn cpus(&self) -> Scalar {
        self.scalar("cpus")
    }

    pub fn mem(&self) -> Scalar {
        self.scalar("mem")
    }

    pub fn disk(&self) -> Scalar {
        self.scalar("disk")
    }

    pub fn gpus(&self) -> Scalar {
        self.scalar("gpus")
    }

    pub fn ports(&self) -> Ranges {
        self.ranges("ports")
    }

    /// Every scalar quantity by name, reservations folded together, sorted by
    /// name: what fairness and quota count.
    pub fn scalar_quantities(&self) -> Vec<(String, Scalar)> {
        let mut totals: Vec<(String, Scalar)> = Vec::new();
        for resource in &self.entries {
            if let ResourceValue::Scalar(amount) = resource.value {
                match totals.iter_mut().find(|(name, _)| *name == resource.name) {
                    Some((_, total)) => *total += amount,
                    None => totals.push((resource.name.clone(), amount)),
                }
            }
        }
        totals.sort_by(|a, b| a.0.cmp(&b.0));
        totals
    }

    /// The resource names present.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.entries.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

impl FromIterator<Resource> for Resources {
    fn from_iter<I: IntoIterator<Item = Resource>>(iter: I) -> Resources {
        let mut bag = Resources::new();
        for resource in iter {
            bag.add_resource(resource);
        }
        bag
    }
}

impl fmt::Display for Resources {
    /// `cpus:2; mem:1024; ports:[31000-32000]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, resource) in self.entries.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{resource}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Reservation, parse};
    use proptest::prelude::*;

    fn bag(text: &str) -> Resources {
        parse::resources(text, "*").unwrap()
    }

    #[test]
    fn adds_and_subtracts_by_kind() {
        let mut total = bag("cpus:4;mem:1024;ports:[31000-32000]");
        total.add(&bag("cpus:0.5;cpus(web):2"));
        assert_eq!(total.cpus(), Scalar::from_f64(6.5));
        assert_eq!(total.unreserved().cpus(), Scalar::from_f64(4.5));
        assert_eq!(total.reserved_to("web").cpus(), Scalar::from_units(2));
        let used = bag("cpus:1;ports:[31000-31000]");
        let left = total.checked_minus(&used).unwrap();
        assert_eq!(left.unreserved().cpus(), Scalar::from_f64(3.5));
        assert_eq!(left.ports().to_string(), "[31001-32000]");
        assert!(total.checked_minus(&bag("cpus:100")).is_none());
    }

    #[test]
    fn checkpointed_resources_are_carved_out_of_the_static_ones() {
        let static_total = bag("cpus:4;mem:1024;disk:100;cpus(eng):1");
        let mut volume = Resource::scalar("disk", 10.0).reserved(Reservation::new_dynamic("eng", None));
        volume.disk = Some(v1::resource::DiskInfo {
            persistence: Some(v1::resource::disk_info::Persistence { id: "v1".into(), principal: None }),
            volume: Some(v1::Volume {
                container_path: "data".into(),
                mode: v1::volume::Mode::Rw as i32,
                ..Default::default()
            }),
            source: None,
        });
        let refined = Resource::scalar("cpus", 1.0)
            .reserved(Reservation::new_static("eng"))
            .reserved(Reservation::new_dynamic("eng/web", None));
        let checkpointed: Resources = [
            volume.clone(),
            Resource::scalar("cpus", 2.0).reserved(Reservation::new_dynamic("eng", None)),
            refined.clone(),
        ]
        .into_iter()
        .collect();
        let total = static_total.with_checkpointed(&checkpointed).unwrap();
        assert_eq!(total.unreserved().cpus(), Scalar::from_units(2));
        assert_eq!(total.unreserved().disk(), Scalar::from_units(90));
        assert!(total.contains(&Resources::from_iter([volume.clone()])));
        assert_eq!(total.checkpointed(), checkpointed);
        assert_eq!(volume.without_volume().disk, None);
        assert_eq!(refined.popped().reservations.len(), 1);
        // More than there is: refused.
        let too_much =
            Resources::from_iter([Resource::scalar("cpus", 9.0).reserved(Reservation::new_dynamic("eng", None))]);
        assert!(static_total.with_checkpointed(&too_much).is_err());
    }

    #[test]
    fn reserved_resources_go_to_their_role_and_its_children() {
        let total = bag("cpus:1;cpus(eng):2");
        assert_eq!(total.allocatable_to("eng/web").cpus(), Scalar::from_units(3));
        assert_eq!(total.allocatable_to("ops").cpus(), Scalar::from_units(1));
        assert_eq!(total.allocatable_to("engineering").cpus(), Scalar::from_units(1));
    }

    #[test]
    #[allow(deprecated)]
    fn wire_formats_round_trip() {
        let dynamic = Resource::scalar("cpus", 2.0).reserved(Reservation::new_dynamic("web", Some("ops".into())));
        let bag: Resources = [dynamic, Resource::scalar("mem", 64.0)].into_iter().collect();
        for format in [ResourceFormat::PreRefinement, ResourceFormat::PostRefinement, ResourceFormat::Endpoint] {
            let wire = bag.to_proto(format);
            assert_eq!(Resources::from_proto(&wire).unwrap(), bag, "{format:?}");
        }
        let pre = bag.to_proto(ResourceFormat::PreRefinement);
        assert_eq!(pre[1].role.as_deref(), Some("*"));
        assert!(pre[0].reservations.is_empty());
        assert_eq!(pre[0].reservation.as_ref().unwrap().principal.as_deref(), Some("ops"));
    }

    #[test]
    fn invalid_wire_resources_are_rejected() {
        let nan = v1::Resource {
            name: "cpus".into(),
            r#type: v1::value::Type::Scalar as i32,
            scalar: Some(v1::value::Scalar { value: f64::NAN }),
            ..Default::default()
        };
        assert!(Resources::from_proto(&[nan]).is_err());
        let gpus = v1::Resource {
            name: "gpus".into(),
            r#type: v1::value::Type::Scalar as i32,
            scalar: Some(v1::value::Scalar { value: 0.5 }),
            ..Default::default()
        };
        assert!(Resources::from_proto(&[gpus]).is_err());
        let untyped = v1::Resource { name: "cpus".into(), ..Default::default() };
        assert!(Resources::from_proto(&[untyped]).is_err());
    }

    fn arb_bag() -> impl Strategy<Value = Resources> {
        let entry = (0usize..3, 0u32..5000, 0usize..3).prop_map(|(name, amount, role)| {
            let name = ["cpus", "mem", "disk"][name];
            let resource = Resource::new(name, ResourceValue::Scalar(Scalar::from_millis(i64::from(amount))));
            match ["", "a", "b"][role] {
                "" => resource,
                role => resource.reserved(Reservation::new_static(role)),
            }
        });
        proptest::collection::vec(entry, 0..8).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn addition_is_commutative_and_subtraction_undoes_it(a in arb_bag(), b in arb_bag()) {
            let ab = a.plus(&b);
            let ba = b.plus(&a);
            prop_assert!(ab.contains(&ba) && ba.contains(&ab));
            prop_assert!(ab.contains(&a) && ab.contains(&b));
            let back = ab.checked_minus(&b).unwrap();
            prop_assert!(back.contains(&a) && a.contains(&back));
            for (name, total) in ab.scalar_quantities() {
                prop_assert_eq!(total, a.scalar(&name) + b.scalar(&name));
            }
        }

        #[test]
        fn containment_matches_subtraction(a in arb_bag(), b in arb_bag()) {
            if a.contains(&b) {
                let rest = a.minus(&b);
                prop_assert!(rest.plus(&b).contains(&a));
            } else {
                prop_assert!(a.checked_minus(&b).is_none());
            }
        }
    }
}
