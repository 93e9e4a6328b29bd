// The agent's status page: tunnel, LANs, registered phones (live over /api/events), calls with a
// small jitter/loss plot each (/api/calls/history), the plug-and-play inbox with Approve/Reject,
// NAT and recent events, and a plot of the last hour's tunnel RTT and call count (/api/history).
// Refreshes every 5 s as well.
import { ago, api, el, fill, stream } from '/common.js';
import { dropPlot, timePlot } from '/plot.js';

const phones = new Map();
const recent = [];
// Call-ID → the id of its plot's element (`call-plot-N`: a Call-ID is no element id).
const callPlotIds = new Map();
let nextCallPlot = 1;
const CALL_SERIES = [
  { field: 'jitterFromPhoneMs', label: 'jitter from phone (ms)', color: '#3366cc', scale: 'left' },
  { field: 'jitterToPhoneMs', label: 'jitter to phone (ms)', color: '#2a7f62', scale: 'left' },
  { field: 'lossFromPhonePct', label: 'loss from phone (%)', color: '#cc6633', scale: 'right' },
  { field: 'lossToPhonePct', label: 'loss to phone (%)', color: '#aa3355', scale: 'right' },
];

/** One small plot per active call, over its life; the plots of ended calls go. */
function showCallPlots(doc) {
  const box = document.getElementById('call-plots');
  const active = doc?.calls ?? {};
  for (const [callId, id] of callPlotIds) {
    if (callId in active) continue;
    dropPlot(id);
    document.getElementById(id)?.parentElement?.remove();
    callPlotIds.delete(callId);
  }
  for (const [callId, series] of Object.entries(active)) {
    let id = callPlotIds.get(callId);
    if (id === undefined) {
      id = `call-plot-${nextCallPlot++}`;
      callPlotIds.set(callId, id);
      box.append(el('div', { class: 'call-plot', 'data-call': callId }, el('span', { class: 'muted' }, callId.slice(0, 24)), el('div', { id, class: 'plot' })));
    }
    timePlot(id, series, CALL_SERIES, { windowS: null, height: 150 });
  }
}

function badge(text, kind) {
  return el('span', { class: `badge ${kind}` }, text);
}

function showPhones() {
  fill('phones', [...phones.values()].map((p) => el('div', { class: 'row', 'data-aor': p.aor }, el('span', {}, p.aor), el('span', { class: 'muted' }, p.userAgent ?? ''))), 'no phone registered');
}

function showEvents() {
  fill('events', recent.slice(-12).reverse().map((e) => el('div', { class: 'row' }, el('span', {}, e.event), el('span', { class: 'muted' }, `${e.data.extension ?? e.data.callId ?? e.data.peer ?? ''} ${ago(e.time)}`))), 'no events yet');
}

async function decide(id, action) {
  await api(`/api/phones/${encodeURIComponent(id)}/${action}`, { method: 'POST', body: {} });
  await refresh();
}

async function lift(address) {
  await api(`/api/blocks/${encodeURIComponent(address)}`, { method: 'DELETE' });
  await refresh();
}

/** normal, draining, or survival / failing-back since when and why (agent.calls: auto). */
function modeRow(mode) {
  if (!mode) return '';
  const s = mode.survival;
  const why = s && s.mode !== 'normal' ? `since ${ago(s.since)}: ${s.reason}` : '';
  return el('div', { class: 'row' }, el('span', { class: 'muted' }, 'mode'), el('span', { id: 'mode' }, badge(mode.mode, mode.mode === 'normal' ? 'up' : 'warn'), ' ', el('span', { class: 'muted' }, why)));
}

async function refresh() {
  const [tunnel, lans, regs, calls, nat, mode] = await Promise.all([api('/api/tunnel'), api('/api/lans'), api('/api/registrations'), api('/api/calls'), api('/api/nat'), api('/api/mode').catch(() => undefined)]);
  const up = tunnel.state === 'up';
  fill('tunnel', [
    el('div', { class: 'row' }, el('span', {}, tunnel.peer), el('span', { id: 'tunnel-state' }, badge(up ? 'up' : tunnel.state, up ? 'up' : 'down'))),
    modeRow(mode),
    el('div', { class: 'row' }, el('span', { class: 'muted' }, 'carriage / RTT'), el('span', {}, `${(tunnel.carriage ?? '-').toUpperCase()} / ${tunnel.rttMs === undefined ? '-' : `${tunnel.rttMs.toFixed(1)} ms`}`)),
    el('div', { class: 'row' }, el('span', { class: 'muted' }, 'reconnects / dropped'), el('span', {}, `${tunnel.reconnects ?? 0} / ${tunnel.droppedDatagrams ?? 0}`)),
  ], '');
  fill('lans', lans.map((l) => el('div', { class: 'row' }, el('span', {}, `${l.name} ${l.address}`), el('span', { class: 'muted' }, l.reason))), 'no LAN');
  phones.clear();
  for (const p of regs) phones.set(p.aor, p);
  showPhones();
  const byCall = new Map();
  for (const c of calls.calls) byCall.set(c.callId, [...(byCall.get(c.callId) ?? []), c]);
  fill('calls', [...byCall].map(([id, rows]) => el('div', { class: 'row' }, el('span', {}, id.slice(0, 18)),
    el('span', {}, ...rows.map((r) => `${r.local ? 'LAN' : 'tunnel'} ${r.fromEdge?.packets ?? 0}/${r.toEdge?.packets ?? 0} pkts, lost ${r.fromEdge?.lost ?? 0}/${r.toEdge?.lost ?? 0}`), rows.some((r) => r.oneWay) ? badge('one-way', 'warn') : ''))), 'no calls');
  try {
    const inbox = await api('/api/phones');
    fill('inbox', inbox.map((p) => el('div', { class: 'row', 'data-phone': p.id },
      el('span', {}, `${p.id} ${p.brand}${p.model ? ` ${p.model}` : ''}`),
      el('span', {}, p.state === 'pending'
        ? el('span', {}, el('button', { class: 'primary', onclick: () => decide(p.id, 'approve') }, 'Approve'), ' ', el('button', { onclick: () => decide(p.id, 'reject') }, 'Reject'))
        : badge(p.state, p.state === 'approved' ? 'up' : 'down')))), 'no phone asked yet');
  } catch {
    fill('inbox', [], 'plug-and-play is off');
  }
  showCallPlots(await api('/api/calls/history').catch(() => undefined));
  const history = await api('/api/history').catch(() => undefined);
  if (history) timePlot('history-plot', history, [{ field: 'rttMs', label: 'tunnel RTT (ms)', color: '#2a7f62', scale: 'left' }, { field: 'calls', label: 'calls', color: '#3366cc', scale: 'right' }]);
  const blocks = await api('/api/blocks').catch(() => undefined);
  fill('blocks', (blocks?.blocks ?? []).map((b) => el('div', { class: 'row', 'data-block': b.address },
    el('span', {}, `${b.address} `, el('span', { class: 'muted' }, `${b.reason}, ${b.until ? `until ${new Date(b.until).toLocaleString()}` : 'until lifted'}`)),
    el('button', { onclick: () => lift(b.address) }, 'Lift'))), blocks ? 'no source is blocked' : 'protection is off');
  fill('nat', [el('div', { class: 'row' }, el('span', {}, nat.state), el('span', { class: 'muted' }, nat.verdict ?? nat.mappedAddress ?? nat.error ?? ''))], '');
}

function onEvent(e) {
  recent.push(e);
  showEvents();
  if (e.event === 'extension_register') phones.set(e.data.aor, { aor: e.data.aor, userAgent: e.data.userAgent });
  if (e.event === 'extension_unregister') phones.delete(e.data.aor);
  if (e.topic === 'extension_events') showPhones();
  if (e.topic === 'tunnel_events' || e.topic === 'call_events') void refresh();
}

const status = await api('/api/status').catch(() => undefined);
if (status?.agent?.sbc) document.getElementById('title').textContent = `sbc-agent · ${status.agent.sbc.name}`;
for (const e of await api('/api/events/recent?limit=50').catch(() => [])) recent.push(e);
showEvents();
await refresh().catch(() => undefined);
stream(['extension_events', 'call_events', 'tunnel_events', 'mode_events'], onEvent, (up) => {
  document.getElementById('live').textContent = up ? 'live' : 'reconnecting…';
});
setInterval(() => void refresh().catch(() => undefined), 5000);
