//! Frameworks: their subscription streams, the calls they post, the
//! events they receive, their occasional calls besides answering offers,
//! and the end of the short-lived one.

use std::time::Duration;

use mesos_master_core::input::{OperatorCall, SchedulerRequest};
use mesos_master_core::{Input, StreamId};
use mesos_proto::v1::scheduler::{Call, Event as SchedulerEvent, event};
use rand::Rng;

use super::{Endpoint, Event, Link, World};

impl World {
    pub(super) fn subscribe_framework(&mut self, framework: usize) {
        let sim = &self.frameworks[framework];
        if sim.stream.is_some() || sim.finished {
            return;
        }
        let call = sim.subscribe_call();
        let (stream, stream_id) = self.new_stream();
        self.streams.insert(stream, Endpoint::Framework(framework));
        self.frameworks[framework].stream = Some((stream, stream_id.clone()));
        let input = match SchedulerRequest::parse(call, None) {
            Ok(SchedulerRequest::Subscribe(subscribe)) => {
                Input::SchedulerSubscribe { stream, stream_id, subscribe: Box::new(subscribe) }
            }
            other => {
                self.fault(format!("framework {framework} sent a malformed SUBSCRIBE: {other:?}"));
                return;
            }
        };
        if let Err(error) = self.master_input(input) {
            self.fault(format!("framework {framework} subscription refused: {error}"));
        }
    }

    /// A call a framework posted reaches the master (on its current
    /// subscription; a call posted on a broken one is lost).
    pub(super) fn framework_call(&mut self, framework: usize, mut call: Call) {
        let Some((_, stream_id)) = self.frameworks[framework].stream.clone() else { return };
        call.framework_id = self.frameworks[framework].id.clone();
        match SchedulerRequest::parse(call, Some(&stream_id)) {
            Ok(SchedulerRequest::Call { framework_id, stream_id, call }) => {
                let _ = self.master_input(Input::SchedulerCall { framework_id, stream_id, call });
            }
            other => self.fault(format!("a malformed scheduler call: {other:?}")),
        }
    }

    fn post(&mut self, framework: usize, call: Call) {
        let delay = self.link_delay(Link::FrameworkToMaster(framework));
        self.schedule(delay, Event::FromFramework { framework, call: Box::new(call) });
    }

    pub(super) fn deliver_to_framework(&mut self, framework: usize, stream: StreamId, event: SchedulerEvent) {
        if self.frameworks[framework].stream.as_ref().map(|s| s.0) != Some(stream) {
            return;
        }
        let mut calls = Vec::new();
        let sim = &mut self.frameworks[framework];
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                sim.id = event.subscribed.map(|s| s.framework_id);
                calls.push(sim.reconcile_all());
                if sim.tearing_down {
                    // Its TEARDOWN may not have reached the master.
                    calls.push(sim.teardown_call());
                }
            }
            Some(event::Type::Offers) => {
                for offer in event.offers.map(|o| o.offers).unwrap_or_default() {
                    calls.push(sim.answer_offer(&offer, &mut self.rng));
                }
            }
            Some(event::Type::InverseOffers) => {
                let offers = event.inverse_offers.map(|o| o.inverse_offers).unwrap_or_default();
                calls.push(sim.answer_inverse_offers(&offers, &mut self.rng));
            }
            Some(event::Type::Update) => {
                if let Some(ack) = event.update.and_then(|u| sim.record(&u.status)) {
                    calls.push(ack);
                }
            }
            Some(event::Type::Message) => {
                if let Some(message) = event.message {
                    sim.record_message(message.data);
                }
            }
            _ => {}
        }
        for call in calls {
            self.post(framework, call);
        }
    }

    /// The master ended a framework's stream: a framework that was torn
    /// down is gone for good; another subscribes again.
    pub(super) fn framework_stream_closed(&mut self, framework: usize, stream: StreamId) {
        let sim = &mut self.frameworks[framework];
        if sim.stream.as_ref().map(|s| s.0) != Some(stream) {
            return;
        }
        sim.stream = None;
        if sim.tearing_down {
            sim.finished = true;
            self.fault(format!("framework {framework} was torn down"));
            return;
        }
        let backoff = Duration::from_millis(self.rng.random_range(500..3000));
        self.schedule(backoff, Event::FrameworkSubscribe(framework));
    }

    /// A framework's occasional call: a message to an executor, a kill, an
    /// executor shutdown, or new info.
    pub(super) fn framework_act(&mut self, framework: usize) {
        if !self.faults_enabled {
            return;
        }
        let next = self.act_delay();
        self.schedule(next, Event::FrameworkAct(framework));
        let sim = &mut self.frameworks[framework];
        if sim.stream.is_none() || sim.finished {
            return;
        }
        let call = match self.rng.random_range(0..20) {
            0..8 => sim.message_call(&mut self.rng),
            8..11 => sim.kill_call(&mut self.rng),
            11..13 => sim.shutdown_call(&mut self.rng),
            13..16 => sim.update_framework_call(),
            _ => None,
        };
        if let Some(call) = call {
            self.post(framework, call);
        }
    }

    /// The short-lived framework is done: it tears itself down, or the
    /// operator tears it down.
    pub(super) fn framework_teardown(&mut self, framework: usize) {
        let sim = &mut self.frameworks[framework];
        if sim.finished || sim.tearing_down {
            return;
        }
        let Some(id) = sim.id.clone() else {
            // Not subscribed yet: a little later.
            self.schedule(Duration::from_secs(2), Event::FrameworkTeardown(framework));
            return;
        };
        if self.rng.random_bool(0.5) {
            self.fault(format!("framework {framework} tears itself down"));
            let call = self.frameworks[framework].teardown_call();
            self.post(framework, call);
        } else {
            self.fault(format!("the operator tears framework {framework} down"));
            self.frameworks[framework].tearing_down = true;
            let _ = self.master_input(Input::Operator(OperatorCall::Teardown(id)));
        }
    }
}
