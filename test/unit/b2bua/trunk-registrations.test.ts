/**
 * TrunkRegistrations: the register trunks of this agent (or of no agent) register with their HA1
 * (a 401 answered, checked by a DigestServer that knows the password), refresh before
 * reregisterSeconds on the clock, and a snapshot without the trunk unregisters it (Expires: 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { bindUdp } from '../../../src/net/index.js';
import type { Trunk } from '../../../src/routing/index.js';
import { DigestServer, SipStack, SipTransportLayer, buildResponse, computeHA1, getHeader, type SipRequest } from '../../../src/sip/index.js';
import { TrunkRegistrations } from '../../../src/b2bua/index.js';
import { model, until } from './rig.js';

async function udpStack(clock: ManualClock): Promise<SipStack> {
  const stack = new SipStack({ clock, transport: new SipTransportLayer({ clock, udp: await bindUdp({ address: '127.0.0.1', port: 0 }) }) });
  stack.start();
  return stack;
}

test('register trunks of this agent register with the HA1, refresh on the clock, and unregister when removed', async (t) => {
  const clock = new ManualClock(0, Date.UTC(2026, 2, 2));
  const registrar = await udpStack(clock);
  const agent = await udpStack(clock);
  const digest = new DigestServer({ realm: 'itsp.test', secret: Buffer.alloc(32, 1), clock, users: { lookup: (u) => (u === 'branch1' ? { password: 's3cret' } : undefined) } });
  const accepted: SipRequest[] = [];
  registrar.onRequest((incoming) => {
    void digest.verify(incoming.request).then((verdict) => {
      if (verdict.ok) {
        accepted.push(incoming.request);
        const expires = getHeader(incoming.request, 'Expires') ?? '0';
        incoming.respond(buildResponse(incoming.request, 200, 'OK', [{ name: 'Contact', value: `${getHeader(incoming.request, 'Contact') ?? ''};expires=${expires}` }]));
      } else {
        incoming.respond(buildResponse(incoming.request, 401, undefined, digest.challenge()));
      }
    });
  });
  const results: string[] = [];
  const registrations = new TrunkRegistrations({ stack: agent, agent: 'branch-1', onResult: (name, r) => results.push(`${name}:${r.ok ? 'ok' : 'failed'}`) });
  t.after(async () => {
    await registrations.close();
    await agent.close();
    await registrar.close();
  });
  const port = Number(registrar.hostPort('UDP').split(':')[1]);
  const register = (name: string, agentName?: string): Trunk => ({
    name, kind: 'register', host: '127.0.0.1', port, username: 'branch1', ha1: computeHA1('MD5', 'branch1', 'itsp.test', 's3cret'), realm: 'itsp.test',
    reregisterSeconds: 600, ...(agentName === undefined ? {} : { agent: agentName }),
  });
  registrations.update(model({ trunks: [register('itsp'), register('other-branch', 'branch-2'), { name: 'gw', kind: 'ip', host: '127.0.0.1', port }] }));
  assert.deepEqual(registrations.trunks, ['itsp'], 'only the register trunk without another agent');
  await until(() => results.length === 1, 'first registration');
  assert.deepEqual(results, ['itsp:ok']);
  assert.equal(getHeader(accepted[0] ?? ({ headers: [] } as unknown as SipRequest), 'Expires'), '600');

  clock.advance(600 * 1000 * 0.9);
  await until(() => results.length === 2, 'refresh');
  assert.equal(accepted.length, 2);

  registrations.update(model({ trunks: [] }));
  assert.deepEqual(registrations.trunks, []);
  await until(() => accepted.length === 3, 'unregister');
  assert.equal(getHeader(accepted[2] ?? ({ headers: [] } as unknown as SipRequest), 'Expires'), '0');
});
