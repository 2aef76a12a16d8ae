//! What every daemon's `main` does the same way: logging set up from Mesos's
//! `--logging_level` and `--quiet`, and waiting for SIGINT or SIGTERM.

/// Logs to standard error at Mesos's levels (ERROR, WARNING, INFO) or any
/// tracing filter; nothing with `quiet`.
pub fn init_logging(level: &str, quiet: bool) {
    let filter = match level.to_ascii_uppercase().as_str() {
        _ if quiet => "off".to_owned(),
        "INFO" => "info".to_owned(),
        "WARNING" | "WARN" => "warn".to_owned(),
        "ERROR" => "error".to_owned(),
        _ => level.to_owned(),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
