/**
 * CDRs in `sbc-agent status`: the agent's pending count, the hub's stored count. The hub's status
 * file carries the parts its services give (Hub with the real CDR service on a temporary state).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '../../../src/core/index.js';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import { Hub } from '../../../src/hub.js';
import { hubCdrService } from '../../../src/hub-cdr.js';
import { partLines } from '../../../src/cli/status-parts.js';
import { StreamDispatcher } from '../../../src/tunnel/index.js';
import { cdr } from '../../support/cdr-records.js';

test('the agent\'s status line says how many CDRs wait for the hub, and why the last upload failed', () => {
  const agent = partLines({ mode: 'normal', cdr: { pending: 12, bytes: 4800, dropped: 3, uploaded: 40, rejectedByHub: 0, lastUploadAt: '2026-12-03T10:00:00.000Z', lastError: 'SBC_ERR_CDR: no acknowledgement within 30000 ms' } });
  assert.equal(agent.at(-1), '  CDRs:        12 pending upload, 40 uploaded, 3 dropped (buffer full), last upload 2026-12-03T10:00:00.000Z, last error: SBC_ERR_CDR: no acknowledgement within 30000 ms');
  assert.ok(!partLines({ mode: 'normal' }).some((l) => l.includes('CDRs')), 'no line without the part');
});

test('the hub\'s status file carries the CDR store\'s count; status shows it and none of the agent\'s lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-cdr-status-'));
  const clock = new ManualClock(0, cdr(0).startedAt);
  const config = { ...DEFAULT_CONFIG, hub: { ...DEFAULT_CONFIG.hub, enrollment: { listen: '127.0.0.1', port: 0 } } };
  const hub = await Hub.open({ config, stateDir: dir, logger: silentLogger, clock });
  const service = hubCdrService({ streams: new StreamDispatcher({ clock }), dir: join(hub.state.paths.dir, 'cdr'), retentionDays: 90, clock, logger: silentLogger, sbcName: () => 'x', durable: false });
  hub.add(service);
  try {
    await hub.start();
    await service.store?.store([cdr(1), cdr(2)]);
    // The status file is rewritten each second (of the manual clock), asynchronously.
    const read = async (): Promise<{ parts?: Record<string, unknown> }> => JSON.parse(await readFile(hub.state.paths.status, 'utf8')) as { parts?: Record<string, unknown> };
    let status = await read();
    for (let i = 0; i < 100 && (status.parts?.['cdr'] as { stored?: unknown } | undefined)?.stored !== 2; i++) {
      clock.advance(1000);
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = await read();
    }
    assert.deepEqual(status.parts, { cdr: { stored: 2, days: 1, received: 2, duplicates: 0, rejected: 0, badBatches: 0 } });
    assert.deepEqual(partLines(status.parts), ['  CDRs:        2 stored over 1 day, 2 received since start, 0 duplicates, 0 rejected']);
  } finally {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  }
});
