//! One line about each event, for `MESOS_SIM_TRACE=1`.

use mesos_proto::internal::{agent_call, agent_event};
use mesos_proto::v1::scheduler::event;

use super::Event;

pub(super) fn describe(event: &Event) -> String {
    match event {
        Event::ToAgent { agent, event, .. } => {
            format!("master -> agent {agent}: {:?}", event.r#type.and_then(|t| agent_event::Type::try_from(t).ok()))
                + &event
                    .run_task
                    .as_ref()
                    .map(|r| {
                        let framework = r.framework_info.id.as_ref().map(|id| id.value.as_str()).unwrap_or_default();
                        format!(" {framework} {}", r.task.task_id.value)
                    })
                    .unwrap_or_default()
        }
        Event::ToMaster { agent, call, .. } => {
            format!("agent {agent} -> master: {:?}", call.r#type.and_then(|t| agent_call::Type::try_from(t).ok()))
                + &call
                    .status_update
                    .as_ref()
                    .map(|u| {
                        let (framework, status) = (&u.framework_id.value, &u.status);
                        format!(" {framework} {} {:?} latest {:?}", status.task_id.value, status.state, u.latest_state)
                    })
                    .unwrap_or_default()
        }
        Event::ToFramework { framework, event, .. } => {
            format!("master -> framework {framework}: {:?}", event.r#type.and_then(|t| event::Type::try_from(t).ok()))
                + &event
                    .update
                    .as_ref()
                    .map(|u| {
                        let status = &u.status;
                        format!(" {} {:?} reason {:?}", status.task_id.value, status.state, status.reason)
                    })
                    .unwrap_or_default()
        }
        Event::FromFramework { framework, call } => format!(
            "framework {framework} -> master: {:?}",
            call.r#type.and_then(|t| mesos_proto::v1::scheduler::call::Type::try_from(t).ok())
        ),
        Event::ToOperator { stream, event } => format!(
            "master -> operator {}: {:?}",
            stream.0,
            event.r#type.and_then(|t| mesos_proto::v1::master::event::Type::try_from(t).ok())
        ),
        other => format!("{other:?}"),
    }
}
