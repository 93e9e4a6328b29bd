import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, timerESchedule } from '../../../src/pnp/index.js';
import { AUDIOCODES_420HD, GRANDSTREAM_GRP2612W, YEALINK_W52P, captureBytes, type PnpCapture } from '../../support/pnp-captures.js';
import { pnpRig } from '../../support/pnp-rig.js';

function send(r: ReturnType<typeof pnpRig>, c: PnpCapture, address = c.source.address): void {
  r.responder.handleMulticast(captureBytes(c), { address, port: c.source.port, family: 'IPv4' });
}

function notifies(r: ReturnType<typeof pnpRig>): string[] {
  return r.lan.texts().filter((t) => t.startsWith('NOTIFY '));
}

/** The phone's 200 to the NOTIFY: our Via (with the branch) echoed, as a phone does. */
function okToNotify(notify: string): Buffer {
  const h = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(notify)?.[1]?.trim() ?? '';
  return Buffer.from(
    `SIP/2.0 200 OK\r\nVia: ${h('Via')}\r\nFrom: ${h('From')}\r\nTo: ${h('To')}\r\nCall-ID: ${h('Call-ID')}\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n`,
  );
}

test('Timer E schedule: T1 doubling to T2, last retransmission before Timer F (64·T1)', () => {
  assert.deepEqual(timerESchedule(500, 4000), [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.deepEqual(timerESchedule(100, 400), [100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300]);
});

test('a phone that never answers gets the NOTIFY at each Timer E and nothing after Timer F', async () => {
  const r = pnpRig('auto');
  try {
    send(r, YEALINK_W52P);
    assert.equal(notifies(r).length, 1);
    const times: number[] = [];
    let seen = 1;
    while (r.clock.step()) {
      if (notifies(r).length > seen) {
        seen = notifies(r).length;
        times.push(r.clock.now());
      }
    }
    assert.deepEqual(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(r.responder.stats.notifyTimeouts, 1);
    assert.equal(r.responder.stats.notifyRetransmissions, 10);
    assert.equal(r.responder.activeNotifies, 0);
    // Every retransmission is the same bytes to the same place.
    assert.equal(new Set(notifies(r)).size, 1);
  } finally {
    await r.done();
  }
});

test("the phone's 200 stops the NOTIFY retransmissions; a 200 with another branch does not", async () => {
  const r = pnpRig('auto');
  try {
    send(r, GRANDSTREAM_GRP2612W);
    r.clock.advance(600);
    assert.equal(notifies(r).length, 2);
    const first = notifies(r)[0] ?? '';
    assert.equal(r.responder.handleUnicast(okToNotify(first.replace(/branch=[^;\r\n]+/, 'branch=z9hG4bKother'))), false);
    assert.equal(r.responder.handleUnicast(okToNotify(first)), true);
    r.clock.advance(60_000);
    assert.equal(notifies(r).length, 2);
    assert.equal(r.responder.stats.notifyAnswered, 1);
    assert.equal(r.responder.stats.notifyTimeouts, 0);
  } finally {
    await r.done();
  }
});

test('a retransmitted SUBSCRIBE gets the same 200 again and no second NOTIFY', async () => {
  const r = pnpRig('auto');
  try {
    send(r, YEALINK_W52P);
    send(r, YEALINK_W52P);
    const texts = r.lan.texts();
    assert.equal(texts.filter((t) => t.startsWith('SIP/2.0 200')).length, 2);
    assert.equal(texts[0], texts[2]);
    assert.equal(notifies(r).length, 1);
    assert.equal(r.responder.stats.subscribeRetransmissions, 1);
  } finally {
    await r.done();
  }
});

test('policy inbox: a new phone waits unanswered in the inbox; once approved its retry is answered', async () => {
  const r = pnpRig('inbox');
  try {
    send(r, GRANDSTREAM_GRP2612W);
    assert.equal(r.lan.sent.length, 0);
    assert.equal(r.responder.stats.pending, 1);
    await r.inbox.flush();
    assert.equal(r.file.read().phones[0]?.state, 'pending');
    await r.file.update((d) => decide(d, 'c074ad112233', 'approved', '201'));
    r.inbox.reload();
    send(r, GRANDSTREAM_GRP2612W);
    assert.equal(r.lan.sent.length, 2);
    assert.equal(r.inbox.get('c074ad112233')?.extension, '201');
  } finally {
    await r.done();
  }
});

test('rejected phones and policy off get no answer at all', async () => {
  const rejected = pnpRig('inbox');
  const off = pnpRig('off');
  try {
    await rejected.file.update((d) => decide(d, 'ip:10.13.2.37', 'rejected'));
    rejected.inbox.reload();
    send(rejected, AUDIOCODES_420HD);
    assert.equal(rejected.lan.sent.length, 0);
    assert.equal(rejected.responder.stats.rejected, 1);
    send(off, YEALINK_W52P);
    assert.equal(off.lan.sent.length, 0);
  } finally {
    await rejected.done();
    await off.done();
  }
});

const YL = YEALINK_W52P.lines;
const without = (name: string): string[] => YL.filter((l) => !l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
const MALFORMED: ReadonlyArray<readonly [string, Buffer]> = [
  ['garbage', Buffer.from('\x00\x01garbage\r\n\r\n')],
  ['empty', Buffer.alloc(0)],
  ['missing Contact', captureBytes({ lines: without('Contact') })],
  ['no Event', captureBytes({ lines: without('Event') })],
  ['missing Call-ID', captureBytes({ lines: without('Call-ID') })],
  ['missing Via', captureBytes({ lines: without('Via') })],
  ['bad Contact URI', captureBytes({ lines: YL.map((l) => (l.startsWith('Contact:') ? 'Contact: <nonsense>' : l)) })],
  ['bad To URI (found by the fuzz test)', captureBytes({ lines: YL.map((l) => (l.startsWith('To:') ? 'To: <s\u0016p:MAC001565f4f9e1@224.0.1.75>' : l)) })],
  ['truncated start line', Buffer.from('SUBSCRIBE\r\n\r\n')],
  ['oversized datagram', captureBytes({ lines: [...YL.slice(0, -1), `X-Pad: ${'a'.repeat(5000)}`, 'Content-Length: 0'] })],
];

for (const [name, bytes] of MALFORMED) {
  test(`malformed SUBSCRIBE (${name}) is counted and dropped`, async () => {
    const r = pnpRig('auto');
    try {
      r.responder.handleMulticast(bytes, { address: '10.1.3.239', port: 5059, family: 'IPv4' });
      assert.equal(r.responder.stats.malformed, 1);
      assert.equal(r.lan.sent.length, 0);
      // The responder still answers the next good one.
      send(r, YEALINK_W52P);
      assert.equal(r.lan.sent.length, 2);
    } finally {
      await r.done();
    }
  });
}

test('other requests and other event packages are ignored, not answered', async () => {
  const r = pnpRig('auto');
  try {
    r.responder.handleMulticast(captureBytes({ lines: YL.map((l) => l.replace(/^SUBSCRIBE sip/, 'OPTIONS sip').replace('1 SUBSCRIBE', '1 OPTIONS')) }), { address: '10.1.3.239', port: 5059, family: 'IPv4' });
    r.responder.handleMulticast(captureBytes({ lines: YL.map((l) => (l.startsWith('Event:') ? 'Event: presence' : l)) }), { address: '10.1.3.239', port: 5059, family: 'IPv4' });
    assert.equal(r.responder.stats.ignored, 2);
    assert.equal(r.lan.sent.length, 0);
  } finally {
    await r.done();
  }
});

test('10,000 SUBSCRIBEs from one source: all but the burst are dropped before parsing; another phone is still answered', async () => {
  const r = pnpRig('auto', { burst: 10 });
  try {
    const flood = captureBytes({ lines: YL.map((l) => l.replace('CSeq: 1', 'CSeq: 2')) });
    for (let i = 0; i < 10_000; i++) r.responder.handleMulticast(flood, { address: '10.9.9.9', port: 5060, family: 'IPv4' });
    assert.equal(r.responder.stats.rateLimited, 9_990);
    const before = r.lan.sent.length;
    send(r, GRANDSTREAM_GRP2612W);
    assert.equal(r.lan.sent.length, before + 2);
    assert.equal(r.lan.sent.at(-2)?.address, '192.168.1.2');
  } finally {
    await r.done();
  }
});

test('past maxActiveNotifies running NOTIFYs a new phone is not answered until one ends', async () => {
  const r = pnpRig('auto', { maxActiveNotifies: 1 });
  try {
    send(r, YEALINK_W52P);
    send(r, GRANDSTREAM_GRP2612W);
    assert.equal(r.responder.stats.overloaded, 1);
    assert.equal(r.lan.sent.length, 2);
    r.responder.handleUnicast(okToNotify(notifies(r)[0] ?? ''));
    send(r, GRANDSTREAM_GRP2612W);
    assert.equal(notifies(r).length, 2);
  } finally {
    await r.done();
  }
});
