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

use std::path::{Path, PathBuf};

/// Paths under one agent's work directory.
#[derive(Debug, Clone)]
pub struct Paths {
    work_dir: PathBuf,
}

impl Paths {
    pub fn new(work_dir: impl Into<PathBuf>) -> Paths {
        Paths {
            work_dir: work_dir.into(),
        }
    }

    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// `<work_dir>/slaves/<agent>`.
    pub fn agent_dir(&self, agent: &str) -> PathBuf {
        self.work_dir.join("slaves").join(agent)
    }

    /// `.../frameworks/<framework>/executors/<executor>`.
    pub fn executor_dir(&self, agent: &str, framework: &str, executor: &str) -> PathBuf {
        self.agent_dir(agent)
            .join("frameworks")
            .join(framework)
            .join("executors")
            .join(executor)
    }

    /// The sandbox: `.../executors/<executor>/runs/<container>`.
    pub fn sandbox(
        &self,
        agent: &str,
        framework: &str,
        executor: &str,
        container: &str,
    ) -> PathBuf {
        self.executor_dir(agent, framework, executor)
            .join("runs")
            .join(container)
    }

    /// `.../executors/<executor>/runs/latest`, pointing at the newest run.
    pub fn latest_run(&self, agent: &str, framework: &str, executor: &str) -> PathBuf {
        self.executor_dir(agent, framework, executor)
            .join("runs")
            .join("latest")
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
    }
}
