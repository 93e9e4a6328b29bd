/**
 * Call detail records of relayed calls (src/sbc/relayed-cdr.ts), on a manual clock: a table of
 * message sequences as the phone sees them, each with the record it must give (or none), then the
 * bounds (Timer C for an unanswered INVITE, `maxOpen`) and close().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { RelayedCdrLog, UNANSWERED_LIMIT_MS, partyOf, type RelayedCallRecord, type RelayedSide } from '../../../src/sbc/relayed-cdr.js';
import { buildResponse, parseMessage, type SipRequest } from '../../../src/sip/index.js';

function request(method: string, callId: string, o: { uri?: string; toTag?: boolean; from?: string; to?: string } = {}): SipRequest {
  const text = [
    `${method} ${o.uri ?? 'sip:201@pbx.example'} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1',
    `From: ${o.from ?? '"Alice" <sip:101@pbx.example>'};tag=a1`,
    `To: ${o.to ?? '<sip:201@pbx.example>'}${o.toTag === true ? ';tag=b2' : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    'Content-Length: 0', '', '',
  ].join('\r\n');
  const m = parseMessage(Buffer.from(text));
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

type Step =
  | { readonly at: number; readonly req: RelayedSide; readonly method: string; readonly toTag?: boolean }
  | { readonly at: number; readonly res: number; readonly method?: string }
  | { readonly at: number; readonly agentEnded: true };

interface Row {
  readonly name: string;
  readonly firstBy: RelayedSide;
  readonly steps: readonly Step[];
  readonly expect: { readonly [K in keyof RelayedCallRecord]?: RelayedCallRecord[K] | undefined } | undefined;
}

const rows: readonly Row[] = [
  { name: 'a phone calls, the far side answers, the phone hangs up', firstBy: 'phone',
    steps: [{ at: 1000, res: 180 }, { at: 3000, res: 200 }, { at: 65_500, req: 'phone', method: 'BYE', toTag: true }],
    expect: { direction: 'outbound', caller: '101', callee: '201', answeredAt: 3000, endedAt: 65_500, talkSeconds: 62, endedReason: 'completed', endedBy: 'caller', finalDestination: 'pbx:201' } },
  { name: 'a phone calls, the far side hangs up', firstBy: 'phone',
    steps: [{ at: 2000, res: 200 }, { at: 12_000, req: 'far', method: 'BYE', toTag: true }],
    expect: { direction: 'outbound', talkSeconds: 10, endedReason: 'completed', endedBy: 'callee' } },
  { name: 'the PBX calls a phone, the phone answers and hangs up', firstBy: 'far',
    steps: [{ at: 4000, res: 200 }, { at: 9000, req: 'phone', method: 'BYE', toTag: true }],
    expect: { direction: 'inbound', caller: '101', callee: '201', talkSeconds: 5, endedReason: 'completed', endedBy: 'callee' } },
  { name: 'busy', firstBy: 'phone', steps: [{ at: 500, res: 486 }],
    expect: { endedReason: 'busy', endedBy: 'callee', status: 486, talkSeconds: 0, answeredAt: undefined } },
  { name: 'declined', firstBy: 'far', steps: [{ at: 500, res: 603 }], expect: { endedReason: 'rejected', endedBy: 'callee', status: 603 } },
  { name: 'not answered', firstBy: 'phone', steps: [{ at: 30_000, res: 480 }], expect: { endedReason: 'no-answer', endedBy: 'system', status: 480 } },
  { name: 'refused for another reason', firstBy: 'phone', steps: [{ at: 10, res: 503 }], expect: { endedReason: 'failed', endedBy: 'system', status: 503 } },
  { name: 'the caller cancels (CANCEL first)', firstBy: 'phone',
    steps: [{ at: 1000, res: 180 }, { at: 4000, req: 'phone', method: 'CANCEL' }, { at: 4010, res: 487 }],
    expect: { endedReason: 'cancelled', endedBy: 'caller', status: 487, endedAt: 4000 } },
  { name: 'the PBX cancels the call to a phone', firstBy: 'far',
    steps: [{ at: 4000, req: 'far', method: 'CANCEL' }], expect: { direction: 'inbound', endedReason: 'cancelled', endedBy: 'caller' } },
  { name: 'the agent ends an answered call (far side gone)', firstBy: 'phone',
    steps: [{ at: 1000, res: 200 }, { at: 310_000, agentEnded: true }], expect: { endedReason: 'far-side-gone', endedBy: 'system', talkSeconds: 309 } },
  { name: 'a retransmitted 2xx, a re-INVITE and its 200 change nothing', firstBy: 'phone',
    steps: [{ at: 1000, res: 200 }, { at: 1500, res: 200 }, { at: 5000, req: 'far', method: 'INVITE', toTag: true }, { at: 5001, res: 200 }, { at: 8000, req: 'phone', method: 'BYE', toTag: true }],
    expect: { answeredAt: 1000, talkSeconds: 7, endedReason: 'completed', endedBy: 'caller' } },
  { name: 'a CANCEL after the answer is ignored', firstBy: 'phone',
    steps: [{ at: 1000, res: 200 }, { at: 1100, req: 'phone', method: 'CANCEL' }, { at: 3000, req: 'phone', method: 'BYE', toTag: true }],
    expect: { endedReason: 'completed', talkSeconds: 2 } },
  { name: 'a provisional answer only: no record yet', firstBy: 'phone', steps: [{ at: 1000, res: 183 }], expect: undefined },
  { name: 'answered and still up: no record yet', firstBy: 'phone', steps: [{ at: 1000, res: 200 }], expect: undefined },
  { name: 'a 2xx to another method (the INVITE still ringing) is not an answer', firstBy: 'phone',
    steps: [{ at: 1000, res: 200, method: 'INFO' }, { at: 2000, res: 486 }], expect: { endedReason: 'busy', answeredAt: undefined } },
];

for (const row of rows) {
  test(`relayed call record: ${row.name}`, () => {
    const clock = new ManualClock(0, 0);
    const records: RelayedCallRecord[] = [];
    const log = new RelayedCdrLog({ clock, agent: 'branch-1', onCdr: (r) => records.push(r) });
    const invite = request('INVITE', 'c-1', row.firstBy === 'phone' ? {} : { uri: 'sip:h-token@192.0.2.10:5060' });
    log.request(row.firstBy, invite);
    log.request(row.firstBy, invite); // a retransmission opens nothing more
    for (const step of row.steps) {
      clock.advance(step.at - clock.now());
      if ('req' in step) log.request(step.req, request(step.method, 'c-1', { toTag: step.toTag ?? false }));
      else if ('res' in step) log.response(step.method ?? 'INVITE', buildResponse(invite, step.res));
      else log.agentEnded('c-1');
    }
    if (row.expect === undefined) {
      assert.deepEqual(records, []);
      assert.equal(log.openCalls, 1);
      return;
    }
    assert.equal(records.length, 1, JSON.stringify(records));
    const [r] = records as [RelayedCallRecord];
    assert.equal(log.openCalls, 0);
    assert.deepEqual({ callId: r.callId, agent: r.agent, survival: r.survival, startedAt: r.startedAt }, { callId: 'c-1', agent: 'branch-1', survival: false, startedAt: 0 });
    for (const [key, value] of Object.entries(row.expect)) assert.deepEqual(r[key as keyof RelayedCallRecord], value, key);
    log.close();
  });
}

test('relayed call record: an INVITE never answered is closed after Timer C, as 408 no-answer', () => {
  const clock = new ManualClock(0, 0);
  const records: RelayedCallRecord[] = [];
  const log = new RelayedCdrLog({ clock, agent: 'b', onCdr: (r) => records.push(r) });
  log.request('phone', request('INVITE', 'lost'));
  clock.advance(UNANSWERED_LIMIT_MS - 1000);
  assert.equal(records.length, 0, 'not before Timer C');
  clock.advance(60_000);
  assert.deepEqual(records.map((r) => [r.callId, r.endedReason, r.status]), [['lost', 'no-answer', 408]]);
  assert.equal(log.openCalls, 0);
  log.close();
});

test('relayed call record: beyond maxOpen the oldest call is closed as unknown', () => {
  const clock = new ManualClock(0, 0);
  const records: RelayedCallRecord[] = [];
  const log = new RelayedCdrLog({ clock, agent: 'b', onCdr: (r) => records.push(r), maxOpen: 3 });
  for (let i = 1; i <= 5; i++) log.request('phone', request('INVITE', `c${i}`));
  assert.deepEqual(records.map((r) => [r.callId, r.endedReason]), [['c1', 'unknown'], ['c2', 'unknown']]);
  assert.equal(log.openCalls, 3);
  log.close();
});

test('relayed call record: close() drops the open calls and ignores what comes after, twice', () => {
  const clock = new ManualClock(0, 0);
  const records: RelayedCallRecord[] = [];
  const log = new RelayedCdrLog({ clock, agent: 'b', onCdr: (r) => records.push(r) });
  log.request('phone', request('INVITE', 'x'));
  log.close();
  log.close();
  log.request('phone', request('BYE', 'x', { toTag: true }));
  clock.advance(UNANSWERED_LIMIT_MS * 2);
  assert.equal(records.length, 0);
  assert.equal(log.openCalls, 0);
});

test('partyOf: the user part of name-addrs and URIs, else the text', () => {
  const cases: readonly [string | undefined, string][] = [
    ['"Bob" <sip:201@pbx>;tag=1', '201'],
    ['<sips:+4420@carrier;user=phone>', '+4420'],
    ['sip:301@10.0.0.1:5060', '301'],
    ['sip:pbx.example', 'sip:pbx.example'],
    ['not a uri', 'not a uri'],
    [undefined, ''],
  ];
  for (const [input, expected] of cases) assert.equal(partyOf(input), expected, String(input));
});
