//! Validating the RESERVE, UNRESERVE, CREATE and DESTROY operations of an
//! ACCEPT: each turns some offered resources into others in place (a
//! [`Conversion`]), which later operations of the same call may use.
//!
//! As Mesos checks them: RESERVE makes a dynamic reservation to the offer's
//! role (refining an existing reservation to a child role needs the
//! RESERVATION_REFINEMENT capability); UNRESERVE removes the top dynamic
//! reservation; CREATE makes persistent volumes on reserved disk, with a
//! persistence id unique on the agent; DESTROY removes volumes no task
//! uses.

use mesos_proto::v1::{self, offer::operation};
use mesos_resources::{Resource, Resources, role};

use super::launch::{LaunchContext, LaunchError};

/// Resources turned into others by an operation. Both sides carry the
/// offer's allocation role (operator calls use unallocated resources).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conversion {
    pub from: Resources,
    pub to: Resources,
}

fn invalid(message: impl Into<String>) -> LaunchError {
    LaunchError { task: None, message: message.into(), duplicate: false }
}

impl LaunchContext<'_> {
    pub fn reserve(&mut self, reserve: &operation::Reserve) -> Result<Conversion, LaunchError> {
        let wanted = self.offered_form(&reserve.resources, "RESERVE")?;
        for resource in wanted.iter() {
            check_reservation(resource, self.role, self.framework.capabilities.reservation_refinement)
                .map_err(|reason| invalid(format!("Invalid RESERVE operation: {reason}")))?;
        }
        let from = if reserve.source.is_empty() {
            wanted.iter().map(Resource::popped).collect()
        } else {
            let source = self.offered_form(&reserve.source, "RESERVE")?;
            if source.unallocated().scalar_quantities() != wanted.unallocated().scalar_quantities() {
                return Err(invalid("Invalid RESERVE operation: 'source' and 'resources' must be the same amounts"));
            }
            source
        };
        self.convert("RESERVE", from, wanted)
    }

    pub fn unreserve(&mut self, unreserve: &operation::Unreserve) -> Result<Conversion, LaunchError> {
        let from = self.offered_form(&unreserve.resources, "UNRESERVE")?;
        for resource in from.iter() {
            check_unreservation(resource)
                .map_err(|reason| invalid(format!("Invalid UNRESERVE operation: {reason}")))?;
        }
        let to = from.iter().map(Resource::popped).collect();
        self.convert("UNRESERVE", from, to)
    }

    pub fn create(&mut self, create: &operation::Create) -> Result<Conversion, LaunchError> {
        let volumes = self.offered_form(&create.volumes, "CREATE")?;
        for volume in volumes.iter() {
            check_new_volume(volume).map_err(|reason| invalid(format!("Invalid CREATE operation: {reason}")))?;
            let id = persistence_id(volume);
            let taken = self
                .remaining
                .iter()
                .chain(self.agent.total.iter())
                .any(|r| persistence_id(r) == id && r.reservation_role() == volume.reservation_role());
            if taken {
                return Err(invalid(format!("Invalid CREATE operation: persistence id '{id}' is already in use")));
            }
        }
        let from = volumes.iter().map(Resource::without_volume).collect();
        self.convert("CREATE", from, volumes)
    }

    pub fn destroy(&mut self, destroy: &operation::Destroy) -> Result<Conversion, LaunchError> {
        let volumes = self.offered_form(&destroy.volumes, "DESTROY")?;
        let in_use = self.agent.used_total().unallocated();
        for volume in volumes.iter() {
            if !volume.is_persistent_volume() {
                return Err(invalid(format!("Invalid DESTROY operation: {volume} is not a persistent volume")));
            }
            if in_use.contains_resource(&unallocated(volume)) {
                return Err(invalid(format!(
                    "Invalid DESTROY operation: persistent volume '{}' is in use by a task",
                    persistence_id(volume)
                )));
            }
        }
        let to = volumes.iter().map(Resource::without_volume).collect();
        self.convert("DESTROY", volumes, to)
    }

    /// Parses an operation's resources, allocated to the offer's role.
    fn offered_form(&self, wire: &[v1::Resource], what: &str) -> Result<Resources, LaunchError> {
        if wire.is_empty() {
            return Err(invalid(format!("Invalid {what} operation: no resources given")));
        }
        let parsed = Resources::from_proto(wire)
            .map_err(|error| invalid(format!("Invalid {what} operation: invalid resources: {error}")))?;
        if let Some(other) = parsed.allocation_roles().into_iter().find(|r| *r != self.role) {
            return Err(invalid(format!(
                "Invalid {what} operation: resources are allocated to role '{other}' but the offers are for role '{}'",
                self.role
            )));
        }
        Ok(parsed.unallocated().allocated_to(self.role))
    }

    /// Takes `from` out of what is left of the offers and puts `to` in.
    fn convert(&mut self, what: &str, from: Resources, to: Resources) -> Result<Conversion, LaunchError> {
        let rest = self.remaining.checked_minus(&from).ok_or_else(|| {
            invalid(format!(
                "Invalid {what} operation: {} is not available in the offers ({} left)",
                from.unallocated(),
                self.remaining.unallocated()
            ))
        })?;
        self.remaining = rest.plus(&to);
        Ok(Conversion { from, to })
    }
}

/// RESERVE: a dynamic reservation on top, to the offer's role; a refinement
/// (a reservation on top of another) needs the capability and a child role.
pub(crate) fn check_reservation(resource: &Resource, offer_role: &str, refinement: bool) -> Result<(), String> {
    if !resource.is_dynamically_reserved() {
        return Err(format!("{resource} is not dynamically reserved"));
    }
    if resource.revocable {
        return Err(format!("{resource} is revocable and cannot be reserved"));
    }
    if resource.is_persistent_volume() {
        return Err(format!("{resource} is a persistent volume and cannot be reserved"));
    }
    let top = resource.reservation_role().unwrap_or_default();
    if !offer_role.is_empty() && top != offer_role {
        return Err(format!("the reservation's role '{top}' is not the offer's role '{offer_role}'"));
    }
    if let [.., below, _] = resource.reservations.as_slice() {
        if !refinement {
            return Err("refining a reservation needs the RESERVATION_REFINEMENT capability".into());
        }
        if !role::is_strict_subrole(top, &below.role) {
            return Err(format!(
                "'{top}' does not refine the reservation to '{}': it must be a child role",
                below.role
            ));
        }
    }
    Ok(())
}

/// UNRESERVE: the top reservation must be dynamic, and no volume on it.
pub(crate) fn check_unreservation(resource: &Resource) -> Result<(), String> {
    if !resource.is_dynamically_reserved() {
        return Err(format!("{resource} is not dynamically reserved"));
    }
    if resource.is_persistent_volume() {
        return Err(format!("{resource} holds a persistent volume; destroy it first"));
    }
    Ok(())
}

/// CREATE: a reserved disk with a persistence id and a read-write volume.
pub(crate) fn check_new_volume(volume: &Resource) -> Result<(), String> {
    if volume.name != "disk" {
        return Err(format!("{volume} is not a disk resource"));
    }
    let Some(disk) = volume.disk.as_ref().filter(|d| d.persistence.is_some()) else {
        return Err(format!("{volume} has no persistence id"));
    };
    if persistence_id(volume).is_empty() {
        return Err("the persistence id must not be empty".into());
    }
    let Some(mount) = disk.volume.as_ref() else {
        return Err(format!("{volume} has no volume information"));
    };
    if mount.container_path.is_empty() {
        return Err("the volume's container path must not be empty".into());
    }
    if mount.mode != v1::volume::Mode::Rw as i32 {
        return Err("persistent volumes must be read-write (mode RW)".into());
    }
    if volume.is_unreserved() {
        return Err("persistent volumes cannot be created from unreserved resources".into());
    }
    if volume.revocable {
        return Err("persistent volumes cannot be created from revocable resources".into());
    }
    Ok(())
}

pub(crate) fn persistence_id(resource: &Resource) -> &str {
    resource.disk.as_ref().and_then(|d| d.persistence.as_ref()).map_or("", |p| p.id.as_str())
}

fn unallocated(resource: &Resource) -> Resource {
    let mut resource = resource.clone();
    resource.allocation_role = None;
    resource
}
