/** agent.hubs → the order the agent's tunnel tries its hubs in (agent-tunnel.ts hubOrder). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hubOrder } from '../../../src/agent-tunnel.js';

const ENROLLED = { host: '192.0.2.10', port: 5090 };

test('hub order: as listed; the enrolled hub first when not listed, in its place when listed', () => {
  const table: Array<[string, Parameters<typeof hubOrder>[0], Parameters<typeof hubOrder>[1], string[], boolean[]]> = [
    ['enrolled not listed: first', ENROLLED, [{ host: '198.51.100.7', port: 5090 }], ['192.0.2.10:5090', '198.51.100.7:5090'], [true, false]],
    ['enrolled listed second: second', ENROLLED, [{ host: '198.51.100.7', port: 5090 }, { host: '192.0.2.10', port: 5090 }], ['198.51.100.7:5090', '192.0.2.10:5090'], [false, true]],
    ['enrolled on another port: not the same hub', ENROLLED, [{ host: '192.0.2.10', port: 15090 }], ['192.0.2.10:5090', '192.0.2.10:15090'], [true, false]],
    ['IPv6 names in brackets', { host: '2001:db8::1' }, [{ host: '2001:db8::2', port: 5091 }], ['[2001:db8::1]:5090', '[2001:db8::2]:5091'], [true, false]],
    ['no enrolled TLS address (WSS only): first by its name', undefined, [{ host: '198.51.100.7', port: 5090 }], ['wss://hub.example.net/tunnel', '198.51.100.7:5090'], [true, false]],
  ];
  for (const [name, enrolled, hubs, names, own] of table) {
    const order = hubOrder(enrolled, hubs, 'wss://hub.example.net/tunnel');
    assert.deepEqual(order.map((h) => h.name), names, name);
    assert.deepEqual(order.map((h) => h.tls === undefined), own, `${name}: the enrolled hub uses its own connector (TLS then WSS)`);
  }
});
