import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import {
  ALL_CAPABILITIES, Flag, FrameDecoder, FrameType, GoAwayReason, TunnelClient, TunnelServer, decodeGoAway, decodeHello,
  encodeFrames, encodeHello, encodeResume, goAwayReasonName, type Frame, type GoAwayReasonCode,
} from '../../../src/tunnel/index.js';
import { MemoryPipe, settle } from '../../support/tunnel-pipe.js';

/** Sends raw bytes to a fresh server as an agent would, returns the frames it answers. */
async function rawToServer(bytes: Buffer, server?: TunnelServer, clock = new ManualClock()): Promise<Frame[]> {
  const hub = server ?? new TunnelServer({ clock, identity: 'hub' });
  const pipe = new MemoryPipe();
  const got: Frame[] = [];
  const decoder = new FrameDecoder();
  pipe.a.onData((chunk) => decoder.push(chunk, (f) => got.push({ ...f, payload: Buffer.from(f.payload) })));
  hub.accept(pipe.b);
  pipe.a.write(bytes);
  await settle();
  return got;
}

const hello = (versions: number[]): Frame => ({ version: 1, type: FrameType.HELLO, flags: Flag.SYN, id: 0, payload: encodeHello({ versions, capabilities: ALL_CAPABILITIES, identity: 'agent-1', resumeToken: Buffer.alloc(0), resumeWindow: 0 }) });

test('the server answers HELLO with the highest common version, a token and the resume window', async () => {
  const [answer] = await rawToServer(encodeFrames([hello([7, 1])]));
  assert.ok(answer);
  assert.equal(answer.type, FrameType.HELLO);
  assert.equal(answer.flags, Flag.ACK);
  const h = decodeHello(answer.payload);
  assert.deepEqual(h.versions, [1]);
  assert.equal(h.identity, 'hub');
  assert.equal(h.resumeToken.length, 32);
  assert.equal(h.resumeWindow, 300);
});

const REFUSALS: ReadonlyArray<{ name: string; frames: Frame[]; reason: GoAwayReasonCode }> = [
  { name: 'no common version', frames: [hello([2, 3])], reason: GoAwayReason.UNSUPPORTED_VERSION },
  { name: 'a stream frame before the handshake', frames: [{ version: 1, type: FrameType.DATA, flags: Flag.SYN, id: 1, payload: Buffer.alloc(0) }], reason: GoAwayReason.UNAUTHORIZED },
  { name: 'HELLO(ACK) from an agent', frames: [{ ...hello([1]), flags: Flag.ACK }], reason: GoAwayReason.UNAUTHORIZED },
  { name: 'a malformed HELLO payload', frames: [{ ...hello([1]), payload: Buffer.from([1, 1, 0]) }], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'RESUME with an unknown token', frames: [{ version: 1, type: FrameType.RESUME, flags: Flag.SYN, id: 0, payload: encodeResume({ versions: [1], resumeToken: Buffer.alloc(32, 1), streams: [] }) }], reason: GoAwayReason.RESUME_REJECTED },
  { name: 'a second HELLO after the handshake', frames: [hello([1]), hello([1])], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'a stream SYN with the hub parity', frames: [hello([1]), { version: 1, type: FrameType.DATA, flags: Flag.SYN, id: 2, payload: Buffer.alloc(0) }], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'a channel SYN with the hub parity', frames: [hello([1]), { version: 1, type: FrameType.DATAGRAM, flags: Flag.SYN, id: 4, payload: Buffer.alloc(0) }], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'a PING of 4 bytes', frames: [hello([1]), { version: 1, type: FrameType.PING, flags: Flag.SYN, id: 0, payload: Buffer.alloc(4) }], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'a CONFIG chunk without SYN', frames: [hello([1]), { version: 1, type: FrameType.CONFIG, flags: Flag.FIN, id: 1, payload: Buffer.alloc(4) }], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'a CONFIG FIN short of Total Length', frames: [hello([1]), { version: 1, type: FrameType.CONFIG, flags: Flag.SYN | Flag.FIN, id: 1, payload: Buffer.from([0, 0, 0, 9, 1]) }], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'a CONFIG over 16 MiB', frames: [hello([1]), { version: 1, type: FrameType.CONFIG, flags: Flag.SYN, id: 1, payload: Buffer.from([2, 0, 0, 0]) }], reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'a header with an unknown version', frames: [hello([1]), { version: 9, type: FrameType.PING, flags: Flag.SYN, id: 0, payload: Buffer.alloc(8) }], reason: GoAwayReason.UNSUPPORTED_VERSION },
];

for (const c of REFUSALS) {
  test(`the server answers ${c.name} with GO_AWAY(${goAwayReasonName(c.reason)})`, async () => {
    const wire = Buffer.concat(c.frames.map((f) => (f.version === 9 ? Buffer.concat([Buffer.from([9]), encodeFrames([{ ...f, version: 1 }]).subarray(1)]) : encodeFrames([f]))));
    const got = await rawToServer(wire);
    const goAway = got.find((f) => f.type === FrameType.GO_AWAY);
    assert.ok(goAway, `frames: ${got.map((f) => f.type).join(',')}`);
    assert.equal(decodeGoAway(goAway.payload).reason, c.reason);
  });
}

test('an agent told UNSUPPORTED_VERSION stops; told SHUTTING_DOWN it tries again later', async () => {
  for (const [reason, expectState, expectAttempts] of [[GoAwayReason.UNSUPPORTED_VERSION, 'closed', 1], [GoAwayReason.SHUTTING_DOWN, 'reconnecting', 2]] as const) {
    const clock = new ManualClock();
    let attempts = 0;
    const client = new TunnelClient({
      clock, identity: 'agent-1', random: () => 0,
      connect: async () => {
        attempts++;
        const pipe = new MemoryPipe();
        pipe.b.onData(() => pipe.b.write(encodeFrames([{ version: 1, type: FrameType.GO_AWAY, flags: 0, id: 0, payload: Buffer.from([0, 0, 0, reason, 0, 0]) }])));
        return pipe.a;
      },
    });
    client.start();
    await settle();
    clock.advance(250);
    await settle();
    assert.equal(client.state, expectState);
    assert.equal(attempts, expectAttempts);
    client.close();
  }
});

test('a hub that never answers the handshake: the agent gives up after 10 s and retries', async () => {
  const clock = new ManualClock();
  let attempts = 0;
  const client = new TunnelClient({ clock, identity: 'agent-1', random: () => 0, connect: async () => (attempts++, new MemoryPipe().a) });
  client.start();
  await settle();
  clock.advance(9999);
  await settle();
  assert.equal(attempts, 1);
  clock.advance(1 + 250);
  await settle();
  assert.equal(attempts, 2);
  client.close();
});

test('closing the agent during the handshake drops the half-open carriage', async () => {
  const clock = new ManualClock();
  const pipe = new MemoryPipe();
  const ended: string[] = [];
  pipe.b.onClose(() => ended.push('hub side closed'));
  const client = new TunnelClient({ clock, identity: 'agent-1', connect: async () => pipe.a });
  client.start();
  await settle();
  client.close();
  await settle();
  assert.deepEqual(ended, ['hub side closed']);
  assert.equal(clock.pending, 0);
});
