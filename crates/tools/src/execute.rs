//! What `mesos-execute`'s container flags turn into, decided without I/O
//! (but for reading a file named instead of inline JSON): the task's
//! `ContainerInfo` from `--containerizer`, `--docker_image`, `--volumes`
//! and `--networks` by Mesos's rules, the command's environment from
//! `--env`, and what of them a task group takes.

use mesos_proto::v1::{
    ContainerInfo, Environment, Image, NetworkInfo, TaskGroupInfo, Volume, container_info, environment, image,
};

/// `--containerizer`: which containerizer runs the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containerizer {
    Mesos,
    Docker,
}

impl std::str::FromStr for Containerizer {
    type Err = String;

    fn from_str(text: &str) -> Result<Containerizer, String> {
        match text {
            "mesos" => Ok(Containerizer::Mesos),
            "docker" => Ok(Containerizer::Docker),
            other => Err(format!("Unsupported containerizer: {other} (expected mesos or docker)")),
        }
    }
}

/// The container flags of a command task.
#[derive(Debug, Clone)]
pub struct ContainerFlags {
    pub containerizer: Containerizer,
    pub docker_image: Option<String>,
    pub volumes: Vec<Volume>,
    pub networks: Vec<String>,
}

/// The task's container, as Mesos's tool builds it: none for the Mesos
/// containerizer without an image, volumes or networks; a MESOS container
/// with a Docker image (provisioned by the agent), the volumes and a
/// `NetworkInfo` per network; or a DOCKER container, which needs an image
/// and joins at most one (user-defined) network.
pub fn container_info(flags: &ContainerFlags) -> Result<Option<ContainerInfo>, String> {
    let network_infos: Vec<NetworkInfo> =
        flags.networks.iter().map(|name| NetworkInfo { name: Some(name.clone()), ..Default::default() }).collect();
    match flags.containerizer {
        Containerizer::Mesos => {
            if flags.docker_image.is_none() && flags.volumes.is_empty() && network_infos.is_empty() {
                return Ok(None);
            }
            let image = flags.docker_image.as_ref().map(|name| Image {
                r#type: image::Type::Docker as i32,
                docker: Some(image::Docker { name: name.clone(), ..Default::default() }),
                ..Default::default()
            });
            Ok(Some(ContainerInfo {
                r#type: container_info::Type::Mesos as i32,
                mesos: image.map(|image| container_info::MesosInfo { image: Some(image) }),
                volumes: flags.volumes.clone(),
                network_infos,
                ..Default::default()
            }))
        }
        Containerizer::Docker => {
            let image = flags.docker_image.clone().ok_or("--containerizer=docker needs --docker_image")?;
            if network_infos.len() > 1 {
                return Err("--containerizer=docker can join only one network (--networks)".into());
            }
            let network = (!network_infos.is_empty()).then_some(container_info::docker_info::Network::User as i32);
            Ok(Some(ContainerInfo {
                r#type: container_info::Type::Docker as i32,
                docker: Some(container_info::DockerInfo { image, network, ..Default::default() }),
                volumes: flags.volumes.clone(),
                network_infos,
                ..Default::default()
            }))
        }
    }
}

/// The container of a task group's default executor: a MESOS container
/// joining `networks` (Mesos's tool does the same), none without networks.
pub fn group_executor_container(networks: &[String]) -> Option<ContainerInfo> {
    (!networks.is_empty()).then(|| ContainerInfo {
        r#type: container_info::Type::Mesos as i32,
        network_infos: networks
            .iter()
            .map(|name| NetworkInfo { name: Some(name.clone()), ..Default::default() })
            .collect(),
        ..Default::default()
    })
}

/// Adds `environment` to every task of the group; a variable a task sets
/// itself keeps the task's value.
pub fn add_environment(group: &mut TaskGroupInfo, environment: &Environment) {
    for task in &mut group.tasks {
        let command = task.command.get_or_insert_with(Default::default);
        let own = command.environment.get_or_insert_with(Default::default);
        for variable in &environment.variables {
            if !own.variables.iter().any(|v| v.name == variable.name) {
                own.variables.push(variable.clone());
            }
        }
    }
}

/// `--networks`: comma-separated network names.
pub fn networks(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|name| !name.is_empty()).map(str::to_owned).collect()
}

/// `--volumes`: a JSON array of `Volume`s (as Mesos renders them), inline
/// or in a file (`/path` or `file:///path`).
pub fn volumes(text: &str) -> Result<Vec<Volume>, String> {
    let json: serde_json::Value =
        serde_json::from_str(&read_json(text)?).map_err(|e| format!("--volumes is not JSON: {e}"))?;
    let items = json.as_array().ok_or("--volumes must be a JSON array of volumes")?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            mesos_proto::json::from_value::<Volume>(item).map_err(|e| format!("--volumes: volume {index}: {e}"))
        })
        .collect()
}

/// `--env`: a JSON object of names to values, inline or in a file.
pub fn environment(text: &str) -> Result<Environment, String> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&read_json(text)?).map_err(|e| format!("--env must be a JSON object: {e}"))?;
    let variables = object
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => value.to_string(),
                other => return Err(format!("--env: the value of '{name}' must be a string, not {other}")),
            };
            Ok(environment::Variable { name, value: Some(value), ..Default::default() })
        })
        .collect::<Result<_, String>>()?;
    Ok(Environment { variables })
}

/// Inline JSON, or a path to a file holding it (`/path` or `file:///path`).
pub fn read_json(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(trimmed.to_owned());
    }
    std::fs::read_to_string(trimmed.strip_prefix("file://").unwrap_or(trimmed))
        .map_err(|e| format!("cannot read '{trimmed}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_proto::v1::{CommandInfo, TaskInfo, volume};

    fn flags(containerizer: Containerizer, image: Option<&str>, networks: &[&str]) -> ContainerFlags {
        ContainerFlags {
            containerizer,
            docker_image: image.map(str::to_owned),
            volumes: Vec::new(),
            networks: networks.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn a_plain_command_has_no_container() {
        assert_eq!(container_info(&flags(Containerizer::Mesos, None, &[])), Ok(None));
    }

    #[test]
    fn a_mesos_container_carries_the_image_volumes_and_networks() {
        let mut wanted = flags(Containerizer::Mesos, Some("busybox:latest"), &["net1", "net2"]);
        wanted.volumes = volumes(r#"[{"container_path":"/data","host_path":"/srv","mode":"RO"}]"#).expect("volumes");
        let container = container_info(&wanted).expect("valid").expect("a container");
        assert_eq!(container.r#type, container_info::Type::Mesos as i32);
        let image = container.mesos.and_then(|m| m.image).expect("an image");
        assert_eq!(image.r#type, image::Type::Docker as i32);
        assert_eq!(image.docker.map(|d| d.name).as_deref(), Some("busybox:latest"));
        let names: Vec<_> = container.network_infos.iter().filter_map(|n| n.name.as_deref()).collect();
        assert_eq!(names, ["net1", "net2"]);
        assert_eq!(container.volumes.len(), 1);
        assert_eq!(container.volumes[0].mode, volume::Mode::Ro as i32);
        assert_eq!(container.volumes[0].host_path.as_deref(), Some("/srv"));
        // Networks alone make a container too.
        assert!(container_info(&flags(Containerizer::Mesos, None, &["net1"])).expect("valid").is_some());
    }

    #[test]
    fn a_docker_container_needs_an_image_and_joins_one_user_network() {
        let container =
            container_info(&flags(Containerizer::Docker, Some("busybox"), &["web"])).expect("valid").expect("some");
        assert_eq!(container.r#type, container_info::Type::Docker as i32);
        let docker = container.docker.expect("docker info");
        assert_eq!(docker.image, "busybox");
        assert_eq!(docker.network, Some(container_info::docker_info::Network::User as i32));
        assert_eq!(container.network_infos[0].name.as_deref(), Some("web"));
        let host = container_info(&flags(Containerizer::Docker, Some("busybox"), &[])).expect("valid").expect("some");
        assert_eq!(host.docker.expect("docker").network, None, "the agent's default network");
        assert!(container_info(&flags(Containerizer::Docker, None, &[])).is_err());
        assert!(container_info(&flags(Containerizer::Docker, Some("busybox"), &["a", "b"])).is_err());
        assert!("rkt".parse::<Containerizer>().is_err());
    }

    #[test]
    fn flags_parse_as_mesos_writes_them() {
        assert_eq!(networks(" net1, ,net2 "), ["net1", "net2"]);
        assert!(volumes(r#"{"container_path":"/x"}"#).is_err(), "an array is required");
        assert!(volumes(r#"[{"mode":"RW"}]"#).is_err(), "container_path is required");
        let env = environment(r#"{"A":"1","B":2,"C":true}"#).expect("env");
        let pairs: Vec<_> = env.variables.iter().map(|v| (v.name.as_str(), v.value.as_deref())).collect();
        assert_eq!(pairs, [("A", Some("1")), ("B", Some("2")), ("C", Some("true"))]);
        assert!(environment(r#"{"A":{"nested":1}}"#).is_err());
        assert!(environment("[1]").is_err());
    }

    #[test]
    fn a_file_path_holds_the_json() {
        let dir = std::env::temp_dir().join(format!("mesos-execute-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("directory");
        let file = dir.join("volumes.json");
        std::fs::write(&file, r#"[{"container_path":"/a","host_path":"/b","mode":"RW"}]"#).expect("file");
        assert_eq!(volumes(&file.display().to_string()).expect("by path").len(), 1);
        assert_eq!(volumes(&format!("file://{}", file.display())).expect("by file URL").len(), 1);
        assert!(volumes("/no/such/file.json").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_group_gets_the_environment_without_overriding_its_tasks() {
        let own = Environment {
            variables: vec![environment::Variable {
                name: "A".into(),
                value: Some("task".into()),
                ..Default::default()
            }],
        };
        let mut group = TaskGroupInfo {
            tasks: vec![
                TaskInfo {
                    command: Some(CommandInfo { environment: Some(own), ..Default::default() }),
                    ..Default::default()
                },
                TaskInfo::default(),
            ],
        };
        add_environment(&mut group, &environment(r#"{"A":"flag","B":"flag"}"#).expect("env"));
        let values = |index: usize| -> Vec<(String, String)> {
            let env = group.tasks[index].command.as_ref().and_then(|c| c.environment.as_ref()).expect("env");
            env.variables.iter().map(|v| (v.name.clone(), v.value.clone().unwrap_or_default())).collect()
        };
        assert_eq!(values(0), [("A".into(), "task".into()), ("B".into(), "flag".into())]);
        assert_eq!(values(1), [("A".into(), "flag".into()), ("B".into(), "flag".into())]);
        assert!(group_executor_container(&[]).is_none());
        let executor = group_executor_container(&["net1".into()]).expect("a container");
        assert_eq!(executor.network_infos[0].name.as_deref(), Some("net1"));
    }
}
