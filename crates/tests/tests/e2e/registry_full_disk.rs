//! A registry write that fails for real (the master's work directory is a
//! small tmpfs that fills up): the master stops with a clear error instead
//! of acting on what it could not store, and a master started over the same
//! files, with room, recovers every change it had acknowledged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mesos_http::client::Client;
use mesos_tests::cluster::Daemon;
use mesos_tests::wait::{DEADLINE, until};
use serde_json::Value;

/// A tmpfs mounted for the test's lifetime.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(path).expect("mount point");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .expect("mount runs");
        assert!(status.success(), "mount a tmpfs at {}", path.display());
        Tmpfs(path.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

async fn master(dir: &Path, name: &str, work_dir: &Path) -> Daemon {
    let args = vec![
        "--ip=127.0.0.1".to_owned(),
        "--hostname=127.0.0.1".to_owned(),
        format!("--work_dir={}", work_dir.display()),
    ];
    Daemon::spawn("mesos-master", name, work_dir.to_owned(), args, dir).await
}

fn quota(index: usize) -> Vec<u8> {
    let role = format!("role-with-a-rather-long-name-{index}");
    format!(
        r#"{{"type":"UPDATE_QUOTA","update_quota":{{"force":true,"quota_configs":[{{"role":"{role}","guarantees":{{"cpus":{{"value":1}}}},"limits":{{"cpus":{{"value":1}}}}}}]}}}}"#
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_write_that_fails_stops_the_master_and_nothing_acknowledged_is_lost_needs_root() {
    mesos_tests::require!(Root; "the master's work directory is a small tmpfs that fills up");
    let dir = tempfile::Builder::new().prefix("mesos-e2e-").tempdir().expect("temporary directory");
    let full = dir.path().join("small");
    let tmpfs = Tmpfs::mount(&full, "192k");
    let mut first = master(dir.path(), "master", &full).await;
    let client = Client::new().with_timeout(Duration::from_secs(10));
    let url = format!("http://127.0.0.1:{}/api/v1", first.port);

    // Quota records until the disk is full: every answered change was stored.
    let mut acknowledged = 0;
    for index in 0..5000 {
        match client.request(http::Method::POST, &url, Some("application/json"), quota(index)).await {
            Ok((status, _)) if status == 200 => acknowledged += 1,
            _ => break,
        }
    }
    assert!(acknowledged > 10, "some changes were stored before the disk filled ({acknowledged})");
    let code = until("the master to stop", DEADLINE, || {
        let code = first.exit_code();
        async move { code }
    })
    .await;
    assert_eq!(code, 1, "the master exits with an error");
    let log = first.log_tail(20);
    assert!(
        log.contains("registry write failed") && log.contains("No space left on device"),
        "the log says what failed:\n{log}"
    );

    // The same files, on a disk with room.
    let roomy = dir.path().join("roomy");
    std::fs::create_dir_all(&roomy).expect("directory");
    for name in ["registry.db", "registry.marker"] {
        std::fs::copy(full.join(name), roomy.join(name)).expect("copy the registry");
    }
    drop(tmpfs);
    let second = master(dir.path(), "master-again", &roomy).await;
    let registry_url = format!("http://127.0.0.1:{}/registrar(1)/registry", second.port);
    let (_, body) = client.get(&registry_url).await.expect("the registry");
    let registry: Value = serde_json::from_slice(&body).expect("JSON");
    let stored = registry["quota_configs"].as_array().map_or(0, Vec::len);
    // The change being written when the disk filled may be there too (it
    // was committed before the marker failed), never fewer than answered.
    assert!(
        stored == acknowledged || stored == acknowledged + 1,
        "{acknowledged} changes acknowledged, {stored} recovered"
    );
}
