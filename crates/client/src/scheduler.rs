//! The scheduler library: a framework's subscription to the master and its
//! calls.
//!
//! [`Scheduler::start`] spawns a task that subscribes and forwards every
//! event. When the stream breaks, or five heartbeat intervals pass without
//! an event, it subscribes again with the framework id it was given, after a
//! randomized backoff, following a non-leading master's redirect to the
//! leader; with a `zk://` master it follows the leader in ZooKeeper and
//! re-subscribes when it changes. Calls go through a [`SchedulerHandle`] on separate connections
//! with the current `Mesos-Stream-Id`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mesos_http::client::{Client, ClientError};
use mesos_proto::ContentType;
use mesos_proto::v1::scheduler::{Call, Event, call, event};
use mesos_proto::v1::{AgentId, ExecutorId, Filters, FrameworkId, FrameworkInfo, Offer, OfferId, TaskId, TaskStatus};
use tokio::sync::{mpsc, watch};

/// The scheduler API's path.
pub const SCHEDULER_PATH: &str = "/api/v1/scheduler";

/// Settings of a scheduler.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// `host:port` (or `master@host:port`, `http://host:port`), or
    /// `zk://host:port/path` to follow the leading master.
    pub master: String,
    pub framework: FrameworkInfo,
    pub content_type: ContentType,
    /// Longest wait between subscription attempts.
    pub max_backoff: Duration,
    /// Give up after this many failed subscription attempts in a row
    /// (`None`: never).
    pub max_attempts: Option<u32>,
}

impl SchedulerConfig {
    pub fn new(master: impl Into<String>, framework: FrameworkInfo) -> SchedulerConfig {
        SchedulerConfig {
            master: master.into(),
            framework,
            content_type: ContentType::Protobuf,
            max_backoff: Duration::from_secs(30),
            max_attempts: None,
        }
    }
}

/// What the subscription task reports.
#[derive(Debug, Clone)]
pub enum SchedulerEvent {
    /// A subscription is open; SUBSCRIBED follows as an event.
    Connected,
    /// The subscription broke; the library is re-subscribing.
    Disconnected,
    /// An event from the master.
    Event(Box<Event>),
    /// The library gave up: the master refused the subscription for good or
    /// could not be reached within the allowed attempts.
    Failed(String),
}

#[derive(Debug, Default)]
struct Session {
    base_url: String,
    stream_id: Option<String>,
    framework_id: Option<FrameworkId>,
}

/// Makes calls on behalf of a subscribed framework.
#[derive(Clone)]
pub struct SchedulerHandle {
    session: Arc<Mutex<Session>>,
    client: Client,
    content_type: ContentType,
}

/// Entry point of the library.
pub struct Scheduler;

impl Scheduler {
    /// Starts subscribing; events arrive on the returned channel.
    pub fn start(
        config: SchedulerConfig,
    ) -> Result<(SchedulerHandle, mpsc::UnboundedReceiver<SchedulerEvent>), crate::master::MasterAddressError> {
        let leader = crate::master::source(&config.master)?.follow();
        let base_url = leader.borrow().as_ref().map(|address| format!("http://{address}")).unwrap_or_default();
        let session =
            Arc::new(Mutex::new(Session { base_url, stream_id: None, framework_id: config.framework.id.clone() }));
        let handle =
            SchedulerHandle { session: session.clone(), client: Client::new(), content_type: config.content_type };
        let (events, receiver) = mpsc::unbounded_channel();
        tokio::spawn(subscription_loop(config, session, events, leader));
        Ok((handle, receiver))
    }
}

async fn subscription_loop(
    config: SchedulerConfig,
    session: Arc<Mutex<Session>>,
    events: mpsc::UnboundedSender<SchedulerEvent>,
    mut leader: watch::Receiver<Option<String>>,
) {
    let client = Client::new();
    let mut failures = 0u32;
    let mut backoff = Duration::from_millis(500);
    let mut redirected = false;
    loop {
        // Subscribe to the current leader (unless a redirect named it).
        if !std::mem::take(&mut redirected) {
            let Ok(current) = leader.wait_for(Option::is_some).await else { return };
            let address = current.clone().unwrap_or_default();
            session.lock().expect("session lock").base_url = format!("http://{address}");
        }
        let (url, framework_id) = {
            let session = session.lock().expect("session lock");
            (format!("{}{SCHEDULER_PATH}", session.base_url), session.framework_id.clone())
        };
        let mut framework = config.framework.clone();
        framework.id = framework_id.clone();
        let subscribe = Call {
            framework_id,
            r#type: Some(call::Type::Subscribe as i32),
            subscribe: Some(call::Subscribe {
                framework_info: framework,
                suppressed_roles: Vec::new(),
                offer_constraints: None,
            }),
            ..Default::default()
        };
        match client.subscribe::<Call, Event>(&url, config.content_type, &subscribe, None).await {
            Ok(mut stream) => {
                failures = 0;
                backoff = Duration::from_millis(500);
                session.lock().expect("session lock").stream_id = stream.stream_id.clone();
                if events.send(SchedulerEvent::Connected).is_err() {
                    return;
                }
                let mut heartbeat = Duration::from_secs(15);
                leader.mark_unchanged();
                loop {
                    // Five missed heartbeats mean the connection is dead;
                    // a new leader means re-subscribing with it.
                    let next = tokio::select! {
                        next = tokio::time::timeout(heartbeat * 5, stream.next()) => next,
                        changed = leader.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            tracing::info!(leader = ?*leader.borrow(), "the leading master changed; re-subscribing");
                            break;
                        }
                    };
                    let event = match next {
                        Ok(Some(Ok(event))) => event,
                        Ok(Some(Err(error))) => {
                            tracing::warn!(%error, "scheduler stream failed");
                            break;
                        }
                        Ok(None) => break,
                        Err(_) => {
                            tracing::warn!("no heartbeat from the master; re-subscribing");
                            break;
                        }
                    };
                    if let Some(subscribed) = &event.subscribed {
                        session.lock().expect("session lock").framework_id = Some(subscribed.framework_id.clone());
                        if let Some(seconds) =
                            subscribed.heartbeat_interval_seconds.filter(|s| s.is_finite() && *s > 0.0)
                        {
                            heartbeat = Duration::from_secs_f64(seconds);
                        }
                    }
                    let error = event.r#type == Some(event::Type::Error as i32);
                    if events.send(SchedulerEvent::Event(Box::new(event))).is_err() {
                        return;
                    }
                    if error {
                        // ERROR ends the subscription for good (e.g. the
                        // framework was removed or failed over elsewhere).
                        return;
                    }
                }
                session.lock().expect("session lock").stream_id = None;
                if events.send(SchedulerEvent::Disconnected).is_err() {
                    return;
                }
            }
            Err(error) => {
                if let Some(target) = error.redirect() {
                    session.lock().expect("session lock").base_url = format!("http://{target}");
                    redirected = true;
                    continue;
                }
                if error.status().is_some_and(|s| s.is_client_error()) {
                    let _ = events.send(SchedulerEvent::Failed(error.to_string()));
                    return;
                }
                failures += 1;
                tracing::warn!(%error, "failed to subscribe");
                if config.max_attempts.is_some_and(|max| failures >= max) {
                    let _ = events.send(SchedulerEvent::Failed(error.to_string()));
                    return;
                }
            }
        }
        let wait = backoff.mul_f64(rand::random::<f64>() + 0.5);
        tokio::select! {
            () = tokio::time::sleep(wait) => backoff = (backoff * 2).min(config.max_backoff),
            // A new leader is tried at once, with the backoff started over.
            changed = leader.changed() => {
                if changed.is_err() {
                    return;
                }
                backoff = Duration::from_millis(500);
            }
        }
    }
}

impl SchedulerHandle {
    /// The framework id, once subscribed.
    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.session.lock().expect("session lock").framework_id.clone()
    }

    /// Sends a call with the framework id and stream id filled in.
    pub async fn call(&self, mut call: Call) -> Result<(), ClientError> {
        let (url, stream_id, framework_id) = {
            let session = self.session.lock().expect("session lock");
            (format!("{}{SCHEDULER_PATH}", session.base_url), session.stream_id.clone(), session.framework_id.clone())
        };
        if call.framework_id.is_none() {
            call.framework_id = framework_id;
        }
        self.client.call(&url, self.content_type, &call, stream_id.as_deref()).await.map(|_| ())
    }

    /// Accepts offers with operations (LAUNCH, LAUNCH_GROUP, ...).
    pub async fn accept(
        &self,
        offer_ids: Vec<OfferId>,
        operations: Vec<mesos_proto::v1::offer::Operation>,
        filters: Option<Filters>,
    ) -> Result<(), ClientError> {
        self.call(Call {
            r#type: Some(call::Type::Accept as i32),
            accept: Some(call::Accept { offer_ids, operations, filters }),
            ..Default::default()
        })
        .await
    }

    /// Launches tasks on one offer.
    pub async fn launch(&self, offer: &Offer, tasks: Vec<mesos_proto::v1::TaskInfo>) -> Result<(), ClientError> {
        let operation = mesos_proto::v1::offer::Operation {
            r#type: Some(mesos_proto::v1::offer::operation::Type::Launch as i32),
            launch: Some(mesos_proto::v1::offer::operation::Launch { task_infos: tasks }),
            ..Default::default()
        };
        self.accept(vec![offer.id.clone()], vec![operation], None).await
    }

    pub async fn decline(&self, offer_ids: Vec<OfferId>, filters: Option<Filters>) -> Result<(), ClientError> {
        self.call(Call {
            r#type: Some(call::Type::Decline as i32),
            decline: Some(call::Decline { offer_ids, filters }),
            ..Default::default()
        })
        .await
    }

    /// Acknowledges an update if it needs it (it carries a uuid).
    pub async fn acknowledge(&self, status: &TaskStatus) -> Result<(), ClientError> {
        let (Some(uuid), Some(agent_id)) = (&status.uuid, &status.agent_id) else {
            return Ok(());
        };
        self.call(Call {
            r#type: Some(call::Type::Acknowledge as i32),
            acknowledge: Some(call::Acknowledge {
                agent_id: agent_id.clone(),
                task_id: status.task_id.clone(),
                uuid: uuid.clone(),
            }),
            ..Default::default()
        })
        .await
    }

    pub async fn kill(&self, task_id: TaskId, agent_id: Option<AgentId>) -> Result<(), ClientError> {
        self.call(Call {
            r#type: Some(call::Type::Kill as i32),
            kill: Some(call::Kill { task_id, agent_id, kill_policy: None }),
            ..Default::default()
        })
        .await
    }

    /// RECONCILE: explicit for the given tasks, implicit when empty.
    pub async fn reconcile(&self, tasks: Vec<(TaskId, Option<AgentId>)>) -> Result<(), ClientError> {
        let tasks = tasks.into_iter().map(|(task_id, agent_id)| call::reconcile::Task { task_id, agent_id }).collect();
        self.call(Call {
            r#type: Some(call::Type::Reconcile as i32),
            reconcile: Some(call::Reconcile { tasks }),
            ..Default::default()
        })
        .await
    }

    pub async fn revive(&self, roles: Vec<String>) -> Result<(), ClientError> {
        self.call(Call {
            r#type: Some(call::Type::Revive as i32),
            revive: Some(call::Revive { roles }),
            ..Default::default()
        })
        .await
    }

    pub async fn suppress(&self, roles: Vec<String>) -> Result<(), ClientError> {
        self.call(Call {
            r#type: Some(call::Type::Suppress as i32),
            suppress: Some(call::Suppress { roles }),
            ..Default::default()
        })
        .await
    }

    pub async fn message(&self, agent_id: AgentId, executor_id: ExecutorId, data: Vec<u8>) -> Result<(), ClientError> {
        self.call(Call {
            r#type: Some(call::Type::Message as i32),
            message: Some(call::Message { agent_id, executor_id, data }),
            ..Default::default()
        })
        .await
    }

    /// Ends the framework: its tasks are killed and it is removed.
    pub async fn teardown(&self) -> Result<(), ClientError> {
        self.call(Call { r#type: Some(call::Type::Teardown as i32), ..Default::default() }).await
    }
}
