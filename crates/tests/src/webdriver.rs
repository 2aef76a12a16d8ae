//! A small WebDriver client for browser tests: Debian's `chromedriver`
//! started on a port it picks itself (`--port=0`, read back from its log),
//! driving headless `chromium` with flags that keep it off the network, and
//! the few commands the tests need (navigate, run a script, take a
//! screenshot).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use mesos_http::client::Client;
use serde_json::{Value, json};

use crate::wait::{DEADLINE, until};

/// A browser session, ended (with its driver) on drop.
pub struct Browser {
    driver: Child,
    url: String,
    http: Client,
    _profile: tempfile::TempDir,
}

/// Where `chromedriver` and `chromium` are (Debian's packages).
pub fn available() -> bool {
    Path::new("/usr/bin/chromedriver").exists() && Path::new("/usr/bin/chromium").exists()
}

impl Browser {
    /// Starts chromedriver and opens a headless Chromium session.
    pub async fn start(log: &Path) -> Browser {
        assert!(available(), "chromium and chromium-driver are missing: run scripts/install-test-deps.sh");
        let file = std::fs::File::create(log).expect("driver log");
        let mut driver = Command::new("/usr/bin/chromedriver")
            .arg("--port=0")
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let port = driver_port(&mut driver, log).await;
        let profile = tempfile::Builder::new().prefix("mesos-webui-").tempdir().expect("profile directory");
        let http = Client::new().with_timeout(Duration::from_secs(60));
        let base = format!("http://127.0.0.1:{port}");
        let status = format!("{base}/status");
        until("chromedriver to answer", DEADLINE, || {
            let (http, status) = (http.clone(), status.clone());
            async move { http.get(&status).await.ok().map(|_| ()) }
        })
        .await;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1000",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain(std::iter::once(format!("--user-data-dir={}", profile.path().display())))
        .collect::<Vec<_>>();
        let capabilities = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
            }}
        });
        let mut browser = Browser { driver, url: String::new(), http, _profile: profile };
        let session = browser.command(http::Method::POST, &format!("{base}/session"), Some(capabilities)).await;
        let id = session["sessionId"].as_str().expect("a session id").to_owned();
        browser.url = format!("{base}/session/{id}");
        browser
    }

    async fn command(&self, method: http::Method, url: &str, body: Option<Value>) -> Value {
        let content_type = body.as_ref().map(|_| "application/json");
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        match self.http.request(method, url, content_type, bytes).await {
            Ok((_, answer)) => serde_json::from_slice::<Value>(&answer).expect("JSON from the driver")["value"].take(),
            Err(error) => panic!("WebDriver command {url} failed: {error}"),
        }
    }

    /// Opens `url` (a full page load).
    pub async fn open(&self, url: &str) {
        self.command(http::Method::POST, &format!("{}/url", self.url), Some(json!({"url": url}))).await;
    }

    /// Runs `script` (a function body; `return` gives the result).
    pub async fn run(&self, script: &str) -> Value {
        self.command(
            http::Method::POST,
            &format!("{}/execute/sync", self.url),
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Polls `script` until it returns something other than null, false or
    /// an empty string.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        until(what, DEADLINE, || async move {
            let value = self.run(script).await;
            let empty = value.is_null() || value == Value::Bool(false) || value == Value::String(String::new());
            (!empty).then_some(value)
        })
        .await
    }

    /// Saves a PNG of the page to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let data = self.command(http::Method::GET, &format!("{}/screenshot", self.url), None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default()).expect("base64");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("artifact directory");
        }
        std::fs::write(path, png).expect("screenshot written");
    }
}

/// The port chromedriver bound, from the line it prints once listening:
/// `ChromeDriver was started successfully on port <port>.`
async fn driver_port(driver: &mut Child, log: &Path) -> u16 {
    const STARTED: &str = "started successfully on port ";
    let start = tokio::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let port = text.lines().find_map(|line| {
            // Only a whole line ends with the full stop.
            let digits = line[line.find(STARTED)? + STARTED.len()..].trim_end().strip_suffix('.')?;
            digits.parse::<u16>().ok()
        });
        if let Some(port) = port {
            return port;
        }
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("chromedriver exited ({status}) before it listened:\n{text}");
        }
        assert!(start.elapsed() < DEADLINE, "chromedriver did not listen within {DEADLINE:?}:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Ends a session with a blocking DELETE (its browser exits with it).
fn delete_session(url: &str) {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else { return };
    let Some((authority, path)) = rest.split_once('/') else { return };
    let Ok(mut stream) = std::net::TcpStream::connect(authority) else { return };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request =
        format!("DELETE /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.url.is_empty() {
            delete_session(&self.url);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `target/test-artifacts/<name>`, beside the binaries under test.
pub fn artifacts(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    profile.parent().unwrap_or(profile).join("test-artifacts").join(name)
}
