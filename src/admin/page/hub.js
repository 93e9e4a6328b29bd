// The hub's status page: the SBC list (state, online, last seen, RTT, calls) with Revoke and
// Rekey, the "Add SBC" form (URL, key shown once, fingerprint, QR code of the URL) and the routing
// model's version per agent, and a plot of the calls per SBC over the last hour (/api/history).
// Live over /api/events (tunnel up/down), and every 5 s.
import { ago, api, el, fill, stream } from '/common.js';
import { colorAt, timePlot } from '/plot.js';

function badge(text, kind) {
  return el('span', { class: `badge ${kind}` }, text);
}

function showIssued(issued) {
  document.getElementById('issued').hidden = false;
  document.getElementById('issued-url').textContent = issued.url;
  document.getElementById('issued-key').textContent = issued.key;
  document.getElementById('issued-fingerprint').textContent = issued.fingerprint;
  // The SVG is made by the hub (npm qrcode) from the URL alone.
  document.getElementById('issued-qr').innerHTML = issued.qrSvg;
}

async function act(name, action) {
  if (action === 'revoke' && !confirm(`Revoke ${name}? Its tunnel is refused from now on.`)) return;
  const result = await api(`/api/sbcs/${encodeURIComponent(name)}/${action}`, { method: 'POST', body: {} });
  if (action === 'rekey') showIssued(result);
  await refresh();
}

async function refresh() {
  const [sbcs, routing] = await Promise.all([api('/api/sbcs'), api('/api/routing')]);
  fill('sbcs', sbcs.map((s) => el('div', { class: 'row', 'data-sbc': s.name },
    el('span', {}, el('b', {}, s.name), ' ', badge(s.state, s.state === 'revoked' ? 'down' : s.state === 'enrolled' ? 'up' : 'warn'), ' ', s.online ? badge('online', 'up') : badge('offline', '')),
    el('span', { class: 'muted' }, `seen ${ago(s.lastSeen)}${s.rttMs === null ? '' : `, RTT ${s.rttMs.toFixed(1)} ms`}${s.calls === null ? '' : `, ${s.calls} calls`}`),
    el('span', {}, s.state === 'revoked' ? '' : el('button', { onclick: () => act(s.name, 'revoke') }, 'Revoke'), ' ', el('button', { onclick: () => act(s.name, 'rekey') }, 'New key')))), 'no SBC yet: add one');
  fill('routing', [el('div', { class: 'row' }, el('span', {}, 'model version'), el('span', {}, routing.version ?? 'no routing model')),
    ...routing.agents.map((a) => el('div', { class: 'row' }, el('span', {}, a.name), el('span', { class: 'muted' }, a.online ? `version ${a.version ?? '-'}` : 'offline')))], '');
  const history = await api('/api/history').catch(() => undefined);
  if (history) timePlot('calls-plot', history, Object.keys(history.fields).sort().map((name, i) => ({ field: name, label: name, color: colorAt(i), scale: 'left' })));
}

document.getElementById('add').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.target;
  document.getElementById('add-error').textContent = '';
  try {
    showIssued(await api('/api/sbcs', { method: 'POST', body: { name: form.name.value.trim() } }));
    form.reset();
    await refresh();
  } catch (error) {
    document.getElementById('add-error').textContent = error.message;
  }
});

await refresh().catch(() => undefined);
stream(['tunnel_events'], () => void refresh().catch(() => undefined), (up) => {
  document.getElementById('live').textContent = up ? 'live' : 'reconnecting…';
});
setInterval(() => void refresh().catch(() => undefined), 5000);
