//! The operator calls that master and agent answer alike: GET_HEALTH,
//! GET_VERSION, GET_FLAGS, GET_METRICS, GET_LOGGING_LEVEL and
//! SET_LOGGING_LEVEL. Each daemon parses its own API's call into a
//! [`CommonCall`] and puts the [`CommonAnswer`] into its own `Response`
//! message (the two APIs' messages have the same fields but distinct types).

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_proto::v1::{Flag, Metric, VersionInfo};

use crate::server::HttpError;

/// One of the calls every daemon answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommonCall {
    GetHealth,
    GetVersion,
    GetFlags,
    GetMetrics,
    GetLoggingLevel,
    /// Raise the logging verbosity to `level` for `duration`.
    SetLoggingLevel {
        level: u32,
        duration: Duration,
    },
}

impl CommonCall {
    /// The common call named `type_name` (the call type's name, the same in
    /// both APIs), with SET_LOGGING_LEVEL's level and duration in
    /// nanoseconds if the call carries them; `None` for any other call.
    pub fn parse(type_name: &str, set_logging_level: Option<(u32, i64)>) -> Option<Result<CommonCall, HttpError>> {
        Some(Ok(match type_name {
            "GET_HEALTH" => CommonCall::GetHealth,
            "GET_VERSION" => CommonCall::GetVersion,
            "GET_FLAGS" => CommonCall::GetFlags,
            "GET_METRICS" => CommonCall::GetMetrics,
            "GET_LOGGING_LEVEL" => CommonCall::GetLoggingLevel,
            "SET_LOGGING_LEVEL" => {
                let Some((level, nanos)) = set_logging_level else {
                    return Some(Err(HttpError::bad_request("Expecting 'set_logging_level' to be present")));
                };
                let Ok(nanos) = u64::try_from(nanos) else {
                    return Some(Err(HttpError::bad_request("'set_logging_level.duration' must not be negative")));
                };
                CommonCall::SetLoggingLevel { level, duration: Duration::from_nanos(nanos) }
            }
            _ => return None,
        }))
    }
}

/// What a common call is answered with.
#[derive(Debug, Clone, PartialEq)]
pub enum CommonAnswer {
    Health {
        healthy: bool,
    },
    Version(VersionInfo),
    Flags(Vec<Flag>),
    Metrics(Vec<Metric>),
    LoggingLevel(u32),
    /// Done, with nothing to report (`200 OK`).
    Done,
}

/// Puts a [`CommonAnswer`] into an operator API's `Response` message, its
/// type set: `common_response!(answer, mesos_proto::v1::master)` (or
/// `...::v1::agent`). `None` for [`CommonAnswer::Done`], which carries no
/// message.
#[macro_export]
macro_rules! common_response {
    ($answer:expr, $($api:ident)::+) => {{
        use $($api)::+::response as r;
        let mut message = $($api)::+::Response::default();
        let kind = match $answer {
            $crate::operator::CommonAnswer::Health { healthy } => {
                message.get_health = Some(r::GetHealth { healthy });
                Some(r::Type::GetHealth)
            }
            $crate::operator::CommonAnswer::Version(version_info) => {
                message.get_version = Some(r::GetVersion { version_info });
                Some(r::Type::GetVersion)
            }
            $crate::operator::CommonAnswer::Flags(flags) => {
                message.get_flags = Some(r::GetFlags { flags });
                Some(r::Type::GetFlags)
            }
            $crate::operator::CommonAnswer::Metrics(metrics) => {
                message.get_metrics = Some(r::GetMetrics { metrics });
                Some(r::Type::GetMetrics)
            }
            $crate::operator::CommonAnswer::LoggingLevel(level) => {
                message.get_logging_level = Some(r::GetLoggingLevel { level });
                Some(r::Type::GetLoggingLevel)
            }
            $crate::operator::CommonAnswer::Done => None,
        };
        kind.map(|kind| {
            message.r#type = Some(kind as i32);
            message
        })
    }};
}

/// What a daemon tells about itself for these calls.
pub struct DaemonSelf<'a> {
    pub version: &'a str,
    pub flags: Vec<(String, String)>,
}

/// The version facts both APIs report (this build records no date or user).
pub fn version_info(version: &str) -> VersionInfo {
    VersionInfo {
        version: version.to_owned(),
        build_date: Some(String::new()),
        build_time: Some(0.0),
        build_user: Some(String::new()),
        ..Default::default()
    }
}

/// Answers a common call; `metrics` is asked only for GET_METRICS, and
/// `None` from it means the daemon cannot tell now (`503`).
pub async fn answer<F>(call: CommonCall, me: DaemonSelf<'_>, metrics: F) -> Result<CommonAnswer, HttpError>
where
    F: std::future::Future<Output = Option<BTreeMap<String, f64>>>,
{
    Ok(match call {
        CommonCall::GetHealth => CommonAnswer::Health { healthy: true },
        CommonCall::GetVersion => CommonAnswer::Version(version_info(me.version)),
        CommonCall::GetFlags => {
            CommonAnswer::Flags(me.flags.into_iter().map(|(name, value)| Flag { name, value: Some(value) }).collect())
        }
        CommonCall::GetMetrics => {
            let metrics = metrics
                .await
                .ok_or_else(|| HttpError::new(http::StatusCode::SERVICE_UNAVAILABLE, "Metrics are not available"))?;
            CommonAnswer::Metrics(
                metrics.into_iter().map(|(name, value)| Metric { name, value: Some(value) }).collect(),
            )
        }
        CommonCall::GetLoggingLevel => CommonAnswer::LoggingLevel(crate::daemon::logging_level()),
        CommonCall::SetLoggingLevel { level, duration } => {
            crate::daemon::set_logging_level(level, duration);
            CommonAnswer::Done
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_common_calls_are_taken_and_bad_durations_are_refused() {
        assert_eq!(CommonCall::parse("GET_FLAGS", None).and_then(Result::ok), Some(CommonCall::GetFlags));
        assert!(CommonCall::parse("GET_STATE", None).is_none());
        assert!(matches!(CommonCall::parse("SET_LOGGING_LEVEL", None), Some(Err(_))));
        assert!(matches!(CommonCall::parse("SET_LOGGING_LEVEL", Some((1, -5))), Some(Err(_))));
        assert_eq!(
            CommonCall::parse("SET_LOGGING_LEVEL", Some((2, 1_000_000_000))).and_then(Result::ok),
            Some(CommonCall::SetLoggingLevel { level: 2, duration: Duration::from_secs(1) })
        );
    }
}
