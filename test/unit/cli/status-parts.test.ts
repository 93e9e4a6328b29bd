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

test('auto mode: who controls calls, and the survival line with mode, since, reason and what failback waits for', () => {
  const since = Date.UTC(2026, 11, 3, 13, 40);
  const lines = partLines({
    mode: 'normal',
    callControl: 'auto',
    survival: { mode: 'survival', since, reason: 'PBX unreachable: timeout', tunnel: 'up', pbx: 'unreachable', survivalCalls: 1, waitingFor: 'hold-down', transitions: 1 },
  });
  assert.ok(lines.includes('  calls by:    the PBX, this agent in survival (auto)'));
  assert.ok(lines.includes('  survival:    survival since 2026-12-03T13:40:00.000Z (PBX unreachable: timeout), tunnel up, PBX unreachable, 1 survival calls, failback waits for hold-down'), lines.join('\n'));
  const normal = partLines({ mode: 'normal', callControl: 'auto', survival: { mode: 'normal', since, reason: 'started', tunnel: 'up', pbx: 'reachable', survivalCalls: 0 } });
  assert.ok(normal.some((l) => /^ {2}survival: {4}normal since .* \(started\), tunnel up, PBX reachable, 0 survival calls$/.test(l)), normal.join('\n'));
  assert.ok(!partLines({ mode: 'normal' }).some((l) => l.startsWith('  survival:')), 'no survival line outside auto mode');
});
