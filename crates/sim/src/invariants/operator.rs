//! The operator's event stream tells the truth: at the end, what a
//! subscription built from its SUBSCRIBED snapshot and the events that
//! followed (those still on their way included) is the master's state:
//! the same agents and frameworks, and every active task in the state the
//! master has it in.

use std::collections::BTreeSet;

use crate::World;
use crate::operator::OperatorView;

pub(super) fn check_operator_view(world: &World) -> Result<(), String> {
    let pending = world.pending_operator_events();
    for (stream, view) in &world.operator.subscriptions {
        let mut view: OperatorView = view.clone();
        for (_, event) in pending.iter().filter(|(s, _)| s == stream) {
            view.apply(event);
        }
        if !view.subscribed {
            continue;
        }
        let agents: BTreeSet<String> = world.master.agents().map(|a| a.id.value.clone()).collect();
        if view.agents != agents {
            return Err(format!("operator stream {} has agents {:?}, the master {agents:?}", stream.0, view.agents));
        }
        let frameworks: BTreeSet<String> = world.master.frameworks().map(|f| f.id.value.clone()).collect();
        if view.frameworks != frameworks {
            return Err(format!(
                "operator stream {} has frameworks {:?}, the master {frameworks:?}",
                stream.0, view.frameworks
            ));
        }
        for framework in world.master.frameworks() {
            for task in framework.tasks.values() {
                let key = (framework.id.value.clone(), task.record.task_id.value.clone());
                let told = view.tasks.get(&key);
                if told != Some(&task.state()) {
                    return Err(format!(
                        "operator stream {} has task {} of {} in {told:?}, the master in {:?}",
                        stream.0,
                        key.1,
                        key.0,
                        task.state()
                    ));
                }
            }
        }
    }
    Ok(())
}
