//! A scheduler for tests, on the raw HTTP client so a test controls exactly
//! when it subscribes, disconnects and calls.

use std::time::Duration;

use mesos_http::client::{Client, ClientError, Subscription};
use mesos_proto::ContentType;
use mesos_proto::v1::scheduler::{Call, Event, call, event};
use mesos_proto::v1::{FrameworkId, FrameworkInfo, Offer, TaskStatus};
use mesos_tests::wait::DEADLINE;

pub struct TestScheduler {
    pub client: Client,
    pub url: String,
    pub stream: Subscription<Event>,
    pub stream_id: String,
    pub framework_id: FrameworkId,
    pub content_type: ContentType,
}

/// A FrameworkInfo for tests.
pub fn framework(name: &str) -> FrameworkInfo {
    FrameworkInfo { user: "root".into(), name: name.into(), ..Default::default() }
}

impl TestScheduler {
    /// Subscribes and waits for SUBSCRIBED.
    pub async fn subscribe(master: &str, info: FrameworkInfo) -> TestScheduler {
        TestScheduler::subscribe_as(master, info, ContentType::Json).await
    }

    pub async fn subscribe_as(master: &str, info: FrameworkInfo, content_type: ContentType) -> TestScheduler {
        let client = Client::new();
        let url = format!("http://{master}/api/v1/scheduler");
        let call = Call {
            framework_id: info.id.clone(),
            r#type: Some(call::Type::Subscribe as i32),
            subscribe: Some(call::Subscribe { framework_info: info, ..Default::default() }),
            ..Default::default()
        };
        let stream = client.subscribe::<Call, Event>(&url, content_type, &call, None).await.expect("subscription");
        let stream_id = stream.stream_id.clone().expect("Mesos-Stream-Id header");
        let mut scheduler =
            TestScheduler { client, url, stream, stream_id, framework_id: FrameworkId::default(), content_type };
        let subscribed = scheduler.expect(|e| e.subscribed.is_some()).await;
        scheduler.framework_id = subscribed.subscribed.expect("checked").framework_id;
        scheduler
    }

    /// The next event, skipping heartbeats.
    pub async fn next(&mut self) -> Event {
        loop {
            let event = tokio::time::timeout(DEADLINE, self.stream.next())
                .await
                .expect("an event in time")
                .expect("the stream to stay open")
                .expect("a decodable event");
            if event.r#type != Some(event::Type::Heartbeat as i32) {
                return event;
            }
        }
    }

    /// Waits for the first event matching `wanted`, acknowledging and
    /// dropping others; fails after the deadline, listing what it saw.
    pub async fn expect(&mut self, wanted: impl Fn(&Event) -> bool) -> Event {
        let start = tokio::time::Instant::now();
        let mut seen = Vec::new();
        loop {
            let left = DEADLINE.saturating_sub(start.elapsed());
            let event = match tokio::time::timeout(left, self.next()).await {
                Ok(event) => event,
                Err(_) => panic!("no matching event within {DEADLINE:?}; saw:\n{}", seen.join("\n")),
            };
            if wanted(&event) {
                return event;
            }
            if let Some(update) = &event.update {
                self.acknowledge(&update.status).await;
            }
            seen.push(mesos_proto::json::to_string(&event));
        }
    }

    /// Waits for an offer.
    pub async fn offer(&mut self) -> Offer {
        let event = self.expect(|e| e.offers.as_ref().is_some_and(|o| !o.offers.is_empty())).await;
        event.offers.expect("checked").offers.remove(0)
    }

    /// Waits for an update of `task` in `state`, acknowledging every update
    /// on the way.
    pub async fn update(&mut self, task: &str, state: mesos_proto::v1::TaskState) -> TaskStatus {
        loop {
            let event = self.expect(|e| e.update.is_some()).await;
            let status = event.update.expect("checked").status;
            self.acknowledge(&status).await;
            if status.task_id.value == task && status.state == state as i32 {
                return status;
            }
        }
    }

    /// Every update, acknowledged, until `done` holds for the collection.
    pub async fn updates_until(&mut self, done: impl Fn(&[TaskStatus]) -> bool) -> Vec<TaskStatus> {
        let start = tokio::time::Instant::now();
        let mut statuses = Vec::new();
        while !done(&statuses) {
            let left = DEADLINE.saturating_sub(start.elapsed());
            let event = match tokio::time::timeout(left, self.next()).await {
                Ok(event) => event,
                Err(_) => panic!("updates did not reach the expected point within {DEADLINE:?}: {statuses:?}"),
            };
            if let Some(update) = event.update {
                self.acknowledge(&update.status).await;
                statuses.push(update.status);
            }
        }
        statuses
    }

    /// Every update of `task` until a terminal one, acknowledging them all.
    pub async fn updates_until_terminal(&mut self, task: &str) -> Vec<TaskStatus> {
        let mut statuses = Vec::new();
        loop {
            let event = self.expect(|e| e.update.is_some()).await;
            let status = event.update.expect("checked").status;
            self.acknowledge(&status).await;
            if status.task_id.value == task {
                let terminal = mesos_proto::v1::TaskState::try_from(status.state).is_ok_and(|s| s.is_terminal());
                statuses.push(status);
                if terminal {
                    return statuses;
                }
            }
        }
    }

    pub async fn acknowledge(&self, status: &TaskStatus) {
        if let (Some(uuid), Some(agent)) = (&status.uuid, &status.agent_id) {
            let call = Call {
                r#type: Some(call::Type::Acknowledge as i32),
                acknowledge: Some(call::Acknowledge {
                    agent_id: agent.clone(),
                    task_id: status.task_id.clone(),
                    uuid: uuid.clone(),
                }),
                ..Default::default()
            };
            self.call(call).await.expect("acknowledge accepted");
        }
    }

    /// Sends a call with this subscription's ids.
    pub async fn call(&self, mut call: Call) -> Result<(), ClientError> {
        call.framework_id = Some(self.framework_id.clone());
        self.client.call(&self.url, self.content_type, &call, Some(&self.stream_id)).await.map(|_| ())
    }

    /// Waits until the stream ends (the master closed it); returns the
    /// events received before.
    pub async fn until_closed(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(60), self.stream.next())
                .await
                .expect("the stream to end in time")
            {
                Some(Ok(event)) => events.push(event),
                Some(Err(_)) | None => return events,
            }
        }
    }
}
