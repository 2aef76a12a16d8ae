//! One resource: a name, a value, and everything that decides whether two
//! resources may be combined (reservations, allocation role, disk
//! information, revocable and shared markers, provider).
//!
//! Conversion to and from the wire handles Mesos's two reservation formats:
//! "pre-refinement" (`role` plus an optional `reservation`) and
//! "post-refinement" (a stack of `reservations`), and the "endpoint" form that
//! carries both for backward compatibility.

// The deprecated `role` and `reservation` fields are the pre-refinement
// format, which this module exists to read and write.
#![allow(deprecated)]

use std::fmt;

use mesos_proto::v1;

use crate::{Ranges, ResourceError, Scalar, Set, role};

/// The amount of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceValue {
    Scalar(Scalar),
    Ranges(Ranges),
    Set(Set),
}

impl ResourceValue {
    pub fn is_empty(&self) -> bool {
        match self {
            ResourceValue::Scalar(s) => s.millis() <= 0,
            ResourceValue::Ranges(r) => r.is_empty(),
            ResourceValue::Set(s) => s.is_empty(),
        }
    }

    fn same_type(&self, other: &ResourceValue) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    pub(crate) fn contains(&self, other: &ResourceValue) -> bool {
        match (self, other) {
            (ResourceValue::Scalar(a), ResourceValue::Scalar(b)) => a >= b,
            (ResourceValue::Ranges(a), ResourceValue::Ranges(b)) => a.contains(b),
            (ResourceValue::Set(a), ResourceValue::Set(b)) => a.contains(b),
            _ => false,
        }
    }

    pub(crate) fn add(&mut self, other: &ResourceValue) {
        match (self, other) {
            (ResourceValue::Scalar(a), ResourceValue::Scalar(b)) => *a += *b,
            (ResourceValue::Ranges(a), ResourceValue::Ranges(b)) => a.add(b),
            (ResourceValue::Set(a), ResourceValue::Set(b)) => a.add(b),
            _ => {}
        }
    }

    /// Removes `other`; scalars stop at zero.
    pub(crate) fn subtract(&mut self, other: &ResourceValue) {
        match (self, other) {
            (ResourceValue::Scalar(a), ResourceValue::Scalar(b)) => *a = a.saturating_sub(*b),
            (ResourceValue::Ranges(a), ResourceValue::Ranges(b)) => a.subtract(b),
            (ResourceValue::Set(a), ResourceValue::Set(b)) => a.subtract(b),
            _ => {}
        }
    }
}

impl fmt::Display for ResourceValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceValue::Scalar(s) => write!(f, "{s}"),
            ResourceValue::Ranges(r) => write!(f, "{r}"),
            ResourceValue::Set(s) => write!(f, "{s}"),
        }
    }
}

/// Static (agent flag) or dynamic (RESERVE operation) reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservationKind {
    Static,
    Dynamic,
}

/// One level of a reservation stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reservation {
    pub kind: ReservationKind,
    pub role: String,
    pub principal: Option<String>,
    /// Labels as key and optional value; different labels make different
    /// reservations.
    pub labels: Vec<(String, Option<String>)>,
}

impl Reservation {
    pub fn new_static(role: impl Into<String>) -> Reservation {
        Reservation { kind: ReservationKind::Static, role: role.into(), principal: None, labels: Vec::new() }
    }

    pub fn new_dynamic(role: impl Into<String>, principal: Option<String>) -> Reservation {
        Reservation { kind: ReservationKind::Dynamic, role: role.into(), principal, labels: Vec::new() }
    }

    fn from_proto(info: &v1::resource::ReservationInfo, kind: ReservationKind) -> Reservation {
        Reservation {
            kind,
            role: info.role.clone().unwrap_or_default(),
            principal: info.principal.clone(),
            labels: labels_from_proto(info.labels.as_ref()),
        }
    }

    fn to_proto(&self) -> v1::resource::ReservationInfo {
        v1::resource::ReservationInfo {
            r#type: Some(match self.kind {
                ReservationKind::Static => v1::resource::reservation_info::Type::Static as i32,
                ReservationKind::Dynamic => v1::resource::reservation_info::Type::Dynamic as i32,
            }),
            role: Some(self.role.clone()),
            principal: self.principal.clone(),
            labels: labels_to_proto(&self.labels),
        }
    }
}

/// Disk information that makes a disk resource distinct: a persistent
/// volume, a mount or path source. Kept in wire form; compared as a whole.
pub type DiskInfo = v1::resource::DiskInfo;

/// How reservations are written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceFormat {
    /// `reservations` stack only (frameworks with RESERVATION_REFINEMENT,
    /// the v1 operator API).
    PostRefinement,
    /// `role` plus optional `reservation` (frameworks without
    /// RESERVATION_REFINEMENT). Unreserved resources carry `role: "*"`.
    PreRefinement,
    /// Both, for legacy endpoints' `*_full` fields.
    Endpoint,
}

/// A named amount with the attributes that decide how it combines.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    pub value: ResourceValue,
    /// Reservation stack, outermost first; empty means unreserved.
    pub reservations: Vec<Reservation>,
    /// The role this resource is offered or allocated to, if any.
    pub allocation_role: Option<String>,
    pub disk: Option<DiskInfo>,
    pub revocable: bool,
    pub shared: bool,
    pub provider_id: Option<String>,
}

impl Resource {
    /// An unreserved scalar resource.
    pub fn scalar(name: impl Into<String>, amount: f64) -> Resource {
        Resource::new(name, ResourceValue::Scalar(Scalar::from_f64(amount)))
    }

    /// An unreserved ranges resource.
    pub fn ranges(name: impl Into<String>, ranges: Ranges) -> Resource {
        Resource::new(name, ResourceValue::Ranges(ranges))
    }

    pub fn new(name: impl Into<String>, value: ResourceValue) -> Resource {
        Resource {
            name: name.into(),
            value,
            reservations: Vec::new(),
            allocation_role: None,
            disk: None,
            revocable: false,
            shared: false,
            provider_id: None,
        }
    }

    /// Adds a reservation on top of the stack.
    pub fn reserved(mut self, reservation: Reservation) -> Resource {
        self.reservations.push(reservation);
        self
    }

    /// The role the resource is reserved to, or `None` when unreserved.
    pub fn reservation_role(&self) -> Option<&str> {
        self.reservations.last().map(|r| r.role.as_str())
    }

    pub fn is_unreserved(&self) -> bool {
        self.reservations.is_empty()
    }

    /// Unreserved, or reserved to `role` or one of its ancestors.
    pub fn is_allocatable_to(&self, role: &str) -> bool {
        match self.reservation_role() {
            None => true,
            Some(owner) => owner == role || role::is_strict_subrole(role, owner),
        }
    }

    pub fn is_persistent_volume(&self) -> bool {
        self.disk.as_ref().is_some_and(|d| d.persistence.is_some())
    }

    /// Reserved by a RESERVE operation at its top level.
    pub fn is_dynamically_reserved(&self) -> bool {
        self.reservations.last().is_some_and(|r| r.kind == ReservationKind::Dynamic)
    }

    /// Whether the agent must remember it across restarts (a dynamic
    /// reservation or a persistent volume), as Mesos checkpoints them.
    pub fn needs_checkpointing(&self) -> bool {
        self.reservations.iter().any(|r| r.kind == ReservationKind::Dynamic) || self.is_persistent_volume()
    }

    /// The resource before its last reservation: what a RESERVE of it
    /// consumed, what an UNRESERVE of it gives back.
    pub fn popped(&self) -> Resource {
        let mut resource = self.clone();
        resource.reservations.pop();
        resource
    }

    /// The resource without its persistent volume: what a CREATE of it
    /// consumed, what a DESTROY of it gives back.
    pub fn without_volume(&self) -> Resource {
        let mut resource = self.clone();
        if let Some(disk) = resource.disk.as_mut() {
            disk.persistence = None;
            disk.volume = None;
            if disk.source.is_none() {
                resource.disk = None;
            }
        }
        resource
    }

    /// The statically configured resource this one was made from, before
    /// any dynamic reservation or persistent volume.
    pub fn static_base(&self) -> Resource {
        let mut resource = self.without_volume();
        resource.reservations.retain(|r| r.kind == ReservationKind::Static);
        resource
    }

    /// Whether `self` and `other` may be added into one entry.
    pub(crate) fn same_kind(&self, other: &Resource) -> bool {
        self.name == other.name
            && self.value.same_type(&other.value)
            && self.reservations == other.reservations
            && self.allocation_role == other.allocation_role
            && self.disk == other.disk
            && self.revocable == other.revocable
            && self.shared == other.shared
            && self.provider_id == other.provider_id
    }

    /// Reads and validates a wire resource in either reservation format.
    pub fn from_proto(resource: &v1::Resource) -> Result<Resource, ResourceError> {
        let name = resource.name.clone();
        let invalid = |reason: &str| ResourceError::Invalid { name: name.clone(), reason: reason.to_owned() };
        if name.is_empty() {
            return Err(invalid("empty resource name"));
        }
        let value = match v1::value::Type::try_from(resource.r#type) {
            Ok(v1::value::Type::Scalar) => {
                let scalar = resource.scalar.as_ref().ok_or_else(|| invalid("SCALAR resource without 'scalar'"))?;
                if !scalar.value.is_finite() || scalar.value < 0.0 {
                    return Err(invalid("scalar must be finite and non-negative"));
                }
                let value = Scalar::from_f64(scalar.value);
                if name == "gpus" && value.millis() % 1000 != 0 {
                    return Err(invalid("gpus must be a whole number"));
                }
                ResourceValue::Scalar(value)
            }
            Ok(v1::value::Type::Ranges) => {
                let ranges = resource.ranges.as_ref().ok_or_else(|| invalid("RANGES resource without 'ranges'"))?;
                if ranges.range.iter().any(|r| r.begin > r.end) {
                    return Err(invalid("range begin is greater than its end"));
                }
                ResourceValue::Ranges(Ranges::from_pairs(ranges.range.iter().map(|r| (r.begin, r.end))))
            }
            Ok(v1::value::Type::Set) => {
                let set = resource.set.as_ref().ok_or_else(|| invalid("SET resource without 'set'"))?;
                ResourceValue::Set(set.item.iter().cloned().collect())
            }
            _ => return Err(invalid("unsupported resource type")),
        };
        let reservations = reservations_from_proto(resource).map_err(|reason| invalid(&reason))?;
        for reservation in &reservations {
            role::validate(&reservation.role).map_err(|e| invalid(&format!("invalid reservation role: {e}")))?;
        }
        Ok(Resource {
            name: name.clone(),
            value,
            reservations,
            allocation_role: resource.allocation_info.as_ref().and_then(|a| a.role.clone()),
            disk: resource.disk.clone(),
            revocable: resource.revocable.is_some(),
            shared: resource.shared.is_some(),
            provider_id: resource.provider_id.as_ref().map(|p| p.value.clone()),
        })
    }

    /// Writes the resource in the given reservation format.
    pub fn to_proto(&self, format: ResourceFormat) -> v1::Resource {
        let mut out = v1::Resource {
            name: self.name.clone(),
            provider_id: self.provider_id.clone().map(|value| v1::ResourceProviderId { value }),
            allocation_info: self.allocation_role.clone().map(|role| v1::resource::AllocationInfo { role: Some(role) }),
            disk: self.disk.clone(),
            revocable: self.revocable.then_some(v1::resource::RevocableInfo {}),
            shared: self.shared.then_some(v1::resource::SharedInfo {}),
            ..Default::default()
        };
        match &self.value {
            ResourceValue::Scalar(s) => {
                out.r#type = v1::value::Type::Scalar as i32;
                out.scalar = Some(v1::value::Scalar { value: s.as_f64() });
            }
            ResourceValue::Ranges(r) => {
                out.r#type = v1::value::Type::Ranges as i32;
                out.ranges = Some(v1::value::Ranges {
                    range: r.pairs().iter().map(|&(begin, end)| v1::value::Range { begin, end }).collect(),
                });
            }
            ResourceValue::Set(s) => {
                out.r#type = v1::value::Type::Set as i32;
                out.set = Some(v1::value::Set { item: s.items().map(str::to_owned).collect() });
            }
        }
        let refined = self.reservations.len() > 1;
        let post = format == ResourceFormat::PostRefinement || refined;
        let pre = (format == ResourceFormat::PreRefinement || format == ResourceFormat::Endpoint) && !refined;
        if post || format == ResourceFormat::Endpoint {
            out.reservations = self.reservations.iter().map(Reservation::to_proto).collect();
        }
        if pre {
            match self.reservations.first() {
                None => out.role = Some("*".to_owned()),
                Some(reservation) => {
                    out.role = Some(reservation.role.clone());
                    if reservation.kind == ReservationKind::Dynamic {
                        out.reservation = Some(v1::resource::ReservationInfo {
                            principal: reservation.principal.clone(),
                            labels: labels_to_proto(&reservation.labels),
                            ..Default::default()
                        });
                    }
                }
            }
        }
        out
    }
}

impl fmt::Display for Resource {
    /// `cpus(role):2`, `ports:[31000-32000]`, as the flag grammar reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some(allocated) = &self.allocation_role {
            write!(f, "(allocated: {allocated})")?;
        }
        if !self.reservations.is_empty() {
            let roles: Vec<&str> = self.reservations.iter().map(|r| r.role.as_str()).collect();
            write!(f, "(reservations: [{}])", roles.join(", "))?;
        }
        if let Some(persistence) = self.disk.as_ref().and_then(|d| d.persistence.as_ref()) {
            write!(f, "[{}]", persistence.id)?;
        }
        if self.revocable {
            write!(f, "{{REV}}")?;
        }
        write!(f, ":{}", self.value)
    }
}

/// Reads either reservation format into a stack, checking that both forms
/// agree when a resource carries both (the "endpoint" form).
fn reservations_from_proto(resource: &v1::Resource) -> Result<Vec<Reservation>, String> {
    use v1::resource::reservation_info::Type;
    if !resource.reservations.is_empty() {
        let stack: Vec<Reservation> = resource
            .reservations
            .iter()
            .map(|info| match Type::try_from(info.r#type.unwrap_or(0)) {
                Ok(Type::Static) => Ok(Reservation::from_proto(info, ReservationKind::Static)),
                Ok(Type::Dynamic) => Ok(Reservation::from_proto(info, ReservationKind::Dynamic)),
                _ => Err("reservation type must be STATIC or DYNAMIC".to_owned()),
            })
            .collect::<Result<_, _>>()?;
        if stack.iter().any(|r| r.role.is_empty() || r.role == "*") {
            return Err("a reservation needs a role other than '*'".to_owned());
        }
        if resource.role.is_some() || resource.reservation.is_some() {
            if stack.len() != 1 {
                return Err("'role' and 'reservation' cannot be set with refined reservations".to_owned());
            }
            if resource.role.as_deref().is_some_and(|role| role != stack[0].role) {
                return Err("'role' does not match 'reservations'".to_owned());
            }
        }
        return Ok(stack);
    }
    match resource.role.as_deref() {
        None | Some("*") => {
            if resource.reservation.is_some() {
                return Err("'reservation' set on an unreserved resource".to_owned());
            }
            Ok(Vec::new())
        }
        Some(role) => Ok(vec![match &resource.reservation {
            None => Reservation::new_static(role),
            Some(info) => {
                Reservation { role: role.to_owned(), ..Reservation::from_proto(info, ReservationKind::Dynamic) }
            }
        }]),
    }
}

fn labels_from_proto(labels: Option<&v1::Labels>) -> Vec<(String, Option<String>)> {
    labels.map(|l| l.labels.iter().map(|label| (label.key.clone(), label.value.clone())).collect()).unwrap_or_default()
}

fn labels_to_proto(labels: &[(String, Option<String>)]) -> Option<v1::Labels> {
    (!labels.is_empty()).then(|| v1::Labels {
        labels: labels.iter().map(|(key, value)| v1::Label { key: key.clone(), value: value.clone() }).collect(),
    })
}
