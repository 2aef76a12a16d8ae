//! `mesos-docker-executor`: runs a task in a Docker container (see
//! `mesos_docker::executor`).

fn main() -> std::process::ExitCode {
    mesos_docker::executor::main()
}
