//! The `mesos` command against a live cluster: its tables and JSON, a
//! task's log (printed and followed), killing a task, and its one-line
//! errors with a non-zero exit when the master is unreachable or the task
//! unknown.

use std::process::Output;

use mesos_proto::v1::TaskState;
use mesos_tests::binary;
use mesos_tests::cluster::Cluster;
use serde_json::Value;

use crate::operator::launch;
use crate::scheduler::{TestScheduler, framework};

/// Runs `mesos` with `args` (off the async runtime's threads).
pub async fn mesos(master: &str, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(binary("mesos"));
    command.arg(format!("--master={master}")).args(args).env_remove("MESOS_MASTER");
    tokio::task::spawn_blocking(move || command.output().expect("mesos runs")).await.expect("joined")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "mesos failed: {}{}", stdout(output), stderr(output));
    stdout(output)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_lists_kills_and_reports_errors() {
    let cluster = Cluster::start(1).await;
    let master = cluster.master_address();
    let mut scheduler = TestScheduler::subscribe(&master, framework("cli-framework")).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, "cli-task", "sleep 600")).await.expect("launch");
    scheduler.update("cli-task", TaskState::TaskRunning).await;

    let agents = succeeded(&mesos(&master, &["agent", "list"]).await);
    let lines: Vec<&str> = agents.lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("HOSTNAME") && lines[0].contains("CPUS"), "{agents}");
    assert!(lines[1].contains("127.0.0.1") && lines[1].contains("0.5/4"), "{agents}");
    let json: Value = serde_json::from_str(&succeeded(&mesos(&master, &["agent", "list", "--json"]).await)).unwrap();
    assert_eq!(json["agents"][0]["agent_info"]["hostname"], "127.0.0.1");

    let frameworks = succeeded(&mesos(&master, &["framework", "list"]).await);
    assert!(frameworks.contains("cli-framework"), "{frameworks}");

    let tasks = succeeded(&mesos(&master, &["task", "list"]).await);
    let row = tasks.lines().find(|l| l.starts_with("cli-task")).unwrap_or_else(|| panic!("{tasks}"));
    assert!(row.contains("TASK_RUNNING") && row.contains(&scheduler.framework_id.value), "{tasks}");
    let json: Value = serde_json::from_str(&succeeded(&mesos(&master, &["--json", "task", "list"]).await)).unwrap();
    assert_eq!(json["tasks"][0]["task_id"]["value"], "cli-task");

    // Killing the task: its framework sees it killed, and it is listed as
    // completed only with --all.
    succeeded(&mesos(&master, &["task", "kill", "cli-task"]).await);
    scheduler.update("cli-task", TaskState::TaskKilled).await;
    let all = succeeded(&mesos(&master, &["task", "list", "--all"]).await);
    assert!(all.lines().any(|l| l.starts_with("cli-task") && l.contains("TASK_KILLED")), "{all}");

    // Errors: one line, non-zero exit.
    let unknown = mesos(&master, &["task", "kill", "no-such-task"]).await;
    assert!(!unknown.status.success());
    assert_eq!(stderr(&unknown).trim(), "mesos: no task 'no-such-task'");
    let ended = mesos(&master, &["task", "kill", "cli-task"]).await;
    assert!(!ended.status.success());
    assert_eq!(stderr(&ended).lines().count(), 1, "{}", stderr(&ended));
    // Nobody listens there, and nobody can start to while it is held.
    let refused = mesos_tests::ports::RefusedPort::new();
    let unreachable_port = refused.port;
    let unreachable = mesos(&format!("127.0.0.1:{unreachable_port}"), &["agent", "list"]).await;
    assert!(!unreachable.status.success());
    let message = stderr(&unreachable);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with(&format!("mesos: cannot reach the master at 127.0.0.1:{unreachable_port}")),
        "{message}"
    );
    let zk = mesos(&format!("zk://127.0.0.1:{unreachable_port}/mesos"), &["agent", "list"]).await;
    assert!(!zk.status.success() && stderr(&zk).contains("ZooKeeper"), "{}", stderr(&zk));
    let bad = mesos(&master, &["weights", "set", "analytics"]).await;
    assert!(!bad.status.success() && stderr(&bad).contains("ROLE=WEIGHT"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_prints_and_follows_a_tasks_log() {
    let cluster = Cluster::start(1).await;
    let master = cluster.master_address();
    let mut scheduler = TestScheduler::subscribe(&master, framework("logs")).await;
    let offer = scheduler.offer().await;
    let command = "echo first line; echo to-stderr >&2; sleep 2; echo second line";
    scheduler.call(launch(&offer, "talker", command)).await.expect("launch");
    scheduler.update("talker", TaskState::TaskRunning).await;

    // --follow prints what is appended and returns once the task has ended.
    let followed = mesos(&master, &["task", "log", "talker", "--follow"]).await;
    let text = succeeded(&followed);
    let first = text.find("first line").unwrap_or_else(|| panic!("{text}"));
    let second = text.find("second line").unwrap_or_else(|| panic!("{text}"));
    assert!(first < second);
    scheduler.update("talker", TaskState::TaskFinished).await;

    let log = succeeded(&mesos(&master, &["task", "log", "talker"]).await);
    assert!(log.contains("first line") && log.contains("second line"), "{log}");
    let errors = succeeded(&mesos(&master, &["task", "log", "talker", "--file", "stderr"]).await);
    assert!(errors.contains("to-stderr"), "{errors}");

    let missing = mesos(&master, &["task", "log", "talker", "--file", "nothing-here"]).await;
    assert!(!missing.status.success());
    assert!(stderr(&missing).starts_with("mesos: no file"), "{}", stderr(&missing));
    let unknown = mesos(&master, &["task", "log", "ghost"]).await;
    assert_eq!(stderr(&unknown).trim(), "mesos: no task 'ghost'");
}
