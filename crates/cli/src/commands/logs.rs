//! `mesos task log TASK [--follow] [--file NAME]`: prints a file of the
//! task's sandbox (its stdout unless told otherwise), read through the
//! master's READ_FILE, and with `--follow` keeps printing what is appended
//! until the task has ended and everything is printed.

use std::io::Write;
use std::time::Duration;

use mesos_proto::v1::TaskState;
use mesos_proto::v1::master::{Call, call};

use super::tasks::find;
use crate::api::Master;
use crate::args::LogArgs;
use crate::error::CliError;

/// Bytes asked for per READ_FILE.
const CHUNK: u64 = 64 * 1024;

/// How often `--follow` looks for more.
const POLL: Duration = Duration::from_millis(500);

pub async fn log(master: &mut Master, args: &LogArgs) -> Result<(), CliError> {
    if args.file.is_empty() || args.file.contains("..") {
        return Err(CliError::Usage(format!("'{}' is not a sandbox file name", args.file)));
    }
    let task = find(master, &args.task).await?;
    let executor = task.executor_id.as_ref().map_or(task.task_id.value.as_str(), |e| e.value.as_str());
    let path = format!("/frameworks/{}/executors/{executor}/runs/latest/{}", task.framework_id.value, args.file);
    let mut offset = 0;
    let mut out = std::io::stdout();
    loop {
        let read = read_chunk(master, &path, offset).await?;
        out.write_all(&read)?;
        out.flush()?;
        offset += read.len() as u64;
        if read.len() as u64 == CHUNK {
            continue;
        }
        if !args.follow {
            return Ok(());
        }
        let now = find(master, &args.task).await?;
        if TaskState::try_from(now.state).is_ok_and(|s| s.is_terminal()) {
            // Whatever was written before the end.
            loop {
                let rest = read_chunk(master, &path, offset).await?;
                if rest.is_empty() {
                    return Ok(());
                }
                out.write_all(&rest)?;
                offset += rest.len() as u64;
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn read_chunk(master: &mut Master, path: &str, offset: u64) -> Result<Vec<u8>, CliError> {
    let call = Call {
        r#type: Some(call::Type::ReadFile as i32),
        read_file: Some(call::ReadFile { path: path.to_owned(), offset, length: Some(CHUNK) }),
        ..Default::default()
    };
    match master.call(call).await {
        Ok(response) => Ok(response.read_file.map(|r| r.data).unwrap_or_default()),
        Err(CliError::Refused { status: 404, .. }) => {
            Err(CliError::NotFound(format!("no file '{path}' in the sandbox")))
        }
        Err(error) => Err(error),
    }
}
