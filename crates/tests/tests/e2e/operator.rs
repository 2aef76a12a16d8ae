//! The operator's view with real processes: every state endpoint and
//! operator call answers with Mesos's key names and types, the operator
//! event stream reports a task as it is added and updated, and a few
//! changes (teardown, killing one task) work from outside.

use std::io::Read;

use mesos_http::client::Client;
use mesos_proto::ContentType;
use mesos_proto::v1::master::{Call as OperatorCall, Event as OperatorEvent, call as operator_call, event};
use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{CommandInfo, Offer, Resource, TaskId, TaskInfo, TaskState, value};
use mesos_tests::cluster::Cluster;
use mesos_tests::raw_http;
use mesos_tests::wait::DEADLINE;
use serde_json::{Value, json};

use crate::scheduler::{TestScheduler, framework};
use crate::shapes::{Kind::*, check, first};

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

/// An ACCEPT launching one command task of 0.5 cpus and 64 MB.
pub fn launch(offer: &Offer, id: &str, command: &str) -> Call {
    let task = TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
        command: Some(CommandInfo { value: Some(command.into()), ..Default::default() }),
        ..Default::default()
    };
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch { task_infos: vec![task] }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..Default::default()
    }
}

/// Posts an operator call in JSON and returns the answer's JSON.
pub async fn operator(address: &str, call: Value) -> Value {
    let response = raw_http::request(
        address,
        "POST",
        "/api/v1",
        &[("Content-Type", "application/json"), ("Accept", "application/json")],
        call.to_string().as_bytes(),
    )
    .await;
    assert_eq!(response.status, 200, "{call}: {}", String::from_utf8_lossy(&response.body));
    if response.body.is_empty() { Value::Null } else { serde_json::from_slice(&response.body).expect("JSON answer") }
}

async fn get(address: &str, path: &str) -> Value {
    let response = raw_http::request(address, "GET", path, &[], b"").await;
    assert_eq!(response.status, 200, "{path}: {}", String::from_utf8_lossy(&response.body));
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// An operator's event stream.
pub struct OperatorStream(pub mesos_http::client::Subscription<OperatorEvent>);

impl OperatorStream {
    pub async fn next(&mut self) -> OperatorEvent {
        tokio::time::timeout(DEADLINE, self.0.next())
            .await
            .expect("an event in time")
            .expect("the stream to stay open")
            .expect("a decodable event")
    }

    /// Skips events until one matches.
    pub async fn until(&mut self, wanted: impl Fn(&OperatorEvent) -> bool) -> OperatorEvent {
        loop {
            let event = self.next().await;
            if wanted(&event) {
                return event;
            }
        }
    }
}

// One cluster's every endpoint, checked shape by shape: a long list that
// reads top to bottom.
#[allow(clippy::too_many_lines)]
#[tokio::test(flavor = "multi_thread")]
async fn state_endpoints_have_mesos_key_names_and_types() {
    let cluster = Cluster::start_with(&["--weights=analytics=2"], 1, &[]).await;
    let master = cluster.master_address();
    let mut scheduler = TestScheduler::subscribe(&master, framework("shapes")).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, "sleeper", "sleep 600")).await.expect("launch");
    scheduler.update("sleeper", TaskState::TaskRunning).await;

    let state = get(&master, "/master/state").await;
    check(
        "state",
        &state,
        &[
            ("version", Str),
            ("build_date", Str),
            ("build_time", Num),
            ("build_user", Str),
            ("start_time", Num),
            ("elected_time", Num),
            ("id", Str),
            ("pid", Str),
            ("hostname", Str),
            ("capabilities", Arr),
            ("activated_slaves", Num),
            ("deactivated_slaves", Num),
            ("unreachable_slaves", Num),
            ("leader", Str),
            ("leader_info", Obj),
            ("flags", Obj),
            ("slaves", Arr),
            ("recovered_slaves", Arr),
            ("frameworks", Arr),
            ("completed_frameworks", Arr),
            ("orphan_tasks", Arr),
            ("unregistered_frameworks", Arr),
        ],
    );
    assert_eq!(get(&master, "/state").await["id"], state["id"], "/state is /master/state");
    let agent_view = first("state", &state, "slaves");
    check(
        "slave",
        agent_view,
        &[
            ("id", Str),
            ("hostname", Str),
            ("port", Num),
            ("attributes", Obj),
            ("pid", Str),
            ("registered_time", Num),
            ("resources", Obj),
            ("used_resources", Obj),
            ("offered_resources", Obj),
            ("reserved_resources", Obj),
            ("unreserved_resources", Obj),
            ("active", Bool),
            ("deactivated", Bool),
            ("version", Str),
            ("capabilities", Arr),
        ],
    );
    check(
        "slave resources",
        &agent_view["resources"],
        &[("cpus", Num), ("mem", Num), ("disk", Num), ("gpus", Num), ("ports", Str)],
    );
    let framework = first("state", &state, "frameworks");
    check(
        "framework",
        framework,
        &[
            ("id", Str),
            ("name", Str),
            ("used_resources", Obj),
            ("offered_resources", Obj),
            ("capabilities", Arr),
            ("hostname", Str),
            ("webui_url", Str),
            ("active", Bool),
            ("connected", Bool),
            ("recovered", Bool),
            ("user", Str),
            ("failover_timeout", Num),
            ("checkpoint", Bool),
            ("registered_time", Num),
            ("unregistered_time", Num),
            ("resources", Obj),
            ("role", Str),
            ("tasks", Arr),
            ("unreachable_tasks", Arr),
            ("completed_tasks", Arr),
            ("offers", Arr),
            ("executors", Arr),
        ],
    );
    let task = first("framework", framework, "tasks");
    check(
        "task",
        task,
        &[
            ("id", Str),
            ("name", Str),
            ("framework_id", Str),
            ("executor_id", Str),
            ("slave_id", Str),
            ("state", Str),
            ("resources", Obj),
            ("role", Str),
            ("statuses", Arr),
        ],
    );
    check("task status", first("task", task, "statuses"), &[("state", Str), ("timestamp", Num)]);

    let summary = get(&master, "/master/state-summary").await;
    check("state-summary", &summary, &[("hostname", Str), ("slaves", Arr), ("frameworks", Arr)]);
    let agent_view = first("state-summary", &summary, "slaves");
    check(
        "summary slave",
        agent_view,
        &[("id", Str), ("TASK_RUNNING", Num), ("TASK_FINISHED", Num), ("framework_ids", Arr)],
    );
    assert_eq!(agent_view["TASK_RUNNING"], 1);
    let framework = first("state-summary", &summary, "frameworks");
    check("summary framework", framework, &[("id", Str), ("name", Str), ("TASK_RUNNING", Num), ("slave_ids", Arr)]);
    assert!(framework.get("tasks").is_none(), "the summary has no task lists");

    let agents_view = get(&master, "/master/slaves").await;
    check("slaves", &agents_view, &[("slaves", Arr), ("recovered_slaves", Arr)]);
    check(
        "slaves slave",
        first("slaves", &agents_view, "slaves"),
        &[
            ("reserved_resources_full", Obj),
            ("unreserved_resources_full", Arr),
            ("used_resources_full", Arr),
            ("offered_resources_full", Arr),
        ],
    );
    let frameworks = get(&master, "/master/frameworks").await;
    check(
        "frameworks",
        &frameworks,
        &[("frameworks", Arr), ("completed_frameworks", Arr), ("unregistered_frameworks", Arr)],
    );

    let tasks = get(&master, "/master/tasks?limit=-1&order=asc").await;
    assert_eq!(tasks["tasks"].as_array().map(Vec::len), Some(1));
    assert_eq!(get(&master, "/master/tasks?task_id=none").await["tasks"], json!([]));
    assert_eq!(get(&master, "/master/tasks?offset=1").await["tasks"], json!([]));

    let roles = get(&master, "/master/roles").await;
    let star = roles["roles"].as_array().unwrap().iter().find(|r| r["name"] == "*").expect("role *");
    check(
        "role",
        star,
        &[
            ("name", Str),
            ("weight", Num),
            ("quota", Obj),
            ("resources", Obj),
            ("allocated", Obj),
            ("offered", Obj),
            ("reserved", Obj),
            ("frameworks", Arr),
        ],
    );
    check("role quota", &star["quota"], &[("role", Str), ("guarantee", Obj), ("limit", Obj), ("consumed", Obj)]);
    assert_eq!(star["allocated"]["cpus"], 0.5, "the task's resources");
    assert_eq!(get(&master, "/master/weights").await, json!([{"role": "analytics", "weight": 2.0}]));
    assert!(get(&master, "/master/quota").await.is_object());
    check("flags", &get(&master, "/master/flags").await, &[("flags", Obj)]);

    let metrics = get(&master, "/metrics/snapshot").await;
    for name in [
        "master/elected",
        "master/uptime_secs",
        "master/cpus_total",
        "master/cpus_used",
        "master/mem_percent",
        "master/slaves_active",
        "master/frameworks_active",
        "master/tasks_running",
        "master/tasks_finished",
        "master/operator_event_stream_subscribers",
        "system/cpus_total",
    ] {
        assert!(metrics[name].is_number(), "{name} in {metrics:#}");
    }
    assert_eq!(metrics["master/tasks_running"], 1.0);
    let prometheus = raw_http::request(&master, "GET", "/metrics", &[], b"").await;
    assert!(prometheus.header("content-type").unwrap().starts_with("text/plain"));
    let text = String::from_utf8(prometheus.body).unwrap();
    assert!(text.contains("\nmaster_tasks_running 1\n"), "{text}");

    // JSONP and gzip.
    let jsonp = raw_http::request(&master, "GET", "/master/state-summary?jsonp=show", &[], b"").await;
    assert!(String::from_utf8_lossy(&jsonp.body).starts_with("show({"));
    assert_eq!(jsonp.header("content-type"), Some("text/javascript"));
    let zipped = raw_http::request(&master, "GET", "/master/state", &[("Accept-Encoding", "gzip")], b"").await;
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(zipped.body.as_slice()).read_to_string(&mut text).expect("gzip");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["id"], state["id"]);

    // The agent's endpoints.
    let agent = format!("127.0.0.1:{}", cluster.agents[0].port);
    let agent_state = get(&agent, "/slave(1)/state").await;
    check(
        "agent state",
        &agent_state,
        &[
            ("version", Str),
            ("start_time", Num),
            ("id", Str),
            ("pid", Str),
            ("hostname", Str),
            ("capabilities", Arr),
            ("resources", Obj),
            ("reserved_resources", Obj),
            ("unreserved_resources", Obj),
            ("reserved_resources_full", Obj),
            ("unreserved_resources_full", Arr),
            ("attributes", Obj),
            ("flags", Obj),
            ("frameworks", Arr),
            ("completed_frameworks", Arr),
        ],
    );
    let executor = first("agent framework", first("agent state", &agent_state, "frameworks"), "executors");
    check(
        "agent executor",
        executor,
        &[
            ("id", Str),
            ("name", Str),
            ("source", Str),
            ("container", Str),
            ("directory", Str),
            ("resources", Obj),
            ("tasks", Arr),
            ("queued_tasks", Arr),
            ("completed_tasks", Arr),
        ],
    );
    assert_eq!(get(&agent, "/state").await["id"], agent_state["id"]);
    check("agent flags", &get(&agent, "/flags").await, &[("flags", Obj)]);
    let agent_metrics = get(&agent, "/metrics/snapshot").await;
    assert_eq!(agent_metrics["slave/registered"], 1.0);
    assert_eq!(agent_metrics["slave/tasks_running"], 1.0);
}

// One scenario, call after call, that reads top to bottom.
#[allow(clippy::too_many_lines)]
#[tokio::test(flavor = "multi_thread")]
async fn operator_calls_answer_in_mesos_shapes_and_the_event_stream_follows_a_task() {
    let cluster = Cluster::start(1).await;
    let master = cluster.master_address();

    // An operator subscribes before anything runs.
    let client = Client::new();
    let subscribe = OperatorCall { r#type: Some(operator_call::Type::Subscribe as i32), ..Default::default() };
    let mut events = OperatorStream(
        client
            .subscribe::<OperatorCall, OperatorEvent>(
                &format!("http://{master}/api/v1"),
                ContentType::Json,
                &subscribe,
                None,
            )
            .await
            .expect("operator subscription"),
    );
    let subscribed = events.next().await;
    assert_eq!(subscribed.r#type, Some(event::Type::Subscribed as i32));
    let snapshot = subscribed.subscribed.unwrap().get_state.unwrap();
    assert_eq!(snapshot.get_agents.unwrap().agents.len(), 1);
    assert_eq!(events.next().await.r#type, Some(event::Type::Heartbeat as i32));

    let mut scheduler = TestScheduler::subscribe(&master, framework("watched")).await;
    let added = events.next().await;
    assert_eq!(added.r#type, Some(event::Type::FrameworkAdded as i32));
    assert_eq!(added.framework_added.unwrap().framework.framework_info.name, "watched");

    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, "watched-task", "echo watched-output; sleep 600")).await.expect("launch");
    let mut states = Vec::new();
    while !states.iter().any(|s: &String| s.ends_with("TASK_RUNNING")) {
        let e = events.next().await;
        if let Some(added) = &e.task_added {
            states.push(format!("added {}", added.task.task_id.value));
        }
        if let Some(updated) = &e.task_updated {
            let state = TaskState::try_from(updated.state).unwrap();
            states.push(format!("updated {} {}", updated.status.task_id.value, state.as_str_name()));
        }
    }
    assert_eq!(states.first().map(String::as_str), Some("added watched-task"), "{states:?}");
    assert!(states.contains(&"updated watched-task TASK_RUNNING".to_owned()), "{states:?}");
    let _ = scheduler.update("watched-task", TaskState::TaskRunning).await;

    // Every read call answers in Mesos's shapes.
    let call = |kind: &str| json!({ "type": kind });
    let health = operator(&master, call("GET_HEALTH")).await;
    assert_eq!(health, json!({"type": "GET_HEALTH", "get_health": {"healthy": true}}));
    let version = operator(&master, call("GET_VERSION")).await;
    check("version", &version["get_version"]["version_info"], &[("version", Str)]);
    let flags = operator(&master, call("GET_FLAGS")).await;
    check("flag", first("flags", &flags["get_flags"], "flags"), &[("name", Str), ("value", Str)]);
    let metrics = operator(&master, call("GET_METRICS")).await;
    check("metric", first("metrics", &metrics["get_metrics"], "metrics"), &[("name", Str), ("value", Num)]);
    let level = operator(&master, call("GET_LOGGING_LEVEL")).await;
    assert_eq!(level["get_logging_level"]["level"], 0);
    let set = json!({"type": "SET_LOGGING_LEVEL", "set_logging_level": {"level": 1, "duration": {"nanoseconds": 60_000_000_000u64}}});
    operator(&master, set).await;
    assert_eq!(operator(&master, call("GET_LOGGING_LEVEL")).await["get_logging_level"]["level"], 1);

    let state = operator(&master, call("GET_STATE")).await;
    check(
        "get_state",
        &state["get_state"],
        &[("get_tasks", Obj), ("get_executors", Obj), ("get_frameworks", Obj), ("get_agents", Obj)],
    );
    let agents = operator(&master, call("GET_AGENTS")).await;
    let agent = first("agents", &agents["get_agents"], "agents");
    check(
        "agent",
        agent,
        &[
            ("agent_info", Obj),
            ("active", Bool),
            ("deactivated", Bool),
            ("version", Str),
            ("pid", Str),
            ("registered_time", Obj),
            ("total_resources", Arr),
            ("allocated_resources", Arr),
            ("offered_resources", Arr),
        ],
    );
    check("agent_info", &agent["agent_info"], &[("hostname", Str), ("port", Num), ("id", Obj), ("resources", Arr)]);
    check("registered_time", &agent["registered_time"], &[("nanoseconds", Num)]);
    let frameworks = operator(&master, call("GET_FRAMEWORKS")).await;
    let framework = first("frameworks", &frameworks["get_frameworks"], "frameworks");
    check(
        "framework",
        framework,
        &[
            ("framework_info", Obj),
            ("active", Bool),
            ("connected", Bool),
            ("recovered", Bool),
            ("registered_time", Obj),
            ("allocated_resources", Arr),
        ],
    );
    check(
        "framework_info",
        &framework["framework_info"],
        &[("user", Str), ("name", Str), ("id", Obj), ("failover_timeout", Num), ("checkpoint", Bool)],
    );
    let executors = operator(&master, call("GET_EXECUTORS")).await;
    assert!(executors["get_executors"].is_object());
    let tasks = operator(&master, call("GET_TASKS")).await;
    let task = first("tasks", &tasks["get_tasks"], "tasks");
    check(
        "task",
        task,
        &[
            ("name", Str),
            ("task_id", Obj),
            ("framework_id", Obj),
            ("agent_id", Obj),
            ("state", Str),
            ("resources", Arr),
            ("statuses", Arr),
        ],
    );
    assert_eq!(task["state"], "TASK_RUNNING");
    let roles = operator(&master, call("GET_ROLES")).await;
    let role = first("roles", &roles["get_roles"], "roles");
    check("role", role, &[("name", Str), ("weight", Num), ("frameworks", Arr), ("resources", Arr)]);
    assert_eq!(operator(&master, call("GET_WEIGHTS")).await, json!({"type": "GET_WEIGHTS", "get_weights": {}}));
    assert_eq!(operator(&master, call("GET_QUOTA")).await, json!({"type": "GET_QUOTA", "get_quota": {"status": {}}}));
    assert_eq!(
        operator(&master, call("GET_OPERATIONS")).await,
        json!({"type": "GET_OPERATIONS", "get_operations": {}})
    );
    let got = operator(&master, call("GET_MASTER")).await;
    check("get_master", &got["get_master"], &[("master_info", Obj), ("start_time", Num), ("elected_time", Num)]);

    // The agent's operator API.
    let agent_address = format!("127.0.0.1:{}", cluster.agents[0].port);
    let agent_tasks = operator(&agent_address, call("GET_TASKS")).await;
    let launched = first("agent tasks", &agent_tasks["get_tasks"], "launched_tasks");
    assert_eq!(launched["task_id"]["value"], "watched-task");
    let agent_state = operator(&agent_address, call("GET_STATE")).await;
    check(
        "agent get_state",
        &agent_state["get_state"],
        &[("get_tasks", Obj), ("get_executors", Obj), ("get_frameworks", Obj)],
    );
    let agent_executors = operator(&agent_address, call("GET_EXECUTORS")).await;
    check(
        "agent executor",
        first("agent executors", &agent_executors["get_executors"], "executors"),
        &[("executor_info", Obj)],
    );
    assert_eq!(operator(&agent_address, call("GET_HEALTH")).await["get_health"]["healthy"], true);
    let containers = operator(&agent_address, call("GET_CONTAINERS")).await;
    let container = first("agent containers", &containers["get_containers"], "containers");
    assert_eq!(container["executor_id"]["value"], "watched-task", "{containers}");
    check("agent container", container, &[("container_id", Obj), ("container_status", Obj), ("framework_id", Obj)]);
    let sandbox = format!("/frameworks/{}/executors/watched-task/runs/latest", scheduler.framework_id.value);
    let listed = operator(&agent_address, json!({"type": "LIST_FILES", "list_files": {"path": sandbox}})).await;
    let names: Vec<&str> = listed["list_files"]["file_infos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(names.contains(&format!("{sandbox}/stdout").as_str()), "{listed}");
    let stdout = format!("{sandbox}/stdout");
    let output = mesos_tests::wait::until("the task's output in READ_FILE", mesos_tests::wait::DEADLINE, || {
        let (address, stdout) = (agent_address.clone(), stdout.clone());
        async move {
            let read =
                operator(&address, json!({"type": "READ_FILE", "read_file": {"path": stdout, "offset": 0}})).await;
            let data = read["read_file"]["data"].as_str().unwrap_or_default().to_owned();
            let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).ok()?;
            let text = String::from_utf8(decoded).ok()?;
            text.contains("watched-output").then_some(read)
        }
    })
    .await;
    assert!(output["read_file"]["size"].as_u64().is_some_and(|size| size > 0), "{output}");

    // The operator kills the task from outside; the stream reports it.
    let killed = raw_http::request(
        &master,
        "POST",
        "/master/tasks/kill",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("frameworkId={}&taskId=watched-task", scheduler.framework_id.value).as_bytes(),
    )
    .await;
    assert_eq!(killed.status, 200, "{}", String::from_utf8_lossy(&killed.body));
    scheduler.update("watched-task", TaskState::TaskKilled).await;
    events.until(|e| e.task_updated.as_ref().is_some_and(|u| u.state == TaskState::TaskKilled as i32)).await;

    // The framework is torn down through the legacy endpoint.
    let torn = raw_http::request(
        &master,
        "POST",
        "/master/teardown",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("frameworkId={}", scheduler.framework_id.value).as_bytes(),
    )
    .await;
    assert_eq!(torn.status, 200);
    events.until(|e| e.framework_removed.is_some()).await;
    let unknown = raw_http::request(
        &master,
        "POST",
        "/master/teardown",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"frameworkId=nope",
    )
    .await;
    assert_eq!(unknown.status, 400);
}
