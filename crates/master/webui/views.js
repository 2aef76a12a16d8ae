// The pages, as HTML from the model: overview, agents and an agent,
// frameworks and a framework, tasks, offers, roles and maintenance. (A
// task's page, with its sandbox and live log, is in task.js.) Each view is
// a function of the model, the route's parameters and the figures the app
// fetched for the page (`extras`).
'use strict';

function stateCell(state) {
  return '<span class="state ' + esc(state) + '">' + esc(state) + '</span>';
}

function taskLink(task) {
  return '<a href="#/tasks/' + encodeURIComponent(task.framework_id.value) + '/' +
    encodeURIComponent(task.task_id.value) + '">' + esc(task.task_id.value) + '</a>';
}

function taskTable(model, tasks, id) {
  const rows = tasks.map(task =>
    '<tr data-task-id="' + esc(task.task_id.value) + '">' +
    '<td>' + taskLink(task) + '</td><td>' + esc(task.name) + '</td><td>' + stateCell(task.state) + '</td>' +
    '<td><a href="#/frameworks/' + encodeURIComponent(task.framework_id.value) + '">' +
    esc(model.frameworkName(task.framework_id.value)) + '</a></td>' +
    '<td><a href="#/agents/' + encodeURIComponent(task.agent_id.value) + '">' +
    esc(model.agentHostname(task.agent_id.value)) + '</a></td>' +
    '<td>' + esc(Resources.summary(task.resources)) + '</td></tr>').join('');
  return '<table id="' + id + '"><thead><tr><th>ID</th><th>Name</th><th>State</th><th>Framework</th><th>Agent</th>' +
    '<th>Resources</th></tr></thead><tbody>' +
    (rows || '<tr><td colspan="6" class="muted">None</td></tr>') + '</tbody></table>';
}

function card(label, value, id) {
  return '<div class="card"><div class="label">' + esc(label) + '</div><div class="value"' +
    (id ? ' id="' + id + '"' : '') + '>' + esc(value) + '</div></div>';
}

function kv(pairs) {
  return '<dl class="kv">' + pairs.map(([k, v]) => '<dt>' + esc(k) + '</dt><dd>' + v + '</dd>').join('') + '</dl>';
}

const Views = {
  overview(model) {
    const master = model.master || {};
    const info = master.master_info || {};
    const address = info.address || {};
    const metrics = model.metrics;
    const tasks = model.tasksList();
    const count = state => tasks.filter(t => t.state === state).length;
    const resources = ['cpus', 'mem', 'disk', 'gpus'].map(name => {
      const last = (model.history[model.history.length - 1] || {})[name] || { total: 0, used: 0, offered: 0 };
      const idle = Math.max(0, last.total - last.used - last.offered);
      const unit = name === 'mem' || name === 'disk' ? ' MB' : '';
      return '<tr><td>' + name + '</td><td>' + Format.number(last.total) + unit + '</td><td>' +
        Format.number(last.used) + unit + '</td><td>' + Format.number(last.offered) + unit + '</td><td>' +
        Format.number(idle) + unit + '</td></tr>';
    }).join('');
    const agents = Array.from(model.agents.values());
    return '<h1>Cluster</h1>' +
      kv([
        ['Leader', '<span id="leader">' + esc((address.hostname || info.hostname || '') + ':' + (address.port || info.port || '')) + '</span>'],
        ['Master id', esc(info.id || '')],
        ['Version', esc(info.version || '')],
        ['Started', esc(Format.seconds(master.start_time))],
        ['Uptime', '<span id="uptime">' + esc(Format.duration(metrics['master/uptime_secs'] || 0)) + '</span>'],
      ]) +
      '<h2>Counts</h2><div class="cards">' +
      card('Active agents', agents.filter(a => a.active).length, 'agent-count') +
      card('Inactive agents', agents.filter(a => !a.active).length) +
      card('Frameworks', model.frameworks.size, 'framework-count') +
      card('Staging tasks', count('TASK_STAGING')) +
      card('Running tasks', count('TASK_RUNNING'), 'running-count') +
      card('Finished tasks', count('TASK_FINISHED')) +
      card('Failed tasks', count('TASK_FAILED') + count('TASK_ERROR')) +
      card('Killed tasks', count('TASK_KILLED')) +
      card('Lost tasks', count('TASK_LOST') + count('TASK_GONE') + count('TASK_DROPPED')) +
      '</div>' +
      '<h2>Resources</h2><table id="resources"><thead><tr><th>Resource</th><th>Total</th><th>Used</th>' +
      '<th>Offered</th><th>Idle</th></tr></thead><tbody>' + resources + '</tbody></table>' +
      '<h2>Over time</h2><div class="charts">' +
      Chart.render('CPUs', model.history, 'cpus', '') +
      Chart.render('Memory', model.history, 'mem', 'MB') +
      Chart.render('Disk', model.history, 'disk', 'MB') +
      Chart.render('GPUs', model.history, 'gpus', '') +
      '</div>';
  },

  agents(model) {
    const rows = Array.from(model.agents.values())
      .sort((a, b) => a.agent_info.hostname.localeCompare(b.agent_info.hostname))
      .map(agent => {
        const id = agent.agent_info.id.value;
        const usage = name => Format.number(Resources.scalar(agent.allocated_resources, name)) + ' / ' +
          Format.number(Resources.scalar(agent.total_resources, name));
        return '<tr data-agent-id="' + esc(id) + '"><td><a href="#/agents/' + encodeURIComponent(id) + '">' + esc(id) +
          '</a></td><td>' + esc(agent.agent_info.hostname) + '</td><td>' + usage('cpus') + '</td><td>' + usage('mem') +
          '</td><td>' + usage('disk') + '</td><td>' + (agent.active ? 'yes' : 'no') + '</td><td>' +
          esc(Format.time((agent.registered_time || {}).nanoseconds)) + '</td></tr>';
      }).join('');
    return '<h1>Agents</h1><table id="agents"><thead><tr><th>ID</th><th>Hostname</th><th>CPUs (used / total)</th>' +
      '<th>Mem MB</th><th>Disk MB</th><th>Active</th><th>Registered</th></tr></thead><tbody>' +
      (rows || '<tr><td colspan="7" class="muted">No agents</td></tr>') + '</tbody></table>';
  },

  agent(model, [id]) {
    const agent = model.agents.get(id);
    if (!agent) return '<h1>Agent ' + esc(id) + '</h1><p class="muted">This agent is not registered.</p>';
    const info = agent.agent_info;
    const attributes = (info.attributes || []).map(a => esc(a.name) + ': ' + esc(
      a.text ? a.text.value : a.scalar ? a.scalar.value : a.ranges ? a.ranges.range.map(r => r.begin + '-' + r.end).join(',') :
        a.set ? a.set.item.join(',') : '')).join('<br>');
    const tasks = model.tasksList().filter(t => t.agent_id.value === id);
    return '<h1>Agent ' + esc(info.hostname) + '</h1>' +
      kv([
        ['ID', esc(id)],
        ['Address', esc(agent.pid || '')],
        ['Version', esc(agent.version)],
        ['Active', agent.active ? 'yes' : 'no'],
        ['Registered', esc(Format.time((agent.registered_time || {}).nanoseconds))],
        ['Total', esc(Resources.summary(agent.total_resources)) + (Resources.ports(agent.total_resources) ? ', ports ' + esc(Resources.ports(agent.total_resources)) : '')],
        ['Allocated', esc(Resources.summary(agent.allocated_resources))],
        ['Offered', esc(Resources.summary(agent.offered_resources))],
        ['Attributes', attributes || '<span class="muted">none</span>'],
      ]) +
      '<h2>Active tasks</h2>' + taskTable(model, tasks.filter(Model.isActive), 'agent-tasks') +
      '<h2>Completed tasks</h2>' + taskTable(model, tasks.filter(t => !Model.isActive(t)), 'agent-completed-tasks');
  },

  frameworks(model) {
    const row = (framework, completed) => {
      const info = framework.framework_info;
      const id = info.id.value;
      const tasks = model.tasksList().filter(t => t.framework_id.value === id && Model.isActive(t)).length;
      return '<tr data-framework-id="' + esc(id) + '"><td><a href="#/frameworks/' + encodeURIComponent(id) + '">' +
        esc(id) + '</a></td><td>' + esc(info.name) + '</td><td>' + esc((info.roles || []).join(', ') || info.role || '*') +
        '</td><td>' + esc(info.user) + '</td><td>' + (completed ? 'completed' : framework.connected ? 'connected' : 'disconnected') +
        '</td><td>' + tasks + '</td><td>' + esc(Resources.summary(framework.allocated_resources)) + '</td></tr>';
    };
    const active = Array.from(model.frameworks.values()).map(f => row(f, false)).join('');
    const completed = model.completedFrameworks.map(f => row(f, true)).join('');
    const head = '<thead><tr><th>ID</th><th>Name</th><th>Roles</th><th>User</th><th>State</th><th>Active tasks</th>' +
      '<th>Allocated</th></tr></thead>';
    return '<h1>Frameworks</h1><table id="frameworks">' + head + '<tbody>' +
      (active || '<tr><td colspan="7" class="muted">No frameworks</td></tr>') + '</tbody></table>' +
      '<h2>Completed frameworks</h2><table>' + head + '<tbody>' +
      (completed || '<tr><td colspan="7" class="muted">None</td></tr>') + '</tbody></table>';
  },

  framework(model, [id]) {
    const framework = model.frameworks.get(id) || model.completedFrameworks.find(f => f.framework_info.id.value === id);
    if (!framework) return '<h1>Framework ' + esc(id) + '</h1><p class="muted">Unknown framework.</p>';
    const info = framework.framework_info;
    const tasks = model.tasksList().filter(t => t.framework_id.value === id);
    const offers = (framework.offers || []).map(o => '<tr><td>' + esc(o.id.value) + '</td><td>' +
      esc(o.hostname) + '</td><td>' + esc(Resources.summary(o.resources)) + '</td></tr>').join('');
    return '<h1>Framework ' + esc(info.name) + '</h1>' +
      kv([
        ['ID', esc(id)],
        ['User', esc(info.user)],
        ['Roles', esc((info.roles || []).join(', ') || info.role || '*')],
        ['Principal', esc(info.principal || '')],
        ['Hostname', esc(info.hostname || '')],
        ['Web UI', info.webui_url ? '<a href="' + esc(info.webui_url) + '">' + esc(info.webui_url) + '</a>' : ''],
        ['Connected', framework.connected ? 'yes' : 'no'],
        ['Failover timeout', esc(Format.number(info.failover_timeout || 0)) + ' s'],
        ['Registered', esc(Format.time((framework.registered_time || {}).nanoseconds))],
        ['Allocated', esc(Resources.summary(framework.allocated_resources))],
        ['Offered', esc(Resources.summary(framework.offered_resources))],
      ]) +
      '<h2>Active tasks</h2>' + taskTable(model, tasks.filter(Model.isActive), 'framework-tasks') +
      '<h2>Completed tasks</h2>' + taskTable(model, tasks.filter(t => !Model.isActive(t)), 'framework-completed-tasks') +
      '<h2>Outstanding offers</h2><table><thead><tr><th>Offer</th><th>Agent</th><th>Resources</th></tr></thead><tbody>' +
      (offers || '<tr><td colspan="3" class="muted">None</td></tr>') + '</tbody></table>';
  },

  tasks(model, params, extras) {
    const filter = (extras.taskFilter || '').toLowerCase();
    const matches = task => !filter || [task.task_id.value, task.name, task.state, model.frameworkName(task.framework_id.value),
      task.framework_id.value, model.agentHostname(task.agent_id.value)].some(v => String(v).toLowerCase().includes(filter));
    const tasks = model.tasksList().filter(matches);
    const byTime = (a, b) => {
      const time = t => ((t.statuses || [])[Math.max(0, (t.statuses || []).length - 1)] || {}).timestamp || 0;
      return time(b) - time(a);
    };
    return '<h1>Tasks</h1><div class="toolbar"><input type="search" id="task-filter" placeholder="Filter by id, name, state, framework or agent" value="' +
      esc(extras.taskFilter || '') + '"></div>' +
      '<h2>Active tasks</h2>' + taskTable(model, tasks.filter(Model.isActive).sort(byTime), 'active-tasks') +
      '<h2>Completed tasks</h2>' + taskTable(model, tasks.filter(t => !Model.isActive(t)).sort(byTime), 'completed-tasks');
  },

  offers(model) {
    const rows = Array.from(model.frameworks.values()).flatMap(framework => (framework.offers || []).map(offer =>
      '<tr><td>' + esc(offer.id.value) + '</td><td>' + esc(framework.framework_info.name) + '</td><td>' +
      esc(offer.hostname) + '</td><td>' + esc(((offer.allocation_info || {}).role) || '') + '</td><td>' +
      esc(Resources.summary(offer.resources)) + '</td></tr>')).join('');
    return '<h1>Offers</h1><table id="offers"><thead><tr><th>Offer</th><th>Framework</th><th>Agent</th><th>Role</th>' +
      '<th>Resources</th></tr></thead><tbody>' + (rows || '<tr><td colspan="5" class="muted">No outstanding offers</td></tr>') +
      '</tbody></table>';
  },

  roles(model, params, extras) {
    const roles = ((extras.roles || {}).get_roles || {}).roles || [];
    const quota = ((((extras.quota || {}).get_quota || {}).status) || {}).configs || [];
    const scalars = map => Object.entries(map || {}).map(([k, v]) => k + ' ' + Format.number(v.value)).join(', ');
    const rows = roles.map(role => {
      const config = quota.find(q => q.role === role.name) || {};
      return '<tr data-role="' + esc(role.name) + '"><td>' + esc(role.name) + '</td><td>' + Format.number(role.weight) +
        '</td><td>' + esc(Resources.summary(role.resources)) + '</td><td>' + esc(scalars(config.guarantees)) + '</td><td>' +
        esc(scalars(config.limits)) + '</td><td>' + (role.frameworks || []).length + '</td></tr>';
    }).join('');
    return '<h1>Roles</h1><table id="roles"><thead><tr><th>Role</th><th>Weight</th><th>Allocated and offered</th>' +
      '<th>Quota guarantee</th><th>Quota limit</th><th>Frameworks</th></tr></thead><tbody>' +
      (rows || '<tr><td colspan="6" class="muted">No roles</td></tr>') + '</tbody></table>';
  },

  maintenance(model, params, extras) {
    const schedule = (((extras.schedule || {}).get_maintenance_schedule || {}).schedule || {}).windows || [];
    const status = (((extras.status || {}).get_maintenance_status || {}).status) || {};
    const machine = id => esc((id.hostname || '') + (id.ip ? ' (' + id.ip + ')' : ''));
    const windows = schedule.flatMap(window => (window.machine_ids || []).map(id => {
      const start = window.unavailability.start.nanoseconds;
      const duration = (window.unavailability.duration || {}).nanoseconds;
      return '<tr><td>' + machine(id) + '</td><td>' + esc(Format.time(start)) + '</td><td>' +
        (duration ? esc(Format.duration(duration / 1e9)) : '') + '</td></tr>';
    })).join('');
    const draining = (status.draining_machines || []).map(m => '<tr><td>' + machine(m.id) + '</td><td>draining</td><td>' +
      (m.statuses || []).map(s => esc(model.frameworkName(s.framework_id.value)) + ': ' + esc(s.status)).join(', ') +
      '</td></tr>').join('');
    const down = (status.down_machines || []).map(id => '<tr><td>' + machine(id) + '</td><td>down</td><td></td></tr>').join('');
    return '<h1>Maintenance</h1><h2>Schedule</h2><table id="schedule"><thead><tr><th>Machine</th><th>Unavailable from</th>' +
      '<th>For</th></tr></thead><tbody>' + (windows || '<tr><td colspan="3" class="muted">Nothing scheduled</td></tr>') +
      '</tbody></table><h2>Machines</h2><table id="machines"><thead><tr><th>Machine</th><th>Mode</th>' +
      '<th>Frameworks\' answers</th></tr></thead><tbody>' +
      (draining + down || '<tr><td colspan="3" class="muted">All machines are up</td></tr>') + '</tbody></table>';
  },
};
