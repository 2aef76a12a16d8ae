//! The registrar: one task that owns the registry and its store, applies
//! the master's operations in the order asked, and writes them in batches:
//! every operation that arrives while a write is in progress goes into the
//! next write, so admitting many agents at once costs a few writes, not one
//! each. Results go back to the master's event loop in order.
//!
//! A write that fails or takes longer than `--registry_store_timeout` ends
//! the process, as Mesos's master aborts: a master that cannot record what
//! it decided must not go on deciding.

use std::time::{Duration, Instant};

use mesos_registry::{Operation, Registry};
use tokio::sync::mpsc;

use super::Store;
use mesos_master_core::Input;

use crate::actor::MasterHandle;

/// An operation to store, with its ticket.
pub type Request = (u64, Operation);

/// Starts the registrar over `registry` (as loaded from `store`); results
/// are reported to `master`. The task ends once every sender of requests is
/// gone and what they asked for is stored.
pub fn spawn(
    registry: Registry,
    store: Box<dyn Store>,
    store_timeout: Duration,
    master: MasterHandle,
) -> (mpsc::UnboundedSender<Request>, tokio::task::JoinHandle<()>) {
    let (requests, inbox) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(registry, store, store_timeout, master, inbox));
    (requests, task)
}

async fn run(
    mut registry: Registry,
    store: Box<dyn Store>,
    store_timeout: Duration,
    master: MasterHandle,
    mut inbox: mpsc::UnboundedReceiver<Request>,
) {
    let mut store = Some(store);
    while let Some(first) = inbox.recv().await {
        let mut batch = vec![first];
        while let Ok(next) = inbox.try_recv() {
            batch.push(next);
        }
        let mut touched = Vec::new();
        let mut results = Vec::with_capacity(batch.len());
        for (ticket, operation) in &batch {
            match registry.apply(operation) {
                Ok(keys) => {
                    touched.extend(keys);
                    results.push((*ticket, Ok(())));
                }
                Err(error) => results.push((*ticket, Err(error.to_string()))),
            }
        }
        let changes = registry.changes(touched);
        if !changes.is_empty() {
            let mut owned = store.take().expect("the store is back after each write");
            let started = Instant::now();
            let write = tokio::task::spawn_blocking(move || {
                let result = owned.write(&changes);
                (owned, result)
            });
            match tokio::time::timeout(store_timeout, write).await {
                Ok(Ok((owned, Ok(())))) => {
                    store = Some(owned);
                    tracing::debug!(operations = batch.len(), elapsed = ?started.elapsed(), "registry stored");
                }
                Ok(Ok((_, Err(error)))) => abort(&format!("registry write failed: {error}")),
                Ok(Err(error)) => abort(&format!("registry write failed: {error}")),
                Err(_) => {
                    abort(&format!("registry write took longer than --registry_store_timeout ({store_timeout:?})"))
                }
            }
        }
        // Once the master's loop has stopped nobody hears the results, but
        // what it asked for is still written: the loop's stop waits for it.
        for (ticket, result) in results {
            master.notify(Input::RegistryApplied { ticket, result });
        }
    }
}

fn abort(message: &str) -> ! {
    tracing::error!("{message}; the master cannot go on");
    eprintln!("mesos-master: {message}");
    std::process::exit(1);
}
