//! The executor library: an executor's subscription to its agent.
//!
//! The agent starts executors with `MESOS_AGENT_ENDPOINT`,
//! `MESOS_FRAMEWORK_ID`, `MESOS_EXECUTOR_ID`, `MESOS_DIRECTORY` and friends in
//! the environment; [`ExecutorEnv::from_env`] reads them. The library keeps
//! every update and launched task until the agent acknowledges it, and sends
//! them again when it re-subscribes. An executor of a checkpointing framework
//! re-subscribes for `MESOS_RECOVERY_TIMEOUT` after losing its agent; others
//! are told the agent is gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mesos_http::client::{Client, ClientError};
use mesos_proto::ContentType;
use mesos_proto::v1::executor::{Call, Event, call, event};
use mesos_proto::v1::{ExecutorId, FrameworkId, TaskId, TaskInfo, TaskStatus, task_status};
use tokio::sync::mpsc;

/// The executor API's path on the agent.
pub const EXECUTOR_PATH: &str = "/api/v1/executor";

/// Why the executor environment is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing or invalid environment variable {0} (is this process started by an agent?)")]
pub struct EnvError(pub &'static str);

/// What the agent tells an executor through its environment.
#[derive(Debug, Clone)]
pub struct ExecutorEnv {
    /// `ip:port` of the agent.
    pub agent_endpoint: String,
    pub framework_id: FrameworkId,
    pub executor_id: ExecutorId,
    /// The sandbox on the host.
    pub directory: String,
    pub checkpoint: bool,
    pub recovery_timeout: Duration,
    pub shutdown_grace_period: Duration,
}

impl ExecutorEnv {
    pub fn from_env() -> Result<ExecutorEnv, EnvError> {
        let var = |name: &'static str| std::env::var(name).map_err(|_| EnvError(name));
        let duration = |name: &'static str, default: Duration| {
            std::env::var(name).ok().and_then(|v| mesos_flags::parse_duration(&v).ok()).unwrap_or(default)
        };
        Ok(ExecutorEnv {
            agent_endpoint: var("MESOS_AGENT_ENDPOINT")?,
            framework_id: FrameworkId { value: var("MESOS_FRAMEWORK_ID")? },
            executor_id: ExecutorId { value: var("MESOS_EXECUTOR_ID")? },
            directory: var("MESOS_DIRECTORY").unwrap_or_else(|_| ".".into()),
            checkpoint: std::env::var("MESOS_CHECKPOINT").is_ok_and(|v| v == "1"),
            recovery_timeout: duration("MESOS_RECOVERY_TIMEOUT", Duration::from_secs(15 * 60)),
            shutdown_grace_period: duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", Duration::from_secs(5)),
        })
    }
}

/// What the subscription task reports.
#[derive(Debug, Clone)]
pub enum ExecutorEvent {
    /// An event from the agent.
    Event(Box<Event>),
    /// The agent is gone for good (or for longer than the recovery timeout).
    AgentLost(String),
}

#[derive(Debug, Default)]
struct Unacknowledged {
    tasks: HashMap<TaskId, TaskInfo>,
    /// Updates by uuid, in the order they were sent.
    updates: Vec<TaskStatus>,
}

/// Makes calls on behalf of the executor.
#[derive(Clone)]
pub struct ExecutorHandle {
    env: ExecutorEnv,
    client: Client,
    content_type: ContentType,
    pending: Arc<Mutex<Unacknowledged>>,
}

/// Entry point of the library.
pub struct Executor;

impl Executor {
    /// Subscribes to the agent; events arrive on the returned channel.
    pub fn start(
        env: ExecutorEnv,
        content_type: ContentType,
    ) -> (ExecutorHandle, mpsc::UnboundedReceiver<ExecutorEvent>) {
        let pending = Arc::new(Mutex::new(Unacknowledged::default()));
        let handle = ExecutorHandle { env: env.clone(), client: Client::new(), content_type, pending: pending.clone() };
        let (events, receiver) = mpsc::unbounded_channel();
        tokio::spawn(subscription_loop(env, content_type, pending, events));
        (handle, receiver)
    }
}

async fn subscription_loop(
    env: ExecutorEnv,
    content_type: ContentType,
    pending: Arc<Mutex<Unacknowledged>>,
    events: mpsc::UnboundedSender<ExecutorEvent>,
) {
    let client = Client::new();
    let url = format!("http://{}{EXECUTOR_PATH}", env.agent_endpoint);
    let mut lost_since: Option<tokio::time::Instant> = None;
    loop {
        let subscribe = {
            let pending = pending.lock().expect("pending lock");
            Call {
                executor_id: env.executor_id.clone(),
                framework_id: env.framework_id.clone(),
                r#type: Some(call::Type::Subscribe as i32),
                subscribe: Some(call::Subscribe {
                    unacknowledged_tasks: pending.tasks.values().cloned().collect(),
                    unacknowledged_updates: pending
                        .updates
                        .iter()
                        .map(|status| call::Update { status: status.clone() })
                        .collect(),
                }),
                ..Default::default()
            }
        };
        match client.subscribe::<Call, Event>(&url, content_type, &subscribe, None).await {
            Ok(mut stream) => {
                lost_since = None;
                while let Some(event) = stream.next().await {
                    let Ok(event) = event else { break };
                    track(&pending, &event);
                    if events.send(ExecutorEvent::Event(Box::new(event))).is_err() {
                        return;
                    }
                }
            }
            Err(error) => {
                if error.status().is_some_and(|s| s.is_client_error()) {
                    let _ = events.send(ExecutorEvent::AgentLost(error.to_string()));
                    return;
                }
                tracing::debug!(%error, "executor subscription failed");
            }
        }
        if !env.checkpoint {
            let _ = events.send(ExecutorEvent::AgentLost("the connection to the agent broke".into()));
            return;
        }
        let since = *lost_since.get_or_insert_with(tokio::time::Instant::now);
        if since.elapsed() > env.recovery_timeout {
            let _ =
                events.send(ExecutorEvent::AgentLost("the agent did not come back within the recovery timeout".into()));
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Keeps launched tasks until an update for them is acknowledged, and
/// updates until acknowledged.
fn track(pending: &Mutex<Unacknowledged>, event: &Event) {
    let mut pending = pending.lock().expect("pending lock");
    match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
        Some(event::Type::Launch) => {
            if let Some(launch) = &event.launch {
                pending.tasks.insert(launch.task.task_id.clone(), launch.task.clone());
            }
        }
        Some(event::Type::LaunchGroup) => {
            if let Some(group) = &event.launch_group {
                for task in &group.task_group.tasks {
                    pending.tasks.insert(task.task_id.clone(), task.clone());
                }
            }
        }
        Some(event::Type::Acknowledged) => {
            if let Some(ack) = &event.acknowledged {
                pending.updates.retain(|u| u.uuid.as_deref() != Some(ack.uuid.as_slice()));
                pending.tasks.remove(&ack.task_id);
            }
        }
        _ => {}
    }
}

impl ExecutorHandle {
    pub fn env(&self) -> &ExecutorEnv {
        &self.env
    }

    async fn send(&self, mut call: Call) -> Result<(), ClientError> {
        call.executor_id = self.env.executor_id.clone();
        call.framework_id = self.env.framework_id.clone();
        let url = format!("http://{}{EXECUTOR_PATH}", self.env.agent_endpoint);
        self.client.call(&url, self.content_type, &call, None).await.map(|_| ())
    }

    /// Sends a reliable status update (uuid, timestamp, source and executor
    /// id are filled in). It is kept until the agent acknowledges it.
    pub async fn update(&self, mut status: TaskStatus) -> Result<Vec<u8>, ClientError> {
        let uuid = crate::new_uuid();
        status.uuid = Some(uuid.clone());
        status.source = Some(task_status::Source::Executor as i32);
        status.executor_id = Some(self.env.executor_id.clone());
        if status.timestamp.is_none() {
            status.timestamp = Some(
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs_f64(),
            );
        }
        self.pending.lock().expect("pending lock").updates.push(status.clone());
        self.send(Call {
            r#type: Some(call::Type::Update as i32),
            update: Some(call::Update { status }),
            ..Default::default()
        })
        .await?;
        Ok(uuid)
    }

    /// Sends a message to the framework's scheduler.
    pub async fn message(&self, data: Vec<u8>) -> Result<(), ClientError> {
        self.send(Call {
            r#type: Some(call::Type::Message as i32),
            message: Some(call::Message { data }),
            ..Default::default()
        })
        .await
    }

    /// Whether every update sent so far was acknowledged by the agent.
    pub fn all_acknowledged(&self) -> bool {
        self.pending.lock().expect("pending lock").updates.is_empty()
    }
}
