//! From a task to the Docker container that runs it, as Mesos's Docker
//! containerizer does: the image; `sh -c <command>` with `/bin/sh` as
//! entrypoint for shell commands, else the command and its arguments (or
//! the image's own); cpu shares and a memory limit from the task's
//! resources; HOST, BRIDGE, NONE or a user network, with port mappings
//! onto ports the task was given; volumes; the sandbox at
//! `/mnt/mesos/sandbox`; and the `parameters` Mesos passes to `docker run`
//! that the Engine API can express.

use std::collections::BTreeMap;

use mesos_proto::v1::{ContainerInfo, TaskInfo, container_info, volume};
use mesos_resources::Resources;

/// Why a task's Docker container cannot be described.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("the task has no Docker ContainerInfo")]
    NotDocker,
    #[error("host port {0} of a port mapping is not among the task's ports")]
    PortNotOffered(u32),
    #[error("unsupported Docker parameter '{0}'")]
    UnsupportedParameter(String),
    #[error("volume for '{0}' has no host path")]
    VolumeWithoutHostPath(String),
}

/// A port published on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    pub host_port: u32,
    pub container_port: u32,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// The container to create.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// `None` keeps the image's.
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub cpu_shares: Option<i64>,
    pub memory_bytes: Option<i64>,
    /// `host`, `bridge`, `none` or a network's name.
    pub network_mode: String,
    pub ports: Vec<PortMapping>,
    /// `host:container[:ro]`.
    pub binds: Vec<String>,
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub privileged: bool,
    pub force_pull: bool,
}

/// Where the sandbox is seen inside the container.
pub const SANDBOX: &str = "/mnt/mesos/sandbox";

/// Describes the container of `task`, named `name`, with the sandbox at
/// `sandbox` on the host.
pub fn container_spec(task: &TaskInfo, name: &str, sandbox: &str) -> Result<ContainerSpec, SpecError> {
    let container: &ContainerInfo = task.container.as_ref().ok_or(SpecError::NotDocker)?;
    if container.r#type != container_info::Type::Docker as i32 {
        return Err(SpecError::NotDocker);
    }
    let docker = container.docker.as_ref().ok_or(SpecError::NotDocker)?;
    let resources = Resources::from_proto(&task.resources).unwrap_or_default();
    let command = task.command.clone().unwrap_or_default();
    let (entrypoint, cmd) = match (&command.value, command.shell()) {
        (Some(value), true) => (Some(vec!["/bin/sh".to_owned()]), Some(vec!["-c".to_owned(), value.clone()])),
        (Some(value), false) => {
            let mut argv = vec![value.clone()];
            argv.extend(command.arguments.iter().skip(1).cloned());
            (None, Some(argv))
        }
        (None, _) if !command.arguments.is_empty() => (None, Some(command.arguments.clone())),
        (None, _) => (None, None),
    };
    let mut env: Vec<String> = command
        .environment
        .iter()
        .flat_map(|e| &e.variables)
        .filter_map(|v| Some(format!("{}={}", v.name, v.value.as_ref()?)))
        .collect();
    env.push(format!("MESOS_SANDBOX={SANDBOX}"));
    env.push(format!("MESOS_CONTAINER_NAME={name}"));
    let network = container_info::docker_info::Network::try_from(docker.network.unwrap_or(1))
        .unwrap_or(container_info::docker_info::Network::Host);
    let network_mode = match network {
        container_info::docker_info::Network::Host => "host".to_owned(),
        container_info::docker_info::Network::Bridge => "bridge".to_owned(),
        container_info::docker_info::Network::None => "none".to_owned(),
        container_info::docker_info::Network::User => {
            container.network_infos.first().and_then(|n| n.name.clone()).unwrap_or_else(|| "bridge".to_owned())
        }
    };
    let offered = resources.ranges("ports");
    let mut ports = Vec::new();
    for mapping in &docker.port_mappings {
        if !offered.contains_value(u64::from(mapping.host_port)) {
            return Err(SpecError::PortNotOffered(mapping.host_port));
        }
        ports.push(PortMapping {
            host_port: mapping.host_port,
            container_port: mapping.container_port,
            protocol: mapping.protocol.clone().unwrap_or_else(|| "tcp".to_owned()),
        });
    }
    let mut binds = vec![format!("{sandbox}:{SANDBOX}")];
    for volume in &container.volumes {
        let host = volume
            .host_path
            .clone()
            .or_else(|| volume.source.as_ref().and_then(|s| s.host_path.as_ref()).map(|h| h.path.clone()))
            .ok_or_else(|| SpecError::VolumeWithoutHostPath(volume.container_path.clone()))?;
        let host = if host.starts_with('/') { host } else { format!("{sandbox}/{host}") };
        let mode = if volume.mode == volume::Mode::Ro as i32 { ":ro" } else { "" };
        binds.push(format!("{host}:{}{mode}", volume.container_path));
    }
    let mut spec = ContainerSpec {
        name: name.to_owned(),
        image: docker.image.clone(),
        entrypoint,
        cmd,
        env,
        labels: BTreeMap::new(),
        cpu_shares: Some(((resources.scalar("cpus").as_f64() * 1024.0) as i64).max(2)),
        memory_bytes: Some(((resources.scalar("mem").as_f64() * 1024.0 * 1024.0) as i64).max(32 << 20))
            .filter(|_| resources.scalar("mem").as_f64() > 0.0),
        network_mode,
        ports,
        binds,
        hostname: container.hostname.clone(),
        user: None,
        working_dir: None,
        privileged: docker.privileged(),
        force_pull: docker.force_pull_image(),
    };
    for parameter in &docker.parameters {
        apply_parameter(&mut spec, &parameter.key, &parameter.value)?;
    }
    Ok(spec)
}

/// A `docker run --key=value` option, in Engine API terms.
fn apply_parameter(spec: &mut ContainerSpec, key: &str, value: &str) -> Result<(), SpecError> {
    match key.trim_start_matches('-') {
        "env" | "e" => spec.env.push(value.to_owned()),
        "label" | "l" => {
            let (k, v) = value.split_once('=').unwrap_or((value, ""));
            spec.labels.insert(k.to_owned(), v.to_owned());
        }
        "hostname" | "h" => spec.hostname = Some(value.to_owned()),
        "user" | "u" => spec.user = Some(value.to_owned()),
        "workdir" | "w" => spec.working_dir = Some(value.to_owned()),
        "volume" | "v" => spec.binds.push(value.to_owned()),
        "entrypoint" => spec.entrypoint = Some(vec![value.to_owned()]),
        "privileged" => spec.privileged = value != "false",
        other => return Err(SpecError::UnsupportedParameter(other.to_owned())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use mesos_proto::v1::container_info::{DockerInfo, docker_info};
    use mesos_proto::v1::{CommandInfo, Parameter, Resource, TaskId, Volume, value};

    use super::*;

    fn task(network: docker_info::Network, mappings: Vec<docker_info::PortMapping>) -> TaskInfo {
        let scalar = |name: &str, v: f64| Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: v }),
            ..Default::default()
        };
        let ports = Resource {
            name: "ports".into(),
            r#type: value::Type::Ranges as i32,
            ranges: Some(value::Ranges { range: vec![value::Range { begin: 31000, end: 31005 }] }),
            ..Default::default()
        };
        TaskInfo {
            name: "t".into(),
            task_id: TaskId { value: "t".into() },
            resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0), ports],
            command: Some(CommandInfo { value: Some("httpd -f".into()), ..Default::default() }),
            container: Some(ContainerInfo {
                r#type: container_info::Type::Docker as i32,
                docker: Some(DockerInfo {
                    image: "busybox".into(),
                    network: Some(network as i32),
                    port_mappings: mappings,
                    parameters: vec![Parameter { key: "label".into(), value: "a=b".into() }],
                    ..Default::default()
                }),
                volumes: vec![Volume {
                    container_path: "/data".into(),
                    host_path: Some("data".into()),
                    mode: mesos_proto::v1::volume::Mode::Ro as i32,
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn mapping(host: u32) -> docker_info::PortMapping {
        docker_info::PortMapping { host_port: host, container_port: 8080, protocol: None }
    }

    #[test]
    fn a_bridge_task_maps_its_offered_ports_and_gets_its_resources() {
        let spec = container_spec(&task(docker_info::Network::Bridge, vec![mapping(31002)]), "mesos-c", "/s").unwrap();
        assert_eq!(spec.network_mode, "bridge");
        assert_eq!(spec.ports, [PortMapping { host_port: 31002, container_port: 8080, protocol: "tcp".into() }]);
        assert_eq!(spec.cpu_shares, Some(512));
        assert_eq!(spec.memory_bytes, Some(64 << 20));
        assert_eq!(spec.entrypoint, Some(vec!["/bin/sh".to_owned()]));
        assert_eq!(spec.cmd, Some(vec!["-c".to_owned(), "httpd -f".to_owned()]));
        assert_eq!(spec.binds, ["/s:/mnt/mesos/sandbox", "/s/data:/data:ro"]);
        assert_eq!(spec.labels.get("a").map(String::as_str), Some("b"));
        assert!(spec.env.contains(&"MESOS_SANDBOX=/mnt/mesos/sandbox".to_owned()));
    }

    #[test]
    fn ports_not_given_to_the_task_and_unknown_parameters_are_refused() {
        let refused = container_spec(&task(docker_info::Network::Bridge, vec![mapping(80)]), "n", "/s");
        assert_eq!(refused, Err(SpecError::PortNotOffered(80)));
        let mut odd = task(docker_info::Network::Host, vec![]);
        odd.container.as_mut().unwrap().docker.as_mut().unwrap().parameters =
            vec![Parameter { key: "cap-add".into(), value: "ALL".into() }];
        assert_eq!(container_spec(&odd, "n", "/s"), Err(SpecError::UnsupportedParameter("cap-add".into())));
        assert_eq!(container_spec(&TaskInfo::default(), "n", "/s"), Err(SpecError::NotDocker));
    }

    #[test]
    fn names_carry_the_container_id() {
        assert_eq!(crate::container_name("abc"), "mesos-abc");
        assert_eq!(crate::container_id("/mesos-abc"), Some("abc"));
        assert_eq!(crate::container_id("/mesos-abc.executor"), None);
        assert_eq!(crate::container_id("/other"), None);
    }
}
