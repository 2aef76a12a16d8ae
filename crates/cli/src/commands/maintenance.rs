//! `mesos maintenance ...`: the schedule, the status of draining and down
//! machines, taking machines down and up, and draining, deactivating and
//! reactivating agents.

use std::io::Read;

use mesos_proto::v1::maintenance::Schedule;
use mesos_proto::v1::master::{Call, call};
use mesos_proto::v1::{AgentId, MachineId};

use super::print_json;
use crate::api::Master;
use crate::args::MaintenanceCommand;
use crate::error::CliError;
use crate::table::Table;

/// `HOSTNAME` or `HOSTNAME/IP` (or `/IP`).
fn machine(text: &str) -> MachineId {
    let (hostname, ip) = text.split_once('/').unwrap_or((text, ""));
    MachineId {
        hostname: (!hostname.is_empty()).then(|| hostname.to_owned()),
        ip: (!ip.is_empty()).then(|| ip.to_owned()),
    }
}

fn machine_name(id: &MachineId) -> String {
    match (&id.hostname, &id.ip) {
        (Some(h), Some(ip)) => format!("{h}/{ip}"),
        (Some(h), None) => h.clone(),
        (None, Some(ip)) => format!("/{ip}"),
        (None, None) => String::new(),
    }
}

fn of(kind: call::Type) -> Call {
    Call { r#type: Some(kind as i32), ..Default::default() }
}

fn seconds(nanoseconds: i64) -> String {
    format!("{}", nanoseconds / 1_000_000_000)
}

pub async fn run(master: &mut Master, command: MaintenanceCommand, json: bool) -> Result<(), CliError> {
    match command {
        MaintenanceCommand::Schedule => {
            let response = master.get(call::Type::GetMaintenanceSchedule).await?;
            let schedule = response.get_maintenance_schedule.map(|s| s.schedule).unwrap_or_default();
            if json {
                return print_json(&schedule);
            }
            let mut table = Table::new(&["MACHINE", "START", "DURATION"]);
            for window in &schedule.windows {
                for id in &window.machine_ids {
                    table.row(vec![
                        machine_name(id),
                        seconds(window.unavailability.start.nanoseconds),
                        window.unavailability.duration.map(|d| seconds(d.nanoseconds)).unwrap_or_default(),
                    ]);
                }
            }
            table.print()?;
        }
        MaintenanceCommand::Update { file } => {
            let mut text = Vec::new();
            if file == "-" {
                std::io::stdin().read_to_end(&mut text)?;
            } else {
                text = std::fs::read(&file).map_err(|e| CliError::Usage(format!("cannot read '{file}': {e}")))?;
            }
            let schedule: Schedule = mesos_proto::json::from_slice(&text)
                .map_err(|e| CliError::Usage(format!("'{file}' is not a maintenance schedule: {e}")))?;
            let mut call = of(call::Type::UpdateMaintenanceSchedule);
            call.update_maintenance_schedule = Some(call::UpdateMaintenanceSchedule { schedule });
            master.call(call).await?;
        }
        MaintenanceCommand::Status => {
            let response = master.get(call::Type::GetMaintenanceStatus).await?;
            let status = response.get_maintenance_status.map(|s| s.status).unwrap_or_default();
            if json {
                return print_json(&status);
            }
            let mut table = Table::new(&["MACHINE", "MODE", "ANSWERS"]);
            for draining in &status.draining_machines {
                let answers: Vec<String> = draining
                    .statuses
                    .iter()
                    .map(|s| {
                        let answer = mesos_proto::v1::allocator::inverse_offer_status::Status::try_from(s.status)
                            .map(|s| s.as_str_name())
                            .unwrap_or("UNKNOWN");
                        format!("{}:{answer}", s.framework_id.value)
                    })
                    .collect();
                table.row(vec![machine_name(&draining.id), "DRAINING".into(), answers.join(",")]);
            }
            for down in &status.down_machines {
                table.row(vec![machine_name(down), "DOWN".into(), String::new()]);
            }
            table.print()?;
        }
        MaintenanceCommand::Down { machines } => {
            let mut call = of(call::Type::StartMaintenance);
            call.start_maintenance =
                Some(call::StartMaintenance { machines: machines.iter().map(|m| machine(m)).collect() });
            master.call(call).await?;
        }
        MaintenanceCommand::Up { machines } => {
            let mut call = of(call::Type::StopMaintenance);
            call.stop_maintenance =
                Some(call::StopMaintenance { machines: machines.iter().map(|m| machine(m)).collect() });
            master.call(call).await?;
        }
        MaintenanceCommand::Drain { agent, max_grace_period, mark_gone } => {
            let mut call = of(call::Type::DrainAgent);
            call.drain_agent = Some(call::DrainAgent {
                agent_id: AgentId { value: agent },
                max_grace_period: max_grace_period
                    .map(|s| prost_types::Duration { seconds: i64::try_from(s).unwrap_or(i64::MAX), nanos: 0 }),
                mark_gone: Some(mark_gone),
            });
            master.call(call).await?;
        }
        MaintenanceCommand::Deactivate { agent } => {
            let mut call = of(call::Type::DeactivateAgent);
            call.deactivate_agent = Some(call::DeactivateAgent { agent_id: AgentId { value: agent } });
            master.call(call).await?;
        }
        MaintenanceCommand::Reactivate { agent } => {
            let mut call = of(call::Type::ReactivateAgent);
            call.reactivate_agent = Some(call::ReactivateAgent { agent_id: AgentId { value: agent } });
            master.call(call).await?;
        }
    }
    Ok(())
}
