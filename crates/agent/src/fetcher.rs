//! Fetching a command's URIs into its sandbox before the executor starts:
//! `http://` with the project's HTTP client, `https://` with `curl`, local
//! paths and `file://` by copying. Archives are extracted (tar with any
//! compression, zip, gzip) unless `extract` is false, and `executable` sets
//! the execute bits.

use std::path::{Path, PathBuf};

use mesos_proto::v1::command_info::Uri;

/// Why a URI could not be fetched.
#[derive(Debug, thiserror::Error)]
#[error("failed to fetch '{uri}': {reason}")]
pub struct FetchError {
    pub uri: String,
    pub reason: String,
}

/// Fetches every URI into `sandbox`, in order.
pub async fn fetch_all(uris: &[Uri], sandbox: &Path) -> Result<(), FetchError> {
    for uri in uris {
        fetch(uri, sandbox).await.map_err(|reason| FetchError { uri: uri.value.clone(), reason })?;
    }
    Ok(())
}

async fn fetch(uri: &Uri, sandbox: &Path) -> Result<(), String> {
    let value = uri.value.trim();
    let name = match &uri.output_file {
        Some(name) if !name.is_empty() => name.clone(),
        _ => basename(value).ok_or("cannot tell a file name from the URI")?,
    };
    if name.contains('/') && uri.output_file.is_none() || name == ".." || name == "." {
        return Err(format!("invalid output file name '{name}'"));
    }
    let destination = sandbox.join(&name);
    if let Some(parent) = destination.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(|e| e.to_string())?;
    }
    if value.starts_with("http://") {
        let client = mesos_http::client::Client::new().with_timeout(std::time::Duration::from_secs(300));
        let (_, body) = client.get(value).await.map_err(|e| e.to_string())?;
        tokio::fs::write(&destination, &body).await.map_err(|e| e.to_string())?;
    } else if value.starts_with("https://") || value.starts_with("ftp://") {
        let status = tokio::process::Command::new("curl")
            .args(["--silent", "--show-error", "--fail", "--location", "--output"])
            .arg(&destination)
            .arg(value)
            .status()
            .await
            .map_err(|e| format!("running curl: {e} (fetching {value} needs curl installed)"))?;
        if !status.success() {
            return Err(format!("curl exited with {status}"));
        }
    } else {
        let source = value.strip_prefix("file://").unwrap_or(value);
        if !source.starts_with('/') {
            return Err("only http(s)://, file:// and absolute paths are supported".into());
        }
        tokio::fs::copy(source, &destination).await.map_err(|e| e.to_string())?;
    }
    if uri.executable() {
        set_executable(&destination).await?;
    } else if uri.extract() {
        extract(&destination, sandbox).await?;
    }
    Ok(())
}

/// The last path segment of a URI, without query or fragment.
fn basename(uri: &str) -> Option<String> {
    let without = uri.split(['?', '#']).next()?;
    let name = without.trim_end_matches('/').rsplit('/').next()?;
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_owned())
}

async fn set_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = tokio::fs::metadata(path).await.map_err(|e| e.to_string())?.permissions();
    permissions.set_mode(permissions.mode() | 0o755);
    tokio::fs::set_permissions(path, permissions).await.map_err(|e| e.to_string())
}

/// Unpacks archives by their extension; other files are left as they are.
async fn extract(path: &Path, into: &Path) -> Result<(), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    let tarball =
        [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"].iter().any(|ext| name.ends_with(ext));
    let mut command = if tarball {
        let mut command = tokio::process::Command::new("tar");
        command.arg("-C").arg(into).arg("-xf").arg(path);
        command
    } else if name.ends_with(".zip") {
        let mut command = tokio::process::Command::new("unzip");
        command.arg("-o").arg("-q").arg("-d").arg(into).arg(path);
        command
    } else if name.ends_with(".gz") {
        let output: PathBuf = path.with_extension("");
        let file = std::fs::File::create(&output).map_err(|e| e.to_string())?;
        let mut command = tokio::process::Command::new("gzip");
        command.arg("-dc").arg(path).stdout(file);
        command
    } else {
        return Ok(());
    };
    let status = command.status().await.map_err(|e| format!("extracting {name}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("extracting {name} failed with {status}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_uris() {
        assert_eq!(basename("http://h/a/b/pkg.tar.gz?x=1").as_deref(), Some("pkg.tar.gz"));
        assert_eq!(basename("/tmp/file").as_deref(), Some("file"));
        assert_eq!(basename("http://h/"), Some("h".to_owned()));
    }

    #[tokio::test]
    async fn copies_extracts_and_marks_executable() {
        let work = std::env::temp_dir().join(format!("fetch-test-{}", std::process::id()));
        let (source, sandbox) = (work.join("src"), work.join("sandbox"));
        std::fs::create_dir_all(&source).unwrap();
        std::fs::create_dir_all(&sandbox).unwrap();
        std::fs::write(source.join("inner.txt"), "hello").unwrap();
        let status = std::process::Command::new("tar")
            .arg("-czf")
            .arg(work.join("bundle.tgz"))
            .arg("-C")
            .arg(&source)
            .arg("inner.txt")
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::write(source.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
        let uris = vec![
            Uri { value: format!("file://{}", work.join("bundle.tgz").display()), ..Default::default() },
            Uri { value: source.join("run.sh").display().to_string(), executable: Some(true), ..Default::default() },
        ];
        fetch_all(&uris, &sandbox).await.unwrap();
        assert_eq!(std::fs::read_to_string(sandbox.join("inner.txt")).unwrap(), "hello");
        use std::os::unix::fs::PermissionsExt;
        assert_ne!(std::fs::metadata(sandbox.join("run.sh")).unwrap().permissions().mode() & 0o111, 0);
        let missing = vec![Uri { value: "/no/such/file".into(), ..Default::default() }];
        assert!(fetch_all(&missing, &sandbox).await.is_err());
        std::fs::remove_dir_all(&work).unwrap();
    }

    #[tokio::test]
    async fn downloads_over_http_with_an_output_name() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            let body = "#!/bin/sh\necho fetched\n";
            let response =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            socket.write_all(response.as_bytes()).await.unwrap();
        });
        let sandbox = std::env::temp_dir().join(format!("fetch-http-test-{}", std::process::id()));
        std::fs::create_dir_all(&sandbox).unwrap();
        let uri = Uri {
            value: format!("http://{address}/files/script?version=1"),
            output_file: Some("run.sh".into()),
            executable: Some(true),
            ..Default::default()
        };
        fetch_all(&[uri], &sandbox).await.unwrap();
        assert_eq!(std::fs::read_to_string(sandbox.join("run.sh")).unwrap(), "#!/bin/sh\necho fetched\n");
        std::fs::remove_dir_all(&sandbox).unwrap();
    }
}
