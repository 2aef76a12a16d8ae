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
