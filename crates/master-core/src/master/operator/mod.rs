//! The master core's side of the v1 operator API: its changes handed to
//! their owners (`calls.rs`), its state rendered as the API's messages
//! (`views.rs`) and the operator event stream (`events.rs`). What the calls
//! report and which events go out is decided here, so it is testable
//! without I/O.

mod calls;
mod events;
mod views;

pub(crate) use events::OperatorStreams;
pub use views::time_info;
