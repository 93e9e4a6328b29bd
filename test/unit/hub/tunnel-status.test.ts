/** The tunnel's states as the status file names them (src/tunnel-status.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tunnelPathState, tunnelStatusOf } from '../../../src/tunnel-status.js';
import type { TunnelStats } from '../../../src/tunnel/index.js';

test('tunnel states map to up / resuming / connecting / down', () => {
  const table: Array<[TunnelStats['state'], boolean, string]> = [
    ['open', true, 'up'],
    ['open', false, 'up'],
    ['disconnected', true, 'resuming'],
    ['reconnecting', true, 'resuming'],
    ['reconnecting', false, 'connecting'],
    ['connecting', false, 'connecting'],
    ['handshaking', false, 'connecting'],
    ['handshaking', true, 'resuming'],
    ['closed', true, 'down'],
    ['closed', false, 'down'],
  ];
  for (const [state, resumable, expected] of table) assert.equal(tunnelPathState(state, resumable), expected, `${state} resumable=${String(resumable)}`);
});

test('tunnelStatusOf keeps the counters the status command prints', () => {
  const stats: TunnelStats = {
    role: 'server',
    state: 'open',
    version: 1,
    peer: { identity: 'abc', address: '127.0.0.1', port: 40000, carriage: 'wss', fingerprint256: '' },
    rttMs: 0.123456,
    silentMs: 5,
    uptimeMs: 1234.6,
    sessionAgeMs: 2000,
    reconnects: 2,
    resumes: 1,
    sent: { bytes: 100, frames: 3 },
    received: { bytes: 200, frames: 4 },
    datagrams: { sent: 1, received: 2, dropped: 7, unknownChannel: 0 },
    streams: 1,
    channels: 1,
  };
  assert.deepEqual(tunnelStatusOf(stats, 'branch-1', true), {
    state: 'up',
    peer: 'branch-1',
    carriage: 'wss',
    rttMs: 0.123,
    uptimeMs: 1235,
    reconnects: 2,
    sent: { bytes: 100, frames: 3 },
    received: { bytes: 200, frames: 4 },
    droppedDatagrams: 7,
  });
  const memory = tunnelStatusOf({ ...stats, peer: { ...stats.peer!, carriage: 'memory' }, rttMs: undefined }, 'x', false);
  assert.equal(memory.carriage, undefined);
  assert.equal('rttMs' in memory, false);
});
