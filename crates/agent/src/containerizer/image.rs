//! Docker images for Mesos containers, the pure half: image references,
//! where a reference's `docker save` tarball is looked for in a local
//! registry directory, the tarball's `manifest.json` and image config, the
//! order of its layers, the command and environment a task gets from the
//! image, and the bind mounts of a container's sandbox and volumes. No I/O:
//! `provisioner.rs` reads and unpacks.

use std::path::{Path, PathBuf};

use mesos_proto::v1::{Volume, volume};
use serde_json::Value;

use super::helper::BindMount;

/// Why an image cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("invalid image name '{0}'")]
    Name(String),
    #[error("image '{0}': references by digest are not supported, name a tag")]
    Digest(String),
    #[error("invalid manifest.json: {0}")]
    Manifest(String),
    #[error("image '{0}' is not in its tarball's manifest.json")]
    NotInManifest(String),
    #[error("invalid image config: {0}")]
    Config(String),
    #[error("invalid layer path '{0}' in manifest.json")]
    Layer(String),
    #[error("volume '{0}': {1}")]
    Volume(String, String),
}

/// A Docker image reference: `[registry/]repository[:tag]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The repository, with any registry host, e.g. `mesos-test/busybox`.
    pub repository: String,
    /// The tag, `latest` when none is given.
    pub tag: String,
}

impl Reference {
    pub fn parse(name: &str) -> Result<Reference, ImageError> {
        let name = name.trim();
        if name.contains('@') {
            return Err(ImageError::Digest(name.to_owned()));
        }
        // A ':' after the last '/' separates the tag (one before it is a
        // registry's port).
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match name[slash..].rfind(':') {
            Some(colon) => (&name[..slash + colon], &name[slash + colon + 1..]),
            None => (name, "latest"),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:".contains(c))
                && !s.split('/').any(|part| part.is_empty() || part == "." || part == "..")
        };
        if !valid(repository) || !valid(tag) || tag.contains('/') || tag.contains(':') {
            return Err(ImageError::Name(name.to_owned()));
        }
        Ok(Reference { repository: repository.to_owned(), tag: tag.to_owned() })
    }

    /// Paths, relative to the registry directory, where this image's
    /// tarball may be, in the order they are tried:
    /// `<repository>:<tag>.tar` (a '/' in the repository is a
    /// subdirectory), then the same with every '/' replaced by '_'; Docker
    /// Hub's `library/` prefix may be left out.
    pub fn tarball_candidates(&self) -> Vec<PathBuf> {
        let mut repositories = vec![self.repository.clone()];
        if let Some(short) = self.repository.strip_prefix("library/") {
            repositories.push(short.to_owned());
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        for repository in &repositories {
            for name in [repository.clone(), repository.replace('/', "_")] {
                let path = PathBuf::from(format!("{name}:{}.tar", self.tag));
                if !candidates.contains(&path) {
                    candidates.push(path);
                }
            }
        }
        candidates
    }

    /// `repository:tag`, as `RepoTags` in `manifest.json` names it.
    pub fn repo_tag(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }
}

/// One image of a `docker save` tarball's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Path of the image config in the tarball.
    pub config: String,
    pub repo_tags: Vec<String>,
    /// Paths of the layer tarballs, base layer first.
    pub layers: Vec<String>,
}

/// Parses `manifest.json`.
pub fn parse_manifest(bytes: &[u8]) -> Result<Vec<ManifestEntry>, ImageError> {
    let json: Value = serde_json::from_slice(bytes).map_err(|e| ImageError::Manifest(e.to_string()))?;
    let entries = json.as_array().ok_or_else(|| ImageError::Manifest("not an array".into()))?;
    let strings = |value: &Value| -> Vec<String> {
        value.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    };
    entries
        .iter()
        .map(|entry| {
            let config =
                entry["Config"].as_str().ok_or_else(|| ImageError::Manifest("an entry has no Config".into()))?;
            Ok(ManifestEntry {
                config: config.to_owned(),
                repo_tags: strings(&entry["RepoTags"]),
                layers: strings(&entry["Layers"]),
            })
        })
        .collect()
}

/// The manifest entry of `reference`: the one tagged so, or the only one.
pub fn select<'a>(entries: &'a [ManifestEntry], reference: &Reference) -> Result<&'a ManifestEntry, ImageError> {
    let wanted = reference.repo_tag();
    let short = wanted.strip_prefix("library/").unwrap_or(&wanted);
    entries
        .iter()
        .find(|e| e.repo_tags.iter().any(|t| t == &wanted || t == short || format!("library/{t}") == wanted))
        .or(if entries.len() == 1 { entries.first() } else { None })
        .ok_or(ImageError::NotInManifest(wanted))
}

/// A layer's id from its path in the tarball: `<id>/layer.tar` (the
/// classic `docker save` layout) or `blobs/sha256/<id>` (the OCI layout of
/// newer Docker releases). Layers are cached in the store by this id.
pub fn layer_id(path: &str) -> Result<String, ImageError> {
    let trimmed = path.trim_start_matches("./");
    let id = match trimmed.strip_suffix("/layer.tar") {
        Some(dir) => dir,
        None => trimmed.rsplit('/').next().unwrap_or(trimmed).trim_end_matches(".tar"),
    };
    let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) && id != "..";
    if valid { Ok(id.to_owned()) } else { Err(ImageError::Layer(path.to_owned())) }
}

/// The lower directories of an overlay mount for layers given base first:
/// overlayfs wants the top-most first.
pub fn lower_dirs(layer_rootfs: &[PathBuf]) -> Vec<PathBuf> {
    layer_rootfs.iter().rev().cloned().collect()
}

/// What an image's config says about running it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `Env`, as `(name, value)`.
    pub env: Vec<(String, String)>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `WorkingDir`, when set.
    pub working_dir: Option<String>,
}

/// Parses an image config (`config`, or the older `container_config`).
pub fn parse_config(bytes: &[u8]) -> Result<ImageConfig, ImageError> {
    let json: Value = serde_json::from_slice(bytes).map_err(|e| ImageError::Config(e.to_string()))?;
    if !json.is_object() {
        return Err(ImageError::Config("not an object".into()));
    }
    let config = if json["config"].is_object() { &json["config"] } else { &json["container_config"] };
    let strings = |value: &Value| -> Vec<String> {
        value.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    };
    let env = strings(&config["Env"])
        .into_iter()
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (pair, String::new()),
        })
        .collect();
    Ok(ImageConfig {
        env,
        entrypoint: strings(&config["Entrypoint"]),
        cmd: strings(&config["Cmd"]),
        working_dir: config["WorkingDir"].as_str().filter(|s| !s.is_empty()).map(str::to_owned),
    })
}

/// `PATH` when the image sets none, as Docker has it.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl ImageConfig {
    /// The image's environment, with a default `PATH`.
    pub fn environment(&self) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        if !env.iter().any(|(name, _)| name == "PATH") {
            env.insert(0, ("PATH".to_owned(), DEFAULT_PATH.to_owned()));
        }
        env
    }

    /// The command a task runs, as Mesos's Docker runtime isolator decides
    /// it, for a task command that is not a shell command: its own `value`
    /// when given (the image's entrypoint and cmd are ignored), else the
    /// image's entrypoint followed by the task's arguments or, without
    /// them, the image's cmd; else the image's cmd (or the task's
    /// arguments). Returns the program and the whole argv (argv[0] first),
    /// or `None` when the task keeps its own command.
    pub fn task_command(
        &self,
        shell: bool,
        value: Option<&str>,
        arguments: &[String],
    ) -> Option<(String, Vec<String>)> {
        if shell || value.is_some_and(|v| !v.is_empty()) {
            return None;
        }
        let argv: Vec<String> = if !self.entrypoint.is_empty() {
            let rest = if arguments.is_empty() { &self.cmd } else { arguments };
            self.entrypoint.iter().chain(rest).cloned().collect()
        } else if !arguments.is_empty() {
            arguments.to_vec()
        } else {
            self.cmd.clone()
        };
        let program = argv.first()?.clone();
        Some((program, argv))
    }
}

/// The bind mounts of a container with an image: its sandbox at
/// `sandbox_directory`, then its volumes. A volume's `container_path` is
/// absolute in the image, or relative to the sandbox; its source is
/// `host_path` (or a `HOST_PATH` source), or a `SANDBOX_PATH` source
/// relative to the container's own sandbox.
pub fn bind_mounts(volumes: &[Volume], sandbox: &Path, sandbox_directory: &Path) -> Result<Vec<BindMount>, ImageError> {
    let mut mounts =
        vec![BindMount { source: sandbox.to_owned(), target: sandbox_directory.to_owned(), read_only: false }];
    for v in volumes {
        let name = v.container_path.clone();
        let error = |why: &str| ImageError::Volume(name.clone(), why.to_owned());
        let inside = Path::new(&v.container_path);
        if v.container_path.is_empty() || inside.components().any(|c| c == std::path::Component::ParentDir) {
            return Err(error("invalid container_path"));
        }
        let target = if inside.is_absolute() { inside.to_owned() } else { sandbox_directory.join(inside) };
        let source = match (&v.host_path, &v.source) {
            (Some(host), _) => PathBuf::from(host),
            (None, Some(source)) => match source.r#type() {
                volume::source::Type::HostPath => {
                    PathBuf::from(source.host_path.as_ref().map(|h| h.path.clone()).unwrap_or_default())
                }
                volume::source::Type::SandboxPath => {
                    let sandbox_path = source.sandbox_path.as_ref().ok_or_else(|| error("no sandbox_path"))?;
                    if sandbox_path.r#type() == volume::source::sandbox_path::Type::Parent {
                        return Err(error("SANDBOX_PATH volumes of type PARENT are not supported"));
                    }
                    let relative = Path::new(&sandbox_path.path);
                    if relative.is_absolute() || relative.components().any(|c| c == std::path::Component::ParentDir) {
                        return Err(error("a SANDBOX_PATH must be relative and stay in the sandbox"));
                    }
                    sandbox.join(relative)
                }
                other => return Err(error(&format!("{} volumes are not supported", other.as_str_name()))),
            },
            (None, None) => return Err(error("no host_path or source")),
        };
        if source.as_os_str().is_empty() {
            return Err(error("empty source path"));
        }
        let source = if source.is_absolute() { source } else { sandbox.join(source) };
        mounts.push(BindMount { source, target, read_only: v.mode() == volume::Mode::Ro });
    }
    Ok(mounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = Reference::parse("busybox").unwrap();
        assert_eq!((r.repository.as_str(), r.tag.as_str()), ("busybox", "latest"));
        let r = Reference::parse("mesos-test/busybox:1.36").unwrap();
        assert_eq!((r.repository.as_str(), r.tag.as_str()), ("mesos-test/busybox", "1.36"));
        let r = Reference::parse("localhost:5000/a/b").unwrap();
        assert_eq!((r.repository.as_str(), r.tag.as_str()), ("localhost:5000/a/b", "latest"));
        assert!(matches!(Reference::parse("busybox@sha256:abc"), Err(ImageError::Digest(_))));
        assert!(Reference::parse("../etc/passwd").is_err());
        assert!(Reference::parse("").is_err());
        assert!(Reference::parse("a b").is_err());
    }

    #[test]
    fn tarball_candidates() {
        let r = Reference::parse("mesos-test/busybox").unwrap();
        assert_eq!(
            r.tarball_candidates(),
            [PathBuf::from("mesos-test/busybox:latest.tar"), PathBuf::from("mesos-test_busybox:latest.tar")]
        );
        let r = Reference::parse("library/busybox:1").unwrap();
        assert_eq!(
            r.tarball_candidates(),
            ["library/busybox:1.tar", "library_busybox:1.tar", "busybox:1.tar"].map(PathBuf::from)
        );
    }

    const MANIFEST: &str = r#"[{"Config":"cfg.json","RepoTags":["busybox:latest"],"Layers":["aaa/layer.tar","bbb/layer.tar"]},
        {"Config":"other.json","RepoTags":["other:1"],"Layers":["blobs/sha256/ccc"]}]"#;

    #[test]
    fn manifest_and_layers() {
        let entries = parse_manifest(MANIFEST.as_bytes()).unwrap();
        let busybox = select(&entries, &Reference::parse("library/busybox").unwrap()).unwrap();
        assert_eq!(busybox.config, "cfg.json");
        assert_eq!(busybox.layers, ["aaa/layer.tar", "bbb/layer.tar"]);
        assert!(matches!(select(&entries, &Reference::parse("nope").unwrap()), Err(ImageError::NotInManifest(_))));
        let ids: Vec<String> = busybox.layers.iter().map(|l| layer_id(l).unwrap()).collect();
        assert_eq!(ids, ["aaa", "bbb"]);
        assert_eq!(layer_id("blobs/sha256/ccc").unwrap(), "ccc");
        assert!(layer_id("../layer.tar").is_err());
        assert!(layer_id("").is_err());
        assert_eq!(
            lower_dirs(&[PathBuf::from("/s/aaa"), PathBuf::from("/s/bbb")]),
            ["/s/bbb", "/s/aaa"].map(PathBuf::from)
        );
        assert!(parse_manifest(b"{}").is_err());
        // A tarball of one untagged image still names it.
        let single = parse_manifest(br#"[{"Config":"c.json","RepoTags":null,"Layers":["x/layer.tar"]}]"#).unwrap();
        assert!(select(&single, &Reference::parse("anything").unwrap()).is_ok());
    }

    #[test]
    fn image_config() {
        let config = parse_config(
            br#"{"config":{"Env":["PATH=/bin","GREETING=a=b"],"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"WorkingDir":"/srv"}}"#,
        )
        .unwrap();
        assert_eq!(config.env, [("PATH".into(), "/bin".into()), ("GREETING".into(), "a=b".into())]);
        assert_eq!(config.working_dir.as_deref(), Some("/srv"));
        assert_eq!(config.environment()[0], ("PATH".to_owned(), "/bin".to_owned()));
        let bare = parse_config(br#"{"container_config":{"Cmd":["sh"]}}"#).unwrap();
        assert_eq!(bare.environment(), [("PATH".to_owned(), DEFAULT_PATH.to_owned())]);
        assert!(parse_config(b"[]").is_err());

        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Shell commands and commands with a value keep theirs.
        assert_eq!(config.task_command(true, Some("ls"), &[]), None);
        assert_eq!(config.task_command(false, Some("/bin/ls"), &args(&["ls"])), None);
        // Entrypoint, then the image's cmd or the task's arguments.
        assert_eq!(
            config.task_command(false, None, &[]),
            Some(("/bin/sh".into(), args(&["/bin/sh", "-c", "echo hi"])))
        );
        assert_eq!(
            config.task_command(false, None, &args(&["echo bye"])),
            Some(("/bin/sh".into(), args(&["/bin/sh", "-c", "echo bye"])))
        );
        assert_eq!(bare.task_command(false, None, &[]), Some(("sh".into(), args(&["sh"]))));
        assert_eq!(ImageConfig::default().task_command(false, None, &[]), None);
    }

    #[test]
    fn sandbox_and_volume_mounts() {
        let volume = |container: &str, host: Option<&str>, source: Option<volume::Source>, mode: volume::Mode| Volume {
            container_path: container.into(),
            host_path: host.map(str::to_owned),
            source,
            mode: mode as i32,
            image: None,
        };
        let sandbox_source = |path: &str| volume::Source {
            r#type: Some(volume::source::Type::SandboxPath as i32),
            sandbox_path: Some(volume::source::SandboxPath {
                r#type: Some(volume::source::sandbox_path::Type::Self_ as i32),
                path: path.into(),
            }),
            ..Default::default()
        };
        let volumes = vec![
            volume("/data", Some("/srv/data"), None, volume::Mode::Ro),
            volume("cache", None, Some(sandbox_source("tmp")), volume::Mode::Rw),
        ];
        let mounts = bind_mounts(&volumes, Path::new("/w/sb"), Path::new("/mnt/mesos/sandbox")).unwrap();
        let expected = [
            ("/w/sb", "/mnt/mesos/sandbox", false),
            ("/srv/data", "/data", true),
            ("/w/sb/tmp", "/mnt/mesos/sandbox/cache", false),
        ];
        let got: Vec<(&str, &str, bool)> =
            mounts.iter().map(|m| (m.source.to_str().unwrap(), m.target.to_str().unwrap(), m.read_only)).collect();
        assert_eq!(got, expected);
        assert!(
            bind_mounts(&[volume("../x", Some("/a"), None, volume::Mode::Rw)], Path::new("/s"), Path::new("/m"))
                .is_err()
        );
        assert!(
            bind_mounts(
                &[volume("/x", None, Some(sandbox_source("../up")), volume::Mode::Rw)],
                Path::new("/s"),
                Path::new("/m")
            )
            .is_err()
        );
        assert!(bind_mounts(&[volume("/x", None, None, volume::Mode::Rw)], Path::new("/s"), Path::new("/m")).is_err());
    }
}
