//! What the simulated operator does during the faults, through the
//! master's one door (`Input::Operator`, `Input::Query`, the event
//! stream): reserves and unreserves resources for the reserved role,
//! creates and destroys persistent volumes on them, schedules maintenance,
//! takes machines down (they are powered off and wiped) and brings them
//! up, drains, deactivates and reactivates agents, changes weights and
//! quota, marks an agent gone now and then, kills tasks, tears down
//! frameworks whose schedulers are gone for good, subscribes to the event
//! stream and closes it, and asks for the state, checking each answer
//! against the master's own accessors. Before the end, it undoes what
//! would keep agents out of the cluster.

use std::time::Duration;

use mesos_master_core::input::{OperatorCall, Query, View};
use mesos_master_core::{Input, Reply};
use mesos_proto::v1::maintenance::{Schedule, Window};
use mesos_proto::v1::master::response;
use mesos_proto::v1::quota::QuotaConfig;
use mesos_proto::v1::{AgentId, DurationInfo, MachineId, TimeInfo, Unavailability, value};
use mesos_resources::{Reservation, Resource, ResourceFormat, Resources};
use rand::Rng;

use super::{Endpoint, Event, World};
use crate::framework::RESERVED_ROLE;
use crate::invariants::queries;

/// The machine agent `index` runs on.
pub fn machine(index: usize) -> MachineId {
    MachineId { hostname: Some(format!("agent-{index}")), ip: Some("10.0.0.1".into()) }
}

/// The index of the simulated agent on a machine.
fn agent_on(machine: &MachineId) -> Option<usize> {
    machine.hostname.as_deref()?.strip_prefix("agent-")?.parse().ok()
}

fn reserved(name: &str, amount: f64) -> Resource {
    Resource::scalar(name, amount).reserved(Reservation::new_dynamic(RESERVED_ROLE, Some("operator".into())))
}

impl World {
    /// Asks the master for a change; a refusal is noted, not a failure.
    fn operator_call(&mut self, call: OperatorCall) -> bool {
        self.operator.calls += 1;
        let kind = call.kind();
        if self.trace {
            eprintln!("    the operator asks for {call:?}");
        }
        match self.master_input(Input::Operator(call)) {
            Ok(_) => true,
            Err(error) => {
                self.operator.refused += 1;
                if self.trace {
                    eprintln!("    the master refused the operator's {kind}: {}", error.message);
                }
                false
            }
        }
    }

    /// A registered agent picked at random, among those `keep` accepts.
    fn pick_agent(&mut self, keep: impl Fn(&mesos_master_core::Agent) -> bool) -> Option<AgentId> {
        let agents: Vec<AgentId> = self.master.agents().filter(|a| keep(a)).map(|a| a.id.clone()).collect();
        (!agents.is_empty()).then(|| agents[self.rng.random_range(0..agents.len())].clone())
    }

    pub(super) fn operator_move(&mut self) {
        if !self.faults_enabled {
            return;
        }
        let next = self.operator_delay();
        self.schedule(next, Event::Operator);
        self.power_on_machines();
        self.tear_down_orphans();
        match self.rng.random_range(0..100) {
            0..8 => self.reserve(),
            8..13 => self.unreserve(),
            13..23 => self.create_volume(),
            23..30 => self.destroy_volume(),
            30..36 => self.schedule_maintenance(),
            36..41 => self.start_maintenance(),
            41..46 => self.stop_maintenance(),
            46..49 => self.unschedule_maintenance(),
            49..54 => self.drain(),
            54..58 => self.deactivate(),
            58..65 => self.reactivate(),
            65..69 => self.update_weights(),
            69..74 => self.update_quota(),
            74..77 => self.mark_gone(),
            77..81 => self.kill_task(),
            81..88 => self.toggle_subscription(),
            _ => self.query(),
        }
    }

    // -----------------------------------------------------------------------
    // Reservations and volumes.

    fn reserve(&mut self) {
        let Some(agent) = self.pick_agent(|a| a.connected() && a.total.reserved_to(RESERVED_ROLE).is_empty()) else {
            return;
        };
        // Disk for volumes and some memory; CPUs too when tasks leave some.
        let (total, used) =
            self.master.agent(&agent).map(|a| (a.total.unreserved(), a.used_total())).unwrap_or_default();
        let spare_cpus = total.cpus().as_f64() - used.unallocated().unreserved().cpus().as_f64();
        let mut wanted: Resources = [reserved("mem", 64.0), reserved("disk", 256.0)].into_iter().collect();
        if spare_cpus >= 0.5 {
            wanted.add_resource(reserved("cpus", 0.5));
        }
        let resources = wanted.to_proto(ResourceFormat::PostRefinement);
        self.operator_call(OperatorCall::ReserveResources { agent_id: agent, source: Vec::new(), resources });
    }

    fn unreserve(&mut self) {
        let Some(agent) = self.pick_agent(|a| !a.total.reserved_to(RESERVED_ROLE).is_empty()) else { return };
        let total = self.master.agent(&agent).map(|a| a.total.clone()).unwrap_or_default();
        let plain = total.reserved_to(RESERVED_ROLE).filter(|r| !r.is_persistent_volume());
        if plain.is_empty() {
            return;
        }
        let resources = plain.to_proto(ResourceFormat::PostRefinement);
        self.operator_call(OperatorCall::UnreserveResources { agent_id: agent, resources });
    }

    fn create_volume(&mut self) {
        let has_disk = |a: &mesos_master_core::Agent| {
            a.total.reserved_to(RESERVED_ROLE).filter(|r| r.name == "disk" && r.disk.is_none()).disk().as_f64() >= 64.0
        };
        let Some(agent) = self.pick_agent(has_disk) else { return };
        self.operator.volumes += 1;
        let mut volume = reserved("disk", 64.0);
        volume.disk = Some(mesos_proto::v1::resource::DiskInfo {
            persistence: Some(mesos_proto::v1::resource::disk_info::Persistence {
                id: format!("volume-{}", self.operator.volumes),
                principal: Some("operator".into()),
            }),
            volume: Some(mesos_proto::v1::Volume {
                container_path: "data".into(),
                mode: mesos_proto::v1::volume::Mode::Rw as i32,
                ..Default::default()
            }),
            source: None,
        });
        let volumes = Resources::from_iter([volume]).to_proto(ResourceFormat::PostRefinement);
        self.operator_call(OperatorCall::CreateVolumes { agent_id: agent, volumes });
    }

    fn destroy_volume(&mut self) {
        let Some(agent) = self.pick_agent(|a| a.total.iter().any(Resource::is_persistent_volume)) else { return };
        let total = self.master.agent(&agent).map(|a| a.total.clone()).unwrap_or_default();
        let Some(volume) = total.iter().find(|r| r.is_persistent_volume()).cloned() else { return };
        let volumes = Resources::from_iter([volume]).to_proto(ResourceFormat::PostRefinement);
        self.operator_call(OperatorCall::DestroyVolumes { agent_id: agent, volumes });
    }

    // -----------------------------------------------------------------------
    // Maintenance.

    fn schedule_maintenance(&mut self) {
        let mut schedule = self.master.maintenance_schedule();
        let scheduled = |index: usize| schedule.windows.iter().any(|w| w.machine_ids.contains(&machine(index)));
        let candidates: Vec<usize> = (0..self.agents.len()).filter(|i| !scheduled(*i)).collect();
        if candidates.is_empty() {
            return;
        }
        let index = candidates[self.rng.random_range(0..candidates.len())];
        let start = self.now + Duration::from_secs(self.rng.random_range(5..30));
        let unavailability = Unavailability {
            start: TimeInfo { nanoseconds: start.as_nanos() as i64 },
            duration: Some(DurationInfo { nanoseconds: Duration::from_secs(60).as_nanos() as i64 }),
        };
        schedule.windows.push(Window { machine_ids: vec![machine(index)], unavailability });
        self.operator_call(OperatorCall::UpdateMaintenanceSchedule(schedule));
    }

    fn unschedule_maintenance(&mut self) {
        let mut schedule = self.master.maintenance_schedule();
        let down = self.master.maintenance_status().down_machines;
        let draining: Vec<MachineId> =
            schedule.windows.iter().flat_map(|w| w.machine_ids.iter()).filter(|m| !down.contains(m)).cloned().collect();
        if draining.is_empty() {
            return;
        }
        let gone = draining[self.rng.random_range(0..draining.len())].clone();
        for window in &mut schedule.windows {
            window.machine_ids.retain(|m| *m != gone);
        }
        schedule.windows.retain(|w| !w.machine_ids.is_empty());
        self.operator_call(OperatorCall::UpdateMaintenanceSchedule(schedule));
    }

    /// A draining machine goes down: its agent is shut down, and the
    /// machine is powered off a little later.
    fn start_maintenance(&mut self) {
        let draining: Vec<MachineId> =
            self.master.maintenance_status().draining_machines.into_iter().map(|m| m.id).collect();
        if draining.is_empty() {
            return;
        }
        let target = draining[self.rng.random_range(0..draining.len())].clone();
        if self.operator_call(OperatorCall::StartMaintenance(vec![target.clone()]))
            && let Some(index) = agent_on(&target)
        {
            self.operator.down_since.insert(index, self.now);
            let off = Duration::from_millis(self.rng.random_range(500..3_000));
            self.schedule(off, Event::MachineOff(index));
        }
    }

    /// A machine that is down comes back up.
    fn stop_maintenance(&mut self) {
        let down = self.master.maintenance_status().down_machines;
        let long_enough: Vec<MachineId> = down
            .into_iter()
            .filter(|m| {
                agent_on(m)
                    .and_then(|i| self.operator.down_since.get(&i))
                    .is_none_or(|since| self.now >= *since + Duration::from_secs(10))
            })
            .collect();
        if long_enough.is_empty() {
            return;
        }
        let target = long_enough[self.rng.random_range(0..long_enough.len())].clone();
        if self.operator_call(OperatorCall::StopMaintenance(vec![target.clone()]))
            && let Some(index) = agent_on(&target)
        {
            self.power_on(index);
        }
    }

    /// Machines off for a while are powered on again, whether or not
    /// maintenance is over (their agent is refused until it is).
    fn power_on_machines(&mut self) {
        let due: Vec<usize> = self
            .operator
            .down_since
            .iter()
            .filter(|(_, since)| self.now >= **since + Duration::from_secs(5))
            .map(|(index, _)| *index)
            .collect();
        for index in due {
            if self.agents[index].machine_off && self.rng.random_bool(0.5) {
                self.power_on(index);
            }
        }
    }

    fn power_on(&mut self, index: usize) {
        self.operator.down_since.remove(&index);
        if self.agents[index].machine_off {
            self.agents[index].machine_off = false;
            self.fault(format!("the machine of agent {index} is powered on"));
            self.schedule(Duration::from_millis(500), Event::AgentRestart(index));
        }
    }

    // -----------------------------------------------------------------------
    // Agents.

    fn drain(&mut self) {
        let Some(agent) = self.pick_agent(|a| a.drain_info.is_none()) else { return };
        let max_grace_period = Some(Duration::from_secs(self.rng.random_range(1..5)));
        let mark_gone = self.rng.random_bool(0.1);
        self.operator_call(OperatorCall::DrainAgent { agent_id: agent, max_grace_period, mark_gone });
    }

    fn deactivate(&mut self) {
        if let Some(agent) = self.pick_agent(|a| a.active) {
            self.operator_call(OperatorCall::DeactivateAgent(agent));
        }
    }

    fn reactivate(&mut self) {
        if let Some(agent) = self.pick_agent(|a| !a.active || a.drain_info.is_some()) {
            self.operator_call(OperatorCall::ReactivateAgent(agent));
        }
    }

    /// Rarely: an agent (registered or unreachable) will never come back.
    fn mark_gone(&mut self) {
        if !self.rng.random_bool(0.6) {
            return;
        }
        let mut known: Vec<AgentId> = self.master.agents().map(|a| a.id.clone()).collect();
        known.extend(self.master.unreachable_agents().map(|(id, _)| id));
        if known.is_empty() {
            return;
        }
        let agent = known[self.rng.random_range(0..known.len())].clone();
        self.fault(format!("the operator marks agent {} gone", agent.value));
        self.operator_call(OperatorCall::MarkAgentGone(agent));
    }

    // -----------------------------------------------------------------------
    // Roles, tasks, frameworks.

    fn update_weights(&mut self) {
        let weight = self.rng.random_range(1..4) as f64;
        self.operator_call(OperatorCall::UpdateWeights(vec![(RESERVED_ROLE.to_owned(), weight)]));
    }

    fn update_quota(&mut self) {
        let has_quota = self.master.quota_configs().any(|c| c.role == RESERVED_ROLE);
        if has_quota && self.rng.random_bool(0.5) {
            self.operator_call(OperatorCall::RemoveQuota { role: RESERVED_ROLE.to_owned() });
            return;
        }
        let cpus = self.rng.random_range(1..3) as f64;
        let scalars = |cpus: f64, mem: f64| {
            [("cpus".to_owned(), value::Scalar { value: cpus }), ("mem".to_owned(), value::Scalar { value: mem })]
                .into_iter()
                .collect()
        };
        let config = QuotaConfig {
            role: RESERVED_ROLE.to_owned(),
            guarantees: scalars(cpus / 2.0, 128.0),
            limits: scalars(cpus, 512.0),
        };
        self.operator_call(OperatorCall::UpdateQuota { configs: vec![config], force: false });
    }

    fn kill_task(&mut self) {
        let live: Vec<(mesos_proto::v1::FrameworkId, mesos_proto::v1::TaskId)> = self
            .master
            .frameworks()
            .flat_map(|f| {
                f.tasks.values().filter(|t| !t.is_terminal()).map(|t| (f.id.clone(), t.record.task_id.clone()))
            })
            .collect();
        if live.is_empty() {
            return;
        }
        let (framework_id, task_id) = live[self.rng.random_range(0..live.len())].clone();
        self.operator_call(OperatorCall::KillTask { framework_id, task_id });
    }

    /// Frameworks whose scheduler is gone for good but that a master still
    /// knows (it recovered them from an agent after a failover) are torn
    /// down.
    fn tear_down_orphans(&mut self) {
        let orphans: Vec<mesos_proto::v1::FrameworkId> = self
            .frameworks
            .iter()
            .filter(|f| f.finished)
            .filter_map(|f| f.id.clone())
            .filter(|id| self.master.framework(id).is_some())
            .collect();
        for id in orphans {
            self.fault(format!("the operator tears down orphaned framework {}", id.value));
            self.operator_call(OperatorCall::Teardown(id));
        }
    }

    // -----------------------------------------------------------------------
    // The event stream and queries.

    fn subscribe_operator(&mut self) {
        let (stream, _) = self.new_stream();
        self.streams.insert(stream, Endpoint::Operator);
        self.operator.subscriptions.insert(stream, Default::default());
        let _ = self.master_input(Input::OperatorSubscribe { stream });
    }

    fn toggle_subscription(&mut self) {
        let open = self.operator.open_streams();
        if open.len() < 2 && (open.is_empty() || self.rng.random_bool(0.5)) {
            self.subscribe_operator();
            return;
        }
        let stream = open[self.rng.random_range(0..open.len())];
        self.streams.remove(&stream);
        self.operator.closed(stream);
        let _ = self.master_input(Input::OperatorClosed { stream });
    }

    /// Asks for the state and checks the answer against the master's own
    /// accessors.
    fn query(&mut self) {
        let query = match self.rng.random_range(0..4) {
            0 => Query::Operator(response::Type::GetState),
            1 => Query::State(Box::default()),
            2 => Query::Operator(response::Type::GetMaintenanceStatus),
            _ => Query::Operator(response::Type::GetAgents),
        };
        self.operator.queries += 1;
        let answer = match self.master_input(Input::Query(query)) {
            Ok(Reply::View(view)) => view,
            other => {
                self.violation.get_or_insert(format!("a query was not answered with a view: {other:?}"));
                return;
            }
        };
        let checked = match &answer {
            View::Response(response) => queries::check_response(&self.master, response),
            View::Json(state) => queries::check_state(&self.master, state),
            _ => Ok(()),
        };
        if let Err(message) = checked {
            self.violation.get_or_insert(message);
        }
    }

    // -----------------------------------------------------------------------
    // Before the end.

    /// Undoes what would keep agents out of the cluster or idle (machines
    /// down or scheduled, agents deactivated or draining), tears down
    /// orphans, and keeps one event-stream subscription open to compare
    /// with the master at the end. Runs again until nothing is left.
    pub(super) fn operator_restore(&mut self) {
        self.schedule(Duration::from_secs(1), Event::OperatorRestore);
        let down = self.master.maintenance_status().down_machines;
        if !down.is_empty() {
            self.operator_call(OperatorCall::StopMaintenance(down.clone()));
            for machine in &down {
                if let Some(index) = agent_on(machine) {
                    self.power_on(index);
                }
            }
        } else if !self.master.maintenance_schedule().windows.is_empty() {
            self.operator_call(OperatorCall::UpdateMaintenanceSchedule(Schedule::default()));
        }
        let blocked: Vec<AgentId> =
            self.master.agents().filter(|a| !a.active || a.drain_info.is_some()).map(|a| a.id.clone()).collect();
        for agent in blocked {
            self.operator_call(OperatorCall::ReactivateAgent(agent));
        }
        self.tear_down_orphans();
        if self.operator.subscriptions.is_empty() {
            self.subscribe_operator();
        }
    }
}
