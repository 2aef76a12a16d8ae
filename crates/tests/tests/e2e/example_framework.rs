//! The example framework runs its 5 tasks to TASK_FINISHED.

use std::process::Stdio;

use mesos_tests::binary;
use mesos_tests::cluster::Cluster;
use mesos_tests::wait::DEADLINE;

#[tokio::test(flavor = "multi_thread")]
async fn test_framework_runs_five_tasks_to_completion() {
    let cluster = Cluster::start(1).await;
    let output = tokio::time::timeout(
        DEADLINE,
        tokio::process::Command::new(binary("test-framework"))
            .arg(format!("--master={}", cluster.master_address()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output(),
    )
    .await
    .expect("test-framework to finish in time")
    .expect("test-framework to run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "test-framework failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with("Registered!"), "{stdout}");
    for task in 0..5 {
        assert!(stdout.contains(&format!("Launching task {task} using offer ")), "{stdout}");
        assert!(stdout.contains(&format!("Task {task} is in state TASK_FINISHED")), "{stdout}");
    }
    assert!(stdout.contains("Received offer "), "{stdout}");
    // The framework tore itself down; its tasks are complete in the master.
    let tasks = cluster.tasks().await;
    assert_eq!(tasks.iter().filter(|t| t["state"] == "TASK_FINISHED").count(), 5, "{tasks:?}");
}
