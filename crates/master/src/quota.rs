//! Quota requests in their older form (`SET_QUOTA`, `POST /quota`): a role
//! and guaranteed resources, which become a `QuotaConfig` whose limits equal
//! its guarantees, as Mesos treats them.

use mesos_master_core::ApiError;
use mesos_proto::v1::quota::{QuotaConfig, QuotaRequest};
use mesos_proto::v1::value;
use mesos_resources::Resources;

/// The config a `QuotaRequest` stands for.
pub fn config_of_request(request: &QuotaRequest) -> Result<QuotaConfig, ApiError> {
    let role = request.role.clone().ok_or_else(|| ApiError::bad_request("Expecting 'role' in the quota request"))?;
    let resources = Resources::from_proto(&request.guarantee)
        .map_err(|error| ApiError::bad_request(format!("Invalid quota guarantee: {error}")))?;
    let mut config = QuotaConfig { role, ..Default::default() };
    for (name, amount) in resources.scalar_quantities() {
        let scalar = value::Scalar { value: amount.as_f64() };
        config.guarantees.insert(name.clone(), scalar);
        config.limits.insert(name, scalar);
    }
    if config.guarantees.is_empty() {
        return Err(ApiError::bad_request("Expecting scalar resources in the quota guarantee"));
    }
    Ok(config)
}
