//! The master's state as the v1 operator API reports it: the messages of
//! GET_AGENTS, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS, GET_STATE,
//! GET_ROLES, GET_WEIGHTS and GET_QUOTA, also used by the events of the
//! operator's SUBSCRIBE stream. Resources are in the post-refinement format,
//! times are `TimeInfo`s, lists are sorted by id so answers are stable.

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_proto::v1::master::response::{
    GetAgents, GetExecutors, GetFrameworks, GetRoles, GetState, GetTasks, GetWeights, get_agents, get_executors,
    get_frameworks,
};
use mesos_proto::v1::quota::{QuotaConfig, QuotaStatus};
use mesos_proto::v1::{self, FrameworkId, Role, TimeInfo, WeightInfo, value};
use mesos_resources::{ResourceFormat, Resources};

use crate::agent::Agent;
use crate::framework::Framework;
use crate::master::Master;
use crate::offer::Offer;

const FORMAT: ResourceFormat = ResourceFormat::PostRefinement;

/// A time since the Unix epoch as a `TimeInfo`.
pub fn time_info(time: Duration) -> TimeInfo {
    TimeInfo { nanoseconds: i64::try_from(time.as_nanos()).unwrap_or(i64::MAX) }
}

impl Master {
    /// One agent as GET_AGENTS and AGENT_ADDED report it.
    pub fn agent_view(&self, agent: &Agent) -> get_agents::Agent {
        get_agents::Agent {
            agent_info: agent.info.clone(),
            active: agent.active && agent.connected(),
            deactivated: Some(!agent.active),
            version: agent.version.clone(),
            pid: Some(agent.pid()),
            registered_time: Some(time_info(agent.registered_time)),
            reregistered_time: agent.reregistered_time.map(time_info),
            total_resources: agent.total.to_proto(FORMAT),
            allocated_resources: agent.used_total().to_proto(FORMAT),
            offered_resources: agent.offered.to_proto(FORMAT),
            capabilities: agent.capabilities.clone(),
            resource_providers: Vec::new(),
            drain_info: agent.drain_info,
            estimated_drain_start_time: None,
        }
    }

    /// GET_AGENTS: every registered agent.
    pub fn get_agents(&self) -> GetAgents {
        let mut agents: Vec<&Agent> = self.agents.values().collect();
        agents.sort_by(|a, b| a.id.value.cmp(&b.id.value));
        GetAgents { agents: agents.into_iter().map(|a| self.agent_view(a)).collect(), recovered_agents: Vec::new() }
    }

    /// An outstanding offer as frameworks received it.
    pub fn offer_view(&self, offer: &Offer) -> v1::Offer {
        let agent = self.agents.get(&offer.agent);
        v1::Offer {
            id: offer.id.clone(),
            framework_id: offer.framework.clone(),
            agent_id: offer.agent.clone(),
            hostname: agent.map(|a| a.info.hostname.clone()).unwrap_or_default(),
            url: agent.map(Agent::url),
            domain: agent.and_then(|a| a.info.domain.clone()),
            resources: offer.resources.to_proto(FORMAT),
            attributes: agent.map(|a| a.info.attributes.clone()).unwrap_or_default(),
            executor_ids: Vec::new(),
            unavailability: agent.and_then(|a| self.agent_unavailability(&a.id)),
            allocation_info: Some(v1::resource::AllocationInfo { role: Some(offer.role.clone()) }),
        }
    }

    /// What a framework's tasks and executors hold, over every agent.
    pub fn framework_allocated(&self, framework: &Framework) -> Resources {
        let mut used = Resources::new();
        for task in framework.tasks.values().filter(|t| !t.is_terminal()) {
            used.add(&task.resources);
        }
        for agent in self.agents.values() {
            for executor in agent.executors.get(&framework.id).into_iter().flat_map(|e| e.values()) {
                if let Ok(resources) = Resources::from_proto(&executor.resources) {
                    used.add(&resources);
                }
            }
        }
        used
    }

    /// What is on offer to a framework.
    pub fn framework_offered(&self, framework: &Framework) -> Resources {
        let mut offered = Resources::new();
        for offer in framework.offers.iter().filter_map(|id| self.offers.get(id)) {
            offered.add(&offer.resources);
        }
        offered
    }

    /// One framework as GET_FRAMEWORKS, FRAMEWORK_ADDED and
    /// FRAMEWORK_UPDATED report it.
    pub fn framework_view(&self, framework: &Framework) -> get_frameworks::Framework {
        let mut offers: Vec<&Offer> = framework.offers.iter().filter_map(|id| self.offers.get(id)).collect();
        offers.sort_by(|a, b| a.id.value.cmp(&b.id.value));
        get_frameworks::Framework {
            framework_info: framework.info.clone(),
            active: framework.active,
            connected: framework.connected(),
            recovered: framework.recovered,
            registered_time: framework.registered_time.map(time_info),
            reregistered_time: framework.reregistered_time.map(time_info),
            unregistered_time: framework.unregistered_time.map(time_info),
            offers: offers.iter().map(|o| self.offer_view(o)).collect(),
            inverse_offers: self.inverse_offers_of(&framework.id),
            allocated_resources: self.framework_allocated(framework).to_proto(FORMAT),
            offered_resources: self.framework_offered(framework).to_proto(FORMAT),
            offer_constraints: None,
        }
    }

    /// GET_FRAMEWORKS: active and completed frameworks.
    pub fn get_frameworks(&self) -> GetFrameworks {
        let mut frameworks: Vec<&Framework> = self.frameworks.values().collect();
        frameworks.sort_by(|a, b| a.id.value.cmp(&b.id.value));
        GetFrameworks {
            frameworks: frameworks.into_iter().map(|f| self.framework_view(f)).collect(),
            completed_frameworks: self.completed_frameworks.iter().map(|f| self.framework_view(f)).collect(),
            ..Default::default()
        }
    }

    /// GET_EXECUTORS: the executors running on registered agents.
    pub fn get_executors(&self) -> GetExecutors {
        let mut agents: Vec<&Agent> = self.agents.values().collect();
        agents.sort_by(|a, b| a.id.value.cmp(&b.id.value));
        let mut executors = Vec::new();
        for agent in agents {
            let mut here: Vec<&v1::ExecutorInfo> = agent.executors.values().flat_map(|e| e.values()).collect();
            here.sort_by(|a, b| {
                (a.framework_id.as_ref().map(|f| &f.value), &a.executor_id.value)
                    .cmp(&(b.framework_id.as_ref().map(|f| &f.value), &b.executor_id.value))
            });
            executors.extend(
                here.into_iter()
                    .map(|info| get_executors::Executor { executor_info: info.clone(), agent_id: agent.id.clone() }),
            );
        }
        GetExecutors { executors, ..Default::default() }
    }

    /// GET_TASKS: active tasks (including ended ones whose last update is
    /// not acknowledged yet), unreachable and completed tasks.
    pub fn get_tasks(&self) -> GetTasks {
        let mut frameworks: Vec<&Framework> = self.frameworks.values().collect();
        frameworks.sort_by(|a, b| a.id.value.cmp(&b.id.value));
        let mut tasks = GetTasks::default();
        for framework in frameworks.iter().copied().chain(self.completed_frameworks.iter()) {
            let mut active: Vec<&v1::Task> = framework.task_records().collect();
            active.sort_by(|a, b| a.task_id.value.cmp(&b.task_id.value));
            tasks.tasks.extend(active.into_iter().cloned());
            tasks.unreachable_tasks.extend(framework.unreachable_tasks.iter().map(|t| (*t.record).clone()));
            tasks.completed_tasks.extend(framework.completed_tasks.iter().map(|t| (*t.record).clone()));
        }
        tasks
    }

    /// GET_STATE: tasks, executors, frameworks and agents at once (also the
    /// snapshot that opens an operator's event stream).
    pub fn get_state(&self) -> GetState {
        GetState {
            get_tasks: Some(self.get_tasks()),
            get_executors: Some(self.get_executors()),
            get_frameworks: Some(self.get_frameworks()),
            get_agents: Some(self.get_agents()),
        }
    }

    /// The weight of every role given one, by `--weights` or UPDATE_WEIGHTS
    /// (1.0 is the default), as the allocator applies it.
    pub fn role_weights(&self) -> BTreeMap<String, f64> {
        let mut weights: BTreeMap<String, f64> = self.config.weights.iter().cloned().collect();
        weights.extend(self.registry.weights.iter().map(|(role, weight)| (role.clone(), *weight)));
        for status in self.allocator.roles() {
            if let Some(weight) = weights.get_mut(&status.role) {
                *weight = status.weight;
            }
        }
        weights
    }

    /// The quota of every role that has some, sorted by role.
    pub fn quota_list(&self) -> Vec<QuotaConfig> {
        let mut configs: Vec<QuotaConfig> = self.quota_configs().cloned().collect();
        configs.sort_by(|a, b| a.role.cmp(&b.role));
        configs
    }

    /// The roles the master knows: those of `--roles` when given, else those
    /// frameworks subscribed to, plus roles with a weight or quota.
    pub fn known_roles(&self) -> Vec<String> {
        let mut roles: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        match &self.config.roles_whitelist {
            Some(whitelist) => roles.extend(whitelist.iter().cloned()),
            None => {
                for framework in self.frameworks.values() {
                    roles.extend(framework.roles.iter().cloned());
                }
            }
        }
        roles.extend(self.role_weights().into_keys());
        roles.extend(self.quota_list().into_iter().map(|q| q.role));
        roles.into_iter().collect()
    }

    /// The frameworks subscribed to `role`, by id.
    pub fn role_frameworks(&self, role: &str) -> Vec<FrameworkId> {
        let mut ids: Vec<FrameworkId> =
            self.frameworks.values().filter(|f| f.roles.iter().any(|r| r == role)).map(|f| f.id.clone()).collect();
        ids.sort_by(|a, b| a.value.cmp(&b.value));
        ids
    }

    /// What is allocated to `role` (in use) and offered to it.
    pub fn role_usage(&self, role: &str) -> (Resources, Resources) {
        let mut allocated = Resources::new();
        for agent in self.agents.values() {
            allocated.add(&agent.used_total().allocated_to(role));
        }
        let mut offered = Resources::new();
        for offer in self.offers.values().filter(|o| o.role == role) {
            offered.add(&offer.resources);
        }
        (allocated, offered)
    }

    /// GET_ROLES: each known role with its weight, frameworks, and the
    /// cpus, mem, disk and gpus allocated or offered to it.
    pub fn get_roles(&self) -> GetRoles {
        let weights = self.role_weights();
        let roles = self
            .known_roles()
            .into_iter()
            .map(|name| {
                let (allocated, offered) = self.role_usage(&name);
                let total = allocated.plus(&offered);
                let resources = ["cpus", "mem", "disk", "gpus"]
                    .into_iter()
                    .filter(|r| total.scalar(r).as_f64() > 0.0)
                    .map(|r| v1::Resource {
                        name: r.to_owned(),
                        r#type: value::Type::Scalar as i32,
                        scalar: Some(value::Scalar { value: total.scalar(r).as_f64() }),
                        ..Default::default()
                    })
                    .collect();
                Role {
                    weight: weights.get(&name).copied().unwrap_or(1.0),
                    frameworks: self.role_frameworks(&name),
                    resources,
                    name,
                }
            })
            .collect();
        GetRoles { roles }
    }

    /// GET_WEIGHTS: the roles whose weight was set.
    pub fn get_weights(&self) -> GetWeights {
        GetWeights {
            weight_infos: self
                .role_weights()
                .into_iter()
                .map(|(role, weight)| WeightInfo { weight, role: Some(role) })
                .collect(),
        }
    }

    /// GET_QUOTA: the configured quota of every role.
    pub fn get_quota(&self) -> QuotaStatus {
        QuotaStatus { configs: self.quota_list(), ..Default::default() }
    }
}
