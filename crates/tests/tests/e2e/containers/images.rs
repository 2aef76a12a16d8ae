//! MESOS containers with Docker images (`filesystem/linux`), from a local
//! registry directory of `docker save` tarballs made by the harness (these
//! tests need root: overlayfs and mount namespaces).

use mesos_proto::v1::{
    CommandInfo, ContainerInfo, ExecutorId, ExecutorInfo, Image, Offer, TaskInfo, TaskState, Volume, container_info,
    image, volume,
};
use mesos_tests::cluster::Cluster;
use mesos_tests::images::{LAYERED, saved_registry};
use mesos_tests::wait::{DEADLINE, until};

use super::{command_task, launch, sandbox};
use crate::scheduler::{TestScheduler, framework};

fn image_task(id: &str, offer: &Offer, command: &str, image_name: &str, volumes: Vec<Volume>) -> TaskInfo {
    let mut task = command_task(id, offer, command, 0.2, 64.0);
    task.container = Some(ContainerInfo {
        r#type: container_info::Type::Mesos as i32,
        mesos: Some(container_info::MesosInfo {
            image: Some(Image {
                r#type: image::Type::Docker as i32,
                docker: Some(image::Docker { name: image_name.into(), ..Default::default() }),
                ..Default::default()
            }),
        }),
        volumes,
        ..Default::default()
    });
    task
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_runs_in_its_docker_images_root_filesystem_with_its_sandbox_mounted_needs_root() {
    mesos_tests::require!(Root; "images are mounted with overlayfs in a mount namespace");
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = dir.path().join("store");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("host data directory");
    std::fs::write(data.join("file"), "from-the-host\n").expect("host file");
    let registry = format!("--docker_registry={}", saved_registry().display());
    let store_flag = format!("--docker_store_dir={}", store.display());
    let cluster = Cluster::start_with(
        &[],
        1,
        &["--launcher=linux", "--isolation=filesystem/linux,docker/runtime,namespaces/pid", &registry, &store_flag],
    )
    .await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("images")).await;
    let offer = scheduler.offer().await;
    // Only the image has /etc/image-marker; its top layer whites out the
    // base layer's /etc/removed; the host directory is mounted read-only.
    let command = "cat /etc/image-marker > $MESOS_SANDBOX/seen && echo $IMAGE_GREETING >> $MESOS_SANDBOX/seen \
                   && pwd >> $MESOS_SANDBOX/seen && cat /data/file >> seen && test ! -e /etc/removed \
                   && ! touch /data/written 2>/dev/null && echo $MESOS_SANDBOX >> seen";
    let host_volume = Volume {
        container_path: "/data".into(),
        host_path: Some(data.display().to_string()),
        mode: volume::Mode::Ro as i32,
        ..Default::default()
    };
    let task = image_task("imaged", &offer, command, LAYERED, vec![host_volume]);
    let missing = image_task("missing", &offer, "true", "no-such/image:1", Vec::new());
    scheduler.call(launch(&offer, vec![task, missing])).await.expect("launch");

    let terminal = |s: &mesos_proto::v1::TaskStatus| TaskState::try_from(s.state).is_ok_and(|s| s.is_terminal());
    let statuses = scheduler.updates_until(|s| s.iter().filter(|s| terminal(s)).count() == 2).await;
    let last = |task: &str| statuses.iter().rfind(|s| s.task_id.value == task).cloned().expect("an update");
    assert_eq!(last("imaged").state, TaskState::TaskFinished as i32, "{statuses:?}");
    let sandbox = sandbox(&cluster, 0, "imaged").expect("the task's sandbox");
    let seen = std::fs::read_to_string(sandbox.join("seen")).expect("the file the task wrote in its sandbox");
    assert_eq!(
        seen,
        "mesos-test-layered-busybox\nhello-from-the-image\n/mnt/mesos/sandbox\nfrom-the-host\n/mnt/mesos/sandbox\n"
    );
    assert!(!data.join("written").exists());
    // Layers are stored once, by id; the container's overlay goes with it.
    let mut layers: Vec<String> = std::fs::read_dir(store.join("layers"))
        .expect("stored layers")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    layers.sort();
    assert_eq!(layers, ["base0000layer", "top00000layer"]);
    let containers = cluster.agents[0].work_dir.join("provisioner/containers");
    until("the container's overlay directories to be removed", DEADLINE, || async {
        std::fs::read_dir(&containers).map_or(true, |mut d| d.next().is_none()).then_some(())
    })
    .await;

    let missing = last("missing");
    assert_eq!(missing.state, TaskState::TaskFailed as i32, "{statuses:?}");
    assert!(missing.message().contains("'no-such/image:1' not found in the local registry"), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_without_filesystem_linux_fails_its_task_clearly() {
    let registry = format!("--docker_registry={}", saved_registry().display());
    let cluster =
        Cluster::start_with(&[], 1, &["--launcher=posix", "--isolation=posix/cpu,posix/mem", &registry]).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("no-fs")).await;
    let offer = scheduler.offer().await;
    let task = image_task("refused", &offer, "true", LAYERED, Vec::new());
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    let statuses = scheduler.updates_until_terminal("refused").await;
    let last = statuses.last().expect("a terminal update");
    assert_eq!(last.state, TaskState::TaskFailed as i32, "{statuses:?}");
    assert!(last.message().contains("filesystem/linux"), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_executor_with_an_image_runs_inside_it_needs_root() {
    mesos_tests::require!(Root; "images are mounted with overlayfs in a mount namespace");
    let dir = tempfile::tempdir().expect("temporary directory");
    let registry = format!("--docker_registry={}", saved_registry().display());
    let store_flag = format!("--docker_store_dir={}", dir.path().join("store").display());
    let cluster = Cluster::start_with(
        &[],
        1,
        &[
            "--launcher=linux",
            "--isolation=filesystem/linux",
            &registry,
            &store_flag,
            "--executor_registration_timeout=2secs",
        ],
    )
    .await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("custom-image")).await;
    let offer = scheduler.offer().await;
    // The "executor" never subscribes: it only shows what it sees, then
    // the agent gives up on it.
    let command = "cat /etc/image-marker > $MESOS_SANDBOX/executor-saw; pwd >> executor-saw; sleep 600";
    let executor = ExecutorInfo {
        executor_id: ExecutorId { value: "in-image".into() },
        command: Some(CommandInfo { value: Some(command.into()), ..Default::default() }),
        resources: vec![super::scalar("cpus", 0.1), super::scalar("mem", 32.0)],
        container: image_task("unused", &offer, "", LAYERED, Vec::new()).container,
        ..Default::default()
    };
    let mut task = command_task("on-image-executor", &offer, "unused", 0.1, 32.0);
    task.command = None;
    task.executor = Some(executor);
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    let saw = until("the executor to write in its sandbox", DEADLINE, || async {
        let file = sandbox(&cluster, 0, "in-image")?.join("executor-saw");
        std::fs::read_to_string(file).ok().filter(|s| s.lines().count() == 2)
    })
    .await;
    assert_eq!(saw, "mesos-test-layered-busybox\n/mnt/mesos/sandbox\n");
    let statuses = scheduler.updates_until_terminal("on-image-executor").await;
    assert!(statuses.last().is_some_and(|s| s.state != TaskState::TaskFinished as i32), "{statuses:?}");
    let containers = cluster.agents[0].work_dir.join("provisioner/containers");
    until("the container's overlay directories to be removed", DEADLINE, || async {
        std::fs::read_dir(&containers).map_or(true, |mut d| d.next().is_none()).then_some(())
    })
    .await;
}
