//! Tests of the master core through its public interface, with virtual time:
//! a harness plays the daemon, routing actions into per-stream buffers.

mod agent_loss;
mod framework_updates;
mod harness;
mod maintenance;
mod operator;
mod registry;
mod resent_updates;
mod reservations;

use std::time::Duration;

use harness::{Harness, launch_call};
use mesos_master_core::ApiStatus;
use mesos_proto::internal::agent_event;
use mesos_proto::v1::scheduler::{Call, call, event};
use mesos_proto::v1::{TaskState, framework_info::capability, task_status::Reason};

#[test]
fn offers_go_to_a_subscribed_framework_and_tasks_reach_the_agent() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:4;mem:1024");
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let offers = h.offers(&fw);
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].agent_id, agent.id);
    h.call(&fw, launch_call(&offers[0], &[("t1", 1.0, 128.0)])).expect("launch");
    let run = h.agent_events(&agent).into_iter().find(|e| e.run_task.is_some()).expect("RUN_TASK");
    assert_eq!(run.run_task.unwrap().task.task_id.value, "t1");
    assert_eq!(h.master.framework(&fw.id).unwrap().tasks.len(), 1);
}

#[test]
fn updates_flow_to_the_framework_and_acknowledgements_back() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    h.call(&fw, launch_call(&offer, &[("t1", 2.0, 512.0)])).expect("launch");
    h.agent_update(&agent, &fw, "t1", TaskState::TaskRunning, 1);
    let update = h.updates(&fw).remove(0);
    assert_eq!(update.state, TaskState::TaskRunning as i32);
    h.acknowledge(&fw, &agent, "t1", 1).expect("ack");
    assert!(h.agent_events(&agent).iter().any(|e| e.r#type == Some(agent_event::Type::Acknowledge as i32)));

    // The task finishes: its resources come back at once, the task completes
    // when its terminal update is acknowledged.
    h.agent_update(&agent, &fw, "t1", TaskState::TaskFinished, 2);
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    assert!(offer.resources.iter().any(|r| r.name == "cpus" && r.scalar.unwrap().value == 2.0));
    assert_eq!(h.master.framework(&fw.id).unwrap().tasks.len(), 1);
    h.acknowledge(&fw, &agent, "t1", 2).expect("ack");
    let framework = h.master.framework(&fw.id).unwrap();
    assert!(framework.tasks.is_empty());
    assert_eq!(framework.completed_tasks.len(), 1);
}

#[test]
fn declined_resources_are_filtered_until_the_filter_expires() {
    let mut h = Harness::new();
    h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    let decline = Call {
        r#type: Some(call::Type::Decline as i32),
        decline: Some(call::Decline {
            offer_ids: vec![offer.id.clone()],
            filters: Some(mesos_proto::v1::Filters { refuse_seconds: Some(10.0) }),
        }),
        ..Default::default()
    };
    h.call(&fw, decline).expect("decline");
    h.allocate();
    assert!(h.offers(&fw).is_empty(), "the refused agent is filtered");
    h.advance(Duration::from_secs(11));
    h.allocate();
    assert_eq!(h.offers(&fw).len(), 1, "the filter expired");
}

#[test]
fn offers_are_rescinded_after_the_offer_timeout() {
    let mut h = Harness::with_config(|c| c.offer_timeout = Some(Duration::from_secs(30)));
    h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    h.advance(Duration::from_secs(31));
    let events = h.framework_events(&fw);
    let rescind = events.iter().find(|e| e.r#type == Some(event::Type::Rescind as i32)).expect("RESCIND");
    assert_eq!(rescind.rescind.as_ref().unwrap().offer_id, offer.id);
    assert_eq!(h.master.offers().count(), 0);
}

#[test]
fn refused_accepts_change_nothing() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    let error = h.call(&fw, launch_call(&offer, &[("big", 8.0, 128.0)])).unwrap_err();
    assert_eq!(error.status, ApiStatus::BadRequest);
    assert!(error.message.contains("more resources"), "{}", error.message);
    let update = h.updates(&fw).remove(0);
    assert_eq!(update.state, TaskState::TaskError as i32);
    assert_eq!(update.reason, Some(Reason::TaskInvalid as i32));
    assert!(update.uuid.is_none());
    assert!(h.agent_events(&agent).iter().all(|e| e.run_task.is_none()));
    assert_eq!(h.master.offers().count(), 1, "the offer is still outstanding");
    h.call(&fw, launch_call(&offer, &[("small", 1.0, 128.0)])).expect("the offer is still usable");
}

#[test]
fn calls_need_the_subscription_stream() {
    let mut h = Harness::new();
    let fw = h.subscribe("fw", &[]);
    let revive = Call {
        framework_id: Some(fw.id.clone()),
        r#type: Some(call::Type::Revive as i32),
        revive: Some(Default::default()),
        ..Default::default()
    };
    let stale = h.raw_call(Some("other-stream"), revive.clone()).unwrap_err();
    assert_eq!(stale.status, ApiStatus::BadRequest);
    let missing = h.raw_call(None, revive.clone()).unwrap_err();
    assert_eq!(missing.status, ApiStatus::BadRequest);
    h.disconnect(&fw);
    let gone = h.raw_call(Some(&fw.stream_id), revive).unwrap_err();
    assert_eq!(gone.status, ApiStatus::Forbidden);
}

#[test]
fn a_framework_past_its_failover_timeout_is_removed_with_its_tasks() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe_with("fw", &[], |info| info.failover_timeout = Some(60.0));
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    h.call(&fw, launch_call(&offer, &[("t1", 1.0, 128.0)])).expect("launch");
    h.disconnect(&fw);
    h.advance(Duration::from_secs(30));
    assert!(h.master.framework(&fw.id).is_some(), "still within the failover timeout");
    h.advance(Duration::from_secs(31));
    assert!(h.master.framework(&fw.id).is_none());
    let completed = h.master.completed_frameworks().next().expect("a completed framework");
    assert_eq!(completed.completed_tasks[0].state(), TaskState::TaskKilled);
    assert!(h.agent_events(&agent).iter().any(|e| e.shutdown_framework.is_some()));
}

#[test]
fn lost_agents_make_tasks_unreachable_or_lost() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let aware = h.subscribe("aware", &[capability::Type::PartitionAware]);
    let plain = h.subscribe("plain", &[]);
    let mut pending = vec![(&aware, "a1"), (&plain, "p1")];
    for _ in 0..5 {
        h.allocate();
        pending.retain(|(fw, task)| match h.offers(fw).into_iter().next() {
            Some(offer) => h.call(fw, launch_call(&offer, &[(task, 0.5, 64.0)])).is_err(),
            None => true,
        });
        if pending.is_empty() {
            break;
        }
        h.advance(Duration::from_secs(6));
    }
    assert!(pending.is_empty(), "both frameworks launched their task");
    // The agent stops answering pings.
    for _ in 0..7 {
        h.advance(Duration::from_secs(15));
    }
    assert!(h.master.agent(&agent.id).is_none());
    assert_eq!(h.master.unreachable_agents().count(), 1);
    let aware_updates = h.updates(&aware);
    assert!(aware_updates.iter().any(|u| u.state == TaskState::TaskUnreachable as i32), "{aware_updates:?}");
    let plain_updates = h.updates(&plain);
    assert!(
        plain_updates
            .iter()
            .any(|u| u.state == TaskState::TaskLost as i32 && u.reason == Some(Reason::AgentRemoved as i32)),
        "{plain_updates:?}"
    );
}

#[test]
fn reconciliation_answers_for_unknown_tasks_by_what_is_known_of_their_agent() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let aware = h.subscribe("aware", &[capability::Type::PartitionAware]);
    let plain = h.subscribe("plain", &[]);
    let ask = |agent_id: Option<mesos_proto::v1::AgentId>| Call {
        r#type: Some(call::Type::Reconcile as i32),
        reconcile: Some(call::Reconcile {
            tasks: vec![call::reconcile::Task { task_id: mesos_proto::v1::TaskId { value: "ghost".into() }, agent_id }],
        }),
        ..Default::default()
    };
    h.call(&aware, ask(Some(agent.id.clone()))).unwrap();
    h.call(&aware, ask(None)).unwrap();
    h.call(&plain, ask(Some(agent.id.clone()))).unwrap();
    let states: Vec<i32> = h.updates(&aware).iter().map(|u| u.state).collect();
    assert_eq!(states, [TaskState::TaskGone as i32, TaskState::TaskUnknown as i32]);
    let plain_updates = h.updates(&plain);
    assert_eq!(plain_updates[0].state, TaskState::TaskLost as i32);
    assert_eq!(plain_updates[0].reason, Some(Reason::Reconciliation as i32));
    assert!(plain_updates[0].uuid.is_none());
}

#[test]
fn accept_with_unknown_offers_reports_the_tasks_lost() {
    let mut h = Harness::new();
    h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let mut offer = h.offers(&fw).remove(0);
    offer.id.value = "no-such-offer".into();
    let error = h.call(&fw, launch_call(&offer, &[("t", 1.0, 64.0)])).unwrap_err();
    assert!(error.message.contains("no longer valid"));
    let update = h.updates(&fw).remove(0);
    assert_eq!(update.state, TaskState::TaskLost as i32);
    assert_eq!(update.reason, Some(Reason::InvalidOffers as i32));
}

#[test]
fn an_update_resent_by_its_agent_is_recorded_once_but_forwarded_again() {
    let mut h = Harness::new();
    let (agent, fw) = h.running_task("t1", &[], |_| {});
    h.agent_update(&agent, &fw, "t1", TaskState::TaskRunning, 1);
    assert_eq!(h.updates(&fw).len(), 2, "delivery is at least once");
    assert_eq!(
        h.master.framework(&fw.id).unwrap().tasks[&mesos_proto::v1::TaskId { value: "t1".into() }]
            .record
            .statuses
            .len(),
        1
    );
}
