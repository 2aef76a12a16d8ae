// The application: finds the leader, loads the state, keeps it current from
// the operator event stream (reconnecting when it drops), polls the figures
// the stream does not carry, routes `#/...` to a view and re-renders it when
// something changes, without reloading the page.
'use strict';

const model = new Model();
const extras = { taskFilter: '' };
let route = { name: 'overview', params: [] };
let renderQueued = false;

const routes = [
  [/^#?\/?$/, 'overview'],
  [/^#\/agents\/?$/, 'agents'],
  [/^#\/agents\/([^/]+)$/, 'agent'],
  [/^#\/frameworks\/?$/, 'frameworks'],
  [/^#\/frameworks\/([^/]+)$/, 'framework'],
  [/^#\/tasks\/?$/, 'tasks'],
  [/^#\/tasks\/([^/]+)\/([^/]+)$/, 'task'],
  [/^#\/offers\/?$/, 'offers'],
  [/^#\/roles\/?$/, 'roles'],
  [/^#\/maintenance\/?$/, 'maintenance'],
];

function parseRoute() {
  for (const [pattern, name] of routes) {
    const match = window.location.hash.match(pattern);
    if (match) return { name: name, params: match.slice(1).map(decodeURIComponent) };
  }
  return { name: 'overview', params: [] };
}

function render() {
  renderQueued = false;
  const view = document.getElementById('view');
  const focused = document.activeElement && document.activeElement.id;
  const selection = focused && document.activeElement.selectionStart;
  const scroll = window.scrollY;
  view.innerHTML = route.name === 'task'
    ? TaskPage.render(model, route.params, extras)
    : Views[route.name](model, route.params, extras);
  if (route.name === 'task') TaskPage.attach(model, route.params);
  if (focused) {
    const element = document.getElementById(focused);
    if (element) {
      element.focus();
      if (selection !== null && selection !== undefined && element.setSelectionRange) element.setSelectionRange(selection, selection);
    }
  }
  window.scrollTo(0, scroll);
  for (const link of document.querySelectorAll('[data-nav]')) {
    const section = route.name.replace(/^(agent|framework|task)$/, '$1s');
    link.classList.toggle('active', link.dataset.nav === section);
  }
}

function scheduleRender() {
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
}

// Figures of the current page that come from calls rather than the model.
async function fetchExtras() {
  try {
    if (route.name === 'roles') {
      [extras.roles, extras.quota] = await Promise.all([Api.get('GET_ROLES'), Api.get('GET_QUOTA')]);
    } else if (route.name === 'maintenance') {
      [extras.schedule, extras.status] =
        await Promise.all([Api.get('GET_MAINTENANCE_SCHEDULE'), Api.get('GET_MAINTENANCE_STATUS')]);
    } else if (route.name === 'task') {
      const directory = TaskPage.directory(model, route.params);
      if (directory) {
        const answer = await Api.call({ type: 'LIST_FILES', list_files: { path: directory } });
        extras.files = { path: directory, list: ((answer || {}).list_files || {}).file_infos || [] };
      }
    }
  } catch (error) {
    console.warn('fetching the page\'s figures:', error);
  }
  scheduleRender();
}

// Metrics, agents and frameworks as they are now, for charts and offers.
async function poll() {
  try {
    const [metrics, agents, frameworks] = await Promise.all([
      Api.json('/metrics/snapshot'), Api.get('GET_AGENTS'), Api.get('GET_FRAMEWORKS')]);
    model.refresh(metrics, (agents.get_agents || {}).agents || [], (frameworks.get_frameworks || {}).frameworks || []);
  } catch (error) {
    console.warn('polling:', error);
  }
}

function setConnection(text, kind) {
  const element = document.getElementById('connection');
  element.textContent = text;
  element.className = 'connection ' + kind;
}

async function connect() {
  try {
    if (!(await Api.followLeader())) return;
    const [master, flags] = await Promise.all([Api.get('GET_MASTER'), Api.json('/master/flags')]);
    model.master = master.get_master;
    document.getElementById('cluster-name').textContent = (flags.flags || {}).cluster || '';
  } catch (error) {
    setConnection('master unreachable', 'down');
    setTimeout(connect, 3000);
    return;
  }
  Api.subscribe(event => {
    if (event.type === 'SUBSCRIBED') setConnection('live', 'live');
    model.apply(event);
  }, () => {
    setConnection('reconnecting…', 'down');
    setTimeout(connect, 2000);
  });
}

document.addEventListener('input', event => {
  if (event.target.id === 'task-filter') {
    extras.taskFilter = event.target.value;
    scheduleRender();
  }
});

document.addEventListener('click', event => {
  const target = event.target.closest('[data-file], [data-browse], [data-tail]');
  if (!target) return;
  event.preventDefault();
  if (target.dataset.file) {
    TaskPage.file = target.dataset.file;
    TaskPage.tail.stop();
  } else if (target.dataset.browse) {
    TaskPage.browsing = target.dataset.browse;
    extras.files = null;
    fetchExtras();
  } else if (target.dataset.tail) {
    TaskPage.tail.follow(target.dataset.tail);
  }
  scheduleRender();
});

window.addEventListener('hashchange', () => {
  const next = parseRoute();
  if (route.name === 'task' && (next.name !== 'task' || next.params.join('/') !== route.params.join('/'))) TaskPage.leave();
  route = next;
  extras.files = null;
  scheduleRender();
  fetchExtras();
});

model.onChange(scheduleRender);
route = parseRoute();
scheduleRender();
connect();
poll();
fetchExtras();
setInterval(poll, 2000);
setInterval(fetchExtras, 3000);
