//! `mesos-containerizer launch`: the small program the Linux launcher runs
//! in place of an executor to set up its container before starting it. In
//! order: join the container's cgroups (before anything can fork away),
//! enter new mount and pid namespaces, mount the image's root file system
//! with the sandbox and volumes in it, then exec the executor. With a pid
//! namespace the executor becomes its pid 1 and this program stays behind
//! in the agent's namespace, waiting for it and exiting as it did.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, chdir, chroot, fork};
use serde::{Deserialize, Serialize};

/// A bind mount into the container's root file system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindMount {
    pub source: PathBuf,
    /// Absolute path inside the container.
    pub target: PathBuf,
    pub read_only: bool,
}

/// An image's root file system, stacked with overlayfs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rootfs {
    /// Where it is mounted (on the host, seen only inside the container).
    pub target: PathBuf,
    /// Layer directories, top-most first.
    pub lower: Vec<PathBuf>,
    pub upper: PathBuf,
    pub work: PathBuf,
    /// Mounted inside it: the sandbox and the container's volumes.
    pub mounts: Vec<BindMount>,
    /// Whether the executor itself runs in it (a custom executor with an
    /// image); otherwise only its task does (the command executor).
    pub chroot_executor: bool,
}

/// Everything the helper needs, passed as JSON in `--launch_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchInfo {
    pub program: String,
    pub argv0: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Working directory (inside the root file system when the executor
    /// runs in one).
    pub working_dir: PathBuf,
    /// `cgroup.procs` files to join.
    pub cgroups: Vec<PathBuf>,
    pub pid_namespace: bool,
    pub mount_namespace: bool,
    pub rootfs: Option<Rootfs>,
}

/// Runs `mesos-containerizer` with its arguments; returns only on failure.
pub fn main(args: &[String]) -> i32 {
    let Some(json) = args.iter().find_map(|a| a.strip_prefix("--launch_info=")) else {
        eprintln!("usage: mesos-containerizer launch --launch_info=<JSON>");
        return 2;
    };
    let info: LaunchInfo = match serde_json::from_str(json) {
        Ok(info) => info,
        Err(error) => {
            eprintln!("mesos-containerizer: invalid --launch_info: {error}");
            return 2;
        }
    };
    match launch(&info) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("mesos-containerizer: {error}");
            1
        }
    }
}

fn launch(info: &LaunchInfo) -> Result<i32, String> {
    let pid = std::process::id().to_string();
    for procs in &info.cgroups {
        std::fs::write(procs, &pid).map_err(|e| format!("cannot join cgroup {}: {e}", procs.display()))?;
    }
    if info.mount_namespace || info.pid_namespace || info.rootfs.is_some() {
        unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("cannot enter a mount namespace: {e}"))?;
        // Mounts made here stay here; the host's still show through.
        mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_SLAVE, None::<&str>)
            .map_err(|e| format!("cannot make / a slave mount: {e}"))?;
    }
    if info.pid_namespace {
        unshare(CloneFlags::CLONE_NEWPID).map_err(|e| format!("cannot enter a pid namespace: {e}"))?;
        // SAFETY: this program is single-threaded, so the child may do
        // anything after fork.
        #[allow(unsafe_code)]
        let forked = unsafe { fork() }.map_err(|e| format!("fork: {e}"))?;
        if let ForkResult::Parent { child } = forked {
            return Ok(wait_and_mirror(child));
        }
        mount(
            Some("proc"),
            "/proc",
            Some("proc"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            None::<&str>,
        )
        .map_err(|e| format!("cannot mount /proc: {e}"))?;
    }
    if let Some(rootfs) = &info.rootfs {
        mount_rootfs(rootfs, info.pid_namespace)?;
    }
    let mut command = std::process::Command::new(&info.program);
    if let Some(argv0) = &info.argv0 {
        command.arg0(argv0);
    }
    command.args(&info.args).env_clear().envs(info.env.iter().map(|(k, v)| (k, v)));
    match &info.rootfs {
        Some(rootfs) if rootfs.chroot_executor => {
            chroot(&rootfs.target).map_err(|e| format!("chroot {}: {e}", rootfs.target.display()))?;
            chdir(&info.working_dir).map_err(|e| format!("chdir {}: {e}", info.working_dir.display()))?;
        }
        _ => {
            command.current_dir(&info.working_dir);
        }
    }
    let error = command.exec();
    Err(format!("cannot run '{}': {error}", info.program))
}

/// Waits for the container's pid 1 and exits as it did.
fn wait_and_mirror(child: nix::unistd::Pid) -> i32 {
    loop {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => return code,
            Ok(WaitStatus::Signaled(_, signal, _)) => {
                // Die of the same signal, so the agent sees what happened.
                // SAFETY: restoring the default disposition installs no
                // handler code.
                #[allow(unsafe_code)]
                let _ = unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl) };
                let _ = nix::sys::signal::raise(signal);
                return 128 + signal as i32;
            }
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return 1,
        }
    }
}

/// Mounts the overlay, the container's own `/proc`, `/dev` and `/sys`, then
/// the sandbox and volumes.
fn mount_rootfs(rootfs: &Rootfs, own_proc: bool) -> Result<(), String> {
    let lower: Vec<String> = rootfs.lower.iter().map(|p| p.display().to_string()).collect();
    let options =
        format!("lowerdir={},upperdir={},workdir={}", lower.join(":"), rootfs.upper.display(), rootfs.work.display());
    std::fs::create_dir_all(&rootfs.target).map_err(|e| format!("{}: {e}", rootfs.target.display()))?;
    mount(Some("overlay"), &rootfs.target, Some("overlay"), MsFlags::empty(), Some(options.as_str()))
        .map_err(|e| format!("cannot mount the image's layers with overlayfs: {e}"))?;
    let inside = |path: &Path| rootfs.target.join(path.strip_prefix("/").unwrap_or(path));
    let proc_dir = inside(Path::new("/proc"));
    std::fs::create_dir_all(&proc_dir).map_err(|e| format!("{}: {e}", proc_dir.display()))?;
    if own_proc {
        mount(
            Some("proc"),
            &proc_dir,
            Some("proc"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            None::<&str>,
        )
        .map_err(|e| format!("cannot mount /proc in the image: {e}"))?;
    } else {
        bind(Path::new("/proc"), &proc_dir, false)?;
    }
    for system in ["/dev", "/sys"] {
        let target = inside(Path::new(system));
        std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        bind(Path::new(system), &target, false)?;
    }
    for volume in &rootfs.mounts {
        let target = inside(&volume.target);
        if volume.source.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&target)
                .map_err(|e| format!("{}: {e}", target.display()))?;
        }
        bind(&volume.source, &target, volume.read_only)?;
    }
    Ok(())
}

fn bind(source: &Path, target: &Path, read_only: bool) -> Result<(), String> {
    mount(Some(source), target, None::<&str>, MsFlags::MS_BIND | MsFlags::MS_REC, None::<&str>)
        .map_err(|e| format!("cannot mount {} at {}: {e}", source.display(), target.display()))?;
    if read_only {
        let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_REC;
        mount(None::<&str>, target, None::<&str>, flags, None::<&str>)
            .map_err(|e| format!("cannot make {} read-only: {e}", target.display()))?;
    }
    Ok(())
}
