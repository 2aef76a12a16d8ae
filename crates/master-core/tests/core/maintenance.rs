//! Maintenance through the core: a schedule puts an agent's machine in
//! DRAINING, its frameworks get inverse offers and answer them, machines go
//! down and come up, and agents are drained, deactivated and reactivated;
//! every change is stored in the registry first.

use std::time::Duration;

use mesos_proto::internal::agent_event;
use mesos_proto::v1::allocator::inverse_offer_status;
use mesos_proto::v1::maintenance::{Schedule, Window};
use mesos_proto::v1::master::event as operator_event;
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{DrainState, Filters, MachineId, TaskState, TimeInfo, Unavailability};

use mesos_master_core::input::OperatorCall;

use crate::harness::{Harness, TestAgent};

fn machine(agent: &TestAgent) -> MachineId {
    MachineId { hostname: Some(format!("host-{}", agent.stream.0)), ip: None }
}

fn schedule(machines: Vec<MachineId>, start: Duration) -> Schedule {
    Schedule {
        windows: vec![Window {
            machine_ids: machines,
            unavailability: Unavailability {
                start: TimeInfo { nanoseconds: start.as_nanos() as i64 },
                duration: Some(mesos_proto::v1::DurationInfo { nanoseconds: 3_600_000_000_000 }),
            },
        }],
    }
}

#[test]
fn a_draining_machine_brings_inverse_offers_and_the_answers_are_reported() {
    let mut h = Harness::new();
    let (agent, fw) = h.running_task("t1", &[], |_| {});
    h.framework_events(&fw);

    let start = h.now + Duration::from_secs(3600);
    h.operator_call(OperatorCall::UpdateMaintenanceSchedule(schedule(vec![machine(&agent)], start))).expect("schedule");
    assert_eq!(h.master.maintenance_schedule().windows.len(), 1);
    assert!(h.master.registry().schedule.is_some(), "the schedule is stored");
    let status = h.master.maintenance_status();
    assert_eq!(status.draining_machines.len(), 1);
    assert_eq!(status.draining_machines[0].id, machine(&agent));

    // The next cycle asks the framework for its resources back, and offers
    // from the agent say when it goes away.
    h.allocate();
    let events = h.framework_events(&fw);
    let inverse = events.iter().find_map(|e| e.inverse_offers.clone()).expect("INVERSE_OFFERS").inverse_offers;
    assert_eq!(inverse.len(), 1);
    assert_eq!(inverse[0].agent_id.as_ref(), Some(&agent.id));
    assert_eq!(inverse[0].unavailability.start.nanoseconds, start.as_nanos() as i64);
    let offers: Vec<_> = events.iter().filter_map(|e| e.offers.clone()).flat_map(|o| o.offers).collect();
    assert!(offers.iter().all(|o| o.unavailability.is_some()), "{offers:?}");
    assert_eq!(h.master.get_frameworks().frameworks[0].inverse_offers.len(), 1);

    // Asked once only.
    h.allocate();
    assert!(h.framework_events(&fw).iter().all(|e| e.inverse_offers.is_none()));

    // A decline with a filter, then the same framework is asked again after it.
    let decline = Call {
        r#type: Some(call::Type::DeclineInverseOffers as i32),
        decline_inverse_offers: Some(call::DeclineInverseOffers {
            inverse_offer_ids: vec![inverse[0].id.clone()],
            filters: Some(Filters { refuse_seconds: Some(10.0) }),
        }),
        ..Default::default()
    };
    h.call(&fw, decline).expect("decline");
    let statuses = &h.master.maintenance_status().draining_machines[0].statuses;
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].status, inverse_offer_status::Status::Decline as i32);
    assert_eq!(statuses[0].framework_id, fw.id);
    h.allocate();
    assert!(h.framework_events(&fw).iter().all(|e| e.inverse_offers.is_none()), "filtered for 10 s");
    h.advance(Duration::from_secs(11));
    h.allocate();
    let again = h.framework_events(&fw).into_iter().find_map(|e| e.inverse_offers).expect("asked again").inverse_offers;
    let accept = Call {
        r#type: Some(call::Type::AcceptInverseOffers as i32),
        accept_inverse_offers: Some(call::AcceptInverseOffers {
            inverse_offer_ids: vec![again[0].id.clone()],
            filters: None,
        }),
        ..Default::default()
    };
    h.call(&fw, accept).expect("accept");
    let statuses = &h.master.maintenance_status().draining_machines[0].statuses;
    assert_eq!(statuses[0].status, inverse_offer_status::Status::Accept as i32);

    // Cancelling the schedule brings the machine back up.
    h.operator_call(OperatorCall::UpdateMaintenanceSchedule(Schedule::default())).expect("cancel");
    assert!(h.master.maintenance_status().draining_machines.is_empty());
    assert!(h.master.registry().machines.is_empty());
}

#[test]
fn machines_go_down_and_come_back_up() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let down = machine(&agent);
    let operator = h.subscribe_operator();
    h.operator_stream(operator);

    assert!(h.operator_call(OperatorCall::StartMaintenance(vec![down.clone()])).is_err(), "not scheduled");
    h.operator_call(OperatorCall::UpdateMaintenanceSchedule(schedule(vec![down.clone()], h.now))).expect("schedule");
    h.operator_call(OperatorCall::StartMaintenance(vec![down.clone()])).expect("down");
    assert!(h.agent_events(&agent).iter().any(|e| e.r#type == Some(agent_event::Type::Shutdown as i32)));
    assert!(h.master.agent(&agent.id).is_none(), "the agent is removed");
    assert!(h.operator_events().iter().any(|e| e.r#type == Some(operator_event::Type::AgentRemoved as i32)));
    assert_eq!(h.master.maintenance_status().down_machines, vec![down.clone()]);

    // A down machine stays scheduled; it may not be brought up twice.
    assert!(h.operator_call(OperatorCall::UpdateMaintenanceSchedule(Schedule::default())).is_err());
    assert!(h.operator_call(OperatorCall::StartMaintenance(vec![down.clone()])).is_err());

    h.operator_call(OperatorCall::StopMaintenance(vec![down.clone()])).expect("up");
    assert!(h.master.maintenance_status().down_machines.is_empty());
    assert!(h.master.maintenance_schedule().windows.is_empty());
    assert!(h.operator_call(OperatorCall::StopMaintenance(vec![down.clone()])).is_err(), "not down");
}

#[test]
fn an_agent_taken_down_that_missed_its_shutdown_may_not_come_back_with_its_tasks() {
    let mut h = Harness::new();
    let (mut agent, fw) = h.running_task("t", &[], |info| info.checkpoint = Some(true));
    let down = machine(&agent);
    let task = h.master.framework(&fw.id).unwrap().tasks.values().next().unwrap().record.as_ref().clone();
    let framework_info = h.master.framework(&fw.id).unwrap().info.clone();
    h.operator_call(OperatorCall::UpdateMaintenanceSchedule(schedule(vec![down.clone()], h.now))).expect("schedule");
    h.operator_call(OperatorCall::StartMaintenance(vec![down.clone()])).expect("down");
    h.operator_call(OperatorCall::StopMaintenance(vec![down])).expect("up");
    assert!(h.updates(&fw).iter().any(|u| u.state == TaskState::TaskLost as i32));
    // The agent never heard its SHUTDOWN and comes back with its task.
    h.reregister_agent(&mut agent, vec![task], vec![framework_info]).expect("answered on the stream");
    assert!(h.agent_closed(&agent));
    let events = h.agent_events(&agent);
    assert!(events.iter().any(|e| e.r#type == Some(agent_event::Type::Shutdown as i32)), "{events:?}");
    assert!(h.master.agent(&agent.id).is_none());
    assert!(h.master.framework(&fw.id).unwrap().tasks.is_empty(), "its task stays gone");
}

#[test]
fn schedules_are_validated() {
    let mut h = Harness::new();
    let a = MachineId { hostname: Some("a".into()), ip: None };
    let empty =
        Schedule { windows: vec![Window { machine_ids: vec![], ..schedule(vec![], h.now).windows[0].clone() }] };
    assert!(h.operator_call(OperatorCall::UpdateMaintenanceSchedule(empty)).is_err());
    let mut twice = schedule(vec![a.clone()], h.now);
    twice.windows.push(twice.windows[0].clone());
    assert!(h.operator_call(OperatorCall::UpdateMaintenanceSchedule(twice)).is_err());
    let nameless = schedule(vec![MachineId::default()], h.now);
    assert!(h.operator_call(OperatorCall::UpdateMaintenanceSchedule(nameless)).is_err());
    let bad_ip = schedule(vec![MachineId { hostname: None, ip: Some("not-an-ip".into()) }], h.now);
    assert!(h.operator_call(OperatorCall::UpdateMaintenanceSchedule(bad_ip)).is_err());
    assert!(h.master.registry().schedule.is_none(), "nothing refused is stored");
}

#[test]
fn a_drained_agent_has_its_tasks_killed_and_can_be_marked_gone() {
    let mut h = Harness::new();
    let (agent, fw) = h.running_task("t1", &[], |_| {});
    h.agent_events(&agent);

    h.operator_call(OperatorCall::DrainAgent {
        agent_id: agent.id.clone(),
        max_grace_period: Some(Duration::from_secs(2)),
        mark_gone: true,
    })
    .expect("drain");
    let kill = h.agent_events(&agent).into_iter().find_map(|e| e.kill_task).expect("the task is killed");
    assert_eq!(kill.task_id.value, "t1");
    assert_eq!(kill.kill_policy.and_then(|p| p.grace_period).map(|g| g.nanoseconds), Some(2_000_000_000));
    let record = h.master.agent(&agent.id).unwrap();
    assert!(!record.active);
    assert_eq!(record.drain_info.map(|d| d.state), Some(DrainState::Draining as i32));
    assert!(h.master.registry().agents[&agent.id.value].deactivated == Some(true), "stored");
    assert!(
        h.operator_call(OperatorCall::DrainAgent {
            agent_id: agent.id.clone(),
            max_grace_period: None,
            mark_gone: false
        })
        .is_err(),
        "already draining"
    );

    // No offers from a draining agent.
    h.agent_update(&agent, &fw, "t1", TaskState::TaskKilled, 2);
    h.allocate();
    assert!(h.offers(&fw).is_empty());
    // The last task ended: drained, then gone as asked.
    assert!(h.master.registry().is_gone(&agent.id), "marked gone once drained");
}

#[test]
fn deactivated_agents_get_no_offers_until_reactivated() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    assert!(h.operator_call(OperatorCall::ReactivateAgent(agent.id.clone())).is_err(), "not deactivated");
    h.operator_call(OperatorCall::DeactivateAgent(agent.id.clone())).expect("deactivate");
    h.allocate();
    assert!(h.offers(&fw).is_empty());
    assert_eq!(h.master.get_agents().agents[0].deactivated, Some(true));
    h.operator_call(OperatorCall::ReactivateAgent(agent.id.clone())).expect("reactivate");
    h.allocate();
    assert_eq!(h.offers(&fw).len(), 1);
    let unknown = mesos_proto::v1::AgentId { value: "nope".into() };
    assert!(h.operator_call(OperatorCall::DeactivateAgent(unknown.clone())).is_err());
}
