/**
 * The agent's ordered hub list (net/hub-list.ts): hubs tried in the order given, the first that
 * answers taken, each attempt starting again at the first; with a tunnel client on a manual clock,
 * the agent fails over to the second hub while the first is down and is back on the first at its
 * next reconnect once the first answers again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { orderedHubConnector, type TunnelCarriage } from '../../../src/net/index.js';
import { TunnelClient, TunnelServer, type TunnelSession } from '../../../src/tunnel/index.js';
import { MemoryPipe, settle } from '../../support/tunnel-pipe.js';

const CARRIAGE = { peer: { carriage: 'memory' } } as unknown as TunnelCarriage;

test('hubs are tried in order; the first that answers is taken; a failed hub is tried last for a while, then first again', async () => {
  let t = 0;
  const tried: string[] = [];
  const skipped: string[] = [];
  const up = new Set(['b', 'c']);
  const hub = (name: string) => ({
    name,
    connect: () => {
      tried.push(name);
      return up.has(name) ? Promise.resolve(CARRIAGE) : Promise.reject(new Error(`${name} refused`));
    },
  });
  const connect = orderedHubConnector([hub('a'), hub('b'), hub('c')], (name) => skipped.push(name), { now: () => t, retryFirstMs: 30_000 });
  assert.equal(await connect(), CARRIAGE);
  assert.deepEqual(tried, ['a', 'b'], 'a is down: b, and c is not tried');
  assert.deepEqual(skipped, ['a']);
  up.add('a');
  tried.length = 0;
  t = 29_999;
  await connect();
  assert.deepEqual(tried, ['b'], 'a failed 30 s ago at most: b first');
  tried.length = 0;
  t = 30_000;
  await connect();
  assert.deepEqual(tried, ['a'], 'a is first again, and answers');
  up.clear();
  tried.length = 0;
  t = 100_000;
  await assert.rejects(connect(), /no hub answered \(a: a refused; b: b refused; c: c refused\)/);
  assert.deepEqual(tried, ['a', 'b', 'c']);
  assert.throws(() => orderedHubConnector([]), RangeError);
});

test('an attempt overtaking one that hangs on the first hub (a SYN into a dead link) goes to the second at once', async () => {
  const tried: string[] = [];
  const connect = orderedHubConnector([
    { name: 'a', connect: () => { tried.push('a'); return new Promise<TunnelCarriage>(() => undefined); } },
    { name: 'b', connect: () => { tried.push('b'); return Promise.resolve(CARRIAGE); } },
  ]);
  void connect();
  assert.equal(await connect(), CARRIAGE);
  assert.deepEqual(tried, ['a', 'b']);
});

test('a tunnel client fails over to the second hub while the first is down and returns to the first at its next reconnect', async () => {
  const clock = new ManualClock(0);
  const sessions: Record<string, TunnelSession[]> = { first: [], second: [] };
  const servers = Object.fromEntries(['first', 'second'].map((name) => {
    const server = new TunnelServer({ clock, identity: name, authorize: () => undefined });
    server.on('session', (s) => sessions[name]?.push(s));
    return [name, server];
  })) as Record<'first' | 'second', TunnelServer>;
  const down = new Set<string>(['first']);
  const pipes: MemoryPipe[] = [];
  const hub = (name: 'first' | 'second') => ({
    name,
    connect: () => {
      if (down.has(name)) return Promise.reject(new Error('connection refused'));
      const pipe = new MemoryPipe();
      pipes.push(pipe);
      servers[name].accept(pipe.b);
      return Promise.resolve(pipe.a);
    },
  });
  const client = new TunnelClient({ clock, identity: 'agent-1', random: () => 0, connect: orderedHubConnector([hub('first'), hub('second')], undefined, { now: () => clock.now(), retryFirstMs: 2000 }) });
  client.start();
  await settle();
  assert.equal(client.state, 'open');
  assert.equal(client.stats().peer?.identity, 'second');
  assert.equal(sessions['second']?.length, 1);
  down.delete('first');
  await settle();
  assert.equal(client.stats().peer?.identity, 'second', 'an open session is not moved while it works');
  pipes.at(-1)?.cut();
  clock.advance(3000); // dead path
  await settle();
  clock.advance(1000);
  await settle();
  assert.equal(client.state, 'open');
  assert.equal(client.stats().peer?.identity, 'first', 'back on the first hub (its resume refused there: a new session)');
  assert.equal(sessions['first']?.length, 1);
  client.close();
  servers.first.close();
  servers.second.close();
});
