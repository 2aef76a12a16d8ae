//! Everything that can happen to an agent, as one closed set of typed
//! inputs. Wire messages are parsed here once, at the core's edge, into
//! values whose required parts are present; [`crate::Agent::handle`] is the
//! one door through which the daemon, the simulation and the tests drive
//! the core.

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::executor::{Call, call};
use mesos_proto::v1::{
    self, AgentId, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, KillPolicy, TaskGroupInfo, TaskId, TaskInfo,
    TaskState, task_status,
};

use crate::agent::containers::ContainerLimitation;
use crate::agent::executors::ExecutorError;
use crate::outbox::CheckpointTicket;
use crate::records::ExecutorStream;

/// One thing that happened to the agent.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentInput {
    /// A message from the master on the current connection.
    FromMaster(FromMaster),
    /// The connection to the master is gone; updates wait for the next.
    MasterDisconnected,
    /// An executor subscribes on a new stream.
    ExecutorSubscribe { stream: ExecutorStream, subscribe: ExecutorSubscribe },
    /// A call from a subscribed executor.
    ExecutorCall(ExecutorCall),
    /// An executor's subscription stream closed.
    ExecutorClosed { stream: ExecutorStream },
    /// A container could not be started.
    ContainerLaunchFailed { container_id: String, message: String },
    /// A container ended (its executor exited or was killed), with the raw
    /// wait status when known.
    ContainerExited { container_id: String, status: Option<i32> },
    /// A container went over a limit of its isolation.
    ContainerLimited { container_id: String, limitation: ContainerLimitation },
    /// The checkpoint with this ticket (and every earlier one) is durable.
    CheckpointStored { ticket: CheckpointTicket },
    /// The checkpoint with this ticket could not be written.
    CheckpointFailed { ticket: CheckpointTicket, error: String },
    /// Time passed: retries and timeouts that are due.
    Tick,
}

impl AgentInput {
    /// Every kind of input, as [`AgentInput::kind`] names them (a message
    /// from the master is named by its own kind).
    pub const KINDS: &[&str] = &[
        "MasterDisconnected",
        "ExecutorSubscribe",
        "ExecutorCall",
        "ExecutorClosed",
        "ContainerLaunchFailed",
        "ContainerExited",
        "ContainerLimited",
        "CheckpointStored",
        "CheckpointFailed",
        "Tick",
    ];

    /// The input's kind, for traces and for counting what a simulation
    /// exercised.
    pub fn kind(&self) -> &'static str {
        match self {
            AgentInput::FromMaster(message) => message.kind(),
            AgentInput::MasterDisconnected => "MasterDisconnected",
            AgentInput::ExecutorSubscribe { .. } => "ExecutorSubscribe",
            AgentInput::ExecutorCall(_) => "ExecutorCall",
            AgentInput::ExecutorClosed { .. } => "ExecutorClosed",
            AgentInput::ContainerLaunchFailed { .. } => "ContainerLaunchFailed",
            AgentInput::ContainerExited { .. } => "ContainerExited",
            AgentInput::ContainerLimited { .. } => "ContainerLimited",
            AgentInput::CheckpointStored { .. } => "CheckpointStored",
            AgentInput::CheckpointFailed { .. } => "CheckpointFailed",
            AgentInput::Tick => "Tick",
        }
    }
}

/// A message from the master, with its required fields present.
#[derive(Debug, Clone, PartialEq)]
pub enum FromMaster {
    /// REGISTERED or REREGISTERED.
    Registered {
        agent_id: AgentId,
    },
    RunTask {
        framework: Box<FrameworkInfo>,
        framework_id: FrameworkId,
        task: Box<TaskInfo>,
    },
    RunTaskGroup {
        framework: Box<FrameworkInfo>,
        framework_id: FrameworkId,
        executor: Box<ExecutorInfo>,
        group: TaskGroupInfo,
    },
    KillTask {
        framework_id: FrameworkId,
        task_id: TaskId,
        kill_policy: Option<KillPolicy>,
    },
    Acknowledge {
        framework_id: FrameworkId,
        task_id: TaskId,
        uuid: Vec<u8>,
    },
    FrameworkToExecutor {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    },
    ShutdownFramework {
        framework_id: FrameworkId,
    },
    ShutdownExecutor {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
    },
    UpdateFramework {
        framework: Box<FrameworkInfo>,
        framework_id: FrameworkId,
    },
    CheckpointResources {
        resources: Vec<v1::Resource>,
    },
    Ping {
        sequence: Option<u64>,
    },
    /// The master will not have this agent back.
    Shutdown {
        message: String,
    },
    /// The master refused something the agent sent.
    Error {
        message: String,
    },
}

impl FromMaster {
    /// Every kind of message, as [`FromMaster::kind`] names them.
    pub const KINDS: &[&str] = &[
        "Registered",
        "RunTask",
        "RunTaskGroup",
        "KillTask",
        "Acknowledge",
        "FrameworkToExecutor",
        "ShutdownFramework",
        "ShutdownExecutor",
        "UpdateFramework",
        "CheckpointResources",
        "Ping",
        "Shutdown",
        "Error",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            FromMaster::Registered { .. } => "Registered",
            FromMaster::RunTask { .. } => "RunTask",
            FromMaster::RunTaskGroup { .. } => "RunTaskGroup",
            FromMaster::KillTask { .. } => "KillTask",
            FromMaster::Acknowledge { .. } => "Acknowledge",
            FromMaster::FrameworkToExecutor { .. } => "FrameworkToExecutor",
            FromMaster::ShutdownFramework { .. } => "ShutdownFramework",
            FromMaster::ShutdownExecutor { .. } => "ShutdownExecutor",
            FromMaster::UpdateFramework { .. } => "UpdateFramework",
            FromMaster::CheckpointResources { .. } => "CheckpointResources",
            FromMaster::Ping { .. } => "Ping",
            FromMaster::Shutdown { .. } => "Shutdown",
            FromMaster::Error { .. } => "Error",
        }
    }
}

/// Why a message from the master could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterMessageError {
    #[error("the master sent an event without a known type")]
    UnknownType,
    #[error("the master sent {event} without '{field}'")]
    Missing { event: &'static str, field: &'static str },
}

impl TryFrom<AgentEvent> for FromMaster {
    type Error = MasterMessageError;

    fn try_from(event: AgentEvent) -> Result<FromMaster, MasterMessageError> {
        use agent_event::Type;
        let kind = event.r#type.and_then(|t| Type::try_from(t).ok()).unwrap_or(Type::Unknown);
        let missing = |event: &'static str, field: &'static str| MasterMessageError::Missing { event, field };
        let framework_id_of = |info: &FrameworkInfo, event: &'static str| {
            info.id.clone().ok_or(MasterMessageError::Missing { event, field: "framework_info.id" })
        };
        Ok(match kind {
            Type::Registered | Type::Reregistered => {
                let registered = event.registered.ok_or(missing("REGISTERED", "registered"))?;
                FromMaster::Registered { agent_id: registered.agent_id }
            }
            Type::RunTask => {
                let run = event.run_task.ok_or(missing("RUN_TASK", "run_task"))?;
                let framework_id = framework_id_of(&run.framework_info, "RUN_TASK")?;
                FromMaster::RunTask { framework: Box::new(run.framework_info), framework_id, task: Box::new(run.task) }
            }
            Type::RunTaskGroup => {
                let run = event.run_task_group.ok_or(missing("RUN_TASK_GROUP", "run_task_group"))?;
                let framework_id = framework_id_of(&run.framework_info, "RUN_TASK_GROUP")?;
                FromMaster::RunTaskGroup {
                    framework: Box::new(run.framework_info),
                    framework_id,
                    executor: Box::new(run.executor_info),
                    group: run.task_group,
                }
            }
            Type::KillTask => {
                let kill = event.kill_task.ok_or(missing("KILL_TASK", "kill_task"))?;
                FromMaster::KillTask {
                    framework_id: kill.framework_id,
                    task_id: kill.task_id,
                    kill_policy: kill.kill_policy,
                }
            }
            Type::Acknowledge => {
                let ack = event.acknowledge.ok_or(missing("ACKNOWLEDGE", "acknowledge"))?;
                FromMaster::Acknowledge { framework_id: ack.framework_id, task_id: ack.task_id, uuid: ack.uuid }
            }
            Type::FrameworkToExecutor => {
                let message =
                    event.framework_to_executor.ok_or(missing("FRAMEWORK_TO_EXECUTOR", "framework_to_executor"))?;
                FromMaster::FrameworkToExecutor {
                    framework_id: message.framework_id,
                    executor_id: message.executor_id,
                    data: message.data,
                }
            }
            Type::ShutdownFramework => {
                let shutdown = event.shutdown_framework.ok_or(missing("SHUTDOWN_FRAMEWORK", "shutdown_framework"))?;
                FromMaster::ShutdownFramework { framework_id: shutdown.framework_id }
            }
            Type::ShutdownExecutor => {
                let shutdown = event.shutdown_executor.ok_or(missing("SHUTDOWN_EXECUTOR", "shutdown_executor"))?;
                FromMaster::ShutdownExecutor { framework_id: shutdown.framework_id, executor_id: shutdown.executor_id }
            }
            Type::UpdateFramework => {
                let update = event.update_framework.ok_or(missing("UPDATE_FRAMEWORK", "update_framework"))?;
                let framework_id = framework_id_of(&update.framework_info, "UPDATE_FRAMEWORK")?;
                FromMaster::UpdateFramework { framework: Box::new(update.framework_info), framework_id }
            }
            Type::CheckpointResources => {
                let checkpoint =
                    event.checkpoint_resources.ok_or(missing("CHECKPOINT_RESOURCES", "checkpoint_resources"))?;
                FromMaster::CheckpointResources { resources: checkpoint.resources }
            }
            Type::Ping => FromMaster::Ping { sequence: event.ping.and_then(|p| p.sequence) },
            Type::Shutdown => FromMaster::Shutdown {
                message: event.shutdown.and_then(|s| s.message).unwrap_or_else(|| "asked to shut down".into()),
            },
            Type::Error => FromMaster::Error { message: event.error.ok_or(missing("ERROR", "error"))?.message },
            Type::Unknown => return Err(MasterMessageError::UnknownType),
        })
    }
}

/// An executor's SUBSCRIBE.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorSubscribe {
    pub framework_id: FrameworkId,
    pub executor_id: ExecutorId,
    /// Updates the executor sent and never saw acknowledged, each valid.
    pub unacknowledged_updates: Vec<v1::TaskStatus>,
}

/// A call of a subscribed executor.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorCall {
    pub framework_id: FrameworkId,
    pub executor_id: ExecutorId,
    pub kind: ExecutorCallKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExecutorCallKind {
    /// A valid status update.
    Update(Box<v1::TaskStatus>),
    Message(Vec<u8>),
    Heartbeat,
}

impl ExecutorCall {
    /// Whether this is an update of a terminal state.
    pub fn is_terminal_update(&self) -> bool {
        matches!(&self.kind, ExecutorCallKind::Update(status)
            if TaskState::try_from(status.state).is_ok_and(|s| s.is_terminal()))
    }
}

/// A parsed call of the v1 executor API.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecutorRequest {
    Subscribe(ExecutorSubscribe),
    Call(ExecutorCall),
}

impl TryFrom<Call> for ExecutorRequest {
    type Error = ExecutorError;

    /// Mesos's validation of an executor call: the type and its message
    /// present, updates with a 16-byte uuid, never TASK_STAGING, from the
    /// executor, about the executor that sends them.
    fn try_from(call: Call) -> Result<ExecutorRequest, ExecutorError> {
        let kind = call.r#type.and_then(|t| call::Type::try_from(t).ok()).unwrap_or(call::Type::Unknown);
        let (framework_id, executor_id) = (call.framework_id, call.executor_id);
        let kind = match kind {
            call::Type::Subscribe => {
                let unacknowledged_updates = call
                    .subscribe
                    .map(|s| s.unacknowledged_updates)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|update| update.status)
                    .filter(|status| validate_update(status).is_ok())
                    .collect();
                return Ok(ExecutorRequest::Subscribe(ExecutorSubscribe {
                    framework_id,
                    executor_id,
                    unacknowledged_updates,
                }));
            }
            call::Type::Update => {
                let update =
                    call.update.ok_or_else(|| ExecutorError::BadRequest("Expecting 'update' to be present".into()))?;
                validate_update(&update.status)?;
                if update.status.executor_id.as_ref().is_some_and(|e| *e != executor_id) {
                    return Err(ExecutorError::BadRequest("'status.executor_id' does not match the executor".into()));
                }
                ExecutorCallKind::Update(Box::new(update.status))
            }
            call::Type::Message => {
                let message = call
                    .message
                    .ok_or_else(|| ExecutorError::BadRequest("Expecting 'message' to be present".into()))?;
                ExecutorCallKind::Message(message.data)
            }
            call::Type::Heartbeat => ExecutorCallKind::Heartbeat,
            call::Type::Unknown => return Err(ExecutorError::BadRequest("Expecting 'type' to be present".into())),
        };
        Ok(ExecutorRequest::Call(ExecutorCall { framework_id, executor_id, kind }))
    }
}

/// Mesos's checks of an executor's status update.
fn validate_update(status: &v1::TaskStatus) -> Result<(), ExecutorError> {
    match &status.uuid {
        None => {
            return Err(ExecutorError::BadRequest("Expecting 'uuid' to be present".into()));
        }
        Some(uuid) if uuid.len() != 16 => {
            return Err(ExecutorError::BadRequest("'uuid' must be a 16-byte UUID".into()));
        }
        _ => {}
    }
    if status.state == TaskState::TaskStaging as i32 {
        return Err(ExecutorError::BadRequest("Received TASK_STAGING from an executor, which is not allowed".into()));
    }
    if let Some(source) = status.source
        && source != task_status::Source::Executor as i32
    {
        return Err(ExecutorError::BadRequest("Received an update with a source other than SOURCE_EXECUTOR".into()));
    }
    Ok(())
}
