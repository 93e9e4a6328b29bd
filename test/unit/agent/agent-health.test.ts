/** The agent's survival mode from its tunnel client's events and the hub's pbx-health reports. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, TypedEmitter, silentLogger } from '../../../src/core/index.js';
import { AgentHealth, survivalPolicy } from '../../../src/agent-health.js';
import { validateConfig } from '../../../src/config/index.js';
import { encodePbxHealth, type ModeTransition } from '../../../src/survival/index.js';

type SourceEvents = { open: { resumed: boolean }; disconnected: { reason: string }; config: { data: Buffer } };

function rig(policy = {}): { source: TypedEmitter<SourceEvents>; clock: ManualClock; health: AgentHealth; moves: string[] } {
  const source = new TypedEmitter<SourceEvents>();
  const clock = new ManualClock();
  const health = new AgentHealth({ clock, logger: silentLogger, policy });
  const moves: string[] = [];
  health.on('mode', (t: ModeTransition) => moves.push(`${t.to}: ${t.reason}`));
  health.start(source);
  return { source, clock, health, moves };
}

test('a PBX reported unreachable puts the branch in survival; reachable again fails back after the hold-down', () => {
  const { source, clock, health, moves } = rig({ holdDownMs: 3000, failback: { kind: 'immediate' } });
  source.emit('open', { resumed: false });
  source.emit('config', { data: encodePbxHealth({ reachable: true, at: 0, reason: '200 OK' }) });
  source.emit('config', { data: encodePbxHealth({ reachable: false, at: 0, reason: 'no answer (3 OPTIONS in a row)' }) });
  assert.equal(health.mode, 'survival');
  source.emit('config', { data: encodePbxHealth({ reachable: true, at: 0, reason: '200 OK' }) });
  clock.advance(2000);
  assert.equal(health.mode, 'survival');
  clock.advance(1000);
  assert.equal(health.mode, 'failing-back');
  health.failbackDone();
  assert.deepEqual(moves.map((m) => m.split(':')[0]), ['survival', 'failing-back', 'normal']);
  assert.match(moves[0] ?? '', /PBX unreachable: no answer/);
  assert.equal(health.snapshot().transitions, 3);
  health.close();
});

test('no tunnel within the start-up grace: survival; a disconnect is survival at once; routing snapshots are ignored', () => {
  const a = rig();
  a.source.emit('config', { data: Buffer.from('{"kind":"routing-snapshot","version":1}') });
  a.clock.advance(5000);
  assert.equal(a.health.mode, 'survival');
  assert.match(a.moves[0] ?? '', /no tunnel within 5000 ms/);
  a.health.close();
  const b = rig();
  b.source.emit('open', { resumed: false });
  b.source.emit('disconnected', { reason: 'dead path' });
  assert.equal(b.health.mode, 'survival');
  assert.match(b.moves[0] ?? '', /tunnel down: dead path/);
  b.health.close();
});

test('a failback window from agent.yaml: healthy after the hold-down, failback waits for the window in its time zone', () => {
  // The manual clock's wall time starts at 2026-01-01 00:00 UTC, 01:00 in Paris (CET, UTC+1).
  const survival = validateConfig({ agent: { survival: { holdDown: '1s', failback: { from: '02:00', to: '03:00', timeZone: 'Europe/Paris' } } } }).agent.survival;
  const policy = survivalPolicy(survival);
  assert.deepEqual(policy.failback, { kind: 'window', from: 120, to: 180, timeZone: 'Europe/Paris' });
  const { source, clock, health, moves } = rig(policy);
  source.emit('open', { resumed: false });
  source.emit('config', { data: encodePbxHealth({ reachable: false, at: 0, reason: 'timeout' }) });
  source.emit('config', { data: encodePbxHealth({ reachable: true, at: 0, reason: '200 OK' }) });
  clock.advance(5000);
  assert.equal(health.mode, 'survival');
  assert.equal(health.snapshot().waitingFor, 'window');
  clock.advance(60 * 60_000 - 6000); // 01:59:59 Paris
  assert.equal(health.mode, 'survival');
  clock.advance(2000); // 02:00:01 Paris: inside the window
  assert.equal(health.mode, 'failing-back');
  assert.deepEqual(moves.map((m) => m.split(':')[0]), ['survival', 'failing-back']);
  health.close();
});

test('agent.survival when-idle and immediate map to their policy kinds', () => {
  for (const failback of ['when-idle', 'immediate'] as const) {
    const policy = survivalPolicy(validateConfig({ agent: { survival: { failback, holdDown: '10s', startGrace: '2s' } } }).agent.survival);
    assert.deepEqual(policy, { holdDownMs: 10_000, startGraceMs: 2_000, failback: { kind: failback } });
  }
});
