//! The registry's operations, one by one, and a property: a store that
//! writes only each batch's changes always holds exactly the registry.

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_proto::v1::quota::QuotaConfig;
use mesos_proto::v1::{AgentId, AgentInfo, value};
use mesos_registry::{Changes, Digest, Key, Operation, Registry, RegistryError};
use proptest::prelude::*;

fn info(id: &str) -> AgentInfo {
    AgentInfo { hostname: format!("host-{id}"), id: Some(AgentId { value: id.into() }), ..Default::default() }
}

fn id(value: &str) -> AgentId {
    AgentId { value: value.into() }
}

const T: Duration = Duration::from_secs(1_000);

#[test]
fn agents_are_admitted_once_and_move_between_lists() {
    let mut registry = Registry::new();
    registry.apply(&Operation::AdmitAgent(info("a"))).unwrap();
    assert_eq!(registry.apply(&Operation::AdmitAgent(info("a"))), Err(RegistryError::AlreadyAdmitted("a".into())));

    let keys = registry.apply(&Operation::MarkAgentUnreachable { id: id("a"), time: T }).unwrap();
    assert_eq!(keys, [Key::Agent("a".into()), Key::Unreachable("a".into())]);
    assert!(registry.is_unreachable(&id("a")) && !registry.is_admitted(&id("a")));
    assert_eq!(Registry::lost_since(&registry.unreachable["a"]), T);

    registry.apply(&Operation::MarkAgentReachable(info("a"))).unwrap();
    assert!(registry.is_admitted(&id("a")) && !registry.is_unreachable(&id("a")));

    registry.apply(&Operation::MarkAgentGone { id: id("a"), time: T }).unwrap();
    assert!(registry.is_gone(&id("a")));
    assert_eq!(registry.apply(&Operation::AdmitAgent(info("a"))), Err(RegistryError::Gone("a".into())));
    assert_eq!(registry.apply(&Operation::MarkAgentReachable(info("a"))), Err(RegistryError::Gone("a".into())));
}

#[test]
fn agents_unknown_to_the_registry_are_admitted_when_they_come_back() {
    let mut registry = Registry::new();
    registry.apply(&Operation::MarkAgentReachable(info("b"))).unwrap();
    assert!(registry.is_admitted(&id("b")));
    assert_eq!(
        registry.apply(&Operation::MarkAgentUnreachable { id: id("c"), time: T }),
        Err(RegistryError::NotAdmitted("c".into()))
    );
}

#[test]
fn pruning_forgets_old_entries_and_keeps_the_newest() {
    let mut registry = Registry::new();
    for (n, agent) in ["a", "b", "c", "d"].iter().enumerate() {
        registry.apply(&Operation::AdmitAgent(info(agent))).unwrap();
        let time = T + Duration::from_secs(n as u64 * 100);
        registry.apply(&Operation::MarkAgentUnreachable { id: id(agent), time }).unwrap();
    }
    // At T+400: "a" is 400 s old (pruned by age), and at most two remain.
    let keys = registry
        .apply(&Operation::Prune { now: T + Duration::from_secs(400), max_age: Duration::from_secs(350), max_count: 2 })
        .unwrap();
    assert_eq!(keys, [Key::Unreachable("a".into()), Key::Unreachable("b".into())]);
    assert_eq!(registry.unreachable.keys().collect::<Vec<_>>(), ["c", "d"]);
}

#[test]
fn weights_must_be_positive_and_a_weight_of_one_is_the_default() {
    let mut registry = Registry::new();
    assert!(matches!(
        registry.apply(&Operation::UpdateWeights(vec![("a".into(), 2.0), ("b".into(), 0.0)])),
        Err(RegistryError::InvalidWeight { .. })
    ));
    assert!(registry.weights.is_empty(), "a refused operation changes nothing");
    registry.apply(&Operation::UpdateWeights(vec![("a".into(), 2.0)])).unwrap();
    registry.apply(&Operation::UpdateWeights(vec![("a".into(), 1.0)])).unwrap();
    assert!(registry.weights.is_empty());
}

#[test]
fn quota_without_guarantees_or_limits_is_removed() {
    let mut registry = Registry::new();
    let mut config = QuotaConfig { role: "eng".into(), ..Default::default() };
    config.guarantees.insert("cpus".into(), value::Scalar { value: 4.0 });
    registry.apply(&Operation::UpdateQuota(vec![config])).unwrap();
    assert!(registry.quota.contains_key("eng"));
    registry.apply(&Operation::UpdateQuota(vec![QuotaConfig { role: "eng".into(), ..Default::default() }])).unwrap();
    assert!(registry.quota.is_empty());
}

#[test]
fn records_that_do_not_decode_or_lie_about_their_key_are_errors() {
    let mut registry = Registry::new();
    registry.apply(&Operation::AdmitAgent(info("a"))).unwrap();
    let mut records = registry.records();
    records.push(("agents/b".into(), records[0].1.clone()));
    assert!(matches!(Registry::from_records(records), Err(RegistryError::BadRecord { .. })));
    assert!(matches!(
        Registry::from_records([("agents/a", vec![0xff, 0xff, 0xff])]),
        Err(RegistryError::BadRecord { .. })
    ));
    assert!(matches!(Registry::from_records([("frameworks/x", vec![])]), Err(RegistryError::UnknownKey(_))));
}

fn operation() -> impl Strategy<Value = Operation> {
    let agent = prop::sample::select(vec!["a", "b", "c"]);
    let time = (0u64..1000).prop_map(|s| T + Duration::from_secs(s));
    prop_oneof![
        agent.clone().prop_map(|a| Operation::AdmitAgent(info(a))),
        agent.clone().prop_map(|a| Operation::UpdateAgent(info(a))),
        agent.clone().prop_map(|a| Operation::MarkAgentReachable(info(a))),
        (agent.clone(), time.clone()).prop_map(|(a, time)| Operation::MarkAgentUnreachable { id: id(a), time }),
        (agent.clone(), time.clone()).prop_map(|(a, time)| Operation::MarkAgentGone { id: id(a), time }),
        agent.prop_map(|a| Operation::RemoveAgent(id(a))),
        (time, 0u64..500, 0usize..3).prop_map(|(now, age, max_count)| Operation::Prune {
            now,
            max_age: Duration::from_secs(age),
            max_count
        }),
        (prop::sample::select(vec!["r", "s"]), prop::sample::select(vec![0.5, 1.0, 3.0, -1.0]))
            .prop_map(|(role, weight)| Operation::UpdateWeights(vec![(role.into(), weight)])),
    ]
}

proptest! {
    #[test]
    fn a_store_of_changes_always_holds_the_registry(operations in prop::collection::vec(operation(), 0..40)) {
        let mut registry = Registry::new();
        let mut store: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut digest = Digest::default();
        for operation in &operations {
            let before = registry.clone();
            match registry.apply(operation) {
                Ok(keys) => {
                    let changes = registry.changes(keys);
                    prop_assert_eq!(Changes::decode(&changes.encode()).unwrap(), changes.clone());
                    digest.apply(&changes);
                    for (key, bytes) in changes.put {
                        store.insert(key, bytes);
                    }
                    for key in changes.delete {
                        store.remove(&key);
                    }
                }
                Err(_) => prop_assert_eq!(&registry, &before, "a refused operation changes nothing"),
            }
            let expected: BTreeMap<String, Vec<u8>> = registry.records().into_iter().collect();
            prop_assert_eq!(&store, &expected);
            prop_assert_eq!(digest.summary(), Digest::of(&store).summary());
        }
        prop_assert_eq!(Registry::from_proto(registry.to_proto()).unwrap(), registry.clone());
        prop_assert_eq!(Registry::from_records(store).unwrap(), registry);
    }
}
