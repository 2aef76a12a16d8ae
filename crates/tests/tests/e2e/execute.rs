//! `mesos-execute` reports a task's outcome through its exit code, and runs
//! a task in an image with one command.

use std::process::{Output, Stdio};

use mesos_tests::binary;
use mesos_tests::cluster::Cluster;
use mesos_tests::images::{LAYERED, docker_busybox, saved_registry};
use mesos_tests::wait::DEADLINE;

async fn execute(cluster: &Cluster, args: &[&str]) -> Output {
    tokio::time::timeout(
        DEADLINE,
        tokio::process::Command::new(binary("mesos-execute"))
            .arg(format!("--master={}", cluster.master_address()))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output(),
    )
    .await
    .expect("mesos-execute to finish in time")
    .expect("mesos-execute to run")
}

#[tokio::test(flavor = "multi_thread")]
async fn success_failure_and_kill_show_in_the_exit_code() {
    let cluster = Cluster::start(1).await;

    let ok = execute(&cluster, &["--name=ok", "--command=echo hello; exit 0", "--resources=cpus:0.5;mem:64"]).await;
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains("Subscribed with ID "), "{stdout}");
    assert!(stdout.contains("Submitted task 'ok' to agent '"), "{stdout}");
    assert!(stdout.contains("Received status update TASK_RUNNING for task 'ok'"), "{stdout}");
    assert!(stdout.contains("Received status update TASK_FINISHED for task 'ok'"), "{stdout}");

    let failed = execute(&cluster, &["--name=fails", "--command=exit 1", "--resources=cpus:0.5;mem:64"]).await;
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("Received status update TASK_FAILED for task 'fails'"), "{stdout}");
    assert!(stdout.contains("message: 'Command exited with status 1'"), "{stdout}");

    let killed = execute(
        &cluster,
        &["--name=sleeper", "--command=sleep 600", "--resources=cpus:0.5;mem:64", "--kill_after=500ms"],
    )
    .await;
    let stdout = String::from_utf8_lossy(&killed.stdout);
    assert_eq!(killed.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("Received status update TASK_KILLING for task 'sleeper'"), "{stdout}");
    assert!(stdout.contains("Received status update TASK_KILLED for task 'sleeper'"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn task_groups_run_on_the_default_executor() {
    let cluster = Cluster::start(1).await;
    let group = r#"{"tasks":[
        {"name":"a","task_id":{"value":"a"},"agent_id":{"value":""},
         "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.2}},{"name":"mem","type":"SCALAR","scalar":{"value":32}}],
         "command":{"value":"echo a"}},
        {"name":"b","task_id":{"value":"b"},"agent_id":{"value":""},
         "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.2}},{"name":"mem","type":"SCALAR","scalar":{"value":32}}],
         "command":{"value":"echo b"}}]}"#;
    let output = execute(&cluster, &[&format!("--task_group={group}")]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Submitted task group with tasks [ a, b ]"), "{stdout}");
    assert!(stdout.contains("Received status update TASK_FINISHED for task 'a'"), "{stdout}");
    assert!(stdout.contains("Received status update TASK_FINISHED for task 'b'"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_strings_that_do_not_parse_are_refused_clearly() {
    let cluster = Cluster::start(0).await;
    let output = execute(&cluster, &["--name=x", "--command=true", "--resources=cpus:lots"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--resources") && stderr.contains("cpus:lots"), "{stderr}");
    // An agent given such a string refuses to start, with the reason.
    let status = tokio::process::Command::new(binary("mesos-agent"))
        .arg(format!("--master={}", cluster.master_address()))
        .arg(format!("--work_dir={}", cluster.dir.path().join("bad-agent").display()))
        .arg("--port=0")
        .arg("--resources=cpus:4;mem:[1-2")
        .output()
        .await
        .expect("mesos-agent runs");
    assert!(!status.status.success());
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(stderr.contains("mem:[1-2"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_runs_in_a_locally_stored_image_with_one_command_needs_root() {
    mesos_tests::require!(Root; "images are mounted with overlayfs in a mount namespace");
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("host directory");
    std::fs::write(data.join("file"), "from-the-host\n").expect("host file");
    let registry = format!("--docker_registry={}", saved_registry().display());
    let store = format!("--docker_store_dir={}", dir.path().join("store").display());
    let cluster = Cluster::start_with(
        &[],
        1,
        &["--launcher=linux", "--isolation=filesystem/linux,docker/runtime", &registry, &store],
    )
    .await;
    // Volumes come from a file, as Mesos's tool allows.
    let volumes = dir.path().join("volumes.json");
    let json = format!(r#"[{{"container_path":"/data","host_path":"{}","mode":"RO"}}]"#, data.display());
    std::fs::write(&volumes, json).expect("volumes file");
    let command = "cat /etc/image-marker /data/file && echo $IMAGE_GREETING $FROM_FLAG && test ! -e /etc/removed";
    let output = execute(
        &cluster,
        &[
            "--name=imaged",
            &format!("--command={command}"),
            &format!("--docker_image={LAYERED}"),
            "--containerizer=mesos",
            &format!("--volumes=file://{}", volumes.display()),
            r#"--env={"FROM_FLAG":"set-by-env"}"#,
            "--resources=cpus:0.2;mem:64",
            "--framework_name=imaged-runner",
            "--checkpoint",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        cluster.logs()
    );
    assert!(stdout.contains("Received status update TASK_FINISHED for task 'imaged'"), "{stdout}");
    let sandbox = super::containers::sandbox(&cluster, 0, "imaged").expect("the task's sandbox");
    let printed = std::fs::read_to_string(sandbox.join("stdout")).expect("the task's output");
    assert!(
        printed.contains("mesos-test-layered-busybox\nfrom-the-host\nhello-from-the-image set-by-env\n"),
        "{printed}"
    );
    let frameworks = cluster.get_json("/master/frameworks").await;
    let framework = frameworks["completed_frameworks"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(frameworks["frameworks"].as_array().into_iter().flatten())
        .find(|f| f["name"] == "imaged-runner")
        .cloned()
        .unwrap_or_else(|| panic!("the framework by its --framework_name: {frameworks}"));
    assert_eq!(framework["checkpoint"], true, "{framework}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_runs_in_a_docker_image_on_the_docker_containerizer_needs_docker() {
    mesos_tests::require!(Docker; "the task runs in a Docker container");
    let cluster = Cluster::start_with(&[], 1, &["--containerizers=docker,mesos"]).await;
    let output = execute(
        &cluster,
        &[
            "--name=dockered",
            "--command=cat /image-marker && echo $FROM_FLAG",
            &format!("--docker_image={}", docker_busybox()),
            "--containerizer=docker",
            r#"--env={"FROM_FLAG":"set-by-env"}"#,
            "--resources=cpus:0.2;mem:64",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        cluster.logs()
    );
    assert!(stdout.contains("Received status update TASK_FINISHED for task 'dockered'"), "{stdout}");
    // The container's output is in the sandbox by the time its end is
    // reported, however short it lived.
    let sandbox = super::containers::sandbox(&cluster, 0, "dockered").expect("the task's sandbox");
    let printed = std::fs::read_to_string(sandbox.join("stdout")).expect("the container's output");
    assert!(printed.contains("mesos-test-busybox\nset-by-env\n"), "{printed}");
    // The Docker containerizer needs an image.
    let refused = execute(&cluster, &["--name=x", "--command=true", "--containerizer=docker"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--docker_image"), "{refused:?}");
}
