//! `mesos-executor`: the command executor (see the crate documentation).

fn main() -> std::process::ExitCode {
    mesos_executor::main(mesos_executor::Flavour::Command)
}
