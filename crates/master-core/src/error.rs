//! Errors the master core returns to API callers, with the HTTP status Mesos
//! gives them.

/// The HTTP status class of a refused call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiStatus {
    /// 400: the call is malformed or invalid.
    BadRequest,
    /// 403: the caller may not make this call now (e.g. not subscribed).
    Forbidden,
    /// 404: the named object does not exist.
    NotFound,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 501: the call type is unknown or not implemented.
    NotImplemented,
    /// 503: the master cannot serve the call yet.
    ServiceUnavailable,
}

impl ApiStatus {
    pub fn code(self) -> u16 {
        match self {
            ApiStatus::BadRequest => 400,
            ApiStatus::Forbidden => 403,
            ApiStatus::NotFound => 404,
            ApiStatus::Conflict => 409,
            ApiStatus::NotImplemented => 501,
            ApiStatus::ServiceUnavailable => 503,
        }
    }
}

/// A refused call: its status and a one-line reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: ApiStatus,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError { status: ApiStatus::BadRequest, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError { status: ApiStatus::Forbidden, message: message.into() }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError { status: ApiStatus::NotFound, message: message.into() }
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError { status: ApiStatus::Conflict, message: message.into() }
    }

    pub fn service_unavailable(message: impl Into<String>) -> ApiError {
        ApiError { status: ApiStatus::ServiceUnavailable, message: message.into() }
    }

    pub fn not_implemented(message: impl Into<String>) -> ApiError {
        ApiError { status: ApiStatus::NotImplemented, message: message.into() }
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError { status: ApiStatus::ServiceUnavailable, message: message.into() }
    }
}
