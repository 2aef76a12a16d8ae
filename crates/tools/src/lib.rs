//! Shared helpers of the command-line tools.

pub mod execute;

use mesos_proto::v1::{Offer, TaskState, TaskStatus, task_status};

/// The name of the user running this process, for `FrameworkInfo.user`.
pub fn current_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "root".to_owned())
}

/// A state's wire name (`TASK_RUNNING`).
pub fn state_name(status: &TaskStatus) -> &'static str {
    TaskState::try_from(status.state).map(|s| s.as_str_name()).unwrap_or("TASK_UNKNOWN")
}

/// A status's source name (`SOURCE_EXECUTOR`).
pub fn source_name(status: &TaskStatus) -> Option<&'static str> {
    status.source.and_then(|s| task_status::Source::try_from(s).ok()).map(|s| s.as_str_name())
}

/// A status's reason name (`REASON_COMMAND_EXECUTOR_FAILED`).
pub fn reason_name(status: &TaskStatus) -> Option<&'static str> {
    status.reason.and_then(|r| task_status::Reason::try_from(r).ok()).map(|r| r.as_str_name())
}

/// An offer's resources as JSON, for progress lines.
pub fn resources_json(offer: &Offer) -> String {
    let items: Vec<serde_json::Value> = offer.resources.iter().map(mesos_proto::json::to_value).collect();
    serde_json::Value::Array(items).to_string()
}
