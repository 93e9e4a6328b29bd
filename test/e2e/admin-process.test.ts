/**
 * The admin API of the real processes: `sbc-agent hub` and `sbc-agent run` on 127.0.0.1, the agent
 * added through the hub's API and enrolled with what it answered; a SIPp phone's REGISTER through
 * the agent shows up on the agent's event stream as `extension_register`, in /api/registrations,
 * in /metrics (parsed as Prometheus text), and on the hub's side the SBC is enrolled and online; a
 * SIPp call with RTP to the PBX (SIPp) through agent, tunnel and hub gives call_start,
 * call_established and call_ended, and moves the call and RTP metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startAdminRig } from '../support/admin-rig.js';
import { runCli } from '../support/integ-process.js';
import { parsePromText, promValue } from '../support/prom-text.js';

async function get(base: string, token: string, path: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return path === '/metrics' ? res.text() : res.json();
}

test('admin API of the real agent and hub: extension_register on the event stream when a phone registers through the agent', { timeout: 120_000 }, async (t) => {
  const rig = await startAdminRig();
  t.after(() => rig.close());

  const wsUrl = `${rig.agentAdmin.replace('http:', 'ws:')}/api/events?topics=extension_events`;
  const refused = await new Promise<number>((resolve) => new WebSocket(wsUrl).once('unexpected-response', (_r, res) => resolve(res.statusCode ?? 0)));
  assert.equal(refused, 401, 'the stream needs the token');
  const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${rig.agentToken}` } });
  t.after(() => ws.close());
  const events: Record<string, unknown>[] = [];
  ws.on('message', (d: Buffer) => events.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });

  const before = parsePromText((await get(rig.agentAdmin, rig.agentToken, '/metrics')) as string);
  assert.equal(promValue(before, 'sbc_registrations'), 0);

  await rig.register('1001');
  const deadline = Date.now() + 10_000;
  while (!events.some((e) => e['event'] === 'extension_register') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const reg = events.find((e) => e['event'] === 'extension_register');
  assert.ok(reg !== undefined, `no extension_register; got ${JSON.stringify(events)}`);
  assert.equal(reg['topic'], 'extension_events');
  const data = reg['data'] as Record<string, unknown>;
  assert.deepEqual([data['extension'], data['aor'], data['userAgent']], ['1001', 'sip:1001@pbx.test', 'SIPp test phone 1001']);

  const regs = (await get(rig.agentAdmin, rig.agentToken, '/api/registrations')) as { aor: string }[];
  assert.deepEqual(regs.map((r) => r.aor), ['sip:1001@pbx.test']);
  const after = parsePromText((await get(rig.agentAdmin, rig.agentToken, '/metrics')) as string);
  assert.equal(promValue(after, 'sbc_registrations'), 1);
  assert.equal(promValue(after, 'sbc_tunnel_up'), 1);
  assert.ok(promValue(after, 'sbc_tunnel_bytes_total', { direction: 'sent' }) > promValue(before, 'sbc_tunnel_bytes_total', { direction: 'sent' }), 'the REGISTER went through the tunnel');

  const tunnel = (await get(rig.agentAdmin, rig.agentToken, '/api/tunnel')) as { state: string };
  assert.equal(tunnel.state, 'up');
  // GET /api/status is the document `sbc-agent status --json` prints.
  const status = (await get(rig.agentAdmin, rig.agentToken, '/api/status')) as { agent: { sbc: { name: string }; running: boolean } };
  const cli = await runCli(['status', '--json', '--state-dir', `${rig.dir}/agent`]);
  const fromCli = JSON.parse(cli.stdout) as { agent: { sbc: { name: string }; running: boolean } };
  assert.deepEqual([status.agent.sbc.name, status.agent.running], [fromCli.agent.sbc.name, fromCli.agent.running]);
  assert.equal(status.agent.sbc.name, 'branch-1');

  const sbcs = (await get(rig.hubAdmin, rig.hubToken, '/api/sbcs')) as { name: string; state: string; online: boolean; rttMs: number | null }[];
  assert.deepEqual(sbcs.map((s) => [s.name, s.state, s.online]), [['branch-1', 'enrolled', true]]);
  const hubMetrics = parsePromText((await get(rig.hubAdmin, rig.hubToken, '/metrics')) as string);
  assert.equal(promValue(hubMetrics, 'sbc_hub_tunnels_up'), 1);
});

test('admin event stream of the real agent: call_start, call_established, call_ended and call_cdr for a SIPp call with RTP through the tunnel', { timeout: 120_000 }, async (t) => {
  const rig = await startAdminRig();
  t.after(() => rig.close());
  const ws = new WebSocket(`${rig.agentAdmin.replace('http:', 'ws:')}/api/events?topics=call_events,cdr_events&token=${encodeURIComponent(rig.agentToken)}`);
  t.after(() => ws.close());
  const events: Record<string, unknown>[] = [];
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as Record<string, unknown>;
    if (m['event'] !== undefined) events.push(m);
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  await rig.register('1001'); // the tunnel is up once a REGISTER passed

  const before = parsePromText((await get(rig.agentAdmin, rig.agentToken, '/metrics')) as string);
  let during: Awaited<ReturnType<typeof parsePromText>> | undefined;
  const calling = rig.call(3000);
  const deadline = Date.now() + 10_000;
  while (!events.some((e) => e['event'] === 'call_established') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  let hubCalls: number | undefined;
  if (events.some((e) => e['event'] === 'call_established')) {
    during = parsePromText((await get(rig.agentAdmin, rig.agentToken, '/metrics')) as string);
    hubCalls = ((await get(rig.hubAdmin, rig.hubToken, '/api/sbcs')) as { name: string; calls: number }[]).find((x) => x.name === 'branch-1')?.calls;
  }
  assert.equal(await calling, 0, `the SIPp call failed; agent: ${rig.agent.stderr.slice(-1500)}`);
  const end = Date.now() + 10_000;
  const seen = (name: string): boolean => events.some((e) => e['event'] === name);
  while (!(seen('call_ended') && seen('call_cdr')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));

  // The record is written at the BYE; call_ended follows once the call's media is released.
  const callEvents = events.filter((e) => e['topic'] === 'call_events');
  assert.deepEqual(callEvents.map((e) => e['event']), ['call_start', 'call_established', 'call_ended'], JSON.stringify(events));
  const cdrs = events.filter((e) => e['topic'] === 'cdr_events');
  assert.deepEqual(cdrs.map((e) => e['event']), ['call_cdr'], JSON.stringify(events));
  const ids = new Set(callEvents.map((e) => (e['data'] as Record<string, unknown>)['callId']));
  assert.equal(ids.size, 1, 'one call');
  const cdr = cdrs[0]?.['data'] as Record<string, unknown>;
  assert.deepEqual([cdr['direction'], cdr['endedReason'], cdr['endedBy'], cdr['agent'], cdr['survival']], ['outbound', 'completed', 'caller', 'branch-1', false], JSON.stringify(cdr));
  assert.ok(typeof cdr['answeredAt'] === 'number' && (cdr['talkSeconds'] as number) >= 2, JSON.stringify(cdr));
  assert.match(String(cdr['finalDestination']), /^pbx:/);
  const ended = callEvents[2]?.['data'] as Record<string, number | boolean>;
  assert.equal(ended['established'], true);
  assert.ok((ended['packetsFromPhone'] as number) > 50 && (ended['packetsToPhone'] as number) > 50, JSON.stringify(ended));

  assert.ok(during !== undefined);
  assert.equal(promValue(during, 'sbc_calls_active'), 1);
  assert.equal(hubCalls, 1, 'the hub counts the call for its SBC');
  assert.equal(promValue(before, 'sbc_calls_active'), 0);
  const after = parsePromText((await get(rig.agentAdmin, rig.agentToken, '/metrics')) as string);
  assert.equal(promValue(after, 'sbc_calls_active'), 0);
  assert.equal(promValue(after, 'sbc_call_attempts_total'), 1);
  assert.ok(promValue(after, 'sbc_rtp_packets_total', { direction: 'from_phone' }) > promValue(before, 'sbc_rtp_packets_total', { direction: 'from_phone' }) + 50, 'the call\'s RTP is counted');
});
