//! The agent's `/files` endpoints over a real task's sandbox.

use mesos_proto::v1::TaskState;
use mesos_tests::cluster::Cluster;

use super::{agent_json, command_task, launch};
use crate::scheduler::{TestScheduler, framework};

#[tokio::test(flavor = "multi_thread")]
async fn files_read_returns_a_tasks_stdout() {
    let cluster = Cluster::start(1).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("reader")).await;
    let offer = scheduler.offer().await;
    let task = command_task("echo", &offer, "echo hello-from-the-sandbox", 0.2, 32.0);
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    scheduler.update("echo", TaskState::TaskFinished).await;
    let framework_id = &offer.framework_id.value;
    let stdout = format!("/frameworks/{framework_id}/executors/echo/runs/latest/stdout");

    let length = agent_json(&cluster, 0, &format!("/files/read?path={stdout}&offset=-1")).await;
    let size = length["offset"].as_u64().expect("the file's length");
    assert!(size > 0 && length["data"] == "", "{length}");
    let read = agent_json(&cluster, 0, &format!("/files/read?path={stdout}&offset=0")).await;
    assert_eq!(read["offset"], 0);
    assert!(read["data"].as_str().is_some_and(|d| d.contains("hello-from-the-sandbox")), "{read}");
    let part = agent_json(&cluster, 0, &format!("/files/read?path={stdout}&offset=1&length=4")).await;
    assert_eq!(part["data"].as_str().map(str::len), Some(4), "{part}");

    let listing =
        agent_json(&cluster, 0, &format!("/files/browse?path=/frameworks/{framework_id}/executors/echo/runs/latest"))
            .await;
    let names: Vec<&str> = listing.as_array().expect("a listing").iter().filter_map(|e| e["path"].as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("/stdout")) && names.iter().any(|n| n.ends_with("/stderr")), "{listing}");
    let debug = agent_json(&cluster, 0, "/files/debug").await;
    assert!(debug.as_object().is_some_and(|m| m.keys().any(|k| k.ends_with("/runs/latest"))), "{debug}");
    // Outside every sandbox, nothing is found.
    let url = format!("http://127.0.0.1:{}/files/read?path=/etc/passwd&offset=0", cluster.agents[0].port);
    let client = mesos_http::client::Client::new();
    assert!(client.get(&url).await.is_err(), "a 404 for a path outside the sandboxes");
}
