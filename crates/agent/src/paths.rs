//! The agent's work directory, drawn once. Every path under `--work_dir` is
//! built here and nowhere else:
//!
//! ```text
//! <work_dir>
//! └── slaves
//!     └── <agent id>
//!         └── frameworks
//!             └── <framework id>
//!                 └── executors
//!                     └── <executor id>
//!                         └── runs
//!                             ├── <container id>      the sandbox
//!                             │   ├── stdout
//!                             │   └── stderr
//!                             └── latest -> <container id>
//! ```
//!
//! What a restart needs lives under `meta` (checkpointing frameworks only,
//! except the agent's own info) and `runtime` (every container):
//!
//! ```text
//! <work_dir>
//! ├── meta
//! │   ├── boot_id                        the boot the agent last ran in
//! │   ├── resources/resources.info       CheckpointedResources
//! │   └── slaves
//! │       ├── latest                     id of the current agent, as text
//! │       └── <agent id>
//! │           ├── slave.info             AgentInfo
//! │           └── frameworks/<framework id>
//! │               ├── framework.info     FrameworkInfo
//! │               └── executors/<executor id>/runs/<container id>
//! │                   ├── executor.info  ExecutorRun
//! │                   └── tasks/<task id>
//! │                       ├── task.info      TaskInfo
//! │                       └── task.updates   TaskUpdates
//! └── runtime
//!     └── containers
//!         └── <container id>.pid         ContainerProcess
//! ```
//!
//! Persistent volumes live outside any sandbox, so they outlive tasks:
//!
//! ```text
//! <work_dir>/volumes/roles/<role>/<persistence id>
//! ```
//!
//! A container with an image has its overlay directories here until it is
//! destroyed (its layers are shared, in `--docker_store_dir`):
//!
//! ```text
//! <work_dir>/provisioner/containers/<container id>
//! ├── rootfs      where the image is mounted (in the container's namespace)
//! ├── upper       what the container wrote
//! └── work        overlayfs's own
//! ```

use std::path::{Path, PathBuf};

/// Paths under one agent's work directory.
#[derive(Debug, Clone)]
pub struct Paths {
    work_dir: PathBuf,
}

impl Paths {
    pub fn new(work_dir: impl Into<PathBuf>) -> Paths {
        Paths { work_dir: work_dir.into() }
    }

    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// `<work_dir>/slaves/<agent>`.
    pub fn agent_dir(&self, agent: &str) -> PathBuf {
        self.agents_dir().join(agent)
    }

    /// `<work_dir>/slaves`: one directory per agent id this work directory
    /// has had.
    pub fn agents_dir(&self) -> PathBuf {
        self.work_dir.join("slaves")
    }

    /// `.../slaves/<agent>/frameworks`.
    pub fn frameworks_dir(&self, agent: &str) -> PathBuf {
        self.agent_dir(agent).join("frameworks")
    }

    /// `.../frameworks/<framework>/executors`.
    pub fn executors_dir(&self, agent: &str, framework: &str) -> PathBuf {
        self.frameworks_dir(agent).join(framework).join("executors")
    }

    /// `.../frameworks/<framework>/executors/<executor>`.
    pub fn executor_dir(&self, agent: &str, framework: &str, executor: &str) -> PathBuf {
        self.executors_dir(agent, framework).join(executor)
    }

    /// `.../executors/<executor>/runs`: the executor's sandboxes.
    pub fn runs_dir(&self, agent: &str, framework: &str, executor: &str) -> PathBuf {
        self.executor_dir(agent, framework, executor).join("runs")
    }

    /// The sandbox: `.../executors/<executor>/runs/<container>`.
    pub fn sandbox(&self, agent: &str, framework: &str, executor: &str, container: &str) -> PathBuf {
        self.runs_dir(agent, framework, executor).join(container)
    }

    /// The `latest` link beside a sandbox.
    pub fn latest_beside(sandbox: &Path) -> PathBuf {
        sandbox.parent().unwrap_or(sandbox).join("latest")
    }

    /// The directories above a sandbox that go once empty, nearest first:
    /// `runs`, the executor's, `executors` and the framework's.
    pub fn sandbox_parents(sandbox: &Path) -> Vec<PathBuf> {
        sandbox.ancestors().skip(1).take(4).map(Path::to_owned).collect()
    }

    /// `.../executors/<executor>/runs/latest`, pointing at the newest run.
    pub fn latest_run(&self, agent: &str, framework: &str, executor: &str) -> PathBuf {
        self.runs_dir(agent, framework, executor).join("latest")
    }
}

impl Paths {
    /// `<work_dir>/meta`.
    pub fn meta(&self) -> PathBuf {
        self.work_dir.join("meta")
    }

    pub fn boot_id(&self) -> PathBuf {
        self.meta().join("boot_id")
    }

    /// The file naming the current agent id.
    pub fn latest_agent(&self) -> PathBuf {
        self.meta().join("slaves").join("latest")
    }

    pub fn meta_agent(&self, agent: &str) -> PathBuf {
        self.meta().join("slaves").join(agent)
    }

    pub fn agent_info(&self, agent: &str) -> PathBuf {
        self.meta_agent(agent).join("slave.info")
    }

    pub fn meta_frameworks(&self, agent: &str) -> PathBuf {
        self.meta_agent(agent).join("frameworks")
    }

    pub fn framework_info(&self, agent: &str, framework: &str) -> PathBuf {
        self.meta_frameworks(agent).join(framework).join("framework.info")
    }

    pub fn meta_executors(&self, agent: &str, framework: &str) -> PathBuf {
        self.meta_frameworks(agent).join(framework).join("executors")
    }

    pub fn meta_run(&self, agent: &str, framework: &str, executor: &str, container: &str) -> PathBuf {
        self.meta_executors(agent, framework).join(executor).join("runs").join(container)
    }

    pub fn executor_run(&self, agent: &str, framework: &str, executor: &str, container: &str) -> PathBuf {
        self.meta_run(agent, framework, executor, container).join("executor.info")
    }

    pub fn meta_task(&self, agent: &str, framework: &str, executor: &str, container: &str, task: &str) -> PathBuf {
        self.meta_run(agent, framework, executor, container).join("tasks").join(task)
    }

    pub fn task_info(&self, agent: &str, framework: &str, executor: &str, container: &str, task: &str) -> PathBuf {
        self.meta_task(agent, framework, executor, container, task).join("task.info")
    }

    pub fn task_updates(&self, agent: &str, framework: &str, executor: &str, container: &str, task: &str) -> PathBuf {
        self.meta_task(agent, framework, executor, container, task).join("task.updates")
    }

    /// The agent's dynamic reservations and persistent volumes.
    pub fn resources_info(&self) -> PathBuf {
        self.meta().join("resources").join("resources.info")
    }

    /// A persistent volume's directory.
    pub fn volume(&self, role: &str, persistence_id: &str) -> PathBuf {
        self.work_dir.join("volumes").join("roles").join(role).join(persistence_id)
    }

    /// `<work_dir>/runtime/containers`.
    pub fn runtime_containers(&self) -> PathBuf {
        self.work_dir.join("runtime").join("containers")
    }

    pub fn container_process(&self, container: &str) -> PathBuf {
        self.runtime_containers().join(format!("{container}.pid"))
    }

    /// `<work_dir>/provisioner/containers/<container>`: a container's
    /// image root file system.
    pub fn provisioner_container(&self, container: &str) -> PathBuf {
        self.work_dir.join("provisioner").join("containers").join(container)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let paths = Paths::new("/w");
        assert_eq!(
            paths.sandbox("A-S0", "A-0000", "e1", "c1"),
            PathBuf::from("/w/slaves/A-S0/frameworks/A-0000/executors/e1/runs/c1")
        );
        assert_eq!(
            paths.latest_run("A-S0", "A-0000", "e1"),
            PathBuf::from("/w/slaves/A-S0/frameworks/A-0000/executors/e1/runs/latest")
        );
        let parents = Paths::sandbox_parents(&paths.sandbox("A-S0", "A-0000", "e1", "c1"));
        assert_eq!(
            parents,
            [
                paths.runs_dir("A-S0", "A-0000", "e1"),
                paths.executor_dir("A-S0", "A-0000", "e1"),
                paths.executors_dir("A-S0", "A-0000"),
                paths.frameworks_dir("A-S0").join("A-0000"),
            ]
        );
    }
}
