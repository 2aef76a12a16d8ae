//! Dynamic reservations and persistent volumes with real daemons: a
//! framework reserves resources and creates a volume in one ACCEPT, a task
//! writes into the volume, a later task reads it back, and the agent keeps
//! both across a restart.

use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::resource::{DiskInfo, disk_info};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{self, CommandInfo, Offer, TaskId, TaskInfo, TaskState, Volume};
use mesos_resources::{Reservation, Resource, ResourceFormat, Resources};
use mesos_tests::cluster::Cluster;
use mesos_tests::wait::{DEADLINE, until};

use crate::scheduler::{TestScheduler, framework};

fn reserved(name: &str, amount: f64) -> Resource {
    Resource::scalar(name, amount).reserved(Reservation::new_dynamic("eng", None))
}

fn volume() -> Resource {
    let mut disk = reserved("disk", 16.0);
    disk.disk = Some(DiskInfo {
        persistence: Some(disk_info::Persistence { id: "journal".into(), principal: None }),
        volume: Some(Volume { container_path: "data".into(), mode: v1::volume::Mode::Rw as i32, ..Default::default() }),
        source: None,
    });
    disk
}

fn wire(resources: impl IntoIterator<Item = Resource>) -> Vec<v1::Resource> {
    resources.into_iter().collect::<Resources>().allocated_to("eng").to_proto(ResourceFormat::PostRefinement)
}

fn task(offer: &Offer, id: &str, command: &str) -> Operation {
    let task = TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: wire([reserved("cpus", 0.5), reserved("mem", 32.0), volume()]),
        command: Some(CommandInfo { value: Some(command.into()), ..Default::default() }),
        ..Default::default()
    };
    Operation {
        r#type: Some(operation::Type::Launch as i32),
        launch: Some(operation::Launch { task_infos: vec![task] }),
        ..Default::default()
    }
}

fn accept(offer: &Offer, operations: Vec<Operation>) -> Call {
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept { offer_ids: vec![offer.id.clone()], operations, filters: None }),
        ..Default::default()
    }
}

fn holds_volume(offer: &Offer) -> bool {
    Resources::from_proto(&offer.resources).is_ok_and(|r| r.iter().any(Resource::is_persistent_volume))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_persistent_volume_keeps_its_data_across_tasks_and_agent_restarts() {
    let mut cluster = Cluster::start(1).await;
    let mut info = framework("volumes");
    info.roles = vec!["eng".into()];
    info.capabilities
        .push(v1::framework_info::Capability { r#type: Some(v1::framework_info::capability::Type::MultiRole as i32) });
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), info).await;
    let offer = scheduler.offer().await;

    let reserve = Operation {
        r#type: Some(operation::Type::Reserve as i32),
        reserve: Some(operation::Reserve {
            resources: wire([reserved("cpus", 0.5), reserved("mem", 32.0), reserved("disk", 16.0)]),
            source: Vec::new(),
        }),
        ..Default::default()
    };
    let create = Operation {
        r#type: Some(operation::Type::Create as i32),
        create: Some(operation::Create { volumes: wire([volume()]) }),
        ..Default::default()
    };
    let writer = task(&offer, "writer", "echo kept > data/journal.txt");
    scheduler.call(accept(&offer, vec![reserve, create, writer])).await.expect("accepted");
    scheduler.update("writer", TaskState::TaskFinished).await;

    // The agent keeps the reservation and the volume across a restart.
    let agent = cluster.agents[0].work_dir.clone();
    let stored = agent.join("volumes/roles/eng/journal/journal.txt");
    assert_eq!(std::fs::read_to_string(&stored).expect("written in the volume"), "kept\n");
    cluster.agents[0].restart(&[]);
    until("the agent back with its reservations", DEADLINE, || async {
        let state = cluster.state().await;
        let agent = &state["slaves"][0];
        (agent["active"] == true && agent["reserved_resources"]["eng"]["disk"] == 16.0).then_some(())
    })
    .await;

    // A later task finds the data (offers made before the restart were
    // rescinded; the first valid one with the volume is used).
    let mut attempt = 0;
    let reader = loop {
        attempt += 1;
        let event = scheduler.expect(|e| e.offers.as_ref().is_some_and(|o| o.offers.iter().any(holds_volume))).await;
        let offer = event.offers.expect("checked").offers.into_iter().find(holds_volume).expect("checked");
        let id = format!("reader-{attempt}");
        let reader = task(&offer, &id, "test \"$(cat data/journal.txt)\" = kept");
        if scheduler.call(accept(&offer, vec![reader])).await.is_ok() {
            break id;
        }
    };
    let statuses = scheduler.updates_until_terminal(&reader).await;
    assert_eq!(statuses.last().map(|s| s.state), Some(TaskState::TaskFinished as i32), "{statuses:?}");
}
