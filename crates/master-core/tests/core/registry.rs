//! The master and its registry: admissions and losses wait for the registry,
//! a recovered registry brings its agents, quota and weights back, and
//! agents that do not return after a failover are marked unreachable.

use std::time::Duration;

use mesos_master_core::Reply;
use mesos_master_core::input::OperatorCall;
use mesos_proto::internal::agent_event;
use mesos_proto::v1::framework_info::capability;
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{AgentId, AgentInfo, TaskId};
use mesos_registry::{Operation, Registry};

use crate::harness::{Harness, TestAgent, launch_call};

fn registered(h: &mut Harness, agent: &TestAgent) -> bool {
    h.agent_events(agent).iter().any(|e| e.r#type == Some(agent_event::Type::Registered as i32))
}

#[test]
fn an_agent_is_registered_only_once_the_registry_admitted_it() {
    let mut h = Harness::new();
    h.hold_registry = true;
    let agent = h.add_agent("cpus:2;mem:1024");
    assert!(!registered(&mut h, &agent), "no answer before the registry stored the admission");
    assert!(h.master.agent(&agent.id).is_none());
    assert!(matches!(h.held_operations()[..], [Operation::AdmitAgent(_)]));
    h.release_registry();
    assert!(registered(&mut h, &agent));
    assert!(h.registry.is_admitted(&agent.id));
}

#[test]
fn an_agent_whose_stream_closed_during_admission_joins_disconnected() {
    let mut h = Harness::new();
    h.hold_registry = true;
    let agent = h.add_agent("cpus:2;mem:1024");
    h.disconnect_agent(&agent);
    h.release_registry();
    let known = h.master.agent(&agent.id).expect("admitted");
    assert!(!known.connected());
}

#[test]
fn an_agent_is_lost_only_once_the_registry_has_it_unreachable() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    h.agent_events(&agent);
    h.hold_registry = true;
    for _ in 0..7 {
        h.advance(Duration::from_secs(15));
    }
    assert!(h.master.agent(&agent.id).is_some(), "still known while the registry write is pending");
    let operations = h.held_operations();
    assert!(matches!(operations[..], [Operation::MarkAgentUnreachable { .. }]), "asked once: {operations:?}");
    h.release_registry();
    assert!(h.master.agent(&agent.id).is_none());
    assert!(h.registry.is_unreachable(&agent.id));
}

fn registry_with(agents: &[&str]) -> Registry {
    let mut registry = Registry::new();
    for id in agents {
        let info =
            AgentInfo { hostname: "host".into(), id: Some(AgentId { value: (*id).into() }), ..Default::default() };
        registry.apply(&Operation::AdmitAgent(info)).expect("a new agent");
    }
    registry.apply(&Operation::UpdateWeights(vec![("eng".into(), 3.0)])).expect("valid weights");
    registry
}

#[test]
fn a_recovered_registry_brings_back_weights_and_waits_for_its_agents() {
    let mut h = Harness::with_config(|c| c.weights = vec![("eng".into(), 2.0)]);
    h.recover(registry_with(&["A", "B"]));
    let eng = h.master.allocator().roles().into_iter().find(|r| r.role == "eng").map(|r| r.weight);
    assert_eq!(eng, Some(3.0), "stored weights take precedence over --weights");
    assert_eq!(h.master.recovered_agents().count(), 2);

    // A comes back; B does not.
    let mut a = Harness::known_agent("A");
    h.reregister_agent(&mut a, Vec::new(), Vec::new()).expect("re-registration");
    assert!(h.agent_events(&a).iter().any(|e| e.r#type == Some(agent_event::Type::Reregistered as i32)));
    let waiting: Vec<_> = h.master.recovered_agents().map(|info| info.id.clone().unwrap().value).collect();
    assert_eq!(waiting, ["B"]);

    // Before the timeout, a task on B gets no reconciliation answer.
    let fw = h.subscribe("fw", &[capability::Type::PartitionAware]);
    h.updates(&fw);
    let ask = Call {
        r#type: Some(call::Type::Reconcile as i32),
        reconcile: Some(call::Reconcile {
            tasks: vec![call::reconcile::Task {
                task_id: TaskId { value: "t".into() },
                agent_id: Some(AgentId { value: "B".into() }),
            }],
        }),
        ..Default::default()
    };
    h.call(&fw, ask.clone()).expect("reconcile");
    assert!(h.updates(&fw).is_empty(), "an agent that may still return decides");

    h.advance(Duration::from_secs(601));
    assert!(h.registry.is_unreachable(&AgentId { value: "B".into() }));
    h.call(&fw, ask).expect("reconcile");
    let answer = h.updates(&fw);
    assert_eq!(answer[0].state, mesos_proto::v1::TaskState::TaskUnreachable as i32);
}

#[test]
fn too_many_agents_missing_after_a_failover_abort_the_master() {
    let mut h = Harness::with_config(|c| c.recovery_agent_removal_limit = 0.4);
    h.recover(registry_with(&["A", "B"]));
    h.advance(Duration::from_secs(601));
    assert!(h.aborted.is_some());
    assert!(!h.registry.is_unreachable(&AgentId { value: "A".into() }));
}

#[test]
fn with_a_strict_registry_unknown_agents_may_not_reregister() {
    let mut h = Harness::with_config(|c| c.registry_strict = true);
    let mut stranger = Harness::known_agent("X");
    h.reregister_agent(&mut stranger, Vec::new(), Vec::new()).expect("answered");
    let events = h.agent_events(&stranger);
    assert!(events.iter().any(|e| e.r#type == Some(agent_event::Type::Shutdown as i32)), "{events:?}");

    let mut h = Harness::new();
    let mut stranger = Harness::known_agent("X");
    h.reregister_agent(&mut stranger, Vec::new(), Vec::new()).expect("answered");
    assert!(h.registry.is_admitted(&stranger.id), "admitted when the registry is not strict");
}

#[test]
fn weights_and_quota_apply_once_stored() {
    let mut h = Harness::new();
    h.hold_registry = true;
    let stored = h.operator_call(OperatorCall::UpdateWeights(vec![("eng".into(), 2.5)])).expect("valid");
    assert!(matches!(stored, Reply::Stored { .. }), "{stored:?}");
    let weight = |h: &Harness| h.master.allocator().roles().into_iter().find(|r| r.role == "eng").map(|r| r.weight);
    assert_ne!(weight(&h), Some(2.5));
    h.release_registry();
    assert_eq!(weight(&h), Some(2.5));
    assert_eq!(h.registry.weights.get("eng"), Some(&2.5));

    assert!(h.operator_call(OperatorCall::UpdateWeights(vec![("eng".into(), -1.0)])).is_err());
    let mut quota = mesos_proto::v1::quota::QuotaConfig { role: "eng/web".into(), ..Default::default() };
    quota.guarantees.insert("cpus".into(), mesos_proto::v1::value::Scalar { value: 1.0 });
    let nested = OperatorCall::UpdateQuota { configs: vec![quota], force: true };
    assert!(h.operator_call(nested).is_err(), "quota on nested roles is refused");
    let mut quota = mesos_proto::v1::quota::QuotaConfig { role: "eng".into(), ..Default::default() };
    quota.guarantees.insert("cpus".into(), mesos_proto::v1::value::Scalar { value: 4.0 });
    let refused = h
        .operator_call(OperatorCall::UpdateQuota { configs: vec![quota.clone()], force: false })
        .expect_err("no agent has 4 cpus");
    assert!(refused.message.contains("force"), "{refused}");
    let forced = h.operator_call(OperatorCall::UpdateQuota { configs: vec![quota], force: true }).expect("forced");
    assert!(matches!(forced, Reply::Stored { .. }), "{forced:?}");
    h.release_registry();
    assert!(h.registry.quota.contains_key("eng"));
    assert_eq!(
        h.master
            .allocator()
            .roles()
            .into_iter()
            .find(|r| r.role == "eng")
            .and_then(|r| r.quota)
            .map(|q| q.guarantees.len()),
        Some(1)
    );
}

#[test]
fn a_launch_still_works_on_an_agent_admitted_late() {
    let mut h = Harness::new();
    h.hold_registry = true;
    let agent = h.add_agent("cpus:2;mem:1024");
    h.release_registry();
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    assert_eq!(offer.agent_id, agent.id);
    h.call(&fw, launch_call(&offer, &[("t", 1.0, 128.0)])).expect("launch");
}
