//! SUBSCRIBE: new frameworks, re-subscription (failover) and disconnection.

use std::time::Duration;

use mesos_proto::v1::scheduler::{Event, call, event};
use mesos_proto::v1::{FrameworkId, FrameworkInfo};
use mesos_resources::role;

use crate::StreamId;
use crate::error::ApiError;
use crate::framework::{Capabilities, Connection, Framework, roles_of};
use crate::input::SchedulerSubscribe;
use crate::master::{Action, Master};

impl Master {
    /// Opens a subscription on `stream`, identified to the framework by
    /// `stream_id` (its `Mesos-Stream-Id`). Malformed calls are refused; an
    /// invalid FrameworkInfo is answered on the stream with an ERROR event
    /// followed by the end of the stream, as Mesos does.
    pub(crate) fn subscribe(
        &mut self,
        now: Duration,
        stream: StreamId,
        stream_id: String,
        subscribe: SchedulerSubscribe,
    ) -> Result<(), ApiError> {
        let mut info = subscribe.framework_info;
        self.counters.count_scheduler_call(call::Type::Subscribe);
        if let Err(message) = self.validate_framework_info(&info, &subscribe.suppressed_roles) {
            self.refuse_subscription(stream, message);
            return Ok(());
        }
        let connection = Connection { stream, stream_id };
        let id = match info.id.clone() {
            None => {
                let id = self.ids.next_framework();
                info.id = Some(id.clone());
                self.add_framework(id.clone(), info, subscribe.suppressed_roles, connection, now);
                id
            }
            Some(id) if self.removed_frameworks.contains(&id) => {
                self.refuse_subscription(stream, format!("Framework {} has been removed", id.value));
                return Ok(());
            }
            Some(id) if self.frameworks.contains_key(&id) => {
                if let Err(message) = self.check_immutable_fields(&id, &info) {
                    self.refuse_subscription(stream, message);
                    return Ok(());
                }
                self.resubscribe(&id, info, subscribe.suppressed_roles, connection, now);
                id
            }
            // A framework id this master never saw (for example after a
            // master failover, before its agents re-registered).
            Some(id) => {
                self.add_framework(id.clone(), info, subscribe.suppressed_roles, connection, now);
                id
            }
        };
        self.scheduler_streams.insert(stream, id.clone());
        let subscribed = Event {
            r#type: Some(event::Type::Subscribed as i32),
            subscribed: Some(event::Subscribed {
                framework_id: id.clone(),
                heartbeat_interval_seconds: Some(self.config.heartbeat_interval.as_secs_f64()),
                master_info: Some(self.config.info.clone()),
            }),
            ..Default::default()
        };
        self.actions.push(Action::ToFramework { stream, event: Box::new(subscribed) });
        self.allocation_wanted = true;
        Ok(())
    }

    /// The subscription stream `stream` closed.
    pub(crate) fn scheduler_disconnected(&mut self, now: Duration, stream: StreamId) {
        let Some(id) = self.scheduler_streams.remove(&stream) else {
            return;
        };
        let Some(framework) = self.frameworks.get_mut(&id) else {
            return;
        };
        if framework.connection.as_ref().map(|c| c.stream) != Some(stream) {
            return;
        }
        framework.connection = None;
        framework.active = false;
        framework.unregistered_time = Some(now);
        let timeout = framework.failover_timeout();
        framework.failover_deadline = Some(now + timeout);
        let offers: Vec<_> = framework.offers.iter().cloned().collect();
        self.allocator.deactivate_framework(&id);
        for offer in offers {
            self.discard_offer(&offer, None, now);
        }
        self.notify_framework_updated(&id);
        if timeout.is_zero() {
            self.remove_framework(&id, now);
        }
    }

    fn refuse_subscription(&mut self, stream: StreamId, message: String) {
        let error = Event {
            r#type: Some(event::Type::Error as i32),
            error: Some(event::Error { message }),
            ..Default::default()
        };
        self.actions.push(Action::ToFramework { stream, event: Box::new(error) });
        self.actions.push(Action::CloseFramework { stream });
    }

    /// Mesos's FrameworkInfo checks: role fields consistent with MULTI_ROLE,
    /// valid and whitelisted roles, suppressed roles among the roles.
    #[allow(deprecated)]
    pub(crate) fn validate_framework_info(&self, info: &FrameworkInfo, suppressed: &[String]) -> Result<(), String> {
        let caps = Capabilities::of(info);
        if caps.multi_role {
            if info.role.is_some() {
                return Err("'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable".into());
            }
        } else if !info.roles.is_empty() {
            return Err("'FrameworkInfo.roles' is set but the framework is not MULTI_ROLE capable".into());
        }
        let roles = roles_of(info);
        let mut seen = mesos_proto::collections::Set::default();
        for name in &roles {
            role::validate(name).map_err(|e| e.to_string())?;
            if !seen.insert(name) {
                return Err(format!("'FrameworkInfo.roles' contains duplicate role '{name}'"));
            }
            if let Some(whitelist) = &self.config.roles_whitelist
                && name != "*"
                && !whitelist.contains(name)
            {
                return Err(format!("Role '{name}' is not present in the master's --roles"));
            }
        }
        if let Some(id) = &info.id {
            crate::ids::validate("framework id", &id.value)?;
        }
        if let Some(name) = suppressed.iter().find(|r| !roles.contains(r)) {
            return Err(format!("Suppressed role '{name}' is not contained in the list of roles"));
        }
        if !info.failover_timeout().is_finite() || info.failover_timeout() < 0.0 {
            return Err("'FrameworkInfo.failover_timeout' must be a non-negative number".into());
        }
        Ok(())
    }

    /// A re-subscribing framework may not change who it is.
    pub(crate) fn check_immutable_fields(&self, id: &FrameworkId, info: &FrameworkInfo) -> Result<(), String> {
        let Some(existing) = self.frameworks.get(id) else {
            return Ok(());
        };
        if existing.recovered {
            return Ok(());
        }
        if existing.info.principal != info.principal {
            return Err("Changing framework's principal is not allowed".into());
        }
        if existing.info.user != info.user {
            return Err("Updating 'FrameworkInfo.user' is unsupported".into());
        }
        if existing.info.checkpoint() != info.checkpoint() {
            return Err("Updating 'FrameworkInfo.checkpoint' is unsupported".into());
        }
        Ok(())
    }

    fn add_framework(
        &mut self,
        id: FrameworkId,
        info: FrameworkInfo,
        suppressed: Vec<String>,
        connection: Connection,
        now: Duration,
    ) {
        let mut framework = Framework::new(id.clone(), info, now, self.hasher());
        framework.suppressed_roles = suppressed;
        framework.connection = Some(connection);
        framework.active = true;
        self.allocator.add_framework(&id, framework.allocator_spec(), &[], true);
        self.frameworks.insert(id.clone(), framework);
        self.counters.frameworks_added += 1;
        self.notify_framework_added(&id);
    }

    fn resubscribe(
        &mut self,
        id: &FrameworkId,
        info: FrameworkInfo,
        suppressed: Vec<String>,
        connection: Connection,
        now: Duration,
    ) {
        let Some(framework) = self.frameworks.get_mut(id) else {
            return;
        };
        // The previous connection, if any, learns it was replaced.
        if let Some(old) = framework.connection.take() {
            self.scheduler_streams.remove(&old.stream);
            let error = Event {
                r#type: Some(event::Type::Error as i32),
                error: Some(event::Error { message: "Framework failed over".into() }),
                ..Default::default()
            };
            self.actions.push(Action::ToFramework { stream: old.stream, event: Box::new(error) });
            self.actions.push(Action::CloseFramework { stream: old.stream });
        }
        framework.set_info(info);
        framework.suppressed_roles = suppressed;
        framework.connection = Some(connection);
        framework.active = true;
        framework.recovered = false;
        framework.failover_deadline = None;
        framework.reregistered_time = Some(now);
        let offers: Vec<_> = framework.offers.iter().cloned().collect();
        let spec = framework.allocator_spec();
        for offer in offers {
            self.discard_offer(&offer, None, now);
        }
        self.allocator.update_framework(id, spec);
        self.allocator.activate_framework(id);
        self.notify_framework_updated(id);
        self.send_framework_update(id);
    }
}
