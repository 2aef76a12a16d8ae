//! One allocation cycle.
//!
//! Agents are visited in a fresh random order. For each agent, roles are
//! taken in the role sorter's order and, inside a role, frameworks in the
//! role's framework sorter's order; the first framework that can take
//! something is offered everything it may take on that agent, and the walk
//! goes on while the agent has resources left. Two stages, as in Apache
//! Mesos: first only roles with unmet quota guarantees (filling them), then
//! every role (keeping the headroom unmet guarantees need).
//!
//! The sorters are told about an agent's allocations when the agent is done,
//! so the order is fixed while one agent is visited (Mesos copies the sorted
//! list per agent to the same effect). Most checks read the agent summary
//! and bit sets; resource bags are only built for the offers actually made.

use std::time::Duration;

use mesos_resources::Resources;
use rand::seq::SliceRandom;

use crate::api::{Allocation, Allocator};
use crate::bits::Bits;
use crate::offer::{self, Bounds};
use crate::quantities::Qty;
use crate::roles::RoleId;
use rustc_hash::FxHashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Roles with unmet guarantees, up to them.
    Guarantees,
    /// Every role, keeping the headroom.
    Rest,
}

/// Whether to keep walking the frameworks of a role on this agent.
enum Flow {
    Next,
    Stop,
}

/// What the filters say about a framework on an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Clear,
    /// Some filter may refuse the offer: check it.
    Maybe,
}

/// What a framework gets on an agent: all of it, or a part.
enum Shape {
    Whole,
    Part(Resources),
}

/// State of one cycle.
#[derive(Default)]
struct Cycle {
    offers: Vec<Allocation>,
    /// Offers of the first stage by (agent, framework, role), so that the
    /// second stage adds to them instead of making a second offer.
    first_stage: FxHashMap<(u32, u32, RoleId), usize>,
    /// Sorter updates waiting for the agent to be done.
    pending: Vec<(RoleId, u32, Qty)>,
    /// Headroom unmet guarantees need.
    required: Qty,
    /// Roles still short of their guarantees (first stage).
    short: usize,
    /// Per role, at stage start: whether it is short (first stage).
    short_roles: Vec<bool>,
    /// Roles taken out of the role sorter for the first stage (not short,
    /// or no longer short), to put back after it.
    parked: Vec<RoleId>,
    /// Roles that met their guarantees while visiting the current agent.
    met: Vec<RoleId>,
    /// Names some role could take (second stage), as a mask.
    takes: u64,
    /// Whether an offer of only non-scalars (ports) can be big enough.
    nonscalar_offers: bool,
    /// Scratch: frameworks filtered whatever they would be offered.
    covered: Bits,
    /// Scratch: frameworks whose filters need a look at the offer.
    maybe: Bits,
    /// Scratch: the few frameworks of a role worth trying on an agent.
    candidates: Vec<usize>,
}

impl Allocator {
    /// Runs a cycle over `candidates` (every agent when `None`).
    pub(crate) fn run_cycle(&mut self, candidates: Option<&[u32]>, now: Duration) -> Vec<Allocation> {
        self.filters.expire(now);
        self.sync_totals();
        let usable = |agents: &crate::agents::Agents, index: u32| {
            let agent = agents.get(index);
            agent.active && !agent.available.is_empty()
        };
        let mut order: Vec<u32> = match candidates {
            Some(list) => list.iter().copied().filter(|&i| usable(&self.agents, i)).collect(),
            None => self.agents.iter().filter(|(_, a)| a.active && !a.available.is_empty()).map(|(i, _)| i).collect(),
        };
        self.metrics.cycles += 1;
        if order.is_empty() || self.roles.sorter.active_count() == 0 {
            self.metrics.last_offers = 0;
            return Vec::new();
        }
        order.shuffle(&mut self.rng);
        let mut cycle = Cycle {
            required: self.roles.required_headroom(),
            nonscalar_offers: self.nonscalar_offers_possible(),
            ..Cycle::default()
        };
        if self.prepare_guarantees(&mut cycle) {
            for &agent in &order {
                if cycle.short == 0 {
                    break;
                }
                self.visit(agent, Stage::Guarantees, &mut cycle);
            }
            for role in cycle.parked.drain(..) {
                self.roles.sorter.activate(role);
            }
            order.shuffle(&mut self.rng);
        }
        self.prepare_rest(&mut cycle);
        for &agent in &order {
            self.visit(agent, Stage::Rest, &mut cycle);
        }
        self.metrics.last_offers = cycle.offers.len();
        self.metrics.offers += cycle.offers.len() as u64;
        cycle.offers
    }

    /// Gives the sorters the current cluster total if it changed.
    pub(crate) fn sync_totals(&mut self) {
        if self.synced_epoch == self.agents.total_epoch {
            return;
        }
        let mut total = self.agents.total.clone();
        for &excluded in &self.settings.excluded {
            total.set(excluded, 0);
        }
        self.roles.set_total(total.as_slice());
        self.synced_epoch = self.agents.total_epoch;
    }

    /// Whether some minimum offer size can be met by ports alone.
    fn nonscalar_offers_possible(&self) -> bool {
        let scalar = |id| self.names.is_scalar(id);
        self.settings.min_allocatable.met_without(scalar)
            || self.frameworks.iter().any(|(_, f)| f.min_allocatable.iter().any(|(_, min)| min.met_without(scalar)))
    }

    /// Marks the roles short of their guarantees; false if there are none.
    fn prepare_guarantees(&mut self, cycle: &mut Cycle) -> bool {
        if cycle.required.is_zero() {
            return false;
        }
        cycle.short_roles = vec![false; self.roles.roles.len()];
        for (id, role) in self.roles.roles.iter().enumerate() {
            let has_frameworks = role.frameworks.as_ref().is_some_and(|s| s.active_count() > 0);
            if has_frameworks && !role.unsatisfied().is_zero() {
                cycle.short_roles[id] = true;
                cycle.short += 1;
            }
        }
        if cycle.short == 0 {
            return false;
        }
        // The first stage walks only roles short of their guarantees.
        for id in 0..self.roles.roles.len() {
            if !cycle.short_roles[id] && self.roles.sorter.is_active(id) {
                self.roles.sorter.deactivate(id);
                cycle.parked.push(id);
            }
        }
        true
    }

    /// Computes, per role, the names it could still take.
    fn prepare_rest(&mut self, cycle: &mut Cycle) {
        let surplus_mask = if cycle.required.is_zero() {
            u64::MAX
        } else {
            self.agents.headroom.saturating_minus(&cycle.required).positive_mask() | crate::quantities::name_bit(63)
        };
        cycle.takes = 0;
        for id in 0..self.roles.roles.len() {
            let role = &self.roles.roles[id];
            let active = role.frameworks.as_ref().is_some_and(|s| s.active_count() > 0);
            let mask = if active { self.roles.takes_mask(id) & surplus_mask } else { 0 };
            self.roles.roles[id].cycle_mask = mask;
            cycle.takes |= mask;
        }
    }

    fn visit(&mut self, agent: u32, stage: Stage, cycle: &mut Cycle) {
        let summary = &self.agents.get(agent).summary;
        if self.agents.get(agent).available.is_empty() {
            return;
        }
        // On a plain agent, only unreserved scalars can make an offer worth
        // making (unless ports alone can), so masks tell who could take one.
        let prunable = summary.plain && (!summary.nonscalar || !cycle.nonscalar_offers);
        let mask = summary.headroom_mask;
        if prunable && stage == Stage::Rest && mask & cycle.takes == 0 {
            return;
        }
        self.roles.sorter.start();
        while let Some(role) = self.roles.sorter.next() {
            if self.agents.get(agent).available.is_empty() {
                break;
            }
            match stage {
                Stage::Guarantees if !cycle.short_roles.get(role).copied().unwrap_or(false) => {
                    continue;
                }
                Stage::Rest if prunable && mask & self.roles.roles[role].cycle_mask == 0 => {
                    continue;
                }
                _ => {}
            }
            self.visit_role(agent, role, stage, cycle);
            if stage == Stage::Guarantees && cycle.short == 0 {
                break;
            }
        }
        for (role, framework, scalars) in cycle.pending.drain(..) {
            self.roles.allocated(role, framework as usize, &scalars);
        }
        for role in cycle.met.drain(..) {
            if self.roles.sorter.is_active(role) {
                self.roles.sorter.deactivate(role);
                cycle.parked.push(role);
            }
        }
    }

    fn visit_role(&mut self, agent: u32, role: RoleId, stage: Stage, cycle: &mut Cycle) {
        let entry = self.agents.get(agent);
        if !entry.summary.plain {
            let name = &self.roles.roles[role].name;
            if !entry.available.iter().any(|r| r.is_allocatable_to(name)) {
                return;
            }
        }
        // Filters that rule a framework out whatever it would be offered are
        // checked with bits. When they rule out most of the role's
        // frameworks on this agent, the few others are picked directly, in
        // sorter order, instead of walking past the filtered ones.
        let entry = self.agents.get(agent);
        cycle.covered.clear();
        cycle.maybe.clear();
        let filtered =
            self.filters.covered(agent, role, &entry.available, entry.epoch, &mut cycle.covered, &mut cycle.maybe);
        if filtered {
            let active = &self.roles.roles[role].active;
            let open = active.count_without(&cycle.covered);
            if open == 0 {
                return;
            }
            let total = self.roles.roles[role].frameworks.as_ref().map_or(0, |s| s.active_count());
            if open * open < 2 * total {
                let mut candidates = std::mem::take(&mut cycle.candidates);
                candidates.clear();
                active.collect_without(&cycle.covered, &mut candidates);
                loop {
                    let next = self.roles.roles[role].frameworks.as_mut().and_then(|s| s.pick(&mut candidates));
                    let Some(framework) = next else {
                        break;
                    };
                    let framework = u32::try_from(framework).expect("framework index fits in u32");
                    let verdict = if cycle.maybe.has(framework) { Verdict::Maybe } else { Verdict::Clear };
                    if let Flow::Stop = self.try_offer(agent, role, framework, verdict, stage, cycle) {
                        break;
                    }
                }
                cycle.candidates = candidates;
                return;
            }
        }
        let Some(sorter) = self.roles.roles[role].frameworks.as_mut() else {
            return;
        };
        sorter.start();
        loop {
            let next = self.roles.roles[role].frameworks.as_mut().and_then(|s| s.next());
            let Some(framework) = next else {
                break;
            };
            let framework = u32::try_from(framework).expect("framework index fits in u32");
            let verdict = match filtered {
                true if cycle.covered.has(framework) => continue,
                true if cycle.maybe.has(framework) => Verdict::Maybe,
                _ => Verdict::Clear,
            };
            if let Flow::Stop = self.try_offer(agent, role, framework, verdict, stage, cycle) {
                break;
            }
        }
    }

    fn try_offer(
        &mut self,
        agent: u32,
        role: RoleId,
        framework: u32,
        verdict: Verdict,
        stage: Stage,
        cycle: &mut Cycle,
    ) -> Flow {
        let entry = self.agents.get(agent);
        if entry.available.is_empty() {
            return Flow::Stop;
        }
        let unsatisfied = match stage {
            Stage::Guarantees => {
                let unsatisfied = self.roles.roles[role].unsatisfied();
                if unsatisfied.is_zero() {
                    return Flow::Stop;
                }
                Some(unsatisfied)
            }
            Stage::Rest => None,
        };
        let fw = self.frameworks.get(framework);
        if self.settings.filter_gpu && entry.has_gpus && !fw.capabilities.gpu_resources {
            return Flow::Next;
        }
        let min = fw.min_allocatable_for(role).unwrap_or(&self.settings.min_allocatable);
        let role_name = self.roles.roles[role].name.clone();
        let bounds = Bounds {
            limits: self.roles.limit_headroom(role),
            surplus: (!cycle.required.is_zero()).then(|| self.agents.headroom.saturating_minus(&cycle.required)),
        };
        let (shape, toward) = if entry.summary.plain {
            if !min.satisfied_by(&entry.summary.counts) {
                return Flow::Next;
            }
            let headroom = &entry.summary.headroom;
            match &unsatisfied {
                None if bounds.fit(headroom) => (Shape::Whole, None),
                None => (Shape::Part(offer::rest(&entry.available, &bounds, &mut self.names)), None),
                Some(unsatisfied) if !headroom.is_zero() && unsatisfied.contains(headroom) => {
                    (Shape::Whole, Some(headroom.clone()))
                }
                Some(unsatisfied) => {
                    match offer::guaranteed(&entry.available, &role_name, unsatisfied, &bounds, &mut self.names) {
                        Some((part, toward)) => (Shape::Part(part), Some(toward)),
                        None => return Flow::Next,
                    }
                }
            }
        } else {
            let allocatable = offer::allocatable(&entry.available, &role_name, fw.capabilities);
            if allocatable.is_empty() {
                return Flow::Next;
            }
            if !min.satisfied_by(&self.names.counts(&allocatable)) {
                return Flow::Next;
            }
            match &unsatisfied {
                None => (Shape::Part(offer::rest(&allocatable, &bounds, &mut self.names)), None),
                Some(unsatisfied) => {
                    match offer::guaranteed(&allocatable, &role_name, unsatisfied, &bounds, &mut self.names) {
                        Some((part, toward)) => (Shape::Part(part), Some(toward)),
                        None => return Flow::Next,
                    }
                }
            }
        };
        if let Shape::Part(part) = &shape
            && (part.is_empty() || !min.satisfied_by(&self.names.counts(part)))
        {
            return Flow::Next;
        }
        if verdict == Verdict::Maybe {
            let bag = match &shape {
                Shape::Whole => &entry.available,
                Shape::Part(part) => part,
            };
            if self.filters.refuses(agent, framework, role, bag) {
                return Flow::Next;
            }
        }
        self.commit(agent, role, framework, shape, toward, stage, cycle);
        if self.agents.get(agent).available.is_empty() { Flow::Stop } else { Flow::Next }
    }

    #[allow(clippy::too_many_arguments)]
    fn commit(
        &mut self,
        agent: u32,
        role: RoleId,
        framework: u32,
        shape: Shape,
        toward: Option<Qty>,
        stage: Stage,
        cycle: &mut Cycle,
    ) {
        let (bag, scalars, headroom) = match shape {
            Shape::Whole => {
                let summary = &self.agents.get(agent).summary;
                let (scalars, headroom) = (summary.scalars.clone(), summary.headroom.clone());
                (self.agents.take_all(agent), scalars, headroom)
            }
            Shape::Part(part) => {
                self.agents.take(&mut self.names, agent, &part);
                let scalars = self.names.all_scalars(&part);
                let headroom = self.names.headroom_scalars(&part);
                (part, scalars, headroom)
            }
        };
        self.roles.consume(role, &headroom, true);
        if let Some(toward) = toward {
            cycle.required = cycle.required.saturating_minus(&toward);
        }
        if stage == Stage::Guarantees {
            let roles = &self.roles;
            for r in roles.lineage(role) {
                if cycle.short_roles.get(r).copied().unwrap_or(false) && roles.roles[r].unsatisfied().is_zero() {
                    cycle.short_roles[r] = false;
                    cycle.short -= 1;
                    cycle.met.push(r);
                }
            }
        }
        let role_name = self.roles.roles[role].name.clone();
        let offered = bag.allocated_to(&role_name);
        if self.agents.get_mut(agent).hold(framework, role, bag) {
            self.frameworks.get_mut(framework).hold(agent, role);
        }
        cycle.pending.push((role, framework, scalars));
        let key = (agent, framework, role);
        let merged = if cycle.first_stage.is_empty() { None } else { cycle.first_stage.get(&key) };
        match merged {
            Some(&index) => cycle.offers[index].resources.add(&offered),
            None => {
                if stage == Stage::Guarantees {
                    cycle.first_stage.insert(key, cycle.offers.len());
                }
                cycle.offers.push(Allocation {
                    framework: self.frameworks.get(framework).id.clone(),
                    agent: self.agents.get(agent).id.clone(),
                    role: role_name.to_string(),
                    resources: offered,
                });
            }
        }
    }
}
