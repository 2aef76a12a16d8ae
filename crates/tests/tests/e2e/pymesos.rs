//! A third-party client works unchanged: a scheduler and a custom executor
//! written with the Python library pymesos 0.3.15.

use std::path::PathBuf;
use std::process::Stdio;

use mesos_tests::cluster::Cluster;

/// The workspace root.
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// Creates (once) the virtualenv holding pymesos; returns its python.
async fn pymesos_python() -> PathBuf {
    let venv = workspace().join("target").join("pymesos-venv");
    let status = tokio::process::Command::new(workspace().join("scripts/pymesos-venv.sh"))
        .arg(&venv)
        .status()
        .await
        .expect("scripts/pymesos-venv.sh runs");
    assert!(status.success(), "creating the pymesos virtualenv failed");
    venv.join("bin/python")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pymesos_scheduler_and_executor_work_unchanged() {
    let python = pymesos_python().await;
    let cluster = Cluster::start(1).await;
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pymesos");
    let executor = format!("{} {}", python.display(), scripts.join("executor.py").display());
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(180),
        tokio::process::Command::new(&python)
            .arg(scripts.join("scheduler.py"))
            .arg(cluster.master_address())
            .arg(&executor)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output(),
    )
    .await
    .expect("the pymesos scheduler to finish in time")
    .expect("the pymesos scheduler to run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pymesos scheduler failed:\n{stdout}\n{stderr}\n{}", cluster.logs());
    let events: Vec<serde_json::Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let has = |event: &str, key: &str, value: &str| events.iter().any(|e| e["event"] == event && e[key] == value);
    assert!(events.iter().any(|e| e["event"] == "registered"), "{stdout}");
    assert!(has("update", "state", "TASK_KILLED"), "{stdout}");
    assert!(has("message", "data", "pong:ping"), "{stdout}");
    assert!(
        events.iter().any(|e| e["event"] == "update" && e["task"] == "ok" && e["state"] == "TASK_FINISHED"),
        "{stdout}"
    );
    assert!(events.iter().any(|e| e["event"] == "update" && e["reason"] == "REASON_RECONCILIATION"), "{stdout}");
}
