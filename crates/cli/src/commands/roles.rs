//! `mesos quota ...` and `mesos weights ...`, through GET_QUOTA,
//! UPDATE_QUOTA, GET_WEIGHTS and UPDATE_WEIGHTS.

use std::collections::BTreeMap;

use mesos_proto::v1::master::{Call, call};
use mesos_proto::v1::quota::QuotaConfig;
use mesos_proto::v1::{WeightInfo, value};

use super::print_json;
use crate::api::Master;
use crate::args::{QuotaCommand, WeightsCommand};
use crate::error::CliError;
use crate::table::{Table, number};

/// `cpus=4,mem=2048` as quantities.
fn quantities(text: Option<&str>) -> Result<BTreeMap<String, value::Scalar>, CliError> {
    let mut out = BTreeMap::new();
    for item in text.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, amount) = item
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("'{item}' is not NAME=AMOUNT (for example cpus=4)")))?;
        let amount: f64 = amount.trim().parse().map_err(|_| CliError::Usage(format!("'{amount}' is not a number")))?;
        out.insert(name.trim().to_owned(), value::Scalar { value: amount });
    }
    Ok(out)
}

fn describe(map: &BTreeMap<String, value::Scalar>) -> String {
    map.iter().map(|(name, s)| format!("{name}={}", number(s.value))).collect::<Vec<_>>().join(",")
}

fn of(kind: call::Type) -> Call {
    Call { r#type: Some(kind as i32), ..Default::default() }
}

pub async fn quota(master: &mut Master, command: QuotaCommand, json: bool) -> Result<(), CliError> {
    match command {
        QuotaCommand::List => {
            let response = master.get(call::Type::GetQuota).await?;
            let status = response.get_quota.map(|q| q.status).unwrap_or_default();
            if json {
                return print_json(&status);
            }
            let mut table = Table::new(&["ROLE", "GUARANTEE", "LIMIT"]);
            for config in &status.configs {
                table.row(vec![config.role.clone(), describe(&config.guarantees), describe(&config.limits)]);
            }
            table.print()?;
        }
        QuotaCommand::Set { role, limit, guarantee, force } => {
            let config = QuotaConfig {
                role,
                guarantees: quantities(guarantee.as_deref())?,
                limits: quantities(limit.as_deref())?,
            };
            if config.guarantees.is_empty() && config.limits.is_empty() {
                return Err(CliError::Usage("give --limit or --guarantee (or use 'quota remove')".into()));
            }
            let mut call = of(call::Type::UpdateQuota);
            call.update_quota = Some(call::UpdateQuota { force: Some(force), quota_configs: vec![config] });
            master.call(call).await?;
        }
        QuotaCommand::Remove { role } => {
            let mut call = of(call::Type::UpdateQuota);
            let config = QuotaConfig { role, ..Default::default() };
            call.update_quota = Some(call::UpdateQuota { force: Some(true), quota_configs: vec![config] });
            master.call(call).await?;
        }
    }
    Ok(())
}

pub async fn weights(master: &mut Master, command: WeightsCommand, json: bool) -> Result<(), CliError> {
    match command {
        WeightsCommand::List => {
            let response = master.get(call::Type::GetWeights).await?;
            let weights = response.get_weights.unwrap_or_default();
            if json {
                return print_json(&weights);
            }
            let mut table = Table::new(&["ROLE", "WEIGHT"]);
            for info in &weights.weight_infos {
                table.row(vec![info.role.clone().unwrap_or_default(), number(info.weight)]);
            }
            table.print()?;
        }
        WeightsCommand::Set { weights } => {
            let mut infos = Vec::new();
            for item in &weights {
                let (role, weight) =
                    item.split_once('=').ok_or_else(|| CliError::Usage(format!("'{item}' is not ROLE=WEIGHT")))?;
                let weight: f64 = weight.parse().map_err(|_| CliError::Usage(format!("'{weight}' is not a number")))?;
                infos.push(WeightInfo { weight, role: Some(role.to_owned()) });
            }
            let mut call = of(call::Type::UpdateWeights);
            call.update_weights = Some(call::UpdateWeights { weight_infos: infos });
            master.call(call).await?;
        }
    }
    Ok(())
}
