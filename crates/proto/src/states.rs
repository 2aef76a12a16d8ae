//! Facts about task states that every component needs.

use crate::v1::TaskState;

impl TaskState {
    /// Terminal states: the task will not run again on its own. TASK_LOST is
    /// terminal here as in Mesos, although a lost task may reappear when its
    /// agent comes back.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::TaskFinished
                | TaskState::TaskFailed
                | TaskState::TaskKilled
                | TaskState::TaskError
                | TaskState::TaskLost
                | TaskState::TaskDropped
                | TaskState::TaskGone
                | TaskState::TaskGoneByOperator
        )
    }

    /// The state's wire name, e.g. `TASK_RUNNING`.
    pub fn name(self) -> &'static str {
        self.as_str_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states() {
        assert!(TaskState::TaskFinished.is_terminal());
        assert!(TaskState::TaskLost.is_terminal());
        assert!(!TaskState::TaskUnreachable.is_terminal());
        assert!(!TaskState::TaskKilling.is_terminal());
        assert_eq!(TaskState::TaskRunning.name(), "TASK_RUNNING");
    }
}
