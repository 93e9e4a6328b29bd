/**
 * The WAN between a branch agent and the hub is cut for 10 s while streams and channels are open
 * (network namespaces made by the test). The dead path is detected within 3 s; when the link
 * returns the tunnel is back within 2 s and resumes the same session, streams and channels;
 * nothing written on a stream is lost or duplicated (the hub checks every sequence number).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTunnelCerts, type TunnelCerts } from '../support/tunnel-certs.js';
import { PeerProcess, type PeerEvent } from '../support/tunnel-peer-process.js';
import { createTunnelTestbed, type TunnelTestbed } from '../support/tunnel-netns.js';

let testbed: TunnelTestbed | undefined;
let certs: TunnelCerts | undefined;
const peers: PeerProcess[] = [];

after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  testbed?.remove();
  certs?.remove();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Report extends PeerEvent {
  streams: Record<string, { count: number; lastSeq: number; errors: string[] }>;
  channels: Record<string, { received: number; duplicates: number; maxCounter: number }>;
  sessions: number;
}

async function report(hub: PeerProcess): Promise<Report> {
  const since = hub.events.length;
  hub.send({ cmd: 'report' });
  return (await hub.waitFor('report', 5000, () => true, since)) as Report;
}

test('WAN cut for 10 s: dead path in ≤ 3 s, back in ≤ 2 s, same streams and channels, nothing lost or duplicated', async () => {
  testbed = createTunnelTestbed();
  certs = makeTunnelCerts([testbed.hubAddress]);
  const timing = ['--ping-ms', '1000', '--dead-ms', '3000', '--max-backoff-ms', '1000', '--connect-timeout-ms', '1000'];
  const hub = new PeerProcess('hub', ['--certs', certs.dir, '--host', testbed.hubAddress, ...timing], testbed.hub);
  peers.push(hub);
  const listening = await hub.waitFor('listening', 10_000);
  const agent = new PeerProcess('agent', ['--certs', certs.dir, '--host', testbed.hubAddress, '--tls-port', String(listening.tlsPort),
    '--wss-port', String(listening.wssPort), '--carriage', 'tls', ...timing], testbed.branch);
  peers.push(agent);
  await agent.waitFor('open', 10_000);

  agent.send({ cmd: 'streams', count: 5, messages: 1_000_000, size: 800, intervalMs: 20 });
  agent.send({ cmd: 'channels', count: 2, packets: 1_000_000, intervalMs: 20 });
  await sleep(2000);
  const before = await report(hub);
  assert.equal(Object.keys(before.streams).length, 5);

  // The cut lands just after a ping/pong exchange (2 s after open, pings every second): the
  // worst case, where detection takes the whole dead interval after the cut.
  const eventsBeforeCut = agent.events.length;
  const cutAt = Date.now();
  testbed.cut();
  const dead = await agent.waitFor('disconnected', 8000, () => true, eventsBeforeCut);
  const detectMs = dead.t - cutAt;
  const hubDead = await hub.waitFor('session-disconnected', 8000);
  await sleep(Math.max(0, cutAt + 10_000 - Date.now()));
  const duringCut = await report(hub);
  const restoreAt = Date.now();
  testbed.restore();
  const back = await agent.waitFor('open', 8000, () => true, eventsBeforeCut);
  const backMs = back.t - restoreAt;
  await hub.waitFor('resumed', 5000);
  const silence = dead.t - Number(dead.lastReceivedAt);
  console.log(`# dead path detected ${detectMs} ms after the cut (${silence} ms after the last byte received; hub: ${hubDead.t - cutAt} ms); tunnel back ${backMs} ms after the link returned`);
  assert.equal(dead.reason, 'dead');
  assert.ok(detectMs <= 3000 + 250, `dead path detected after ${detectMs} ms`);
  assert.equal(back.resumed, true, 'the session was resumed, not replaced');
  assert.ok(backMs <= 2000, `tunnel back ${backMs} ms after the link returned`);
  assert.equal(agent.events.filter((e) => e.event === 'new-session').length, 0);

  await sleep(2000);
  agent.send({ cmd: 'stop' });
  const stopped = await agent.waitFor('stopped', 5000);
  const sent = stopped.perStream as number[];
  let after: Report = await report(hub);
  for (let i = 0; i < 50 && !sent.every((n, s) => after.streams[s]?.count === n); i++) {
    await sleep(200);
    after = await report(hub);
  }
  assert.equal(after.sessions, 1, 'one session on the hub from start to end');
  for (const [s, n] of sent.entries()) {
    const check = after.streams[s];
    assert.ok(check !== undefined, `stream ${s}`);
    assert.deepEqual(check.errors, [], `stream ${s}: gaps, duplicates or corruption`);
    assert.equal(check.count, n, `stream ${s}: ${n} written, ${check.count} received`);
    assert.equal(check.lastSeq, n - 1);
  }
  for (const label of ['media-0', 'media-1']) {
    const c = after.channels[label];
    assert.ok(c !== undefined, label);
    assert.equal(c.duplicates, 0);
    assert.ok(c.maxCounter > (duringCut.channels[label]?.maxCounter ?? Infinity) + 50, `${label} carries datagrams again after the resume`);
  }
  agent.send({ cmd: 'stats' });
  const stats = await agent.waitFor('stats', 5000);
  assert.equal(stats.streamsOpen, 5);
  assert.equal(stats.channelsOpen, 2);
  const s = stats.stats as { reconnects: number; resumes: number; datagrams: { dropped: number } };
  assert.equal(s.reconnects, 1);
  assert.equal(s.resumes, 1);
  console.log(`# datagrams dropped during the cut (oldest first): ${s.datagrams.dropped}`);
});
