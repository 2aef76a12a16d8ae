//! The operator API's view of the core: the SUBSCRIBE stream's snapshot and
//! events, the subscriber limit, and the GET_* messages.

use mesos_proto::v1::TaskState;
use mesos_proto::v1::master::event;
use mesos_proto::v1::scheduler::{Call, call};

use crate::harness::{Harness, launch_call};

fn kinds(events: &[mesos_proto::v1::master::Event]) -> Vec<event::Type> {
    events.iter().map(|e| event::Type::try_from(e.r#type.unwrap_or(0)).expect("a known event type")).collect()
}

#[test]
fn nothing_is_built_for_operators_until_one_subscribes() {
    let mut h = Harness::new();
    h.running_task("t1", &[], |_| {});
    assert!(h.operator_events().is_empty());
}

#[test]
fn a_subscriber_sees_the_state_then_every_change() {
    let mut h = Harness::new();
    let agent = h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    let stream = h.subscribe_operator();

    let opening = h.operator_stream(stream);
    assert_eq!(kinds(&opening), vec![event::Type::Subscribed, event::Type::Heartbeat]);
    let subscribed = opening[0].subscribed.clone().unwrap();
    assert_eq!(subscribed.heartbeat_interval_seconds, Some(15.0));
    let state = subscribed.get_state.unwrap();
    let agents = state.get_agents.unwrap().agents;
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0].agent_info.id.as_ref(), Some(&agent.id));
    assert!(agents[0].active);
    let frameworks = state.get_frameworks.unwrap().frameworks;
    assert_eq!(frameworks.len(), 1);
    assert_eq!(frameworks[0].framework_info.name, "fw");
    assert!(frameworks[0].connected);

    // A launch is TASK_ADDED; a state change TASK_UPDATED; an update that
    // does not change the state is not announced.
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    h.call(&fw, launch_call(&offer, &[("t1", 1.0, 128.0)])).expect("launch");
    let events = h.operator_events();
    assert_eq!(kinds(&events), vec![event::Type::TaskAdded]);
    let task = events[0].task_added.clone().unwrap().task;
    assert_eq!(task.task_id.value, "t1");
    assert_eq!(task.state, TaskState::TaskStaging as i32);

    h.agent_update(&agent, &fw, "t1", TaskState::TaskRunning, 1);
    h.agent_update(&agent, &fw, "t1", TaskState::TaskRunning, 2);
    let events = h.operator_events();
    assert_eq!(kinds(&events), vec![event::Type::TaskUpdated]);
    let updated = events[0].task_updated.clone().unwrap();
    assert_eq!(updated.framework_id, fw.id);
    assert_eq!(updated.state, TaskState::TaskRunning as i32);
    assert_eq!(updated.status.task_id.value, "t1");

    // Agents and frameworks coming and going.
    let second = h.add_agent("cpus:1;mem:512");
    let other = h.subscribe("other", &[]);
    let events = h.operator_events();
    assert_eq!(kinds(&events), vec![event::Type::AgentAdded, event::Type::FrameworkAdded]);
    assert_eq!(events[0].agent_added.as_ref().unwrap().agent.agent_info.id.as_ref(), Some(&second.id));

    h.call(&other, Call { r#type: Some(call::Type::Teardown as i32), ..Default::default() }).expect("teardown");
    let events = h.operator_events();
    assert_eq!(kinds(&events), vec![event::Type::FrameworkRemoved]);
    assert_eq!(events[0].framework_removed.as_ref().unwrap().framework_info.name, "other");

    // The agent with the task is marked gone: its task is lost, the agent removed.
    h.mark_gone(&agent).expect("gone");
    let events = h.operator_events();
    assert!(kinds(&events).contains(&event::Type::AgentRemoved), "{:?}", kinds(&events));
    let lost = events.iter().find_map(|e| e.task_updated.clone()).expect("the task's end");
    assert_eq!(lost.state, TaskState::TaskLost as i32);

    // A disconnection is a framework update.
    h.disconnect(&fw);
    let events = h.operator_events();
    assert!(kinds(&events).contains(&event::Type::FrameworkUpdated), "{:?}", kinds(&events));

    h.input(mesos_master_core::Input::OperatorClosed { stream }).expect("taken");
    h.add_agent("cpus:1;mem:512");
    assert!(h.operator_events().is_empty());
}

#[test]
fn the_oldest_subscriber_is_closed_beyond_the_limit() {
    let mut h = Harness::with_config(|c| c.max_operator_event_stream_subscribers = 2);
    let first = h.subscribe_operator();
    let second = h.subscribe_operator();
    assert!(!h.operator_closed(first));
    let third = h.subscribe_operator();
    assert!(h.operator_closed(first));
    assert!(!h.operator_closed(second) && !h.operator_closed(third));
    assert_eq!(h.master.operator_subscribers(), 2);
}

#[test]
fn tasks_roles_and_weights_as_the_operator_api_reports_them() {
    let mut h = Harness::with_config(|c| c.weights = vec![("analytics".into(), 2.5)]);
    let agent = h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe("fw", &[]);
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    h.call(&fw, launch_call(&offer, &[("t1", 1.0, 128.0), ("t2", 0.5, 64.0)])).expect("launch");
    h.agent_update(&agent, &fw, "t2", TaskState::TaskFinished, 1);
    h.acknowledge(&fw, &agent, "t2", 1).expect("ack");

    let tasks = h.master.get_tasks();
    assert_eq!(tasks.tasks.iter().map(|t| t.task_id.value.as_str()).collect::<Vec<_>>(), vec!["t1"]);
    assert_eq!(tasks.completed_tasks.len(), 1);
    assert_eq!(tasks.completed_tasks[0].state, TaskState::TaskFinished as i32);

    let roles = h.master.get_roles().roles;
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["*", "analytics"]);
    let star = &roles[0];
    assert_eq!(star.frameworks, vec![fw.id.clone()]);
    let cpus = star.resources.iter().find(|r| r.name == "cpus").expect("cpus in use");
    assert!(cpus.scalar.unwrap().value >= 1.0);
    assert_eq!(roles[1].weight, 2.5);
    assert_eq!(h.master.get_weights().weight_infos[0].role.as_deref(), Some("analytics"));

    let executors = h.master.get_executors().executors;
    assert!(executors.iter().all(|e| e.agent_id == agent.id));
    let frameworks = h.master.get_frameworks().frameworks;
    assert!(frameworks[0].allocated_resources.iter().any(|r| r.name == "cpus"));
}

#[test]
fn queries_are_answered_from_the_state() {
    use mesos_master_core::input::{Query, TaskQuery, View};
    use mesos_proto::v1::master::response;

    let mut h = Harness::new();
    let (_agent, fw) = h.running_task("t1", &[], |_| {});
    let View::Response(answer) = h.query(Query::Operator(response::Type::GetAgents)) else { panic!("a response") };
    assert_eq!(answer.r#type, Some(response::Type::GetAgents as i32));
    assert_eq!(answer.get_agents.expect("agents").agents.len(), 1);
    let View::Json(tasks) = h.query(Query::Tasks(TaskQuery { limit: Some(10), ..Default::default() })) else {
        panic!("json")
    };
    assert_eq!(tasks["tasks"][0]["id"], "t1", "{tasks}");
    let path = format!("/frameworks/{}/executors/t1/runs/latest", fw.id.value);
    let View::Agent(Some(address)) = h.query(Query::SandboxAgent { path }) else { panic!("the task's agent") };
    assert!(address.ends_with(":5051"), "{address}");
    let View::Agent(None) = h.query(Query::SandboxAgent { path: "/frameworks/x/executors/y".into() }) else {
        panic!("no agent")
    };
}
