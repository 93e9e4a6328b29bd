import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partLines } from '../../../src/cli/status-parts.js';

test('status lines say who controls calls, and in local mode list each binding of the local registrar', () => {
  const local = partLines({
    mode: 'normal',
    callControl: 'local',
    registrations: { count: 1, phones: [{ aor: '101', userAgent: 'baresip', expiresInS: 590 }] },
    local: { registrations: [{ extension: '101', contact: 'sip:101@10.0.0.2:5060', source: 'UDP 10.0.0.2:5060', userAgent: 'baresip', expiresInS: 590 }], authFailures: 2 },
  });
  assert.ok(local.includes('  calls by:    this agent (local registrar and call control)'));
  assert.ok(local.includes('  registrar:   1 bindings, 2 authentication failures'));
  assert.ok(local.includes('               101 sip:101@10.0.0.2:5060 from UDP 10.0.0.2:5060 (baresip), 590 s left'));
  assert.equal(local.filter((l) => l.includes('101')).length, 1, 'the binding is listed once');
  const pbx = partLines({ mode: 'normal', registrations: { count: 1, phones: [{ aor: 'sip:101@pbx', userAgent: null, expiresInS: 30 }] } });
  assert.ok(pbx.includes('  calls by:    the PBX (outbound proxy through the tunnel)'));
  assert.ok(pbx.includes('               sip:101@pbx, 30 s left'));
  assert.ok(!pbx.some((l) => l.startsWith('  registrar:')));
});
