/**
 * trunk_events from a register trunk (TrunkRegistrations, as the agent's local mode runs it, with
 * trunkEvents as its onResult): `trunk_connected` once the registrar answers 200 after the digest
 * challenge, `trunk_disconnected` with the reason when the registrar
 * starts refusing it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { AdminEvents, trunkEvents, type AdminEvent } from '../../../src/admin/index.js';
import { TrunkRegistrations } from '../../../src/b2bua/index.js';
import { bindUdp } from '../../../src/net/index.js';
import { DigestServer, SipStack, SipTransportLayer, buildResponse, computeHA1, getHeader } from '../../../src/sip/index.js';
import { model, until } from '../b2bua/rig.js';

async function udpStack(clock: ManualClock): Promise<SipStack> {
  const stack = new SipStack({ clock, transport: new SipTransportLayer({ clock, udp: await bindUdp({ address: '127.0.0.1', port: 0 }) }) });
  stack.start();
  return stack;
}

test('a register trunk: trunk_connected once registered, trunk_disconnected when the refresh is refused', async (t) => {
  const clock = new ManualClock(0, Date.UTC(2026, 11, 3));
  const registrar = await udpStack(clock);
  const agent = await udpStack(clock);
  const digest = new DigestServer({ realm: 'itsp.test', secret: Buffer.alloc(32, 1), clock, users: { lookup: (u) => (u === 'branch1' ? { password: 's3cret' } : undefined) } });
  let refuse = false;
  registrar.onRequest((incoming) => {
    if (refuse) {
      incoming.respond(buildResponse(incoming.request, 403));
      return;
    }
    void digest.verify(incoming.request).then((verdict) => {
      if (!verdict.ok) return incoming.respond(buildResponse(incoming.request, 401, undefined, digest.challenge()));
      const expires = getHeader(incoming.request, 'Expires') ?? '0';
      incoming.respond(buildResponse(incoming.request, 200, 'OK', [{ name: 'Contact', value: `${getHeader(incoming.request, 'Contact') ?? ''};expires=${expires}` }]));
    });
  });
  const events = new AdminEvents(clock);
  const seen: AdminEvent[] = [];
  events.on((e) => seen.push(e));
  const trunks = new TrunkRegistrations({ stack: agent, agent: 'branch-1', onResult: trunkEvents(events) });
  t.after(async () => {
    await trunks.close();
    await agent.close();
    await registrar.close();
  });
  const port = Number(registrar.hostPort('UDP').split(':')[1]);
  trunks.update(model({ trunks: [{ name: 'itsp', kind: 'register', host: '127.0.0.1', port, username: 'branch1', ha1: computeHA1('MD5', 'branch1', 'itsp.test', 's3cret'), realm: 'itsp.test', reregisterSeconds: 600 }] }));
  await until(() => seen.length === 1, 'trunk_connected');
  assert.deepEqual(seen.map((e) => [e.topic, e.event, e.data['trunk'], e.data['expires']]), [['trunk_events', 'trunk_connected', 'itsp', 600]]);

  refuse = true;
  clock.advance(600 * 1000 * 0.9);
  await until(() => seen.length === 2, 'trunk_disconnected');
  assert.equal(seen[1]?.event, 'trunk_disconnected');
  assert.match(String(seen[1]?.data['reason']), /403/);
});
