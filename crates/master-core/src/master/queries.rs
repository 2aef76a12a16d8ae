//! Answers to [`Query`]s: the operator API's GET_* responses, the legacy
//! JSON endpoints, metrics, the stored registry and sandbox locations, all
//! rendered from the core's state inside its one door.

use std::time::Duration;

use mesos_proto::v1::master::{Response as OperatorResponse, response};

use crate::error::ApiError;
use crate::input::{Query, View};
use crate::legacy;
use crate::master::Master;

impl Master {
    pub(crate) fn query(&self, now: Duration, query: Query) -> Result<View, ApiError> {
        let json = |value| Ok(View::Json(value));
        match query {
            Query::Operator(kind) => self.operator_response(kind).map(|r| View::Response(Box::new(r))),
            Query::Metrics { start_time } => {
                let mut metrics = self.metrics();
                metrics.insert("master/uptime_secs".to_owned(), now.saturating_sub(start_time).as_secs_f64());
                Ok(View::Metrics(metrics))
            }
            Query::Registry => json(mesos_proto::json::to_value(&self.registry().to_proto())),
            Query::State(facts) => json(legacy::state(self, &facts)),
            Query::StateSummary { cluster } => json(legacy::state_summary(self, cluster.as_deref())),
            Query::Frameworks { framework_id } => json(legacy::frameworks(self, framework_id.as_deref())),
            Query::Agents { agent_id } => json(legacy::agents(self, agent_id.as_deref())),
            Query::Tasks(tasks) => json(legacy::tasks(self, &tasks)),
            Query::Roles => json(legacy::roles(self)),
            Query::Weights => json(legacy::weights(self)),
            Query::Quota => json(legacy::quota(self)),
            Query::MaintenanceSchedule => json(mesos_proto::json::to_value(&self.maintenance_schedule())),
            Query::MaintenanceStatus => json(mesos_proto::json::to_value(&self.maintenance_status())),
            Query::SandboxAgent { path } => Ok(View::Agent(self.sandbox_agent(&path))),
        }
    }

    /// The response of a GET_* operator call, its type set.
    fn operator_response(&self, kind: response::Type) -> Result<OperatorResponse, ApiError> {
        let mut answer = OperatorResponse { r#type: Some(kind as i32), ..Default::default() };
        match kind {
            response::Type::GetState => answer.get_state = Some(self.get_state()),
            response::Type::GetAgents => answer.get_agents = Some(self.get_agents()),
            response::Type::GetFrameworks => answer.get_frameworks = Some(self.get_frameworks()),
            response::Type::GetExecutors => answer.get_executors = Some(self.get_executors()),
            response::Type::GetTasks => answer.get_tasks = Some(self.get_tasks()),
            response::Type::GetRoles => answer.get_roles = Some(self.get_roles()),
            response::Type::GetWeights => answer.get_weights = Some(self.get_weights()),
            response::Type::GetQuota => answer.get_quota = Some(response::GetQuota { status: self.get_quota() }),
            response::Type::GetMaintenanceStatus => {
                answer.get_maintenance_status =
                    Some(response::GetMaintenanceStatus { status: self.maintenance_status() })
            }
            response::Type::GetMaintenanceSchedule => {
                answer.get_maintenance_schedule =
                    Some(response::GetMaintenanceSchedule { schedule: self.maintenance_schedule() })
            }
            other => {
                return Err(ApiError::not_implemented(format!(
                    "{} is not answered from the master's state",
                    other.as_str_name()
                )));
            }
        }
        Ok(answer)
    }
}
