import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TunnelStream } from '../../src/tunnel/index.js';
import { connectedPair, settle } from '../unit/tunnel/harness.js';

type Op =
  | { readonly op: 'write'; readonly fromServer: boolean; readonly stream: number; readonly size: number }
  | { readonly op: 'settle' }
  | { readonly op: 'tick' }
  | { readonly op: 'cut' }
  | { readonly op: 'heal' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('write' as const), fromServer: fc.boolean(), stream: fc.integer({ min: 0, max: 2 }), size: fc.integer({ min: 4, max: 70_000 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'settle' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'tick' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'cut' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'heal' as const }) },
);

function message(n: number, size: number): Buffer {
  const b = Buffer.alloc(size, n % 256);
  b.writeUInt32BE(n, 0);
  return b;
}

test('whatever the writes, cuts and resumes, every stream delivers each message once, in order, intact', async () => {
  await fc.assert(fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
    const h = await connectedPair();
    const server = h.serverSessions[0];
    assert.ok(server);
    const serverStreams: TunnelStream[] = [];
    const received = new Map<string, Buffer[]>();
    const listen = (side: string, s: TunnelStream): void => {
      const got: Buffer[] = [];
      received.set(`${side}${s.id}`, got);
      s.on('data', (d) => got.push(Buffer.from(d)));
    };
    server.on('stream', (s) => {
      serverStreams.push(s);
      listen('server', s);
    });
    const clientStreams = [h.client.openStream(), h.client.openStream(), h.client.openStream()];
    for (const s of clientStreams) listen('client', s);
    for (const s of clientStreams) s.write(message(0, 4));
    await settle();
    const written = new Map<string, Buffer[]>();
    for (const s of clientStreams) written.set(`server${s.id}`, [message(0, 4)]);
    let cut = false;
    let n = 1;
    const heal = async (): Promise<void> => {
      h.clock.advance(3000);
      await settle();
      h.clock.advance(250);
      await settle();
      cut = false;
    };
    for (const op of ops) {
      if (op.op === 'write') {
        const s = op.fromServer ? serverStreams[op.stream] : clientStreams[op.stream];
        assert.ok(s);
        const m = message(n++, op.size);
        s.write(m);
        const key = `${op.fromServer ? 'client' : 'server'}${s.id}`;
        // Writes above MAX_PAYLOAD arrive in 64 KiB pieces (PROTOCOL.md "Streams").
        const pieces = written.get(key) ?? [];
        for (let at = 0; at < m.length; at += 65_536) pieces.push(m.subarray(at, at + 65_536));
        written.set(key, pieces);
      } else if (op.op === 'settle') {
        await settle(3);
      } else if (op.op === 'tick') {
        h.clock.advance(1000);
        await settle();
      } else if (op.op === 'cut' && !cut) {
        h.pipe.cut();
        cut = true;
      } else if (op.op === 'heal' && cut) {
        await heal();
      }
    }
    if (cut) await heal();
    for (let i = 0; i < 4; i++) {
      h.clock.advance(1000);
      await settle();
    }
    assert.equal(h.client.state, 'open');
    assert.equal(h.serverSessions.length, 1, 'always the same session');
    for (const [key, pieces] of written) {
      const got = received.get(key) ?? [];
      assert.equal(got.length, pieces.length, `${key}: ${got.length} of ${pieces.length} messages`);
      got.forEach((m, i) => assert.ok(m.equals(pieces[i] as Buffer), `${key}: message ${i}`));
    }
    h.client.close();
  }), { numRuns: 60 });
});
