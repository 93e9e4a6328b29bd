// Shared by the agent's and the hub's status page: the admin token, JSON calls, the event stream.
// Plain ES module, no build step. The token comes from the address (#token=...) once, then from
// localStorage; a 401 asks for it again.

const KEY = 'sbc-agent-admin-token';

export function token() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    localStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
  return localStorage.getItem(KEY) ?? '';
}

export function askToken(message) {
  const box = document.getElementById('login');
  box.hidden = false;
  box.querySelector('.why').textContent = message;
  box.querySelector('form').onsubmit = (e) => {
    e.preventDefault();
    localStorage.setItem(KEY, box.querySelector('input').value.trim());
    location.reload();
  };
}

export async function api(path, options = {}) {
  const res = await fetch(path, {
    method: options.method ?? 'GET',
    headers: { Authorization: `Bearer ${token()}`, ...(options.body ? { 'Content-Type': 'application/json' } : {}) },
    ...(options.body ? { body: JSON.stringify(options.body) } : {}),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) askToken('The admin token is missing or wrong.');
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

/** Opens /api/events for the topics; calls onEvent with each event; reconnects after 2 s. */
export function stream(topics, onEvent, onState) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${proto}//${location.host}/api/events?topics=${topics.join(',')}&token=${encodeURIComponent(token())}`;
  const ws = new WebSocket(url);
  ws.onopen = () => onState?.(true);
  ws.onmessage = (m) => {
    const data = JSON.parse(m.data);
    if (data.event) onEvent(data);
  };
  ws.onclose = () => {
    onState?.(false);
    setTimeout(() => stream(topics, onEvent, onState), 2000);
  };
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

export function fill(id, rows, empty) {
  const box = document.getElementById(id);
  box.replaceChildren(...(rows.length > 0 ? rows : [el('p', { class: 'empty' }, empty)]));
}

export function ago(iso) {
  if (!iso) return '-';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(iso).toLocaleString();
}
