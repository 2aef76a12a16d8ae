//! A stand-in for the master daemon: streams are buffers, time is virtual.

use std::collections::HashMap;
use std::time::Duration;

use mesos_master_core::input::{AgentRequest, OperatorCall, Query, SchedulerRequest, View};
use mesos_master_core::{Action, ApiError, Input, Master, MasterConfig, Reply, StreamId};
use mesos_proto::internal::{AgentCall, AgentEvent, agent_call};
use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, Event, call};
use mesos_proto::v1::{
    AgentId, AgentInfo, CommandInfo, FrameworkId, FrameworkInfo, MasterInfo, Offer, TaskId, TaskInfo, TaskState,
    TaskStatus, framework_info, task_status,
};
use mesos_registry::Registry;
use mesos_resources::{ResourceFormat, Resources};

pub struct Harness {
    pub master: Master,
    pub now: Duration,
    next_stream: u64,
    buffers: HashMap<StreamId, Vec<Action>>,
    /// What the daemon's store would hold.
    pub registry: Registry,
    /// While set, registry operations wait for [`Harness::release_registry`].
    pub hold_registry: bool,
    held: Vec<(u64, mesos_registry::Operation)>,
    /// Why the master asked to abort, if it did.
    pub aborted: Option<String>,
    /// Events broadcast to every operator subscription.
    operator_events: Vec<Action>,
}

pub struct TestFramework {
    pub id: FrameworkId,
    pub stream: StreamId,
    pub stream_id: String,
}

pub struct TestAgent {
    pub id: AgentId,
    pub stream: StreamId,
    pub stream_id: String,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(|_| {})
    }

    pub fn with_config(change: impl FnOnce(&mut MasterConfig)) -> Harness {
        let info = MasterInfo { id: "M".into(), ip: 16_777_343, port: 5050, ..Default::default() };
        let mut config = MasterConfig::new(info);
        change(&mut config);
        let now = Duration::from_secs(1_000_000);
        Harness {
            master: Master::new(config, now),
            now,
            next_stream: 1,
            buffers: HashMap::new(),
            registry: Registry::new(),
            hold_registry: false,
            held: Vec::new(),
            aborted: None,
            operator_events: Vec::new(),
        }
    }

    /// Gives the core one input through its door, then routes its actions.
    pub fn input(&mut self, input: Input) -> Result<Reply, ApiError> {
        let reply = self.master.handle(self.now, input);
        self.route();
        reply
    }

    /// Asks the core a question.
    pub fn query(&mut self, query: Query) -> View {
        match self.input(Input::Query(query)) {
            Ok(Reply::View(view)) => view,
            other => panic!("not a view: {other:?}"),
        }
    }

    /// An operator's change; its registry operation is stored at once
    /// unless operations are held.
    pub fn operator_call(&mut self, call: OperatorCall) -> Result<Reply, ApiError> {
        self.input(Input::Operator(call))
    }

    /// A call of a scheduler's, parsed as the daemon parses it, with the
    /// stream id given.
    pub fn raw_call(&mut self, stream_id: Option<&str>, call: Call) -> Result<(), ApiError> {
        match SchedulerRequest::parse(call, stream_id)? {
            SchedulerRequest::Call { framework_id, stream_id, call } => {
                self.input(Input::SchedulerCall { framework_id, stream_id, call }).map(|_| ())
            }
            SchedulerRequest::Subscribe(_) => panic!("SUBSCRIBE opens a stream"),
        }
    }

    /// An agent's REGISTER or REREGISTER on a new stream.
    fn open_agent_stream(&mut self, stream: StreamId, stream_id: String, call: AgentCall) -> Result<AgentId, ApiError> {
        let input = match AgentRequest::parse(call, None)? {
            AgentRequest::Register(register) => Input::AgentRegister { stream, stream_id, register },
            AgentRequest::Reregister(reregister) => Input::AgentReregister { stream, stream_id, reregister },
            AgentRequest::Call { .. } => panic!("not a stream-opening call"),
        };
        match self.input(input)? {
            Reply::AgentSubscribed(id) => Ok(id),
            other => panic!("unexpected reply {other:?}"),
        }
    }

    fn new_stream(&mut self) -> (StreamId, String) {
        self.next_stream += 1;
        (StreamId(self.next_stream), format!("stream-{}", self.next_stream))
    }

    /// Moves the core's actions into per-stream buffers; registry
    /// operations are stored at once, unless `hold_registry` is set.
    fn route(&mut self) {
        loop {
            let actions = self.master.take_actions();
            if actions.is_empty() {
                return;
            }
            let mut stored = Vec::new();
            for action in actions {
                let stream = match &action {
                    Action::ToFramework { stream, .. } | Action::CloseFramework { stream } => *stream,
                    Action::ToAgent { stream, .. } | Action::CloseAgent { stream } => *stream,
                    Action::ToOperator { stream, .. } | Action::CloseOperator { stream } => *stream,
                    Action::ToOperators { .. } => {
                        self.operator_events.push(action);
                        continue;
                    }
                    Action::Registry { ticket, operation } => {
                        if self.hold_registry {
                            self.held.push((*ticket, (**operation).clone()));
                        } else {
                            stored
                                .push((*ticket, self.registry.apply(operation).map(|_| ()).map_err(|e| e.to_string())));
                        }
                        continue;
                    }
                    Action::Abort { message } => {
                        self.aborted = Some(message.clone());
                        continue;
                    }
                };
                self.buffers.entry(stream).or_default().push(action);
            }
            for (ticket, result) in stored {
                self.master.handle(self.now, Input::RegistryApplied { ticket, result }).expect("taken");
            }
        }
    }

    /// The master takes over `registry`, as after a restart or failover.
    pub fn recover(&mut self, registry: Registry) {
        self.registry = registry.clone();
        self.master.recover(registry, self.now);
        self.route();
    }

    /// An agent known by id only, not yet connected (see `reregister_agent`).
    pub fn known_agent(id: &str) -> TestAgent {
        TestAgent { id: AgentId { value: id.into() }, stream: StreamId(0), stream_id: String::new() }
    }

    /// Registry operations held so far.
    pub fn held_operations(&self) -> Vec<mesos_registry::Operation> {
        self.held.iter().map(|(_, operation)| operation.clone()).collect()
    }

    /// Stores the registry operations held so far.
    pub fn release_registry(&mut self) {
        self.hold_registry = false;
        for (ticket, operation) in std::mem::take(&mut self.held) {
            let result = self.registry.apply(&operation).map(|_| ()).map_err(|e| e.to_string());
            self.master.handle(self.now, Input::RegistryApplied { ticket, result }).expect("taken");
        }
        self.route();
    }

    pub fn add_agent(&mut self, resources: &str) -> TestAgent {
        let (stream, stream_id) = self.new_stream();
        let total = mesos_resources::parse::resources(resources, "*").expect("resources");
        let info = AgentInfo {
            hostname: format!("host-{}", stream.0),
            resources: total.to_proto(ResourceFormat::PostRefinement),
            ..Default::default()
        };
        let call = AgentCall {
            r#type: Some(agent_call::Type::Register as i32),
            register: Some(agent_call::Register { agent_info: info, ..Default::default() }),
            ..Default::default()
        };
        let id = self.open_agent_stream(stream, stream_id.clone(), call).expect("registration");
        TestAgent { id, stream, stream_id }
    }

    /// The agent's stream closes.
    pub fn disconnect_agent(&mut self, agent: &TestAgent) {
        self.input(Input::AgentClosed { stream: agent.stream }).expect("taken");
    }

    /// The agent comes back on a new stream, reporting `tasks` (and the
    /// frameworks they belong to).
    pub fn reregister_agent(
        &mut self,
        agent: &mut TestAgent,
        tasks: Vec<mesos_proto::v1::Task>,
        frameworks: Vec<FrameworkInfo>,
    ) -> Result<(), ApiError> {
        self.reregister_agent_with(agent, tasks, frameworks, Vec::new())
    }

    /// Re-registration reporting checkpointed resources too (the agent's
    /// configured resources are `cpus:2;mem:1024;disk:1000`).
    pub fn reregister_agent_with(
        &mut self,
        agent: &mut TestAgent,
        tasks: Vec<mesos_proto::v1::Task>,
        frameworks: Vec<FrameworkInfo>,
        checkpointed_resources: Vec<mesos_proto::v1::Resource>,
    ) -> Result<(), ApiError> {
        let (stream, stream_id) = self.new_stream();
        let info = AgentInfo {
            hostname: "host".into(),
            id: Some(agent.id.clone()),
            resources: mesos_resources::parse::resources("cpus:2;mem:1024;disk:1000", "*")
                .expect("constant resources")
                .to_proto(ResourceFormat::PostRefinement),
            ..Default::default()
        };
        let call = AgentCall {
            agent_id: Some(agent.id.clone()),
            r#type: Some(agent_call::Type::Reregister as i32),
            reregister: Some(agent_call::Reregister {
                agent_info: info,
                tasks,
                frameworks,
                checkpointed_resources,
                ..Default::default()
            }),
            ..Default::default()
        };
        agent.stream = stream;
        agent.stream_id = stream_id.clone();
        self.open_agent_stream(stream, stream_id, call).map(|_| ())
    }

    /// The operator marks the agent gone.
    pub fn mark_gone(&mut self, agent: &TestAgent) -> Result<(), ApiError> {
        self.operator_call(OperatorCall::MarkAgentGone(agent.id.clone())).map(|_| ())
    }

    /// Whether the agent's stream was told to close.
    pub fn agent_closed(&mut self, agent: &TestAgent) -> bool {
        self.buffers.get(&agent.stream).is_some_and(|b| b.iter().any(|a| matches!(a, Action::CloseAgent { .. })))
    }

    pub fn subscribe(&mut self, name: &str, capabilities: &[framework_info::capability::Type]) -> TestFramework {
        self.subscribe_with(name, capabilities, |_| {})
    }

    /// An agent (`cpus:2;mem:1024`) running one task of 1 cpu and 128 MB
    /// of framework "fw", reported TASK_RUNNING (the update is left for
    /// the test to read).
    pub fn running_task(
        &mut self,
        task: &str,
        capabilities: &[framework_info::capability::Type],
        change: impl FnOnce(&mut FrameworkInfo),
    ) -> (TestAgent, TestFramework) {
        let agent = self.add_agent("cpus:2;mem:1024");
        let fw = self.subscribe_with("fw", capabilities, change);
        self.allocate();
        let offer = self.offers(&fw).remove(0);
        self.call(&fw, launch_call(&offer, &[(task, 1.0, 128.0)])).expect("launch");
        self.agent_update(&agent, &fw, task, TaskState::TaskRunning, 1);
        (agent, fw)
    }

    pub fn subscribe_with(
        &mut self,
        name: &str,
        capabilities: &[framework_info::capability::Type],
        change: impl FnOnce(&mut FrameworkInfo),
    ) -> TestFramework {
        let (stream, stream_id) = self.new_stream();
        let mut info = FrameworkInfo {
            user: "u".into(),
            name: name.into(),
            capabilities: capabilities.iter().map(|t| framework_info::Capability { r#type: Some(*t as i32) }).collect(),
            ..Default::default()
        };
        change(&mut info);
        let call = Call {
            r#type: Some(call::Type::Subscribe as i32),
            subscribe: Some(call::Subscribe { framework_info: info, ..Default::default() }),
            ..Default::default()
        };
        let Ok(SchedulerRequest::Subscribe(subscribe)) = SchedulerRequest::parse(call, None) else {
            panic!("a valid SUBSCRIBE")
        };
        let subscribe = Box::new(subscribe);
        self.input(Input::SchedulerSubscribe { stream, stream_id: stream_id.clone(), subscribe })
            .expect("subscription");
        let subscribed = self.framework_events_of(stream).into_iter().find_map(|e| e.subscribed).expect("SUBSCRIBED");
        TestFramework { id: subscribed.framework_id, stream, stream_id }
    }

    pub fn disconnect(&mut self, framework: &TestFramework) {
        self.input(Input::SchedulerClosed { stream: framework.stream }).expect("taken");
    }

    pub fn call(&mut self, framework: &TestFramework, mut call: Call) -> Result<(), ApiError> {
        call.framework_id = Some(framework.id.clone());
        self.raw_call(Some(&framework.stream_id.clone()), call)
    }

    /// An operator subscribes to the event stream.
    pub fn subscribe_operator(&mut self) -> StreamId {
        let (stream, _) = self.new_stream();
        self.input(Input::OperatorSubscribe { stream }).expect("taken");
        stream
    }

    /// The events sent to one operator stream alone (SUBSCRIBED, HEARTBEAT).
    pub fn operator_stream(&mut self, stream: StreamId) -> Vec<mesos_proto::v1::master::Event> {
        let actions = self.buffers.remove(&stream).unwrap_or_default();
        actions
            .into_iter()
            .filter_map(|a| if let Action::ToOperator { event, .. } = a { Some(*event) } else { None })
            .collect()
    }

    /// Whether an operator stream was told to close.
    pub fn operator_closed(&self, stream: StreamId) -> bool {
        self.buffers.get(&stream).is_some_and(|b| b.iter().any(|a| matches!(a, Action::CloseOperator { .. })))
    }

    /// The events broadcast to every operator since the last call.
    pub fn operator_events(&mut self) -> Vec<mesos_proto::v1::master::Event> {
        std::mem::take(&mut self.operator_events)
            .into_iter()
            .filter_map(|a| if let Action::ToOperators { event } = a { Some(*event) } else { None })
            .collect()
    }

    pub fn allocate(&mut self) {
        self.input(Input::Allocate).expect("taken");
    }

    /// Moves time forward in one-second steps, firing timers and answering
    /// nothing (agents stay silent).
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while self.now < end {
            self.now = (self.now + Duration::from_secs(1)).min(end);
            self.input(Input::Tick).expect("taken");
        }
    }

    fn framework_events_of(&mut self, stream: StreamId) -> Vec<Event> {
        let actions = self.buffers.remove(&stream).unwrap_or_default();
        actions
            .into_iter()
            .filter_map(|a| if let Action::ToFramework { event, .. } = a { Some(*event) } else { None })
            .collect()
    }

    pub fn framework_events(&mut self, framework: &TestFramework) -> Vec<Event> {
        self.framework_events_of(framework.stream)
    }

    pub fn agent_events(&mut self, agent: &TestAgent) -> Vec<AgentEvent> {
        let actions = self.buffers.remove(&agent.stream).unwrap_or_default();
        actions
            .into_iter()
            .filter_map(|a| if let Action::ToAgent { event, .. } = a { Some(*event) } else { None })
            .collect()
    }

    pub fn offers(&mut self, framework: &TestFramework) -> Vec<Offer> {
        self.framework_events(framework).into_iter().filter_map(|e| e.offers).flat_map(|o| o.offers).collect()
    }

    pub fn updates(&mut self, framework: &TestFramework) -> Vec<TaskStatus> {
        self.framework_events(framework).into_iter().filter_map(|e| e.update).map(|u| u.status).collect()
    }

    /// The agent reports a task's state with uuid `[n; 16]`.
    pub fn agent_update(&mut self, agent: &TestAgent, framework: &TestFramework, task: &str, state: TaskState, n: u8) {
        self.agent_update_with_latest(agent, framework, task, state, n, None);
    }

    /// The agent reports a task's state with uuid `[n; 16]`, and the latest
    /// state it knows of.
    pub fn agent_update_with_latest(
        &mut self,
        agent: &TestAgent,
        framework: &TestFramework,
        task: &str,
        state: TaskState,
        n: u8,
        latest: Option<TaskState>,
    ) {
        let status = TaskStatus {
            task_id: TaskId { value: task.into() },
            state: state as i32,
            source: Some(task_status::Source::Executor as i32),
            uuid: Some(vec![n; 16]),
            ..Default::default()
        };
        let call = AgentCall {
            agent_id: Some(agent.id.clone()),
            r#type: Some(agent_call::Type::StatusUpdate as i32),
            status_update: Some(agent_call::StatusUpdate {
                framework_id: framework.id.clone(),
                status,
                latest_state: latest.map(|s| s as i32),
            }),
            ..Default::default()
        };
        let Ok(AgentRequest::Call { agent_id, call, .. }) = AgentRequest::parse(call, None) else {
            panic!("a valid agent call")
        };
        let stream_id = Some(agent.stream_id.clone());
        self.input(Input::AgentCall { agent_id, stream_id, call }).expect("update accepted");
    }

    pub fn acknowledge(
        &mut self,
        framework: &TestFramework,
        agent: &TestAgent,
        task: &str,
        n: u8,
    ) -> Result<(), ApiError> {
        let call = Call {
            r#type: Some(call::Type::Acknowledge as i32),
            acknowledge: Some(call::Acknowledge {
                agent_id: agent.id.clone(),
                task_id: TaskId { value: task.into() },
                uuid: vec![n; 16],
            }),
            ..Default::default()
        };
        self.call(framework, call)
    }
}

/// An ACCEPT launching command tasks `(id, cpus, mem)` on `offer`.
pub fn launch_call(offer: &Offer, tasks: &[(&str, f64, f64)]) -> Call {
    let tasks = tasks
        .iter()
        .map(|(id, cpus, mem)| TaskInfo {
            name: (*id).into(),
            task_id: TaskId { value: (*id).into() },
            agent_id: offer.agent_id.clone(),
            resources: mesos_resources::parse::resources(&format!("cpus:{cpus};mem:{mem}"), "*")
                .map(|r: Resources| r.to_proto(ResourceFormat::PostRefinement))
                .expect("resources"),
            command: Some(CommandInfo { value: Some("true".into()), ..Default::default() }),
            ..Default::default()
        })
        .collect();
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..Default::default()
    }
}
