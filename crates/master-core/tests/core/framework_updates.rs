//! A framework's new info reaches the agents: on UPDATE_FRAMEWORK, on
//! re-subscription, and when an agent that missed it re-registers.

use mesos_master_core::input::SchedulerSubscribe;
use mesos_master_core::{Input, StreamId};
use mesos_proto::internal::AgentEvent;
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{FrameworkInfo, Label, Labels};

use crate::harness::{Harness, TestAgent};

fn labelled(info: &FrameworkInfo, value: &str) -> FrameworkInfo {
    let mut info = info.clone();
    info.labels = Some(Labels { labels: vec![Label { key: "version".into(), value: Some(value.into()) }] });
    info
}

fn framework_updates(h: &mut Harness, agent: &TestAgent) -> Vec<FrameworkInfo> {
    h.agent_events(agent).into_iter().filter_map(|e: AgentEvent| e.update_framework).map(|u| u.framework_info).collect()
}

#[test]
fn agents_learn_a_framework_s_new_info() {
    let mut h = Harness::new();
    let (agent, fw) = h.running_task("t1", &[], |i| i.failover_timeout = Some(60.0));
    let info = h.master.framework(&fw.id).unwrap().info.clone();
    h.agent_events(&agent);

    let updated = labelled(&info, "2");
    let call = Call {
        r#type: Some(call::Type::UpdateFramework as i32),
        update_framework: Some(call::UpdateFramework { framework_info: updated.clone(), ..Default::default() }),
        ..Default::default()
    };
    h.call(&fw, call).expect("update");
    assert_eq!(framework_updates(&mut h, &agent), std::slice::from_ref(&updated));

    // A re-subscription may change the info too: the agents hear of it.
    h.disconnect(&fw);
    let subscribe = SchedulerSubscribe { framework_info: labelled(&info, "3"), suppressed_roles: Vec::new() };
    let input =
        Input::SchedulerSubscribe { stream: StreamId(999), stream_id: "s".into(), subscribe: Box::new(subscribe) };
    h.input(input).expect("re-subscribed");
    let updates = framework_updates(&mut h, &agent);
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].labels, labelled(&info, "3").labels);
}

#[test]
fn an_agent_that_missed_an_update_gets_it_when_it_re_registers() {
    let mut h = Harness::new();
    let (mut agent, fw) = h.running_task("t1", &[], |_| {});
    let current = h.master.framework(&fw.id).unwrap().info.clone();
    let task = h.master.framework(&fw.id).unwrap().tasks.values().next().unwrap().record.as_ref().clone();
    h.disconnect_agent(&agent);

    // It reports an older info: the master sends the one it has.
    h.reregister_agent(&mut agent, vec![task.clone()], vec![labelled(&current, "old")]).expect("re-registered");
    assert_eq!(framework_updates(&mut h, &agent), std::slice::from_ref(&current));

    // Nothing is sent to an agent that is up to date.
    h.disconnect_agent(&agent);
    h.reregister_agent(&mut agent, vec![task], vec![current]).expect("re-registered");
    assert!(framework_updates(&mut h, &agent).is_empty());
}
