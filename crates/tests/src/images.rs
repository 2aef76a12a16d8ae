//! Test images, made locally (nothing is pulled): a root file system of
//! Debian's static busybox with a few applets linked, imported into the
//! Docker Engine as `mesos-test/busybox:latest` and saved with `docker
//! save` into a directory that serves as a local image registry
//! (`--docker_registry`). Made once per machine and reused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The test image's name.
pub const BUSYBOX: &str = "mesos-test/busybox:latest";

const APPLETS: &[&str] = &["sh", "echo", "sleep", "cat", "ls", "httpd", "wget", "test", "mkdir", "id"];

/// Where test images are kept between runs.
fn images_dir() -> PathBuf {
    std::env::temp_dir().join("mesos-test-images")
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// The busybox root file system (a directory).
pub fn busybox_rootfs() -> PathBuf {
    let rootfs = images_dir().join("busybox-rootfs");
    if rootfs.join("bin/busybox").exists() {
        return rootfs;
    }
    let staging = images_dir().join(format!("busybox-rootfs.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(staging.join("bin")).expect("rootfs directory");
    std::fs::create_dir_all(staging.join("tmp")).expect("rootfs /tmp");
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "/bin/busybox is missing: install Debian's busybox-static (scripts/install-test-deps.sh)"
    );
    std::fs::copy(busybox, staging.join("bin/busybox")).expect("copy busybox");
    for applet in APPLETS {
        std::os::unix::fs::symlink("busybox", staging.join("bin").join(applet)).expect("applet link");
    }
    std::fs::write(staging.join("image-marker"), "mesos-test-busybox\n").expect("marker");
    if std::fs::rename(&staging, &rootfs).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    rootfs
}

/// Imports the busybox image into the Docker Engine (once); returns its
/// name.
pub fn docker_busybox() -> &'static str {
    static IMPORTED: OnceLock<()> = OnceLock::new();
    IMPORTED.get_or_init(|| {
        let present =
            Command::new("docker").args(["image", "inspect", BUSYBOX]).output().is_ok_and(|o| o.status.success());
        if !present {
            let rootfs = busybox_rootfs();
            let tar = images_dir().join(format!("busybox.{}.tar", std::process::id()));
            run(Command::new("tar").arg("-C").arg(&rootfs).arg("-cf").arg(&tar).arg("."));
            run(Command::new("docker").arg("import").arg(&tar).arg(BUSYBOX));
            let _ = std::fs::remove_file(tar);
        }
    });
    BUSYBOX
}

/// A local registry directory holding `mesos-test/busybox:latest.tar`
/// from `docker save`.
pub fn registry() -> PathBuf {
    static SAVED: OnceLock<PathBuf> = OnceLock::new();
    SAVED
        .get_or_init(|| {
            let registry = images_dir().join("registry");
            let tarball = registry.join(format!("{BUSYBOX}.tar"));
            if !tarball.exists() {
                let image = docker_busybox();
                std::fs::create_dir_all(tarball.parent().expect("parent")).expect("registry directory");
                let staging = registry.join(format!(".save.{}.tar", std::process::id()));
                run(Command::new("docker").args(["save", image, "-o"]).arg(&staging));
                std::fs::rename(&staging, &tarball).expect("saved image");
            }
            registry
        })
        .clone()
}

/// The name of the two-layer image that [`saved_registry`] holds.
pub const LAYERED: &str = "mesos-test/layered-busybox:latest";

/// A local registry directory holding [`LAYERED`], a `docker save`
/// tarball made without Docker (`manifest.json`, an image config and
/// `<layer id>/layer.tar` per layer), named with '/' written as '_':
/// `mesos-test_layered-busybox:latest.tar`. Its base layer is the busybox
/// root file system plus `/etc/removed`; the layer above adds
/// `/etc/image-marker` and whites `/etc/removed` out. Its config sets
/// `PATH` and `IMAGE_GREETING=hello-from-the-image`.
pub fn saved_registry() -> PathBuf {
    static SAVED: OnceLock<PathBuf> = OnceLock::new();
    SAVED
        .get_or_init(|| {
            let registry = images_dir().join("saved-registry");
            let tarball = registry.join("mesos-test_layered-busybox:latest.tar");
            if tarball.exists() {
                return registry;
            }
            let staging = images_dir().join(format!("saved.{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&staging);
            std::fs::create_dir_all(&staging).expect("staging directory");
            let (base, top, out) = (staging.join("base"), staging.join("top"), staging.join("out"));
            run(Command::new("cp").arg("-a").arg(busybox_rootfs()).arg(&base));
            std::fs::create_dir_all(base.join("etc")).expect("base /etc");
            std::fs::write(base.join("etc/removed"), "only in the base layer\n").expect("removed file");
            std::fs::create_dir_all(top.join("etc")).expect("top /etc");
            std::fs::write(top.join("etc/image-marker"), "mesos-test-layered-busybox\n").expect("marker");
            std::fs::write(top.join("etc/.wh.removed"), "").expect("whiteout");
            std::fs::create_dir_all(&out).expect("out");
            let mut layers = Vec::new();
            for (id, dir) in [("base0000layer", &base), ("top00000layer", &top)] {
                std::fs::create_dir_all(out.join(id)).expect("layer directory");
                run(Command::new("tar").arg("-C").arg(dir).arg("-cf").arg(out.join(id).join("layer.tar")).arg("."));
                layers.push(format!("\"{id}/layer.tar\""));
            }
            let config = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","IMAGE_GREETING=hello-from-the-image"],"Cmd":["sh"]}}"#;
            std::fs::write(out.join("config0000.json"), config).expect("config");
            let manifest =
                format!("[{{\"Config\":\"config0000.json\",\"RepoTags\":[\"{LAYERED}\"],\"Layers\":[{}]}}]", layers.join(","));
            std::fs::write(out.join("manifest.json"), manifest).expect("manifest");
            std::fs::create_dir_all(&registry).expect("registry directory");
            let partial = registry.join(format!(".partial.{}.tar", std::process::id()));
            run(Command::new("tar").arg("-C").arg(&out).arg("-cf").arg(&partial).arg("."));
            std::fs::rename(&partial, &tarball).expect("saved image");
            let _ = std::fs::remove_dir_all(&staging);
            registry
        })
        .clone()
}

/// Whether a Docker container exists and runs.
pub fn docker_running(name: &str) -> bool {
    Command::new("docker")
        .args(["inspect", "-f", "{{.State.Running}}", name])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true")
}

/// Whether a Docker container exists at all.
pub fn docker_exists(name: &str) -> bool {
    Command::new("docker").args(["inspect", name]).output().is_ok_and(|o| o.status.success())
}
