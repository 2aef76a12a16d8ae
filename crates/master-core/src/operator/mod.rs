//! The master core's side of the v1 operator API: its state rendered as the
//! API's messages (`views.rs`) and the operator event stream (`events.rs`).
//! The daemon answers the calls; what they report and which events go out
//! is decided here, so it is testable without I/O.

mod events;
mod views;

pub(crate) use events::OperatorStreams;
pub use views::time_info;
