//! `mesos-default-executor`: runs task groups (see the crate documentation).

fn main() -> std::process::ExitCode {
    mesos_executor::main(mesos_executor::Flavour::Default)
}
