import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpStreamStats, type RtpStreamSnapshot } from '../../../src/rtp/index.js';

interface Pkt {
  seq: number;
  ts?: number;
  at?: number;
  pt?: number;
  ssrc?: number;
}

function rtp(p: Pkt): Buffer {
  const b = Buffer.alloc(12 + 160);
  b[0] = 0x80;
  b[1] = p.pt ?? 0;
  b.writeUInt16BE(p.seq & 0xffff, 2);
  b.writeUInt32BE((p.ts ?? 0) >>> 0, 4);
  b.writeUInt32BE(p.ssrc ?? 1, 8);
  return b;
}

function feed(packets: Pkt[], rates?: ReadonlyMap<number, number>): RtpStreamSnapshot {
  const stats = new RtpStreamStats(rates === undefined ? {} : { clockRates: rates });
  packets.forEach((p, i) => assert.equal(stats.record(rtp(p), p.at ?? i * 20), 'rtp'));
  return stats.snapshot();
}

const seqs = (list: number[], ssrc = 1): Pkt[] => list.map((seq) => ({ seq, ssrc }));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

type Counts = Pick<RtpStreamSnapshot, 'packets' | 'expected' | 'received' | 'lost' | 'lateOrDuplicate' | 'restarts' | 'ssrcChanges'>;

// Expected figures follow RFC 3550 A.1 (the first packet of a source is its probation packet and
// starts neither `expected` nor `received`; base_seq is the second) and A.3 (lost = expected − received).
const LOSS: Array<[string, Pkt[], Counts]> = [
  ['in order', seqs(range(100, 109)), { packets: 10, expected: 9, received: 9, lost: 0, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 0 }],
  ['two lost', seqs([100, 101, 102, 103, 106, 107, 108, 109]), { packets: 8, expected: 9, received: 7, lost: 2, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 0 }],
  [
    'wrap at 65535 with one loss on each side',
    seqs([65530, 65531, 65532, 65533, 65534, 0, 1, 3, 4, 5]),
    { packets: 10, expected: 11, received: 9, lost: 2, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 0 },
  ],
  ['duplicates make loss negative', seqs([100, 101, 102, 102, 103, 103, 104]), { packets: 7, expected: 4, received: 6, lost: -2, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 0 }],
  ['late duplicate of an older packet', seqs([100, 101, 102, 103, 101]), { packets: 5, expected: 3, received: 4, lost: -1, lateOrDuplicate: 1, restarts: 0, ssrcChanges: 0 }],
  ['reordered', seqs([100, 101, 103, 102, 104]), { packets: 5, expected: 4, received: 4, lost: 0, lateOrDuplicate: 1, restarts: 0, ssrcChanges: 0 }],
  [
    'sender restart: a very large jump, then in sequence',
    seqs([100, 101, 102, 40000, 40001, 40002]),
    { packets: 6, expected: 4, received: 4, lost: 0, lateOrDuplicate: 0, restarts: 1, ssrcChanges: 0 },
  ],
  ['one stray packet far away is ignored', seqs([100, 101, 102, 40000, 103, 104]), { packets: 6, expected: 4, received: 4, lost: 0, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 0 }],
  [
    'new SSRC starts a new source (probation again)',
    [...seqs([100, 101, 102], 1), ...seqs([500, 501, 503], 2)],
    { packets: 6, expected: 5, received: 4, lost: 1, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 1 },
  ],
  ['a single packet expects nothing yet', seqs([7]), { packets: 1, expected: 0, received: 0, lost: 0, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 0 }],
  ['gap of MAX_DROPOUT - 1 is a loss, not a jump', seqs([10, 11, 3010]), { packets: 3, expected: 3000, received: 2, lost: 2998, lateOrDuplicate: 0, restarts: 0, ssrcChanges: 0 }],
];

for (const [name, packets, counts] of LOSS) {
  test(`RFC 3550 A.1 loss: ${name}`, () => {
    const s = feed(packets);
    assert.deepEqual(
      { packets: s.packets, expected: s.expected, received: s.received, lost: s.lost, lateOrDuplicate: s.lateOrDuplicate, restarts: s.restarts, ssrcChanges: s.ssrcChanges },
      counts,
    );
    assert.equal(s.lossRatio, counts.expected > 0 ? Math.max(0, counts.lost) / counts.expected : 0);
    assert.equal(s.bytes, counts.packets * 172);
  });
}

const PCMU = (seq: number, ts: number, at: number, pt = 0): Pkt => ({ seq, ts, at, pt });

// Jitter by RFC 3550 A.8 at 8000 Hz: D = (Rj − Ri)·8 − (Sj − Si), J += (|D| − J)/16.
const JITTER: Array<[string, Pkt[], number, ReadonlyMap<number, number> | undefined]> = [
  ['perfect 20 ms spacing', [PCMU(1, 0, 0), PCMU(2, 160, 20), PCMU(3, 320, 40), PCMU(4, 480, 60)], 0, undefined],
  // transit 0, 0, 80, 0, 0 → D 0, 80, 80, 0 → J 0, 5, 9.6875, 9.08203125
  ['one packet 10 ms late', [PCMU(1, 0, 0), PCMU(2, 160, 20), PCMU(3, 320, 50), PCMU(4, 480, 60), PCMU(5, 640, 80)], 9.08203125, undefined],
  ['timestamp wraps at 2^32', [PCMU(1, 2 ** 32 - 320, 0), PCMU(2, 2 ** 32 - 160, 20), PCMU(3, 0, 40), PCMU(4, 160, 60)], 0, undefined],
  // Without the two rules the event packets would give D = 160 each and J > 0.
  [
    'RFC 4733 events (same timestamp) and PT switches are left out',
    [PCMU(1, 0, 0), PCMU(2, 160, 20), PCMU(3, 320, 40, 101), PCMU(4, 320, 60, 101), PCMU(5, 320, 80, 101), PCMU(6, 960, 120), PCMU(7, 1120, 140)],
    0,
    new Map([[101, 8000]]),
  ],
  ['unknown dynamic payload type: no clock rate, no jitter', [PCMU(1, 0, 0, 96), PCMU(2, 160, 50, 96), PCMU(3, 320, 55, 96)], 0, undefined],
  // With opus/48000 declared: transit (ms·48 − ts) 0, 0, 480 → D 0, 480 → J 30
  ['dynamic payload type with its rtpmap clock rate', [PCMU(1, 0, 0, 111), PCMU(2, 960, 20, 111), PCMU(3, 1920, 50, 111)], 30, new Map([[111, 48000]])],
];

for (const [name, packets, jitter, rates] of JITTER) {
  test(`RFC 3550 A.8 jitter: ${name}`, () => {
    const s = feed(packets, rates);
    assert.equal(s.jitter, jitter);
  });
}

test('jitter in milliseconds uses the clock rate, times come from the caller', () => {
  const s = feed([PCMU(1, 0, 1000), PCMU(2, 160, 1020), PCMU(3, 320, 1050), PCMU(4, 480, 1060), PCMU(5, 640, 1080)]);
  assert.equal(s.jitterMs, 9.08203125 / 8);
  assert.deepEqual([s.firstPacketAt, s.lastPacketAt, s.ssrc, s.payloadType], [1000, 1080, 1, 0]);
});

test('RTCP and non-RTP datagrams are counted apart', () => {
  const stats = new RtpStreamStats();
  assert.equal(stats.record(Buffer.from('81c90001000000aa', 'hex'), 0), 'rtcp');
  assert.equal(stats.record(Buffer.from([0, 1, 0, 0]), 0), 'other');
  assert.equal(stats.record(Buffer.from([0x80, 0x00, 0x00]), 0), 'other');
  const s = stats.snapshot();
  assert.deepEqual([s.packets, s.rtcpPackets, s.rtcpBytes, s.invalid], [0, 1, 8, 2]);
});
