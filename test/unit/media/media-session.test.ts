import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { MediaSession, createEndpointPair, type MediaEndpoint, type MediaSessionEvents } from '../../../src/media/index.js';

/** A fake endpoint: records what the session sends to it and lets the test inject packets. */
class FakeEndpoint implements MediaEndpoint {
  readonly sent: Buffer[] = [];
  closes = 0;
  #handler: (packet: Buffer) => void = () => {};
  send(packet: Buffer): void {
    this.sent.push(packet);
  }
  onPacket(handler: (packet: Buffer) => void): void {
    this.#handler = handler;
  }
  close(): void {
    this.closes++;
  }
  inject(packet: Buffer): void {
    this.#handler(packet);
  }
}

function rtp(seq: number, ssrc: number, pt = 8): Buffer {
  const b = Buffer.alloc(172);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

function setup(options: { mediaTimeoutMs?: number } = {}) {
  const clock = new ManualClock(0);
  const a = new FakeEndpoint();
  const b = new FakeEndpoint();
  const session = new MediaSession({ clock, a, b, ...options });
  const events: Array<[keyof MediaSessionEvents, unknown]> = [];
  for (const name of ['media-timeout', 'media-resumed', 'one-way-start', 'one-way-clear', 'closed'] as const) {
    session.events.on(name, (e) => events.push([name, e]));
  }
  session.start();
  return { clock, a, b, session, events };
}

test('packets cross unchanged in both directions and are counted per direction', () => {
  const { clock, a, b, session } = setup();
  const rtcp = Buffer.from('81c90001000000aa', 'hex');
  for (let i = 0; i < 50; i++) {
    a.inject(rtp(i, 1));
    if (i < 30) b.inject(rtp(1000 + i, 2));
    clock.advance(20);
  }
  a.inject(rtcp);
  assert.equal(b.sent.length, 51);
  assert.equal(a.sent.length, 30);
  assert.equal(b.sent[50], rtcp, 'the same Buffer: nothing copied or changed');
  const stats = session.stats();
  assert.deepEqual(
    [stats['a-to-b'].packets, stats['a-to-b'].bytes, stats['a-to-b'].rtcpPackets, stats['a-to-b'].expected, stats['a-to-b'].lost, stats['a-to-b'].jitter],
    [50, 50 * 172, 1, 49, 0, 0],
  );
  assert.deepEqual([stats['b-to-a'].packets, stats['b-to-a'].ssrc, stats['b-to-a'].lastPacketAt], [30, 2, 29 * 20]);
  session.close();
});

test('one-way audio is reported through the session and shows in stats', () => {
  const { clock, a, session, events } = setup();
  for (let t = 0; t < 6000; t += 20) {
    a.inject(rtp(t / 20, 1));
    clock.advance(20);
  }
  assert.deepEqual(events, [['one-way-start', { silent: 'b-to-a', at: 5500, silentForMs: 5500 }]]);
  assert.equal(session.stats().oneWay, 'b-to-a');
  session.close();
  assert.deepEqual(events.slice(1).map(([name]) => name), ['one-way-clear', 'closed']);
});

test('dead media: no RTP either way for the timeout raises media-timeout once, then media-resumed', () => {
  const { clock, a, session, events } = setup({ mediaTimeoutMs: 10_000 });
  a.inject(rtp(1, 1));
  clock.advance(30_000);
  assert.deepEqual(events, [['media-timeout', { at: 11_000, silentForMs: 11_000 }]]);
  assert.equal(session.stats().mediaTimedOut, true);
  a.inject(rtp(2, 1));
  assert.deepEqual(events[1], ['media-resumed', { at: 30_000, direction: 'a-to-b' }]);
  assert.equal(session.stats().mediaTimedOut, false);
  session.close();
});

test('both directions on hold (inactive): no timeout, no one-way flag', () => {
  const { clock, a, session, events } = setup({ mediaTimeoutMs: 10_000 });
  session.setExpected('a-to-b', false);
  session.setExpected('b-to-a', false);
  a.inject(rtp(1, 1));
  clock.advance(60_000);
  assert.equal(events.length, 0);
  session.close();
});

test('close is idempotent, closes each endpoint once, stops timers, and forwards nothing after', () => {
  const { clock, a, b, session, events } = setup();
  session.close();
  session.close();
  assert.deepEqual([a.closes, b.closes], [1, 1]);
  assert.equal(clock.pending, 0);
  assert.equal(session.closed, true);
  a.inject(rtp(1, 1));
  assert.equal(b.sent.length, 0);
  assert.deepEqual(events, [['closed', { at: 0 }]]);
});

test('two sessions chained through an in-memory endpoint pair (agent leg ⇄ channel ⇄ hub leg)', () => {
  const clock = new ManualClock(0);
  const phone = new FakeEndpoint();
  const pbx = new FakeEndpoint();
  const [agentSide, hubSide] = createEndpointPair();
  const agent = new MediaSession({ clock, a: phone, b: agentSide, oneWayAudio: false });
  const hub = new MediaSession({ clock, a: hubSide, b: pbx, oneWayAudio: false });
  agent.start();
  hub.start();
  phone.inject(rtp(1, 9));
  pbx.inject(rtp(7, 3));
  assert.equal(pbx.sent[0]?.readUInt32BE(8), 9);
  assert.equal(phone.sent[0]?.readUInt32BE(8), 3);
  assert.deepEqual([agent.stats()['a-to-b'].packets, hub.stats()['b-to-a'].packets], [1, 1]);
  agent.close();
  hub.close();
});

test('applyDirection maps leg a’s negotiated direction to the directions expected to carry RTP', () => {
  const cases = [
    ['sendonly', 'b-to-a'],
    ['recvonly', 'a-to-b'],
  ] as const;
  for (const [direction, silentOk] of cases) {
    const { clock, a, b, session, events } = setup();
    session.applyDirection(direction);
    const talk = (ms: number, from: number): void => {
      for (let t = 0; t < ms; t += 20) {
        if (silentOk === 'b-to-a') a.inject(rtp(from + t / 20, 1));
        else b.inject(rtp(from + t / 20, 2));
        clock.advance(20);
      }
    };
    talk(8000, 0);
    assert.equal(events.length, 0, direction);
    // Resumed: the held direction is expected again and flagged after 5 s more of silence.
    session.applyDirection('sendrecv');
    talk(6000, 400);
    assert.deepEqual(events.map(([name, e]) => [name, (e as { silent: string }).silent]), [['one-way-start', silentOk]], direction);
    session.close();
  }
});
