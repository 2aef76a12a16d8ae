// Talking to the master: operator calls (JSON over POST /api/v1), the
// operator event stream (SUBSCRIBE, RecordIO framed), legacy endpoints, and
// finding the leading master when this one is not it.
'use strict';

const Api = {
  // Sends an operator call; resolves to the response's JSON (null for an
  // empty answer), rejects with the status and reason.
  async call(body) {
    const response = await fetch('/api/v1', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(response.status + ': ' + text);
    return text ? JSON.parse(text) : null;
  },

  // A call that only names its type.
  get(type) {
    return Api.call({ type: type });
  },

  // GET of a legacy JSON endpoint.
  async json(path) {
    const response = await fetch(path);
    if (!response.ok) throw new Error(response.status + ': ' + (await response.text()));
    return response.json();
  },

  // Whether this master leads; when it does not, the browser goes to the
  // leader (the master redirects /master/redirect there) and this resolves
  // to false.
  async followLeader() {
    const metrics = await Api.json('/metrics/snapshot');
    if (metrics['master/elected'] === 1) return true;
    window.location.replace('/master/redirect');
    return false;
  },

  // Opens the operator event stream; calls onEvent for each event and
  // onClose when it ends. Returns a function that closes it.
  subscribe(onEvent, onClose) {
    const controller = new AbortController();
    (async () => {
      try {
        const response = await fetch('/api/v1', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
          body: JSON.stringify({ type: 'SUBSCRIBE' }),
          signal: controller.signal,
        });
        if (!response.ok) throw new Error('SUBSCRIBE answered ' + response.status);
        const reader = response.body.getReader();
        const records = new RecordIO();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const record of records.push(value)) onEvent(JSON.parse(record));
        }
      } catch (error) {
        if (error.name === 'AbortError') return;
        console.warn('event stream ended:', error);
      }
      onClose();
    })();
    return () => controller.abort();
  },
};

// Splits a byte stream into RecordIO records: "<length>\n<bytes>", records
// straddling chunks arbitrarily.
class RecordIO {
  constructor() {
    this.buffer = new Uint8Array(0);
    this.decoder = new TextDecoder();
  }

  push(chunk) {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    const records = [];
    for (;;) {
      const newline = this.buffer.indexOf(10);
      if (newline < 0) break;
      const length = parseInt(this.decoder.decode(this.buffer.subarray(0, newline)), 10);
      if (this.buffer.length < newline + 1 + length) break;
      records.push(this.decoder.decode(this.buffer.subarray(newline + 1, newline + 1 + length)));
      this.buffer = this.buffer.slice(newline + 1 + length);
    }
    return records;
  }
}

// Helpers for v1 resources (lists of Resource messages).
const Resources = {
  scalar(list, name) {
    return (list || []).filter(r => r.name === name && r.scalar).reduce((sum, r) => sum + r.scalar.value, 0);
  },
  ports(list) {
    return (list || [])
      .filter(r => r.name === 'ports' && r.ranges)
      .flatMap(r => r.ranges.range.map(x => x.begin === x.end ? '' + x.begin : x.begin + '-' + x.end))
      .join(', ');
  },
  summary(list) {
    return ['cpus', 'mem', 'disk', 'gpus']
      .map(name => [name, Resources.scalar(list, name)])
      .filter(([, value]) => value > 0)
      .map(([name, value]) => name + ' ' + Format.number(value) + (name === 'mem' || name === 'disk' ? ' MB' : ''))
      .join(', ');
  },
};

const Format = {
  number(value) {
    return String(Math.round(value * 1000) / 1000);
  },
  time(nanoseconds) {
    if (!nanoseconds) return '';
    return new Date(nanoseconds / 1e6).toLocaleString();
  },
  seconds(value) {
    if (!value) return '';
    return new Date(value * 1000).toLocaleString();
  },
  duration(seconds) {
    seconds = Math.floor(seconds);
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    const m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + (d || h || m ? m + 'm ' : '') + s + 's';
  },
  bytes(size) {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (size >= 1024 && i < units.length - 1) { size /= 1024; i++; }
    return Format.number(size) + ' ' + units[i];
  },
};

// Escapes text for HTML.
function esc(value) {
  return String(value === undefined || value === null ? '' : value)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
