//! Hand-written HTTP/1.1 requests, for sending what well-behaved clients
//! never send (wrong content types, broken bodies).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A response: status code and body text.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub body: String,
    /// The `Location` header, if any.
    pub location: Option<String>,
}

/// Sends one POST with the given headers and body and reads the whole
/// answer (the request asks the server to close the connection).
pub async fn post(address: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let mut request =
        format!("POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    parse(&response)
}

/// Sends one GET and reads the whole answer (redirects are not followed).
pub async fn get(address: &str, path: &str) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    parse(&response)
}

fn parse(response: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(response).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let location = head
        .lines()
        .find_map(|line| line.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("location")))
        .map(|(_, value)| value.trim().to_owned());
    RawResponse { status, body: body.to_owned(), location }
}

/// A whole answer: status, headers (lower-case names) and raw body bytes.
#[derive(Debug, Clone)]
pub struct FullResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl FullResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Sends one request with the given headers and reads the whole answer,
/// whose body must not be chunked (the request asks the server to close).
pub async fn request(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> FullResponse {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    FullResponse { status, headers, body: response[split + 4..].to_vec() }
}

/// Reads one answer from a connection kept alive (its body has a
/// `Content-Length`), leaving the connection idle; returns its status.
pub async fn read_answer(stream: &mut tokio::net::TcpStream) -> u16 {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(split) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..split]).into_owned();
            let length: usize = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse().ok())
                .unwrap_or(0);
            if received.len() >= split + 4 + length {
                return head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            }
        }
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buffer))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(read > 0, "the connection closed before a whole answer: {}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buffer[..read]);
    }
}
