/**
 * MWI in survival (issue 12): the agent's notifier (b2bua/dialog-watchers.ts) also serves RFC 3842
 * `message-summary` SUBSCRIBEs when given the last summaries the PBX sent: 200, then a NOTIFY with
 * that body (none known: no body), a phone's own mailbox even without a routing model, other
 * packages 489 with the served ones listed, and `deactivated` at failback like the BLF ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { DialogWatchers, LOOK_MS, type ExtensionDialog } from '../../../src/b2bua/index.js';
import { parseMessage, type SipRequest, type SipResponse, type TransactionSource } from '../../../src/sip/index.js';
import { getHeader, incoming, last, PHONE_A, PHONE_B } from './fixtures.js';

const SUMMARY = 'Messages-Waiting: yes\r\nMessage-Account: sip:101@pbx.test\r\nVoice-Message: 2/8 (0/2)\r\n';

interface MwiRig {
  readonly clock: ManualClock;
  readonly watchers: DialogWatchers;
  readonly sent: SipRequest[];
  dialogs: ExtensionDialog[];
}

/** PHONE_A is 101's flow, PHONE_B 102's; no routing model (nothing watchable) unless `watchable`. */
function mwiRig(o: { summaries?: Record<string, string>; watchable?: readonly string[]; mwi?: boolean } = {}): MwiRig {
  const clock = new ManualClock();
  const sent: SipRequest[] = [];
  const r: MwiRig = { clock, sent, dialogs: [], watchers: undefined as unknown as DialogWatchers };
  let branch = 0;
  const summaries = o.summaries ?? {};
  Object.assign(r, {
    watchers: new DialogWatchers({
      clock,
      stack: {
        newVia: (t) => `SIP/2.0/${t} 192.168.1.1:5060;branch=z9hG4bK-m${++branch}`,
        hostPort: () => '192.168.1.1:5060',
        request: (req) => {
          sent.push(req);
          return Promise.resolve({ kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) } as SipResponse);
        },
      },
      dialogs: () => r.dialogs,
      watchable: (ext) => (o.watchable ?? []).includes(ext),
      admit: (source: TransactionSource, user) => (source === PHONE_A && user === '101') || (source === PHONE_B && user === '102'),
      ...(o.mwi === false ? {} : {
        messageSummary: (user: string) => {
          const body = summaries[user];
          return body === undefined ? undefined : { contentType: 'application/simple-message-summary', body: Buffer.from(body) };
        },
      }),
    }),
  });
  return r;
}

function subscribe(from: string, target: string, event: string | undefined): SipRequest {
  const text = [
    `SUBSCRIBE sip:${target}@branch.test SIP/2.0`, 'Via: SIP/2.0/UDP 192.168.1.21:5060;branch=z9hG4bK-q1', 'Max-Forwards: 70',
    `From: <sip:${from}@branch.test>;tag=m1`, `To: <sip:${target}@branch.test>`, `Call-ID: mwi-${from}-${target}`, 'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:${from}@192.168.1.21:5060>`, ...(event === undefined ? [] : [`Event: ${event}`]), 'Expires: 3600',
    'Accept: application/simple-message-summary', 'Content-Length: 0', '', '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function subscribeAs(r: MwiRig, from: string, target: string, event: string | undefined, source: TransactionSource): Promise<SipResponse> {
  const inc = incoming(subscribe(from, target, event), source);
  r.watchers.subscribe(inc);
  await flush();
  return last(inc.responses);
}

test('MWI SUBSCRIBE in survival: 200, then a NOTIFY with the last summary the PBX sent for the mailbox', async () => {
  const r = mwiRig({ summaries: { '101': SUMMARY } });
  const ok = await subscribeAs(r, '101', '101', 'message-summary', PHONE_A);
  assert.equal(ok.status, 200);
  assert.equal(getHeader(ok, 'Expires'), '3600');
  assert.equal(r.sent.length, 1);
  const n = r.sent[0];
  assert.ok(n !== undefined);
  assert.equal(n.method, 'NOTIFY');
  assert.equal(getHeader(n, 'Event'), 'message-summary');
  assert.equal(getHeader(n, 'Content-Type'), 'application/simple-message-summary');
  assert.equal(getHeader(n, 'Subscription-State'), 'active;expires=3600');
  assert.equal(n.body.toString(), SUMMARY, 'the body as the PBX sent it');
  assert.equal(getHeader(n, 'Call-ID'), 'mwi-101-101');
  assert.equal(r.watchers.counters.watchers, 1);
});

test('no summary known for the mailbox: the NOTIFY carries no body (state unknown, the lamp is left as it is)', async () => {
  const r = mwiRig();
  assert.equal((await subscribeAs(r, '101', '101', 'message-summary;id=1', PHONE_A)).status, 200);
  const n = r.sent[0];
  assert.ok(n !== undefined);
  assert.equal(n.body.length, 0);
  assert.equal(getHeader(n, 'Content-Type'), undefined);
});

test('MWI SUBSCRIBEs refused: each with its status, no NOTIFY', async () => {
  const table: Array<[string, Parameters<typeof mwiRig>[0], string, string, string | undefined, TransactionSource, number, string | undefined]> = [
    ["another phone's mailbox, no model", {}, '101', '102', 'message-summary', PHONE_A, 404, undefined],
    ['a phone not registered from that flow', {}, '101', '101', 'message-summary', PHONE_B, 403, undefined],
    ['presence', {}, '101', '101', 'presence', PHONE_A, 489, 'dialog, message-summary'],
    ['no Event header', {}, '101', '101', undefined, PHONE_A, 489, 'dialog, message-summary'],
    ['MWI not served (no summaries given)', { mwi: false }, '101', '101', 'message-summary', PHONE_A, 489, 'dialog'],
  ];
  for (const [name, options, from, target, event, source, status, allow] of table) {
    const r = mwiRig(options);
    const answer = await subscribeAs(r, from, target, event, source);
    assert.equal(answer.status, status, name);
    assert.equal(getHeader(answer, 'Allow-Events'), allow, name);
    assert.equal(r.sent.length, 0, name);
    assert.equal(r.watchers.counters.watchers, 0, name);
  }
});

test("with a routing model, another extension's mailbox may be watched (a watchable extension)", async () => {
  const r = mwiRig({ watchable: ['102'], summaries: { '102': 'Messages-Waiting: no\r\n' } });
  assert.equal((await subscribeAs(r, '101', '102', 'message-summary', PHONE_A)).status, 200);
  assert.equal(r.sent[0]?.body.toString(), 'Messages-Waiting: no\r\n');
});

test('calls changing do not re-notify MWI watchers; failback ends them with deactivated and the last summary', async () => {
  const r = mwiRig({ watchable: ['101'], summaries: { '101': SUMMARY } });
  await subscribeAs(r, '101', '101', 'message-summary', PHONE_A);
  r.dialogs = [{ extension: '101', callId: 'c1', direction: 'recipient', state: 'early', peer: '102' }];
  r.watchers.look();
  r.clock.advance(LOOK_MS * 3);
  await flush();
  assert.equal(r.sent.length, 1, 'no NOTIFY for a call');
  r.watchers.terminateAll('deactivated');
  await flush();
  const end = r.sent[1];
  assert.ok(end !== undefined);
  assert.equal(getHeader(end, 'Event'), 'message-summary');
  assert.equal(getHeader(end, 'Subscription-State'), 'terminated;reason=deactivated');
  assert.equal(end.body.toString(), SUMMARY);
  assert.equal(r.watchers.counters.watchers, 0);
});
