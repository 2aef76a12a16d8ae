//! Containerizers: how an executor's process is started, watched and
//! destroyed. The POSIX containerizer runs each executor as a process in its
//! own process group, in its sandbox, with `stdout` and `stderr` files.

mod posix;

pub use posix::{ExecutorCommand, PosixContainerizer};
