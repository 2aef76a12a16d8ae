//! Development tasks for this workspace. [`tidy`] holds the rules that
//! ARCHITECTURE.md states and the compiler cannot: pure crates do no I/O,
//! read no clock and keep no global state; crates depend only on lower
//! layers; every source file says what it owns and stays small; the code
//! says `agent` where Mesos's wire says `slave`. `tests/tidy.rs` runs them
//! over the workspace as part of `cargo test`.

pub mod lexer;
pub mod tidy;
