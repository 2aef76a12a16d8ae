//! `mesos agent list` and `mesos framework list`.

use mesos_proto::v1::master::call;

use super::{print_json, scalar};
use crate::api::Master;
use crate::error::CliError;
use crate::table::{Table, number};

fn missing(what: &str) -> CliError {
    CliError::Protocol(format!("the answer has no '{what}'"))
}

pub async fn agents(master: &mut Master, json: bool) -> Result<(), CliError> {
    let response = master.get(call::Type::GetAgents).await?;
    let agents = response.get_agents.ok_or_else(|| missing("get_agents"))?;
    if json {
        return print_json(&agents);
    }
    let mut table = Table::new(&["ID", "HOSTNAME", "ACTIVE", "CPUS", "MEM", "DISK"]);
    for agent in &agents.agents {
        let used_of = |name: &str| {
            format!(
                "{}/{}",
                number(scalar(&agent.allocated_resources, name)),
                number(scalar(&agent.total_resources, name))
            )
        };
        table.row(vec![
            agent.agent_info.id.as_ref().map(|i| i.value.clone()).unwrap_or_default(),
            agent.agent_info.hostname.clone(),
            agent.active.to_string(),
            used_of("cpus"),
            used_of("mem"),
            used_of("disk"),
        ]);
    }
    table.print()?;
    Ok(())
}

pub async fn frameworks(master: &mut Master, all: bool, json: bool) -> Result<(), CliError> {
    let response = master.get(call::Type::GetFrameworks).await?;
    let mut frameworks = response.get_frameworks.ok_or_else(|| missing("get_frameworks"))?;
    if !all {
        frameworks.completed_frameworks.clear();
    }
    if json {
        return print_json(&frameworks);
    }
    let tasks = master.get(call::Type::GetTasks).await?.get_tasks.unwrap_or_default();
    let mut table = Table::new(&["ID", "NAME", "ACTIVE", "CONNECTED", "TASKS", "CPUS", "MEM"]);
    for framework in frameworks.frameworks.iter().chain(&frameworks.completed_frameworks) {
        let id = framework.framework_info.id.clone().unwrap_or_default();
        let count = tasks.tasks.iter().filter(|t| t.framework_id == id).count();
        table.row(vec![
            id.value,
            framework.framework_info.name.clone(),
            framework.active.to_string(),
            framework.connected.to_string(),
            count.to_string(),
            number(scalar(&framework.allocated_resources, "cpus")),
            number(scalar(&framework.allocated_resources, "mem")),
        ]);
    }
    table.print()?;
    Ok(())
}
