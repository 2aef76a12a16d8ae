// The cluster as the UI knows it: the SUBSCRIBED snapshot of the operator
// event stream, kept current by the events that follow (tasks added and
// updated, agents and frameworks added, updated and removed), plus figures
// polled for the charts and offers (the event stream carries neither).
'use strict';

class Model {
  constructor() {
    this.agents = new Map();        // agent id -> GetAgents.Agent
    this.frameworks = new Map();    // framework id -> GetFrameworks.Framework
    this.completedFrameworks = [];
    this.tasks = new Map();         // framework id + task id -> Task
    this.executors = [];
    this.master = null;             // GET_MASTER
    this.metrics = {};
    this.history = [];              // samples for the charts
    this.listeners = [];
    this.live = false;
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  static taskKey(task) {
    return task.framework_id.value + '/' + task.task_id.value;
  }

  // The whole state, from SUBSCRIBED (or GET_STATE).
  load(state) {
    this.agents.clear();
    for (const agent of (state.get_agents || {}).agents || []) this.agents.set(agent.agent_info.id.value, agent);
    const frameworks = state.get_frameworks || {};
    this.frameworks.clear();
    for (const framework of frameworks.frameworks || []) this.frameworks.set(framework.framework_info.id.value, framework);
    this.completedFrameworks = frameworks.completed_frameworks || [];
    this.tasks.clear();
    const tasks = state.get_tasks || {};
    for (const list of [tasks.completed_tasks, tasks.unreachable_tasks, tasks.tasks]) {
      for (const task of list || []) this.tasks.set(Model.taskKey(task), task);
    }
    this.executors = (state.get_executors || {}).executors || [];
    this.changed();
  }

  // One event of the operator stream.
  apply(event) {
    switch (event.type) {
      case 'SUBSCRIBED':
        this.load(event.subscribed.get_state || {});
        return;
      case 'TASK_ADDED': {
        const task = event.task_added.task;
        this.tasks.set(Model.taskKey(task), task);
        break;
      }
      case 'TASK_UPDATED': {
        const update = event.task_updated;
        const key = update.framework_id.value + '/' + update.status.task_id.value;
        const task = this.tasks.get(key);
        if (task) {
          task.state = update.state;
          task.statuses = (task.statuses || []).concat([update.status]);
        }
        break;
      }
      case 'AGENT_ADDED':
        this.agents.set(event.agent_added.agent.agent_info.id.value, event.agent_added.agent);
        break;
      case 'AGENT_REMOVED':
        this.agents.delete(event.agent_removed.agent_id.value);
        break;
      case 'FRAMEWORK_ADDED':
      case 'FRAMEWORK_UPDATED': {
        const framework = (event.framework_added || event.framework_updated).framework;
        this.frameworks.set(framework.framework_info.id.value, framework);
        break;
      }
      case 'FRAMEWORK_REMOVED': {
        const info = event.framework_removed.framework_info;
        const gone = this.frameworks.get(info.id.value);
        this.frameworks.delete(info.id.value);
        this.completedFrameworks.push(gone || { framework_info: info });
        break;
      }
      default:
        return; // HEARTBEAT and anything newer
    }
    this.changed();
  }

  // Figures polled every few seconds: metrics, offers (through the
  // frameworks and agents as the master reports them now).
  refresh(metrics, agents, frameworks) {
    this.metrics = metrics;
    for (const agent of agents) this.agents.set(agent.agent_info.id.value, agent);
    for (const framework of frameworks) this.frameworks.set(framework.framework_info.id.value, framework);
    const offered = name => agents.reduce((sum, a) => sum + Resources.scalar(a.offered_resources, name), 0);
    this.history.push({
      time: Date.now(),
      cpus: { total: metrics['master/cpus_total'] || 0, used: metrics['master/cpus_used'] || 0, offered: offered('cpus') },
      mem: { total: metrics['master/mem_total'] || 0, used: metrics['master/mem_used'] || 0, offered: offered('mem') },
      disk: { total: metrics['master/disk_total'] || 0, used: metrics['master/disk_used'] || 0, offered: offered('disk') },
      gpus: { total: metrics['master/gpus_total'] || 0, used: metrics['master/gpus_used'] || 0, offered: offered('gpus') },
    });
    if (this.history.length > 360) this.history.shift();
    this.changed();
  }

  tasksList() {
    return Array.from(this.tasks.values());
  }

  static isActive(task) {
    return ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE'].includes(task.state);
  }

  frameworkName(id) {
    const framework = this.frameworks.get(id) || this.completedFrameworks.find(f => f.framework_info.id.value === id);
    return framework ? framework.framework_info.name : id;
  }

  agentHostname(id) {
    const agent = this.agents.get(id);
    return agent ? agent.agent_info.hostname : id;
  }
}
