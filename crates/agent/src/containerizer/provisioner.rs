//! Docker images for Mesos containers, the I/O half: finds an image's
//! `docker save` tarball in the local registry directory
//! (`--docker_registry`), unpacks each of its layers once into the store
//! (`--docker_store_dir`, layers cached by id and shared by every image and
//! container), and lays out a container's overlay directories under the
//! agent's work directory. The helper mounts them (`helper.rs`); the
//! container's upper directory goes when the container does.
//!
//! ```text
//! <docker_store_dir>
//! ├── layers/<layer id>/rootfs   one unpacked layer (whiteouts as overlayfs's)
//! └── staging/<uuid>             a layer being unpacked
//! ```

use std::collections::{BTreeMap, HashMap};
use std::ffi::CString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use mesos_proto::v1::{Image, Volume, image};

use super::helper::Rootfs;
use super::image::{ImageConfig, Reference, bind_mounts, layer_id, lower_dirs, parse_config, parse_manifest, select};
use crate::paths::Paths;

/// How images are provisioned (from the agent's flags).
#[derive(Debug, Clone)]
pub struct Provisioner {
    /// `--image_providers` includes `docker`.
    pub docker: bool,
    /// `--docker_registry`.
    pub registry: String,
    /// `--docker_store_dir`.
    pub store_dir: PathBuf,
    /// `--sandbox_directory`.
    pub sandbox_directory: PathBuf,
    pub paths: Paths,
}

/// A container's root file system, ready for the helper to mount.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub rootfs: Rootfs,
    pub config: ImageConfig,
}

impl Provisioner {
    /// The local registry directory, or why there is none.
    fn registry_dir(&self) -> Result<PathBuf, String> {
        let registry = self.registry.strip_prefix("file://").unwrap_or(&self.registry);
        if registry.starts_with('/') {
            Ok(PathBuf::from(registry))
        } else {
            Err(format!(
                "--docker_registry={} is a remote registry, which this agent cannot reach: \
                 give a local directory of `docker save` tarballs (<repository>:<tag>.tar)",
                self.registry
            ))
        }
    }

    /// Makes `image`'s root file system for `container_id`: the layers in
    /// the store, the container's upper and work directories, the sandbox
    /// and `volumes` to bind-mount into it. Blocking.
    pub fn provision(
        &self,
        container_id: &str,
        image: &Image,
        sandbox: &Path,
        volumes: &[Volume],
    ) -> Result<Provisioned, String> {
        if image.r#type() != image::Type::Docker {
            return Err("only DOCKER images are supported for MESOS containers (not APPC)".into());
        }
        if !self.docker {
            return Err("the container has a DOCKER image but --image_providers does not include docker".into());
        }
        let name = image.docker.as_ref().map(|d| d.name.as_str()).unwrap_or_default();
        let reference = Reference::parse(name).map_err(|e| e.to_string())?;
        let registry = self.registry_dir()?;
        let tarball = reference
            .tarball_candidates()
            .into_iter()
            .map(|relative| registry.join(relative))
            .find(|path| path.is_file())
            .ok_or_else(|| {
                format!(
                    "image '{name}' not found in the local registry {} (looked for {})",
                    registry.display(),
                    reference
                        .tarball_candidates()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let (layers, config) = self
            .store_image(&tarball, &reference)
            .map_err(|e| format!("image '{name}' ({}): {e}", tarball.display()))?;
        let dir = self.paths.provisioner_container(container_id);
        let (target, upper, work) = (dir.join("rootfs"), dir.join("upper"), dir.join("work"));
        for path in [&target, &upper, &work] {
            std::fs::create_dir_all(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        }
        let mounts = bind_mounts(volumes, sandbox, &self.sandbox_directory).map_err(|e| e.to_string())?;
        let rootfs = Rootfs { target, lower: lower_dirs(&layers), upper, work, mounts, chroot_executor: false };
        Ok(Provisioned { rootfs, config })
    }

    /// Unpacks the tarball's layers that the store lacks; returns the
    /// image's layer directories (base first) and its config.
    fn store_image(&self, tarball: &Path, reference: &Reference) -> Result<(Vec<PathBuf>, ImageConfig), String> {
        let manifest = read_members(tarball, |path| path == "manifest.json")?
            .remove("manifest.json")
            .ok_or("the tarball has no manifest.json (is it from `docker save`?)")?;
        let entries = parse_manifest(&manifest).map_err(|e| e.to_string())?;
        let entry = select(&entries, reference).map_err(|e| e.to_string())?;
        let config = read_members(tarball, |path| path == entry.config)?
            .remove(&entry.config)
            .ok_or_else(|| format!("the tarball has no {}", entry.config))?;
        let config = parse_config(&config).map_err(|e| e.to_string())?;
        let mut layers = Vec::new();
        let mut missing = BTreeMap::new();
        for path in &entry.layers {
            let id = layer_id(path).map_err(|e| e.to_string())?;
            let rootfs = self.store_dir.join("layers").join(&id).join("rootfs");
            if !rootfs.is_dir() {
                missing.insert(normalize(path), id);
            }
            layers.push(rootfs);
        }
        if !missing.is_empty() {
            self.unpack_layers(tarball, &missing)?;
        }
        Ok((layers, config))
    }

    /// Unpacks the layers `missing` (tarball path → id) into the store,
    /// each in a staging directory first, then renamed into place.
    fn unpack_layers(&self, tarball: &Path, missing: &BTreeMap<String, String>) -> Result<(), String> {
        let staging_root = self.store_dir.join("staging");
        std::fs::create_dir_all(&staging_root).map_err(|e| format!("{}: {e}", staging_root.display()))?;
        let file = std::fs::File::open(tarball).map_err(|e| e.to_string())?;
        let mut archive = tar::Archive::new(file);
        let mut done = 0;
        for entry in archive.entries().map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            let path = normalize(&entry.path().map_err(|e| e.to_string())?.to_string_lossy());
            let Some(id) = missing.get(&path) else { continue };
            let layer = self.store_dir.join("layers").join(id);
            if layer.join("rootfs").is_dir() {
                done += 1;
                continue;
            }
            let staging = staging_root.join(uuid::Uuid::new_v4().to_string());
            let unpacked = unpack_layer(entry, &staging.join("rootfs"))
                .map_err(|e| format!("cannot unpack layer {id}: {}", with_cause(&e)));
            let placed = unpacked.and_then(|()| {
                std::fs::create_dir_all(self.store_dir.join("layers")).map_err(|e| e.to_string())?;
                match std::fs::rename(&staging, &layer) {
                    Ok(()) => Ok(()),
                    // Another launch stored it first.
                    Err(_) if layer.join("rootfs").is_dir() => Ok(()),
                    Err(e) => Err(format!("cannot store layer {id}: {e}")),
                }
            });
            let _ = std::fs::remove_dir_all(&staging);
            placed?;
            tracing::info!(layer = %id, "stored an image layer");
            done += 1;
        }
        if done < missing.len() {
            return Err("layers named in manifest.json are missing from the tarball".into());
        }
        Ok(())
    }

    /// Removes a container's overlay directories (and the mount, should it
    /// still be there).
    pub fn destroy(&self, container_id: &str) {
        let dir = self.paths.provisioner_container(container_id);
        if !dir.exists() {
            return;
        }
        let _ = nix::mount::umount2(&dir.join("rootfs"), nix::mount::MntFlags::MNT_DETACH);
        if let Err(error) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(%container_id, %error, "cannot remove the container's root file system");
        }
    }
}

/// An I/O error with what caused it (the tar crate keeps the cause apart).
fn with_cause(error: &std::io::Error) -> String {
    match error.get_ref().and_then(std::error::Error::source) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

/// A tarball member's path without a leading `./`.
fn normalize(path: &str) -> String {
    path.trim_start_matches("./").to_owned()
}

/// The contents of the tarball's members for which `wanted` holds.
fn read_members(tarball: &Path, wanted: impl Fn(&str) -> bool) -> Result<HashMap<String, Vec<u8>>, String> {
    let file = std::fs::File::open(tarball).map_err(|e| format!("cannot open: {e}"))?;
    let mut archive = tar::Archive::new(file);
    let mut found = HashMap::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = normalize(&entry.path().map_err(|e| e.to_string())?.to_string_lossy());
        if wanted(&path) {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
            found.insert(path, bytes);
        }
    }
    Ok(found)
}

/// Unpacks one layer (a tar stream, gzipped or not) into `dest`, turning
/// Docker's whiteouts into overlayfs's: `.wh.<name>` becomes a 0/0
/// character device `<name>`, `.wh..wh..opq` marks its directory opaque.
fn unpack_layer(reader: impl Read, dest: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dest)?;
    let mut reader = BufReader::new(reader);
    let gzipped = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let stream: Box<dyn Read> = if gzipped { Box::new(flate2::read::GzDecoder::new(reader)) } else { Box::new(reader) };
    let mut archive = tar::Archive::new(stream);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_overwrite(true);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let parent = path.parent().unwrap_or(Path::new(""));
            if parent.components().any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
            {
                continue;
            }
            let dir = dest.join(parent);
            std::fs::create_dir_all(&dir)?;
            if hidden == ".wh..opq" {
                set_opaque(&dir)?;
            } else {
                let target = dir.join(hidden);
                let _ = std::fs::remove_file(&target);
                nix::sys::stat::mknod(&target, nix::sys::stat::SFlag::S_IFCHR, nix::sys::stat::Mode::empty(), 0)
                    .map_err(std::io::Error::from)?;
            }
            continue;
        }
        entry.unpack_in(dest)?;
    }
    Ok(())
}

/// Marks `dir` opaque for overlayfs (`trusted.overlay.opaque=y`).
#[allow(unsafe_code)]
fn set_opaque(dir: &Path) -> std::io::Result<()> {
    let path = CString::new(dir.as_os_str().as_bytes())?;
    let name = c"trusted.overlay.opaque";
    // SAFETY: both strings are NUL-terminated and outlive the call, and the
    // value pointer covers the one byte passed as its size.
    let rc = unsafe { libc::setxattr(path.as_ptr(), name.as_ptr(), b"y".as_ptr().cast(), 1, 0) };
    if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(builder: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, path, bytes).unwrap();
    }

    fn tarball(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, bytes) in members {
            append(&mut builder, path, bytes);
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn whiteouts_become_overlayfs_whiteouts_as_root() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let layer = tarball(&[("etc/.wh.gone", b""), ("var/lib/.wh..wh..opq", b""), ("var/lib/kept", b"k")]);
        unpack_layer(&layer[..], dir.path()).unwrap();
        let gone = std::fs::symlink_metadata(dir.path().join("etc/gone")).unwrap();
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        assert!(gone.file_type().is_char_device() && gone.rdev() == 0);
        assert!(!dir.path().join("etc/.wh.gone").exists() && !dir.path().join("var/lib/.wh..wh..opq").exists());
        let mut value = [0u8; 4];
        let path = CString::new(dir.path().join("var/lib").as_os_str().as_bytes()).unwrap();
        #[allow(unsafe_code)]
        // SAFETY: NUL-terminated strings and a buffer of the length given.
        let len = unsafe {
            libc::getxattr(path.as_ptr(), c"trusted.overlay.opaque".as_ptr(), value.as_mut_ptr().cast(), value.len())
        };
        assert_eq!(&value[..len.max(0) as usize], b"y");
        assert_eq!(std::fs::read_to_string(dir.path().join("var/lib/kept")).unwrap(), "k");
    }

    #[test]
    fn stores_layers_once_and_finds_images_in_the_registry() {
        let dir = tempfile::tempdir().unwrap();
        let layer = tarball(&[("etc/marker", b"base\n")]);
        let image = tarball(&[
            ("aaa/layer.tar", &layer),
            ("cfg.json", br#"{"config":{"Env":["A=1"]}}"#),
            ("manifest.json", br#"[{"Config":"cfg.json","RepoTags":["x/y:1"],"Layers":["aaa/layer.tar"]}]"#),
        ]);
        let registry = dir.path().join("registry");
        std::fs::create_dir_all(&registry).unwrap();
        std::fs::write(registry.join("x_y:1.tar"), &image).unwrap();
        let provisioner = Provisioner {
            docker: true,
            registry: format!("file://{}", registry.display()),
            store_dir: dir.path().join("store"),
            sandbox_directory: PathBuf::from("/mnt/mesos/sandbox"),
            paths: Paths::new(dir.path().join("work")),
        };
        let docker = |name: &str| Image {
            r#type: image::Type::Docker as i32,
            docker: Some(image::Docker { name: name.into(), ..Default::default() }),
            ..Default::default()
        };
        let sandbox = dir.path().join("sandbox");
        let provisioned = provisioner.provision("c1", &docker("x/y:1"), &sandbox, &[]).unwrap();
        let stored = dir.path().join("store/layers/aaa/rootfs");
        assert_eq!(provisioned.rootfs.lower, std::slice::from_ref(&stored));
        assert_eq!(std::fs::read_to_string(stored.join("etc/marker")).unwrap(), "base\n");
        assert_eq!(provisioned.config.env, [("A".to_owned(), "1".to_owned())]);
        assert_eq!(provisioned.rootfs.mounts[0].source, sandbox);
        assert!(provisioned.rootfs.upper.is_dir() && provisioned.rootfs.work.is_dir());
        // Cached: a second container reuses the layer as it is.
        std::fs::write(stored.join("etc/marker"), "cached\n").unwrap();
        provisioner.provision("c2", &docker("x/y:1"), &sandbox, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(stored.join("etc/marker")).unwrap(), "cached\n");
        provisioner.destroy("c1");
        assert!(!provisioner.paths.provisioner_container("c1").exists());

        let missing = provisioner.provision("c3", &docker("nope"), &sandbox, &[]).unwrap_err();
        assert!(missing.contains("not found in the local registry"), "{missing}");
        let remote = Provisioner { registry: "https://registry-1.docker.io".into(), ..provisioner.clone() };
        assert!(remote.provision("c4", &docker("x/y:1"), &sandbox, &[]).unwrap_err().contains("remote registry"));
    }
}
