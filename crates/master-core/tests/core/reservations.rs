//! Dynamic reservations and persistent volumes: made and removed by offer
//! operations and by the operator, offered only to their role, sent to the
//! agent to keep, and rebuilt from what a re-registering agent reports.

use mesos_master_core::input::OperatorCall;
use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::framework_info::capability;
use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::resource::{DiskInfo, disk_info};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{self, CommandInfo, Offer, TaskId, TaskInfo, Volume};
use mesos_resources::{Reservation, Resource, ResourceFormat, Resources, Scalar};

use crate::harness::{Harness, TestAgent, TestFramework};

fn in_role(h: &mut Harness, name: &str, role: &str, capabilities: &[capability::Type]) -> TestFramework {
    let role = role.to_owned();
    h.subscribe_with(name, capabilities, move |info| {
        info.roles = vec![role];
        info.capabilities.push(v1::framework_info::Capability { r#type: Some(capability::Type::MultiRole as i32) });
    })
}

fn reserved(name: &str, amount: f64, role: &str) -> Resource {
    Resource::scalar(name, amount).reserved(Reservation::new_dynamic(role, None))
}

fn volume(id: &str, size: f64, role: &str) -> Resource {
    let mut disk = reserved("disk", size, role);
    disk.disk = Some(DiskInfo {
        persistence: Some(disk_info::Persistence { id: id.into(), principal: None }),
        volume: Some(Volume { container_path: "data".into(), mode: v1::volume::Mode::Rw as i32, ..Default::default() }),
        source: None,
    });
    disk
}

fn wire(resources: impl IntoIterator<Item = Resource>, role: Option<&str>) -> Vec<v1::Resource> {
    let bag: Resources = resources.into_iter().collect();
    let bag = match role {
        Some(role) => bag.allocated_to(role),
        None => bag,
    };
    bag.to_proto(ResourceFormat::PostRefinement)
}

fn accept(offer: &Offer, operations: Vec<Operation>) -> Call {
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept { offer_ids: vec![offer.id.clone()], operations, filters: None }),
        ..Default::default()
    }
}

fn reserve_op(resources: Vec<v1::Resource>) -> Operation {
    Operation {
        r#type: Some(operation::Type::Reserve as i32),
        reserve: Some(operation::Reserve { resources, source: Vec::new() }),
        ..Default::default()
    }
}

fn task_on(offer: &Offer, id: &str, resources: Vec<v1::Resource>) -> Operation {
    let task = TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources,
        command: Some(CommandInfo { value: Some("true".into()), ..Default::default() }),
        ..Default::default()
    };
    Operation {
        r#type: Some(operation::Type::Launch as i32),
        launch: Some(operation::Launch { task_infos: vec![task] }),
        ..Default::default()
    }
}

fn checkpointed(events: &[AgentEvent]) -> Option<Resources> {
    events
        .iter()
        .rev()
        .find(|e| e.r#type == Some(agent_event::Type::CheckpointResources as i32))
        .and_then(|e| e.checkpoint_resources.as_ref())
        .map(|c| Resources::from_proto(&c.resources).expect("valid"))
}

fn setup() -> (Harness, TestAgent, TestFramework) {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024;disk:1000");
    h.agent_events(&agent);
    let fw = in_role(&mut h, "eng-fw", "eng", &[]);
    (h, agent, fw)
}

#[test]
fn a_reservation_made_in_an_accept_is_used_at_once_and_offered_back_to_its_role() {
    let (mut h, agent, fw) = setup();
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    let reserve = reserve_op(wire([reserved("cpus", 1.0, "eng")], Some("eng")));
    let launch = task_on(&offer, "t", wire([reserved("cpus", 1.0, "eng"), Resource::scalar("mem", 64.0)], Some("eng")));
    h.call(&fw, accept(&offer, vec![reserve, launch])).expect("accepted");

    let events = h.agent_events(&agent);
    let kinds: Vec<_> = events.iter().filter_map(|e| e.r#type).collect();
    let checkpoint = kinds.iter().position(|k| *k == agent_event::Type::CheckpointResources as i32);
    let run = kinds.iter().position(|k| *k == agent_event::Type::RunTask as i32);
    assert!(checkpoint < run && checkpoint.is_some(), "the agent keeps the reservation before the task runs");
    assert_eq!(checkpointed(&events).unwrap().cpus(), Scalar::from_units(1));
    let total = &h.master.agent(&agent.id).unwrap().total;
    assert_eq!(total.reserved_to("eng").cpus(), Scalar::from_units(1));
    assert_eq!(total.unreserved().cpus(), Scalar::from_units(1));

    // The task ends; the reserved cpu comes back, to the role only.
    h.agent_update(&agent, &fw, "t", v1::TaskState::TaskFinished, 1);
    let ops = in_role(&mut h, "ops-fw", "ops", &[]);
    h.advance(std::time::Duration::from_secs(6));
    h.allocate();
    let to_ops: Resources = h
        .offers(&ops)
        .iter()
        .flat_map(|o| Resources::from_proto(&o.resources).unwrap().unallocated().iter().cloned().collect::<Vec<_>>())
        .collect();
    assert_eq!(to_ops.reserved_to("eng").cpus(), Scalar::ZERO, "reserved resources go only to their role");
}

#[test]
fn reservations_must_be_to_the_offer_role_and_refinements_need_the_capability() {
    let (mut h, _agent, fw) = setup();
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    let other_role = reserve_op(wire([reserved("cpus", 1.0, "ops")], Some("eng")));
    let refused = h.call(&fw, accept(&offer, vec![other_role])).expect_err("another role");
    assert!(refused.message.contains("offer's role"), "{refused}");

    let refined = Resource::scalar("cpus", 1.0)
        .reserved(Reservation::new_dynamic("eng", None))
        .reserved(Reservation::new_dynamic("eng", None));
    let refused = h.call(&fw, accept(&offer, vec![reserve_op(wire([refined], Some("eng")))])).expect_err("refinement");
    assert!(refused.message.contains("RESERVATION_REFINEMENT"), "{refused}");

    let too_much = reserve_op(wire([reserved("cpus", 5.0, "eng")], Some("eng")));
    assert!(h.call(&fw, accept(&offer, vec![too_much])).is_err());
    assert_eq!(h.master.agent(&offer.agent_id).unwrap().total.reserved().cpus(), Scalar::ZERO, "nothing changed");
}

#[test]
fn volumes_are_created_on_reserved_disk_and_destroyed_when_unused() {
    let (mut h, agent, fw) = setup();
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    let reserve = reserve_op(wire([reserved("disk", 100.0, "eng")], Some("eng")));
    let create = Operation {
        r#type: Some(operation::Type::Create as i32),
        create: Some(operation::Create { volumes: wire([volume("v1", 100.0, "eng")], Some("eng")) }),
        ..Default::default()
    };
    let launch =
        task_on(&offer, "writer", wire([volume("v1", 100.0, "eng"), Resource::scalar("cpus", 0.5)], Some("eng")));
    h.call(&fw, accept(&offer, vec![reserve, create.clone(), launch])).expect("accepted");
    let kept = checkpointed(&h.agent_events(&agent)).expect("checkpointed");
    assert!(kept.iter().any(Resource::is_persistent_volume));

    // The same id again is refused; so is destroying a volume in use.
    h.advance(std::time::Duration::from_secs(6));
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    let destroy = Operation {
        r#type: Some(operation::Type::Destroy as i32),
        destroy: Some(operation::Destroy { volumes: wire([volume("v1", 100.0, "eng")], Some("eng")) }),
        ..Default::default()
    };
    assert!(
        h.call(&fw, accept(&offer, vec![destroy.clone()])).is_err(),
        "the volume is not in this offer while in use"
    );

    h.agent_update(&agent, &fw, "writer", v1::TaskState::TaskFinished, 1);
    h.acknowledge(&fw, &agent, "writer", 1).expect("ack");
    h.advance(std::time::Duration::from_secs(6));
    h.allocate();
    let offer = h
        .offers(&fw)
        .into_iter()
        .find(|o| Resources::from_proto(&o.resources).unwrap().iter().any(Resource::is_persistent_volume))
        .expect("the volume is offered back");
    h.call(&fw, accept(&offer, vec![destroy])).expect("destroyed");
    let kept = checkpointed(&h.agent_events(&agent)).unwrap_or_default();
    assert!(!kept.iter().any(Resource::is_persistent_volume));
    assert_eq!(kept.disk(), Scalar::from_units(100), "the reservation stays");
}

#[test]
fn the_operator_reserves_and_unreserves_free_resources() {
    let (mut h, agent, _fw) = setup();
    let resources = wire([reserved("cpus", 1.0, "eng")], None);
    let reserve = |resources: &Vec<mesos_proto::v1::Resource>| OperatorCall::ReserveResources {
        agent_id: agent.id.clone(),
        source: Vec::new(),
        resources: resources.clone(),
    };
    h.operator_call(reserve(&resources)).expect("reserved");
    assert_eq!(h.master.agent(&agent.id).unwrap().total.reserved_to("eng").cpus(), Scalar::from_units(1));
    let refused = h.operator_call(reserve(&wire([reserved("cpus", 5.0, "eng")], None)));
    assert_eq!(refused.unwrap_err().status, mesos_master_core::ApiStatus::Conflict);
    h.operator_call(OperatorCall::UnreserveResources { agent_id: agent.id.clone(), resources }).expect("unreserved");
    assert_eq!(h.master.agent(&agent.id).unwrap().total.reserved().cpus(), Scalar::ZERO);
}

#[test]
fn a_reregistering_agent_brings_its_reservations_and_volumes() {
    let mut h = Harness::new();
    let mut agent = Harness::known_agent("A");
    let kept = wire([reserved("cpus", 1.0, "eng"), volume("v1", 10.0, "eng")], None);
    h.reregister_agent_with(&mut agent, Vec::new(), Vec::new(), kept).expect("re-registered");
    let total = &h.master.agent(&agent.id).expect("known").total;
    assert_eq!(total.reserved_to("eng").cpus(), Scalar::from_units(1));
    assert!(total.iter().any(Resource::is_persistent_volume));

    let mut stranger = Harness::known_agent("B");
    let impossible = wire([reserved("cpus", 64.0, "eng")], None);
    assert!(h.reregister_agent_with(&mut stranger, Vec::new(), Vec::new(), impossible).is_err());
}
