//! Every checkpoint record carries a checksum: one flipped bit anywhere in
//! any record fails strict recovery with the record's path, where without
//! it a damaged byte inside a name or a command would decode as another,
//! valid record. Non-strict recovery skips the record instead (all but the
//! agent's own info, without which it cannot recover).

use mesos_agent::checkpoint::{apply, recover};
use mesos_agent::paths::Paths;
use mesos_agent_core::CheckpointWrite;
use mesos_proto::internal::{ExecutorRun, TaskUpdates};
use mesos_proto::v1::{
    AgentId, AgentInfo, CommandInfo, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, TaskId, TaskInfo, TaskState,
};

fn history() -> Vec<CheckpointWrite> {
    let framework_id = FrameworkId { value: "F".into() };
    let executor_id = ExecutorId { value: "E".into() };
    vec![
        CheckpointWrite::Agent(AgentInfo {
            hostname: "agent.example.com".into(),
            id: Some(AgentId { value: "A".into() }),
            ..Default::default()
        }),
        CheckpointWrite::Framework(FrameworkInfo {
            user: "root".into(),
            name: "framework".into(),
            id: Some(framework_id.clone()),
            checkpoint: Some(true),
            ..Default::default()
        }),
        CheckpointWrite::Executor {
            framework_id: framework_id.clone(),
            run: Box::new(ExecutorRun {
                executor_info: ExecutorInfo { executor_id: executor_id.clone(), ..Default::default() },
                container_id: "C".into(),
                command_executor: Some(true),
            }),
        },
        CheckpointWrite::Task {
            framework_id: framework_id.clone(),
            executor_id: executor_id.clone(),
            container_id: "C".into(),
            task: Box::new(TaskInfo {
                name: "task".into(),
                task_id: TaskId { value: "T".into() },
                command: Some(CommandInfo { value: Some("sleep 600".into()), ..Default::default() }),
                ..Default::default()
            }),
        },
        CheckpointWrite::TaskUpdates {
            framework_id,
            executor_id,
            container_id: "C".into(),
            task_id: TaskId { value: "T".into() },
            updates: Box::new(TaskUpdates {
                state: Some(TaskState::TaskRunning as i32),
                latest: None,
                pending: Vec::new(),
                received: Vec::new(),
            }),
        },
    ]
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the checkpoint directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn one_flipped_bit_in_any_record_fails_strict_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::new(dir.path());
    for write in history() {
        apply(&paths, Some("A"), &write).expect("write");
    }
    let intact = recover(&paths, true).expect("recovery").state.expect("the agent");
    let mut records = Vec::new();
    files(&paths.meta(), &mut records);
    assert!(records.len() >= 6, "{records:?}");
    let mut damages = 0;
    for record in &records {
        let bytes = std::fs::read(record).unwrap();
        for index in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[index] ^= 1 << (index % 8);
            std::fs::write(record, &damaged).unwrap();
            let error = recover(&paths, true).expect_err("a damaged record is fatal with --strict");
            let name = record.file_name().unwrap().to_string_lossy().into_owned();
            assert!(error.to_string().contains(&name), "the error names {name}: {error}");
            // Without its own info the agent cannot recover at all.
            if name != "slave.info" {
                recover(&paths, false).expect("non-strict recovery skips it");
            }
            damages += 1;
        }
        std::fs::write(record, &bytes).unwrap();
    }
    assert_eq!(recover(&paths, true).expect("recovery").state, Some(intact));
    assert!(damages > 150, "{damages}");
}
