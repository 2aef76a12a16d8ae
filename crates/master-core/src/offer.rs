//! Outstanding offers.

use std::time::Duration;

use mesos_proto::v1::{AgentId, FrameworkId, OfferId};
use mesos_resources::Resources;

/// Resources of one agent offered to one framework in one role.
#[derive(Debug, Clone)]
pub struct Offer {
    pub id: OfferId,
    pub framework: FrameworkId,
    pub agent: AgentId,
    pub role: String,
    /// The offered resources, allocated to `role`.
    pub resources: Resources,
    pub created: Duration,
    /// When `--offer_timeout` rescinds it.
    pub expires: Option<Duration>,
}
