import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoAwayReason, INITIAL_WINDOW, TunnelServer, type TunnelStream } from '../../../src/tunnel/index.js';
import { connectedPair, settle } from './harness.js';

function collect(stream: TunnelStream): Buffer[] {
  const got: Buffer[] = [];
  stream.on('data', (d) => got.push(Buffer.from(d)));
  return got;
}

function message(i: number, size = 600): Buffer {
  const b = Buffer.alloc(size, i % 251);
  b.writeUInt32BE(i, 0);
  return b;
}

test('handshake: HELLO and HELLO(ACK) open a session on both sides', async () => {
  const h = await connectedPair();
  assert.equal(h.client.state, 'open');
  assert.equal(h.serverSessions.length, 1);
  const server = h.serverSessions[0];
  assert.equal(server?.state, 'open');
  assert.equal(server?.peerIdentity, 'agent-1');
  const stats = h.client.stats();
  assert.equal(stats.state, 'open');
  assert.equal(stats.peer?.identity, 'hub');
  assert.equal(stats.version, 1);
  assert.equal(h.client.session.resumeToken.length, 32);
  assert.equal(h.client.session.resumeWindowMs, 300_000);
  h.client.close();
});

test('streams carry messages in order, boundaries kept, both ways', async () => {
  const h = await connectedPair();
  const server = h.serverSessions[0];
  assert.ok(server);
  const accepted: TunnelStream[] = [];
  const received = new Map<number, Buffer[]>();
  server.on('stream', (s) => {
    accepted.push(s);
    received.set(s.id, collect(s));
    s.on('data', (d) => s.write(d));
  });
  const streams = [h.client.openStream(), h.client.openStream(), h.client.openStream()];
  assert.deepEqual(streams.map((s) => s.id), [1, 3, 5]);
  const echoes = streams.map((s) => collect(s));
  for (let i = 0; i < 300; i++) for (const s of streams) s.write(message(i, 100 + i));
  await settle();
  assert.equal(accepted.length, 3);
  for (const s of streams) {
    const got = received.get(s.id) ?? [];
    assert.equal(got.length, 300);
    got.forEach((m, i) => assert.ok(m.equals(message(i, 100 + i)), `stream ${s.id} message ${i}`));
  }
  for (const e of echoes) assert.equal(e.length, 300);
  const c = h.client.stats();
  const s = server.stats();
  assert.equal(c.sent.bytes, s.received.bytes);
  assert.equal(c.received.frames, s.sent.frames);
  assert.ok(c.sent.frames >= 903, `${c.sent.frames} frames sent (3 SYN + 900 DATA at least)`);
  assert.equal(c.streams, 3);
  h.client.close();
});

test('flow control: without window updates a sender stops at INITIAL_WINDOW bytes', async () => {
  const h = await connectedPair();
  const server = h.serverSessions[0];
  assert.ok(server);
  let bytes = 0;
  server.on('stream', (s) => s.on('data', (d) => (bytes += d.length)));
  h.pipe.hold('b->a'); // no WINDOW_UPDATE reaches the client
  const stream = h.client.openStream();
  for (let i = 0; i < 64; i++) stream.write(Buffer.alloc(16_384, 1));
  await settle();
  assert.equal(bytes, INITIAL_WINDOW);
  h.pipe.release('b->a');
  await settle();
  assert.equal(bytes, 64 * 16_384);
  h.client.close();
});

test('a peer sending beyond the window gets GO_AWAY(FLOW_CONTROL_ERROR)', async () => {
  const h = await connectedPair();
  const stream = h.client.openStream();
  await settle();
  const closed: number[] = [];
  h.serverSessions[0]?.on('close', (c) => closed.push(c.reason));
  // Forge frames past the window on the raw carriage, as a broken peer would.
  const { encodeFrames, FrameType } = await import('../../../src/tunnel/index.js');
  const big = Buffer.alloc(65_536);
  const frames = Array.from({ length: 5 }, () => ({ version: 1, type: FrameType.DATA, flags: 0, id: stream.id, payload: big }));
  h.pipe.a.write(encodeFrames(frames));
  await settle();
  assert.deepEqual(closed, [GoAwayReason.FLOW_CONTROL_ERROR]);
  h.client.close();
});

test('congestion: a channel keeps its newest datagrams and counts the oldest dropped', async () => {
  const h = await connectedPair({ channelQueue: 8, highWater: 4096 });
  const server = h.serverSessions[0];
  assert.ok(server);
  const got: number[] = [];
  server.on('channel', (c) => c.on('datagram', (d) => got.push(d.readUInt32BE(0))));
  const channel = h.client.openChannel('call-1/audio');
  await settle();
  h.pipe.hold('a->b');
  // Fill the pipe past its high-water mark so the session stops writing.
  const filler = h.client.openStream();
  filler.write(Buffer.alloc(8192));
  await settle();
  for (let i = 0; i < 100; i++) {
    const d = Buffer.alloc(172);
    d.writeUInt32BE(i, 0);
    channel.send(d);
  }
  assert.equal(channel.queued, 8);
  assert.equal(channel.counters.dropped, 92);
  h.pipe.release('a->b');
  await settle();
  assert.deepEqual(got, [92, 93, 94, 95, 96, 97, 98, 99]);
  assert.equal(h.client.stats().datagrams.dropped, 92);
  h.client.close();
});

test('priority: queued datagrams go before queued bulk stream data', async () => {
  const h = await connectedPair({ highWater: 1024, batchBytes: 16_384 });
  const server = h.serverSessions[0];
  assert.ok(server);
  const order: string[] = [];
  server.on('stream', (s) => s.on('data', () => order.push('sip')));
  server.on('channel', (c) => c.on('datagram', () => order.push('rtp')));
  const stream = h.client.openStream();
  const channel = h.client.openChannel();
  await settle();
  h.pipe.hold('a->b');
  stream.write(Buffer.alloc(1000)); // one batch goes out before the carriage says stop
  await settle();
  for (let i = 0; i < 40; i++) stream.write(Buffer.alloc(4000, i));
  for (let i = 0; i < 10; i++) channel.send(Buffer.alloc(172, i));
  h.pipe.release('a->b');
  await settle();
  assert.equal(order.filter((o) => o === 'rtp').length, 10);
  assert.equal(order.filter((o) => o === 'sip').length, 41);
  // After the batch already written, every datagram precedes the waiting stream data.
  const firstRtp = order.indexOf('rtp');
  assert.ok(firstRtp <= 1, `datagrams after ${firstRtp} stream messages`);
  assert.equal(order.lastIndexOf('rtp'), firstRtp + 9);
  h.client.close();
});

test('keep-alive: PING every second measures RTT; a silent path is dead after exactly 3 s', async () => {
  const h = await connectedPair();
  h.clock.advance(1000);
  await settle();
  assert.equal(h.client.stats().rttMs, 0);
  h.clock.advance(1000);
  await settle();
  h.pipe.cut();
  const events: string[] = [];
  h.client.on('disconnected', (e) => events.push(`client:${e.reason}@${h.clock.now()}`));
  h.serverSessions[0]?.on('disconnected', (e) => events.push(`server:${e.reason}@${h.clock.now()}`));
  h.clock.advance(2999);
  await settle();
  assert.deepEqual(events, []);
  h.clock.advance(1);
  await settle();
  assert.deepEqual(events.sort(), ['client:dead@5000', 'server:dead@5000']);
  h.client.close();
});

test('resume: a cut path is detected, the client reconnects and nothing is lost or duplicated', async () => {
  const h = await connectedPair();
  const server = h.serverSessions[0];
  assert.ok(server);
  const atServer: Buffer[] = [];
  let serverStream: TunnelStream | undefined;
  const datagrams: number[] = [];
  server.on('stream', (s) => {
    serverStream = s;
    s.on('data', (d) => atServer.push(Buffer.from(d)));
  });
  server.on('channel', (c) => c.on('datagram', (d) => datagrams.push(d.readUInt32BE(0))));
  const stream = h.client.openStream();
  const channel = h.client.openChannel('media');
  const atClient = collect(stream);
  for (let i = 0; i < 50; i++) stream.write(message(i));
  await settle();
  assert.ok(serverStream);
  for (let i = 0; i < 50; i++) serverStream.write(message(1000 + i));
  h.pipe.cut(); // the server's 50 messages are lost on the wire
  for (let i = 50; i < 100; i++) stream.write(message(i)); // lost too
  await settle();
  const opens: boolean[] = [];
  h.client.on('open', (e) => opens.push(e.resumed));
  h.clock.advance(3000); // dead
  await settle();
  assert.equal(h.client.state, 'reconnecting');
  for (let i = 100; i < 150; i++) stream.write(message(i)); // written while down
  h.clock.advance(250); // backoff: 500 ms × (0.5 + 0 × 0.5)
  await settle();
  assert.deepEqual(opens, [true]);
  assert.equal(h.pipes.length, 2);
  assert.equal(h.serverSessions.length, 1, 'the same server session, resumed');
  assert.equal(atServer.length, 150);
  atServer.forEach((m, i) => assert.ok(m.equals(message(i)), `client→server message ${i}`));
  assert.equal(atClient.length, 50);
  atClient.forEach((m, i) => assert.ok(m.equals(message(1000 + i)), `server→client message ${i}`));
  const d = Buffer.alloc(172);
  d.writeUInt32BE(7, 0);
  channel.send(d);
  await settle();
  assert.deepEqual(datagrams, [7], 'the channel survives the resume');
  assert.equal(h.client.stats().reconnects, 1);
  assert.equal(h.client.stats().resumes, 1);
  h.client.close();
});

test('resume rejected by a hub that lost the session: a new session, old streams reset', async () => {
  const h = await connectedPair();
  const stream = h.client.openStream();
  const closes: boolean[] = [];
  stream.on('close', (c) => closes.push(c.reset));
  await settle();
  h.pipe.cut();
  h.clock.advance(3000);
  await settle();
  h.server = new TunnelServer({ clock: h.clock, identity: 'hub' }); // a restarted hub
  let fresh = 0;
  h.client.on('session', () => fresh++);
  h.clock.advance(250);
  await settle();
  assert.deepEqual(closes, [true]);
  assert.equal(fresh, 1);
  assert.equal(h.client.state, 'open');
  assert.equal(h.client.stats().resumes, 0);
  h.client.close();
});

test('the resume window ends a disconnected server session', async () => {
  const h = await connectedPair({ resumeWindowMs: 60_000 });
  const server = h.serverSessions[0];
  assert.ok(server);
  const closed: number[] = [];
  server.on('close', (c) => closed.push(c.reason));
  h.pipe.a.abort(); // the agent's connection is reset; it reaches the hub
  await settle();
  assert.equal(server.state, 'disconnected');
  assert.equal(h.server.sessions().length, 1);
  h.client.close();
  h.clock.advance(59_999);
  assert.deepEqual(closed, []);
  h.clock.advance(1);
  assert.deepEqual(closed, [GoAwayReason.RESUME_REJECTED]);
  assert.equal(h.server.sessions().length, 0);
});

test('a revoked agent gets GO_AWAY(REVOKED) and stops reconnecting', async () => {
  const h = await connectedPair();
  const goaways: number[] = [];
  h.client.on('goaway', (g) => goaways.push(g.reason));
  h.revoked = true;
  h.pipe.cut();
  h.clock.advance(3250);
  await settle();
  assert.deepEqual(goaways, [GoAwayReason.REVOKED]);
  assert.equal(h.client.state, 'closed');
  h.clock.advance(60_000);
  await settle();
  assert.equal(h.pipes.length, 2, 'no further connection attempts');
});

test('go-away from the hub ends streams; close is idempotent and cascades', async () => {
  const h = await connectedPair();
  const stream = h.client.openStream();
  const channel = h.client.openChannel();
  await settle();
  const server = h.serverSessions[0];
  assert.ok(server);
  const serverClose: number[] = [];
  server.on('close', (c) => serverClose.push(c.reason));
  const events: string[] = [];
  stream.on('close', (c) => events.push(`stream reset=${c.reset}`));
  channel.on('close', () => events.push('channel'));
  h.client.close();
  h.client.close();
  await settle();
  assert.deepEqual(events, ['stream reset=true', 'channel']);
  assert.deepEqual(serverClose, [GoAwayReason.NORMAL]);
  assert.equal(h.client.state, 'closed');
  assert.equal(h.clock.pending, 0, 'no timer left behind');
});

test('a stream half-closed by both sides is released after the FINs are acknowledged', async () => {
  const h = await connectedPair();
  const server = h.serverSessions[0];
  assert.ok(server);
  const ends: string[] = [];
  server.on('stream', (s) => {
    s.on('end', () => {
      ends.push('server saw FIN');
      s.end();
    });
  });
  const stream = h.client.openStream();
  stream.on('end', () => ends.push('client saw FIN'));
  const closes: boolean[] = [];
  stream.on('close', (c) => closes.push(c.reset));
  stream.write(Buffer.from('BYE'));
  stream.end();
  await settle();
  assert.deepEqual(ends, ['server saw FIN', 'client saw FIN']);
  assert.deepEqual(closes, [false]);
  assert.equal(h.client.session.streams.size, 0);
  assert.equal(server.streams.size, 0);
  h.client.close();
});

test('RST resets the stream on both sides', async () => {
  const h = await connectedPair();
  const server = h.serverSessions[0];
  assert.ok(server);
  const serverCloses: boolean[] = [];
  server.on('stream', (s) => s.on('close', (c) => serverCloses.push(c.reset)));
  const stream = h.client.openStream();
  stream.write(Buffer.from('INVITE'));
  await settle();
  stream.reset();
  assert.equal(stream.write(Buffer.from('more')), false);
  await settle();
  assert.deepEqual(serverCloses, [true]);
  h.client.close();
});

test('config push: a snapshot larger than a frame arrives whole', async () => {
  const h = await connectedPair();
  const server = h.serverSessions[0];
  assert.ok(server);
  const got: Buffer[] = [];
  h.client.onConfig((c) => got.push(c.data));
  const snapshot = Buffer.alloc(300_000);
  for (let i = 0; i < snapshot.length; i++) snapshot[i] = (i * 7) % 256;
  assert.equal(server.pushConfig(snapshot), 1);
  await settle();
  assert.equal(got.length, 1);
  assert.ok(got[0]?.equals(snapshot));
  h.client.close();
});

test('resume while the hub still holds the old carriage: the new one replaces it', async () => {
  const h = await connectedPair({ server: { deadAfterMs: 60_000 } });
  const server = h.serverSessions[0];
  assert.ok(server);
  const atServer: number[] = [];
  server.on('stream', (s) => s.on('data', (d) => atServer.push(d.readUInt32BE(0))));
  const stream = h.client.openStream();
  for (let i = 0; i < 10; i++) stream.write(message(i));
  await settle();
  h.pipe.cut();
  for (let i = 10; i < 20; i++) stream.write(message(i));
  const serverEvents: string[] = [];
  server.on('disconnected', (e) => serverEvents.push(e.reason));
  h.clock.advance(3000); // the agent gives up on the path; the hub would wait a minute
  await settle();
  assert.equal(server.state, 'open');
  h.clock.advance(250);
  await settle();
  assert.deepEqual(serverEvents, ['replaced']);
  assert.equal(server.state, 'open');
  assert.equal(h.client.stats().resumes, 1);
  assert.deepEqual(atServer, Array.from({ length: 20 }, (_, i) => i));
  h.client.close();
});

test('acceptStream hands over streams the peer opens, and rejects once the session is closed', async () => {
  const h = await connectedPair();
  const server = h.serverSessions[0];
  assert.ok(server);
  const opened = server.openStream();
  opened.write(Buffer.from('OPTIONS'));
  const fromHub = await h.client.acceptStream();
  assert.equal(fromHub.id, opened.id);
  assert.equal(opened.id % 2, 0, 'the hub opens even IDs');
  const fromAgent = h.client.openStream();
  fromAgent.write(Buffer.from('REGISTER'));
  const accepted = await server.acceptStream();
  assert.equal(accepted.id, fromAgent.id);
  const pending = h.client.acceptStream();
  h.client.close();
  await assert.rejects(pending, (e: unknown) => e instanceof Error && 'code' in e && e.code === 'SBC_ERR_TUNNEL_PROTOCOL');
  await settle();
  await assert.rejects(server.acceptStream());
});

test('streams and channels over the peer limit are refused with RST and FIN, the session stays up', async () => {
  const h = await connectedPair({ server: { maxStreams: 2, maxChannels: 1 } });
  const server = h.serverSessions[0];
  assert.ok(server);
  const streams = [h.client.openStream(), h.client.openStream(), h.client.openStream()];
  const resets: number[] = [];
  for (const s of streams) s.on('close', (c) => c.reset && resets.push(s.id));
  const channels = [h.client.openChannel('a'), h.client.openChannel('b')];
  const channelCloses: number[] = [];
  for (const c of channels) c.on('close', () => channelCloses.push(c.id));
  await settle();
  assert.deepEqual(resets, [5]);
  assert.deepEqual(channelCloses, [9], "streams and channels share one ID counter: 1, 3, 5, then 7, 9");
  assert.equal(server.streams.size, 2);
  assert.equal(server.channels.size, 1);
  assert.equal(h.client.state, 'open');
  assert.equal(server.state, 'open');
  assert.deepEqual(h.server.stats().map((s) => s.streams), [2]);
  h.client.close();
});
