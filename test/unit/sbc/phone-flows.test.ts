import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ManualClock } from '../../../src/core/index.js';
import { PHONE_FLOW_IDLE_MS, PhoneFlows, type PhoneFlow } from '../../../src/sbc/phone-flows.js';
import type { LastRegister } from '../../../src/sbc/re-register.js';
import type { SipRequest } from '../../../src/sip/index.js';

const SWEEP_MS = 10 * 60 * 1000;
const flowOn = (port: number): PhoneFlow => ({ uri: `sip:1001@192.168.1.20:${port};transport=tcp`, target: { transport: 'TCP', host: '192.168.1.20', port } });
const REGISTER = { kind: 'request', method: 'REGISTER', uri: 'sip:pbx.example', version: 'SIP/2.0', headers: [], body: Buffer.alloc(0) } as unknown as SipRequest;
const last = (port: number): LastRegister => ({ fromPhone: REGISTER, sent: REGISTER, source: { transport: 'TCP', address: '192.168.1.20', port } });

test('tokens of 1,000 reconnections (a new TCP port each) are all forgotten once idle, with their REGISTERs, and the sweep timer stops', () => {
  const clock = new ManualClock();
  const flows = new PhoneFlows({ clock, inUse: () => () => false });
  for (let i = 0; i < 1000; i++) {
    flows.setFlow(`a-${i}`, flowOn(40000 + i));
    flows.setLastRegister(`a-${i}`, last(40000 + i));
  }
  assert.equal(flows.size, 1000);
  assert.equal(clock.pending, 1, 'one sweep timer for the whole table');
  clock.advance(PHONE_FLOW_IDLE_MS + SWEEP_MS);
  assert.equal(flows.size, 0);
  assert.equal(flows.lastRegister('a-0'), undefined);
  assert.equal(clock.pending, 0, 'no timer left once the table is empty');
});

test('a token is kept while it is used, while a binding or a call needs it; forgotten once neither', () => {
  const clock = new ManualClock();
  const needed = new Set(['a-bound', 'a-calling']);
  const flows = new PhoneFlows({ clock, inUse: () => (token) => needed.has(token) });
  for (const token of ['a-used', 'a-bound', 'a-calling', 'a-idle']) flows.setFlow(token, flowOn(5060));
  // Used every half hour (a phone routed to, as a refresh or a NOTIFY does), for five hours.
  for (let t = 0; t < 5 * 60 * 60 * 1000; t += 30 * 60 * 1000) {
    clock.advance(30 * 60 * 1000);
    assert.ok(flows.flow('a-used') !== undefined);
  }
  assert.deepEqual(flows.flows().map(([t]) => t).sort(), ['a-bound', 'a-calling', 'a-used']);
  // The binding ran out and the call ended: both go at the next sweep after their idle time.
  needed.clear();
  clock.advance(PHONE_FLOW_IDLE_MS + SWEEP_MS);
  assert.deepEqual(flows.flows().map(([t]) => t), []);
});

test('peek() and flows() are not uses; clear() forgets everything and stops the sweep (twice is fine)', () => {
  const clock = new ManualClock();
  const flows = new PhoneFlows({ clock, inUse: () => () => false });
  flows.setFlow('a-1', flowOn(5060));
  for (let t = 0; t < PHONE_FLOW_IDLE_MS + SWEEP_MS; t += SWEEP_MS) {
    assert.equal(flows.peek('a-1')?.target.port ?? 5060, 5060);
    flows.flows();
    clock.advance(SWEEP_MS);
  }
  assert.equal(flows.size, 0);
  flows.setFlow('a-2', flowOn(5062));
  flows.clear();
  flows.clear();
  assert.equal(flows.size, 0);
  assert.equal(clock.pending, 0);
});
