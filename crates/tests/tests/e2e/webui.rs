//! The web UI in a real headless Chromium (Debian's `chromium`, driven by
//! `chromedriver`): the pages show the cluster the test started, a task
//! launched while the page is open appears without a reload, and its stdout
//! shows in the task's log view. Screenshots go to
//! `target/test-artifacts/webui/`.

use mesos_proto::v1::TaskState;
use mesos_tests::cluster::Cluster;
use mesos_tests::webdriver::{Browser, artifacts};
use serde_json::Value;

use crate::operator::launch;
use crate::scheduler::{TestScheduler, framework};

#[tokio::test(flavor = "multi_thread")]
async fn the_web_ui_shows_the_cluster_and_follows_a_task_live_needs_chromium() {
    mesos_tests::require!(Chromium; "a headless Chromium loads the pages");
    let cluster = Cluster::start_with(&["--cluster=webui-test", "--weights=analytics=3"], 1, &[]).await;
    let master = cluster.master_address();
    let browser = Browser::start(&cluster.dir.path().join("chromedriver.log")).await;
    let shots = artifacts("webui");
    let _ = std::fs::remove_dir_all(&shots);
    let text =
        |selector: &str| format!("const e = document.querySelector('{selector}'); return e ? e.textContent : '';");

    // The overview: leader, cluster name, the agent, live.
    browser.open(&format!("http://{master}/")).await;
    browser
        .wait_for("the live event stream", "return document.getElementById('connection').textContent === 'live';")
        .await;
    let leader = browser.wait_for("the leader", &text("#leader")).await;
    assert_eq!(leader, Value::String(master.clone()));
    assert_eq!(browser.run(&text("#cluster-name")).await, "webui-test");
    browser.wait_for("one active agent", "return document.getElementById('agent-count').textContent === '1';").await;
    browser
        .wait_for(
            "the resources of the agent",
            "return document.getElementById('resources').textContent.includes('4096');",
        )
        .await;
    browser.screenshot(&shots.join("01-overview.png")).await;

    browser.run("window.location.hash = '#/agents'; return true;").await;
    browser.wait_for("the agent's row", "return document.querySelector('#agents [data-agent-id]') !== null;").await;
    assert!(browser.run(&text("#agents")).await.as_str().unwrap().contains("127.0.0.1"));
    browser.screenshot(&shots.join("02-agents.png")).await;

    // A task launched while the tasks page is open appears without a reload.
    browser.run("window.location.hash = '#/tasks'; window.notReloaded = true; return true;").await;
    browser.wait_for("the tasks page", "return document.getElementById('active-tasks') !== null;").await;
    let mut scheduler = TestScheduler::subscribe(&master, framework("webui-framework")).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, "webui-task", "echo hello-from-the-web-ui; sleep 600")).await.expect("launch");
    scheduler.update("webui-task", TaskState::TaskRunning).await;
    browser
        .wait_for(
            "the task running in the list",
            "const row = document.querySelector('#active-tasks [data-task-id=\"webui-task\"]'); \
             return row !== null && row.textContent.includes('TASK_RUNNING');",
        )
        .await;
    assert_eq!(browser.run("return window.notReloaded === true;").await, true, "the page was not reloaded");
    browser.run("const f = document.getElementById('task-filter'); f.value = 'webui'; f.dispatchEvent(new Event('input', {bubbles: true})); return true;").await;
    browser.screenshot(&shots.join("03-tasks.png")).await;
    browser.run("const f = document.getElementById('task-filter'); f.value = 'no-such-thing'; f.dispatchEvent(new Event('input', {bubbles: true})); return true;").await;
    browser
        .wait_for(
            "the filter to hide the task",
            "return document.querySelector('[data-task-id=\"webui-task\"]') === null;",
        )
        .await;

    // Its page: the live log shows its stdout, the sandbox lists its files.
    let framework_id = scheduler.framework_id.value.clone();
    browser.run(&format!("window.location.hash = '#/tasks/{framework_id}/webui-task'; return true;")).await;
    browser
        .wait_for(
            "the task's stdout in the log view",
            "const log = document.getElementById('log'); return log && log.textContent.includes('hello-from-the-web-ui');",
        )
        .await;
    browser
        .wait_for(
            "the sandbox listing",
            "const s = document.getElementById('sandbox'); return s && s.textContent.includes('stderr');",
        )
        .await;
    assert_eq!(browser.run("return window.notReloaded === true;").await, true);
    browser.screenshot(&shots.join("04-task-log.png")).await;

    // The other pages render what the master knows.
    browser.run(&format!("window.location.hash = '#/frameworks/{framework_id}'; return true;")).await;
    browser
        .wait_for(
            "the framework's page",
            "return document.querySelector('h1').textContent.includes('webui-framework');",
        )
        .await;
    browser.screenshot(&shots.join("05-framework.png")).await;
    browser.run("window.location.hash = '#/roles'; return true;").await;
    browser
        .wait_for(
            "the roles with their weights",
            "const r = document.querySelector('[data-role=\"analytics\"]'); return r && r.textContent.includes('3');",
        )
        .await;
    browser.screenshot(&shots.join("06-roles.png")).await;
    browser.run("window.location.hash = '#/offers'; return true;").await;
    browser.wait_for("the offers page", "return document.getElementById('offers') !== null;").await;
    browser.screenshot(&shots.join("07-offers.png")).await;
    browser.run("window.location.hash = '#/maintenance'; return true;").await;
    browser.wait_for("the maintenance page", "return document.getElementById('schedule') !== null;").await;
    browser.screenshot(&shots.join("08-maintenance.png")).await;
    for shot in ["01-overview", "04-task-log", "08-maintenance"] {
        assert!(shots.join(format!("{shot}.png")).metadata().map(|m| m.len() > 1000).unwrap_or(false), "{shot}");
    }
}
