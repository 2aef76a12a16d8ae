// A task's page: its details and status history, a browser of its
// sandbox (LIST_FILES through the master) and a live tail of its stdout or
// stderr (READ_FILE from the last offset, every second). The log element
// lives across re-renders of the page so the tail keeps its place.
'use strict';

function sandboxOf(task) {
  const executor = task.executor_id ? task.executor_id.value : task.task_id.value;
  return '/frameworks/' + task.framework_id.value + '/executors/' + executor + '/runs/latest';
}

function decodeBase64(data) {
  const binary = atob(data || '');
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

class LogTail {
  constructor() {
    this.element = document.createElement('pre');
    this.element.id = 'log';
    this.element.className = 'log';
    this.decoder = new TextDecoder();
    this.path = null;
    this.timer = null;
  }

  // Starts tailing `path` (from the beginning) unless already on it.
  follow(path) {
    if (this.path === path) return;
    this.stop();
    this.path = path;
    this.offset = 0;
    this.element.textContent = '';
    this.element.dataset.path = path;
    this.decoder = new TextDecoder();
    const tick = async () => {
      if (this.path !== path) return;
      try {
        for (;;) {
          const answer = await Api.call({ type: 'READ_FILE', read_file: { path: path, offset: this.offset, length: 65536 } });
          const bytes = decodeBase64(((answer || {}).read_file || {}).data);
          if (this.path !== path) return;
          if (!bytes.length) break;
          const atBottom = this.element.scrollTop + this.element.clientHeight >= this.element.scrollHeight - 4;
          this.element.textContent += this.decoder.decode(bytes, { stream: true });
          this.offset += bytes.length;
          if (atBottom) this.element.scrollTop = this.element.scrollHeight;
          if (bytes.length < 65536) break;
        }
        this.element.classList.remove('error');
      } catch (error) {
        if (!this.offset) this.element.textContent = 'Cannot read ' + path + ': ' + error.message;
      }
      this.timer = setTimeout(tick, 1000);
    };
    tick();
  }

  stop() {
    this.path = null;
    clearTimeout(this.timer);
  }
}

const TaskPage = {
  tail: new LogTail(),
  file: 'stdout',
  browsing: null,

  find(model, frameworkId, taskId) {
    return model.tasks.get(frameworkId + '/' + taskId);
  },

  render(model, [frameworkId, taskId], extras) {
    const task = TaskPage.find(model, frameworkId, taskId);
    if (!task) return '<h1>Task ' + esc(taskId) + '</h1><p class="muted">Unknown task.</p>';
    const statuses = (task.statuses || []).map(s => '<tr><td>' + stateCell(s.state) + '</td><td>' +
      esc(Format.seconds(s.timestamp)) + '</td><td>' + esc(s.source || '') + '</td><td>' + esc(s.reason || '') +
      '</td><td class="wrap">' + esc(s.message || '') + '</td></tr>').join('');
    const sandbox = sandboxOf(task);
    const directory = TaskPage.browsing || sandbox;
    const files = ((extras.files || {}).path === directory ? extras.files.list : null);
    const up = directory !== sandbox
      ? '<tr><td><a href="#" data-browse="' + esc(directory.replace(/\/[^/]*$/, '')) + '">..</a></td><td></td><td></td></tr>' : '';
    const fileRows = files === null ? '<tr><td colspan="3" class="muted">Loading…</td></tr>' :
      files.map(f => {
        const name = f.path.split('/').pop();
        const isDir = ((f.mode || 0) & 0o170000) === 0o040000;
        const link = isDir ? '<a href="#" data-browse="' + esc(f.path) + '">' + esc(name) + '/</a>'
          : '<a href="#" data-tail="' + esc(f.path) + '">' + esc(name) + '</a>';
        return '<tr><td>' + link + '</td><td>' + (isDir ? '' : esc(Format.bytes(f.size || 0))) + '</td><td>' +
          esc(Format.time((f.mtime || {}).nanoseconds)) + '</td></tr>';
      }).join('');
    const choice = name => '<button data-file="' + name + '"' + (TaskPage.file === name ? ' class="selected"' : '') + '>' +
      name + '</button>';
    return '<h1>Task ' + esc(task.task_id.value) + '</h1>' +
      kv([
        ['Name', esc(task.name)],
        ['State', stateCell(task.state)],
        ['Framework', '<a href="#/frameworks/' + encodeURIComponent(frameworkId) + '">' + esc(model.frameworkName(frameworkId)) + '</a>'],
        ['Agent', '<a href="#/agents/' + encodeURIComponent(task.agent_id.value) + '">' + esc(model.agentHostname(task.agent_id.value)) + '</a>'],
        ['Executor', esc(task.executor_id ? task.executor_id.value : '(command executor)')],
        ['Resources', esc(Resources.summary(task.resources))],
        ['Sandbox', esc(sandbox)],
      ]) +
      '<h2>Log</h2><div class="toolbar">' + choice('stdout') + choice('stderr') +
      '<span class="muted" id="log-path"></span></div><div id="log-slot"></div>' +
      '<h2>Sandbox</h2><p class="muted">' + esc(directory) + '</p><table id="sandbox"><thead><tr><th>File</th><th>Size</th>' +
      '<th>Modified</th></tr></thead><tbody>' + up + fileRows + '</tbody></table>' +
      '<h2>Status updates</h2><table id="statuses"><thead><tr><th>State</th><th>Time</th><th>Source</th><th>Reason</th>' +
      '<th>Message</th></tr></thead><tbody>' + (statuses || '<tr><td colspan="5" class="muted">None yet</td></tr>') +
      '</tbody></table>';
  },

  // After a render: the log goes into its slot and follows the chosen file.
  attach(model, [frameworkId, taskId]) {
    const task = TaskPage.find(model, frameworkId, taskId);
    const slot = document.getElementById('log-slot');
    if (!task || !slot) return;
    slot.appendChild(TaskPage.tail.element);
    const path = TaskPage.tail.path && TaskPage.tail.path.startsWith(sandboxOf(task) + '/')
      && !['stdout', 'stderr'].includes(TaskPage.tail.path.split('/').pop())
      ? TaskPage.tail.path : sandboxOf(task) + '/' + TaskPage.file;
    TaskPage.tail.follow(path);
    document.getElementById('log-path').textContent = path;
  },

  leave() {
    TaskPage.tail.stop();
    TaskPage.browsing = null;
    TaskPage.file = 'stdout';
  },

  // The directory shown in the sandbox browser.
  directory(model, [frameworkId, taskId]) {
    const task = TaskPage.find(model, frameworkId, taskId);
    return task ? TaskPage.browsing || sandboxOf(task) : null;
  },
};
