/**
 * The relay over real UDP sockets on 127.0.0.1 (ports 19200-19239 of this suite's range):
 * two fake phones exchange RTP and RTCP through a MediaSession of two UdpRelayLegs.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/core/index.js';
import { MediaPortsExhaustedError, MediaSession, PortPool, openUdpRelayLeg, type UdpBinder } from '../../src/media/index.js';
import { bindUdp, type DatagramSocket, type SocketAddress } from '../../src/net/index.js';

const bind: UdpBinder = (port) => bindUdp({ address: '127.0.0.1', port });

interface Phone {
  socket: DatagramSocket;
  got: Array<{ data: Buffer; from: SocketAddress }>;
}

/** Closes what a test opened even when an assertion fails, so no socket keeps the run alive. */
function cleanup(t: TestContext): <T extends { close(): unknown }>(thing: T) => T {
  const things: Array<{ close(): unknown }> = [];
  t.after(async () => {
    for (const thing of things.reverse()) await thing.close();
  });
  return (thing) => {
    things.push(thing);
    return thing;
  };
}

async function phone(track: ReturnType<typeof cleanup>, address = '127.0.0.1'): Promise<Phone> {
  const socket = track(await bindUdp({ address, port: 0 }));
  const p: Phone = { socket, got: [] };
  socket.onMessage((data, from) => p.got.push({ data, from }));
  return p;
}

function rtp(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(172, 0xd5);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/**
 * Resolves once `done()` holds, checking after each turn of the event loop. The limit only
 * keeps a broken relay from hanging the suite; the figures are checked after it.
 */
async function until(done: () => boolean, what: string): Promise<void> {
  const giveUp = performance.now() + 5000;
  while (!done()) {
    if (performance.now() > giveUp) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const COUNT = 200;

test('two phones talk through a MediaSession; A sends from a NAT-ed port, not its SDP port', { timeout: 20_000 }, async (t) => {
  const track = cleanup(t);
  const pool = new PortPool({ min: 19200, max: 19219 });
  const aSdp = await phone(track); // the port A's SDP names: it never sends from it
  const aNat = await phone(track); // where A's packets really come from (a NAT mapping)
  const aNatRtcp = await phone(track);
  const b = await phone(track);
  const bRtcp = await phone(track);
  const stranger = await phone(track, '127.0.0.2');

  const legA = track(await openUdpRelayLeg(pool, bind, { clock: realClock, remote: { address: '127.0.0.1', port: aSdp.socket.local.port } }));
  const legB = track(await openUdpRelayLeg(pool, bind, {
    clock: realClock,
    remote: { address: '127.0.0.1', port: b.socket.local.port, rtcpPort: bRtcp.socket.local.port },
  }));
  assert.equal(pool.available, pool.size - 2);
  assert.equal(legA.latchRule, 'sdp-ip');
  const latched: string[] = [];
  legA.events.on('latched', (e) => latched.push(`${e.kind} ${e.address}:${e.port}`));
  const session = new MediaSession({ clock: realClock, a: legA, b: legB });
  session.start();
  const relayA = legA.local.rtp;
  const relayB = legB.local.rtp;
  assert.equal(relayA.port % 2, 0);
  assert.equal(legA.local.rtcp?.port, relayA.port + 1);

  // A speaks first, so its leg has latched before B's audio needs somewhere to go.
  aNat.socket.send(rtp(0, 0xa), relayA.port, relayA.address);
  await until(() => b.got.length === 1, 'first packet at B');
  assert.deepEqual(latched, [`rtp 127.0.0.1:${aNat.socket.local.port}`]);
  assert.deepEqual(legA.rtpTarget, { address: '127.0.0.1', port: aNat.socket.local.port });

  for (let i = 1; i < COUNT; i += 10) {
    for (let j = i; j < Math.min(i + 10, COUNT); j++) {
      aNat.socket.send(rtp(j, 0xa), relayA.port, relayA.address);
      b.socket.send(rtp(j, 0xb), relayB.port, relayB.address);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  b.socket.send(rtp(COUNT, 0xb), relayB.port, relayB.address);
  await until(() => b.got.length === COUNT && aNat.got.length === COUNT, `${COUNT} packets each way (B has ${b.got.length}, A has ${aNat.got.length})`);

  // RTCP from A's NAT-ed RTCP port reaches B's a=rtcp port, from B's relay RTCP port.
  const rr = Buffer.from('81c90007000000aa' + '00'.repeat(24), 'hex');
  const relayARtcp = legA.local.rtcp;
  assert.ok(relayARtcp !== undefined);
  aNatRtcp.socket.send(rr, relayARtcp.port, relayARtcp.address);
  await until(() => bRtcp.got.length === 1, 'RTCP at B');
  assert.deepEqual(bRtcp.got[0]?.data, rr);
  assert.equal(bRtcp.got[0]?.from.port, legB.local.rtcp?.port);

  // A packet from another IP is refused by the 'sdp-ip' rule and not relayed.
  stranger.socket.send(rtp(999, 0xdead), relayA.port, '127.0.0.1');
  await until(() => legA.counters.rejected === 1, 'stranger rejected');

  assert.equal(aSdp.got.length, 0, 'nothing went to the SDP port once latched');
  assert.ok(aNat.got.every((g) => g.from.port === relayA.port && g.data.readUInt32BE(8) === 0xb));
  assert.ok(b.got.every((g) => g.from.port === relayB.port && g.data.readUInt32BE(8) === 0xa));
  assert.deepEqual(
    b.got.map((g) => g.data.readUInt16BE(2)),
    Array.from({ length: COUNT }, (_, i) => i),
  );
  const stats = session.stats();
  for (const direction of ['a-to-b', 'b-to-a'] as const) {
    const s = stats[direction];
    assert.equal(s.packets, COUNT, direction);
    assert.equal(s.bytes, COUNT * 172, direction);
    assert.equal(s.expected, COUNT - 1, direction); // RFC 3550 A.1: the first packet is probation
    assert.equal(s.lost, 0, direction);
  }
  assert.equal(stats['a-to-b'].rtcpPackets, 1);
  assert.equal(stats.oneWay, undefined);

  session.close();
  await Promise.all([legA.closed(), legB.closed()]);
  assert.equal(pool.available, pool.size);
});

test("'any' rule: a phone whose SDP has a private address is latched from wherever it sends", { timeout: 10_000 }, async (t) => {
  const track = cleanup(t);
  const pool = new PortPool({ min: 19220, max: 19229 });
  const natted = await phone(track);
  const other = await phone(track);
  const legA = track(await openUdpRelayLeg(pool, bind, { clock: realClock, remote: { address: '192.168.77.20', port: 4000 } }));
  const legB = track(await openUdpRelayLeg(pool, bind, { clock: realClock, remote: { address: '127.0.0.1', port: other.socket.local.port } }));
  assert.equal(legA.latchRule, 'any');
  const session = new MediaSession({ clock: realClock, a: legA, b: legB });
  session.start();
  natted.socket.send(rtp(1, 1), legA.local.rtp.port, '127.0.0.1');
  await until(() => other.got.length === 1, 'packet at the other phone');
  other.socket.send(rtp(1, 2), legB.local.rtp.port, '127.0.0.1');
  await until(() => natted.got.length === 1, 'packet back at the NAT-ed phone');
  session.close();
  await Promise.all([legA.closed(), legB.closed()]);
});

test('port pool over real binds: a port held elsewhere is skipped, exhaustion is a typed error', { timeout: 10_000 }, async (t) => {
  const track = cleanup(t);
  const pool = new PortPool({ min: 19230, max: 19235 }); // pairs 19230, 19232, 19234
  const squatter = track(await bindUdp({ address: '127.0.0.1', port: 19230 }));
  const first = track(await openUdpRelayLeg(pool, bind, { clock: realClock }));
  const second = track(await openUdpRelayLeg(pool, bind, { clock: realClock }));
  assert.deepEqual([first.local.rtp.port, second.local.rtp.port], [19232, 19234]);
  await assert.rejects(
    openUdpRelayLeg(pool, bind, { clock: realClock }),
    (e: unknown) => e instanceof MediaPortsExhaustedError && e.code === 'SBC_ERR_MEDIA_PORTS',
  );
  assert.equal(pool.available, 1, 'the pair that failed to bind went back to the pool');
  await squatter.close();
  first.close();
  first.close();
  await first.closed();
  // Round-robin: the cursor stands after 19230 (tried last), so the pair freed by `first` comes next.
  const third = track(await openUdpRelayLeg(pool, bind, { clock: realClock }));
  assert.equal(third.local.rtp.port, 19232);
  await Promise.all([second.closed(), third.closed()]);
  assert.equal(pool.available, 3);
});

test('IPv6: the relay latches and forwards on [::1], with the SDP address spelled long-hand', { timeout: 10_000 }, async (t) => {
  const track = cleanup(t);
  const pool = new PortPool({ min: 19240, max: 19249 });
  const bind6: UdpBinder = (port) => bindUdp({ address: '::1', port });
  const a = await phone(track, '::1');
  const b = await phone(track, '::1');
  const legA = track(await openUdpRelayLeg(pool, bind6, { clock: realClock, remote: { address: '0:0:0:0:0:0:0:1', port: 9 } }));
  const legB = track(await openUdpRelayLeg(pool, bind6, { clock: realClock, remote: { address: '::1', port: b.socket.local.port } }));
  const session = track(new MediaSession({ clock: realClock, a: legA, b: legB }));
  session.start();
  a.socket.send(rtp(1, 1), legA.local.rtp.port, '::1');
  await until(() => b.got.length === 1, 'IPv6 packet at B');
  b.socket.send(rtp(1, 2), legB.local.rtp.port, '::1');
  await until(() => a.got.length === 1, 'IPv6 packet back at A');
  assert.deepEqual(legA.rtpTarget, { address: '::1', port: a.socket.local.port });
  assert.equal(session.stats()['a-to-b'].packets, 1);
});
