//! Which agent holds a sandbox path, for reading sandbox files through the
//! master (LIST_FILES, READ_FILE).
//!
//! Paths are the agent's: the virtual sandbox path
//! `/frameworks/<framework>/executors/<executor>/runs/latest[/<file>]`, whose
//! agent the master finds from the executor or the tasks it knows, or the
//! sandbox's absolute directory on the agent, which names its agent
//! (`.../slaves/<agent>/frameworks/...`).

use mesos_proto::v1::AgentId;

use crate::Master;

impl Master {
    /// `host:port` of the agent holding `path`, if the master can tell.
    pub fn sandbox_agent(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let agent_id = if let Some(index) = parts.iter().position(|p| *p == "slaves") {
            AgentId { value: (*parts.get(index + 1)?).to_owned() }
        } else {
            let framework = parts.iter().position(|p| *p == "frameworks").and_then(|i| parts.get(i + 1))?;
            let executor = parts.iter().position(|p| *p == "executors").and_then(|i| parts.get(i + 1))?;
            self.executor_agent(framework, executor)?
        };
        let agent = self.agent(&agent_id)?;
        let host = agent.address.ip.clone().or_else(|| agent.address.hostname.clone())?;
        Some(format!("{host}:{}", agent.address.port))
    }

    /// The agent running (or that ran) executor `executor` of `framework`:
    /// a live executor, or a task launched with that executor (a command
    /// task's executor has the task's id).
    fn executor_agent(&self, framework: &str, executor: &str) -> Option<AgentId> {
        for agent in self.agents() {
            let running = agent
                .executors
                .iter()
                .any(|(f, executors)| f.value == framework && executors.keys().any(|e| e.value == executor));
            if running {
                return Some(agent.id.clone());
            }
        }
        let frameworks = self.frameworks().chain(self.completed_frameworks()).filter(|f| f.id.value == framework);
        for framework in frameworks {
            let tasks = framework.tasks.values().chain(&framework.unreachable_tasks).chain(&framework.completed_tasks);
            for task in tasks {
                let record = &task.record;
                let runs_it = match &record.executor_id {
                    Some(id) => id.value == executor,
                    None => record.task_id.value == executor,
                };
                if runs_it {
                    return Some(record.agent_id.clone());
                }
            }
        }
        None
    }
}
