//! Garbage collection of finished executors' sandboxes.

use mesos_proto::v1::TaskState;
use mesos_tests::cluster::Cluster;
use mesos_tests::wait::{DEADLINE, until};

use crate::containers::{command_task, launch, sandbox};
use crate::scheduler::{TestScheduler, framework};

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_tasks_sandbox_is_removed_after_gc_delay_and_a_running_ones_is_kept() {
    finished_sandbox_goes_running_one_stays(&["--gc_delay=1secs"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sandboxes_go_at_the_next_disk_check_when_the_disk_is_past_its_headroom() {
    // A headroom of 1.0 leaves no room at all: the permitted age is zero.
    finished_sandbox_goes_running_one_stays(&[
        "--gc_delay=1weeks",
        "--gc_disk_headroom=1.0",
        "--disk_watch_interval=1secs",
    ])
    .await;
}

async fn finished_sandbox_goes_running_one_stays(flags: &[&str]) {
    let cluster = Cluster::start_with(&[], 1, flags).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("gc")).await;
    let offer = scheduler.offer().await;
    // The short task waits for the test to have found its sandbox.
    let short = command_task("short", &offer, "while [ ! -e go ]; do sleep 0.1; done", 0.2, 32.0);
    let long = command_task("long", &offer, "sleep 600", 0.2, 32.0);
    scheduler.call(launch(&offer, vec![short, long])).await.expect("launch");
    let finished = until("the short task's sandbox", DEADLINE, || async { sandbox(&cluster, 0, "short") }).await;
    let executor_dir = finished.parent().and_then(|runs| runs.parent()).expect("the executor's directory").to_owned();
    std::fs::write(finished.join("go"), "").expect("the go file");
    scheduler
        .updates_until(|s| {
            let state =
                |task: &str, state: TaskState| s.iter().any(|s| s.task_id.value == task && s.state == state as i32);
            state("short", TaskState::TaskFinished) && state("long", TaskState::TaskRunning)
        })
        .await;
    let running = sandbox(&cluster, 0, "long").expect("the running task's sandbox");
    until("the finished task's sandbox to be removed", DEADLINE, || async {
        (!finished.exists() && !executor_dir.exists()).then_some(())
    })
    .await;
    assert!(running.is_dir(), "a live executor's sandbox is kept");
    assert!(running.parent().is_some_and(|runs| runs.join("latest").exists()));
}
