//! The daemons behave as services: SIGTERM stops them within
//! `--shutdown_timeout` whatever is connected (a subscribed scheduler, a
//! running executor, an operator's event stream, a client that never
//! finishes its request, an idle keep-alive connection), exit status 0;
//! a second signal exits at once; logs off a terminal are plain text, and
//! `--log_dir` files are reopened on SIGHUP.

use std::time::Duration;

use mesos_http::client::{Client, Subscription};
use mesos_proto::ContentType;
use mesos_proto::v1::TaskState;
use mesos_proto::v1::master::{Call as OperatorCall, Event as OperatorEvent, call as operator_call};
use mesos_tests::cluster::{Cluster, Daemon, command_name, is_running, kill_processes_under, processes_with_env};
use mesos_tests::ha::HaCluster;
use mesos_tests::raw_http::read_answer;
use mesos_tests::wait::{DEADLINE, until};
use nix::sys::signal::Signal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::containers::{command_task, launch};
use crate::scheduler::{TestScheduler, framework};

/// How long a stop may take here: the default `--shutdown_timeout` (5 s,
/// which the half-sent request uses up) plus room for a busy machine.
const STOP_DEADLINE: Duration = Duration::from_secs(20);

/// A client that sent the headers of a request but never its body (after
/// one whole request, so the daemon surely took the connection): the
/// daemon may not wait for it.
async fn half_sent_request(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let first = format!("GET /health HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream.write_all(first.as_bytes()).await.expect("write");
    assert_eq!(read_answer(&mut stream).await, 200);
    let request = format!(
        "POST /api/v1 HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    stream
}

/// A browser-like client: it polled `path` and keeps the connection open
/// for the next poll.
async fn idle_keep_alive(address: &str, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    assert_eq!(read_answer(&mut stream).await, 200);
    stream
}

/// An operator's event stream, past SUBSCRIBED.
async fn operator_stream(master: &str) -> Subscription<OperatorEvent> {
    let subscribe = OperatorCall { r#type: Some(operator_call::Type::Subscribe as i32), ..Default::default() };
    let mut stream = Client::new()
        .subscribe::<OperatorCall, OperatorEvent>(
            &format!("http://{master}/api/v1"),
            ContentType::Json,
            &subscribe,
            None,
        )
        .await
        .expect("operator subscription");
    let subscribed = stream.next().await.expect("an event").expect("SUBSCRIBED");
    assert!(subscribed.subscribed.is_some());
    stream
}

/// Reads a stream to its end: true when it ended cleanly (the last chunk
/// came), false when the connection was cut.
async fn ends_cleanly<E: prost::Message + prost::Name + Default>(stream: &mut Subscription<E>) -> bool {
    loop {
        match tokio::time::timeout(DEADLINE, stream.next()).await.expect("the stream to end in time") {
            Some(Ok(_)) => continue,
            Some(Err(_)) => return false,
            None => return true,
        }
    }
}

/// Sends SIGTERM and waits for the exit; fails with its log if the process
/// still runs after [`STOP_DEADLINE`] or exits non-zero.
async fn stop(daemon: &mut Daemon) -> Duration {
    let started = tokio::time::Instant::now();
    daemon.signal(Signal::SIGTERM);
    let status = daemon.exited_within(STOP_DEADLINE).await;
    let Some(status) = status else {
        panic!("{} still runs {STOP_DEADLINE:?} after SIGTERM\n{}", daemon.name, daemon.log_tail(60));
    };
    assert_eq!(status.code(), Some(0), "{} exited with {status:?}\n{}", daemon.name, daemon.log_tail(60));
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_master_with_schedulers_operators_and_stuck_clients_connected() {
    let mut cluster = Cluster::start(1).await;
    let master = cluster.master_address();
    let mut scheduler = TestScheduler::subscribe(&master, framework("connected")).await;
    let offer = scheduler.offer().await;
    scheduler
        .call(launch(&offer, vec![command_task("running", &offer, "sleep 600", 0.5, 64.0)]))
        .await
        .expect("launch");
    scheduler.update("running", TaskState::TaskRunning).await;
    let mut operator = operator_stream(&master).await;
    let _stuck = half_sent_request(&master).await;
    let _idle = idle_keep_alive(&master, "/master/state").await;

    let took = stop(&mut cluster.master).await;
    assert!(ends_cleanly(&mut scheduler.stream).await, "the scheduler's stream ended, not cut, in {took:?}");
    assert!(ends_cleanly(&mut operator).await, "the operator's stream ended, not cut");
    let log = std::fs::read_to_string(&cluster.master.log).expect("master log");
    assert!(log.contains("master stopping") && log.contains("master stopped dropped_connections=1"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_agent_and_its_checkpointed_executor_lives_on_into_the_next_agent() {
    let mut cluster = Cluster::start(1).await;
    let agent_id = cluster.state().await["slaves"][0]["id"].as_str().expect("an agent").to_owned();
    let mut info = framework("lasting");
    info.checkpoint = Some(true);
    info.failover_timeout = Some(3600.0);
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), info).await;
    let offer = scheduler.offer().await;
    let marker = cluster.dir.path().join("finish-now");
    let command = format!("while [ ! -e {} ]; do sleep 0.1; done", marker.display());
    scheduler.call(launch(&offer, vec![command_task("lasting", &offer, &command, 0.5, 64.0)])).await.expect("launch");
    scheduler.update("lasting", TaskState::TaskRunning).await;
    let executor: Vec<i32> = processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "lasting")
        .into_iter()
        .filter(|pid| command_name(*pid) == "mesos-executor")
        .collect();
    assert_eq!(executor.len(), 1, "one command executor");
    let agent = format!("127.0.0.1:{}", cluster.agents[0].port);
    let _stuck = half_sent_request(&agent).await;
    let _idle = idle_keep_alive(&agent, "/state").await;

    stop(&mut cluster.agents[0]).await;
    assert!(is_running(executor[0]), "the executor outlives its agent");
    let log = std::fs::read_to_string(&cluster.agents[0].log).expect("agent log");
    assert!(log.contains("agent stopped dropped_connections=1"), "{log}");

    // The next agent takes the executor back, and the task finishes.
    cluster.agents[0].restart(&[]);
    until("the agent to re-register under its old id", DEADLINE, || async {
        let state = cluster.state().await;
        (state["slaves"][0]["id"] == agent_id.as_str() && state["slaves"][0]["reregistered_time"].is_number())
            .then_some(())
    })
    .await;
    assert!(is_running(executor[0]), "the same executor still runs");
    std::fs::write(&marker, b"").expect("marker");
    let statuses = scheduler.updates_until_terminal("lasting").await;
    assert_eq!(statuses.last().map(|s| s.state), Some(TaskState::TaskFinished as i32), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_mesos_local_with_a_task_running() {
    let dir = tempfile::Builder::new().prefix("mesos-e2e-").tempdir().expect("temporary directory");
    let work_dir = dir.path().join("work");
    let args = vec![
        "--ip=127.0.0.1".to_owned(),
        format!("--work_dir={}", work_dir.display()),
        "--resources=cpus:2;mem:1024;disk:1024".to_owned(),
    ];
    // The agent inside takes its launcher from the environment, like any
    // agent flag.
    let env = [("MESOS_LAUNCHER", "posix"), ("MESOS_ISOLATION", "posix/cpu,posix/mem")];
    let mut local = Daemon::spawn_with_env("mesos-local", "mesos-local", work_dir, args, &env, dir.path()).await;
    let master = format!("127.0.0.1:{}", local.port);
    let http = Client::new().with_timeout(Duration::from_secs(10));
    until("mesos-local's agent to register", DEADLINE, || {
        let (http, url) = (http.clone(), format!("http://{master}/master/state"));
        async move {
            let (_, body) = http.get(&url).await.ok()?;
            let state: serde_json::Value = serde_json::from_slice(&body).ok()?;
            (state["activated_slaves"] == 1).then_some(())
        }
    })
    .await;
    let mut scheduler = TestScheduler::subscribe(&master, framework("local")).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, vec![command_task("local", &offer, "sleep 600", 0.5, 64.0)])).await.expect("launch");
    scheduler.update("local", TaskState::TaskRunning).await;
    let mut operator = operator_stream(&master).await;

    stop(&mut local).await;
    assert!(ends_cleanly(&mut scheduler.stream).await, "the scheduler's stream ended, not cut");
    assert!(ends_cleanly(&mut operator).await, "the operator's stream ended, not cut");
    kill_processes_under(dir.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_to_the_leading_master_lets_a_standby_lead_without_waiting_for_its_session_to_expire_needs_zookeeper() {
    mesos_tests::require!(ZooKeeper; "masters elect their leader in ZooKeeper");
    // Sessions that take a minute to expire: only a leader that closes its
    // session lets another lead sooner.
    let mut cluster = HaCluster::start(2, 1, &["--zk_session_timeout=60secs"]).await;
    let leader = cluster.leader().await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(leader), framework("ha")).await;
    stop(&mut cluster.masters[leader]).await;
    assert!(ends_cleanly(&mut scheduler.stream).await, "the scheduler's stream ended, not cut");
    let standby = 1 - leader;
    until("the standby to lead", Duration::from_secs(30), || async {
        let metrics = cluster.get_json(standby, "/metrics/snapshot").await?;
        (metrics["master/elected"] == 1.0).then_some(())
    })
    .await;
    cluster.wait_for_agents(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigterm_exits_at_once() {
    let mut cluster = Cluster::start_with(&["--shutdown_timeout=10mins"], 0, &[]).await;
    let master = cluster.master_address();
    let _stuck = half_sent_request(&master).await;
    cluster.master.signal(Signal::SIGTERM);
    let log = cluster.master.log.clone();
    until("the master to start stopping", DEADLINE, || async {
        std::fs::read_to_string(&log).ok().filter(|l| l.contains("master stopping")).map(|_| ())
    })
    .await;
    assert!(cluster.master.running(), "the stuck client holds the stop for --shutdown_timeout");
    cluster.master.signal(Signal::SIGTERM);
    let status = cluster.master.exited_within(STOP_DEADLINE).await.expect("an exit at the second signal");
    assert_eq!(status.code(), Some(128 + Signal::SIGTERM as i32), "{status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_off_a_terminal_are_plain_and_the_log_dir_file_is_reopened_on_sighup() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let log_dir = dir.path().join("logs");
    let mut master = tokio::process::Command::new(mesos_tests::binary("mesos-master"))
        .args(["--ip=127.0.0.1", "--port=0", "--registry=in_memory"])
        .arg(format!("--log_dir={}", log_dir.display()))
        .env_remove("MESOS_LOGGING_LEVEL")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("mesos-master starts");
    let mut stderr = master.stderr.take().expect("piped standard error");
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut text = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(read) = stderr.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            text.extend_from_slice(&buffer[..read]);
            while let Some(end) = text.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = text.drain(..=end).collect();
                let _ = lines_tx.send(String::from_utf8_lossy(&line).into_owned());
            }
        }
    });
    let started = tokio::time::timeout(DEADLINE, async {
        let mut seen = Vec::new();
        while let Some(line) = lines.recv().await {
            seen.push(line.clone());
            if line.contains("master started") {
                return (line, seen);
            }
        }
        panic!("standard error ended before 'master started': {seen:?}");
    })
    .await
    .expect("'master started' in time");
    let (line, seen) = started;
    assert!(seen.iter().all(|l| !l.contains('\u{1b}')), "no escape sequences in a pipe: {seen:?}");
    // timestamp, level, component, message, key=value fields
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(words[0].ends_with('Z') && words[0].contains('T'), "{line}");
    assert_eq!(words[1], "INFO", "{line}");
    assert_eq!(words[2], "mesos_master:", "{line}");
    assert!(line.contains("master started master_id="), "{line}");

    let file = log_dir.join("mesos-master.INFO");
    let text = until("'master started' in the log file", DEADLINE, || async {
        std::fs::read_to_string(&file).ok().filter(|t| t.contains("master started"))
    })
    .await;
    assert!(!text.contains('\u{1b}'), "{text}");
    // logrotate moves the file away and sends SIGHUP.
    std::fs::rename(&file, log_dir.join("mesos-master.INFO.1")).expect("rotate");
    let pid = nix::unistd::Pid::from_raw(master.id().expect("pid") as i32);
    nix::sys::signal::kill(pid, Signal::SIGHUP).expect("SIGHUP");
    until("a new log file", DEADLINE, || async {
        std::fs::read_to_string(&file).ok().filter(|t| t.contains("reopened the log file")).map(|_| ())
    })
    .await;
    nix::sys::signal::kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let status = tokio::time::timeout(STOP_DEADLINE, master.wait()).await.expect("an exit in time").expect("status");
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&file).expect("the new log file");
    assert!(text.contains("master stopped"), "{text}");
}
