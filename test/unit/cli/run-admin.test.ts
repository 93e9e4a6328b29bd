/** Where the agent's admin server listens: agent.admin.listen with `lan` made the LAN addresses served. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminAddresses } from '../../../src/cli/run-admin.js';
import type { ChosenLan } from '../../../src/net/index.js';

const LANS = [{ name: 'eth1', address: '192.168.10.1' }, { name: 'eth2', address: '10.20.0.1' }] as unknown as ChosenLan[];

test('adminAddresses: 127.0.0.1 by default; lan adds each LAN address once, in order', () => {
  const rows: [string[], string[]][] = [
    [['127.0.0.1'], ['127.0.0.1']],
    [['127.0.0.1', 'lan'], ['127.0.0.1', '192.168.10.1', '10.20.0.1']],
    [['lan', '192.168.10.1'], ['192.168.10.1', '10.20.0.1']],
    [['::1'], ['::1']],
  ];
  for (const [listen, want] of rows) assert.deepEqual(adminAddresses(listen, LANS), want, listen.join(','));
  assert.deepEqual(adminAddresses(['lan'], []), [], 'no LAN: nothing to add');
});
