/**
 * The BLF notifier of the agent's own calls (b2bua/dialog-watchers.ts, RFC 4235 over RFC 6665) on
 * a manual clock with a stack that records NOTIFYs: the SUBSCRIBE answered and followed at once by
 * a NOTIFY, each change of the extension's dialogs notified (early, confirmed, terminated) and
 * nothing when nothing changed, refusals as a table, expiry, refresh, Expires: 0, deactivation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { DialogWatchers, LOOK_MS, type ExtensionDialog } from '../../../src/b2bua/index.js';
import { parseMessage, type SipRequest, type SipResponse, type TransactionSource } from '../../../src/sip/index.js';
import { getHeader, incoming, last, PHONE_A, PHONE_B } from './fixtures.js';

interface WatchRig {
  readonly clock: ManualClock;
  readonly watchers: DialogWatchers;
  readonly sent: SipRequest[];
  dialogs: ExtensionDialog[];
  answer: number;
}

function watchRig(): WatchRig {
  const clock = new ManualClock();
  const r: WatchRig = {
    clock, sent: [], dialogs: [], answer: 200,
    watchers: undefined as unknown as DialogWatchers,
  };
  let branch = 0;
  Object.assign(r, {
    watchers: new DialogWatchers({
      clock,
      stack: {
        newVia: (t) => `SIP/2.0/${t} 192.168.1.1:5060;branch=z9hG4bK-n${++branch}`,
        hostPort: () => '192.168.1.1:5060',
        request: (req) => {
          r.sent.push(req);
          return Promise.resolve({ kind: 'response', version: 'SIP/2.0', status: r.answer, reason: 'x', headers: [], body: Buffer.alloc(0) } as SipResponse);
        },
      },
      dialogs: () => r.dialogs,
      watchable: (ext) => ['101', '102'].includes(ext),
      // PHONE_A is 101's registered flow; PHONE_B is nobody's.
      admit: (source: TransactionSource, user) => source === PHONE_A && user === '101',
    }),
  });
  return r;
}

function subscribe(target: string, extra: readonly string[] = [], toTag?: string): SipRequest {
  const text = [
    `SUBSCRIBE sip:${target}@branch.test SIP/2.0`, 'Via: SIP/2.0/UDP 192.168.1.21:5060;branch=z9hG4bK-s1', 'Max-Forwards: 70',
    'From: <sip:101@branch.test>;tag=w1', `To: <sip:${target}@branch.test>${toTag === undefined ? '' : `;tag=${toTag}`}`, 'Call-ID: blf-1', 'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:101@192.168.1.21:5060>', ...extra, 'Content-Length: 0', '', '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

function states(req: SipRequest | undefined): string[] {
  return [...(req?.body.toString() ?? '').matchAll(/<dialog id="([^"]+)" direction="(\w+)">\s*<state[^>]*>(\w+)</g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
}

async function subscribed(r: WatchRig): Promise<SipResponse> {
  const inc = incoming(subscribe('102', ['Event: dialog', 'Expires: 600']), PHONE_A);
  r.watchers.subscribe(inc);
  await flush();
  return last(inc.responses);
}

test('a SUBSCRIBE for an extension is answered 200 with our tag and followed at once by a full-state NOTIFY (idle)', async () => {
  const r = watchRig();
  const ok = await subscribed(r);
  assert.equal(ok.status, 200);
  assert.equal(getHeader(ok, 'Expires'), '600');
  assert.match(getHeader(ok, 'To') ?? '', /;tag=\S+/);
  assert.equal(r.sent.length, 1);
  const n = r.sent[0];
  assert.equal(n?.method, 'NOTIFY');
  assert.equal(n?.uri, 'sip:101@192.168.1.21:5060');
  assert.equal(getHeader(n!, 'Event'), 'dialog');
  assert.equal(getHeader(n!, 'Subscription-State'), 'active;expires=600');
  assert.equal(getHeader(n!, 'Content-Type'), 'application/dialog-info+xml');
  assert.equal(getHeader(n!, 'Call-ID'), 'blf-1');
  assert.equal(getHeader(n!, 'To'), '<sip:101@branch.test>;tag=w1');
  assert.match(n!.body.toString(), /version="0" state="full" entity="sip:102@branch\.test"\/>/);
});

test('the watched extension rings, answers and hangs up: early, confirmed, terminated, each once, versions in order', async () => {
  const r = watchRig();
  await subscribed(r);
  r.clock.advance(LOOK_MS);
  await flush();
  assert.equal(r.sent.length, 1, 'nothing changed, nothing sent');
  r.dialogs = [{ callId: 'c1', extension: '102', direction: 'recipient', state: 'early', peer: '101' }, { callId: 'c1', extension: '101', direction: 'initiator', state: 'early', peer: '102' }];
  r.clock.advance(LOOK_MS);
  await flush();
  r.clock.advance(LOOK_MS * 5);
  await flush();
  r.dialogs = [{ callId: 'c1', extension: '102', direction: 'recipient', state: 'confirmed', peer: '101' }];
  r.clock.advance(LOOK_MS);
  await flush();
  r.dialogs = [];
  r.clock.advance(LOOK_MS);
  await flush();
  assert.deepEqual(r.sent.map(states), [[], ['c1 recipient early'], ['c1 recipient confirmed'], ['c1 recipient terminated']]);
  assert.deepEqual(r.sent.map((n) => /version="(\d+)"/.exec(n.body.toString())?.[1]), ['0', '1', '2', '3']);
  assert.deepEqual(r.sent.map((n) => getHeader(n, 'CSeq')), ['1 NOTIFY', '2 NOTIFY', '3 NOTIFY', '4 NOTIFY']);
  assert.match(r.sent[2]!.body.toString(), /<identity>sip:101@branch\.test<\/identity>/);
});

const REFUSED: [what: string, target: string, extra: string[], source: TransactionSource, status: number][] = [
  ['another event package', '102', ['Event: presence'], PHONE_A, 489],
  ['no Event header', '102', [], PHONE_A, 489],
  ['a flow no phone registered from', '102', ['Event: dialog'], PHONE_B, 403],
  ['an extension the model does not have', '999', ['Event: dialog'], PHONE_A, 404],
  ['an interval under a minute', '102', ['Event: dialog', 'Expires: 30'], PHONE_A, 423],
  ['an unreadable Expires', '102', ['Event: dialog', 'Expires: soon'], PHONE_A, 400],
];

test('refused SUBSCRIBEs: each with its status, no NOTIFY, no subscription', async () => {
  for (const [what, target, extra, source, status] of REFUSED) {
    const r = watchRig();
    const inc = incoming(subscribe(target, extra), source);
    r.watchers.subscribe(inc);
    await flush();
    assert.equal(last(inc.responses).status, status, what);
    assert.equal(r.sent.length, 0, what);
    assert.equal(r.watchers.counters.watchers, 0, what);
  }
});

test('the subscription expires: a last NOTIFY terminated;reason=timeout, then nothing more', async () => {
  const r = watchRig();
  await subscribed(r);
  r.clock.advance(600_000);
  await flush();
  assert.equal(getHeader(r.sent.at(-1)!, 'Subscription-State'), 'terminated;reason=timeout');
  const count = r.sent.length;
  r.dialogs = [{ callId: 'c2', extension: '102', direction: 'recipient', state: 'early', peer: '101' }];
  r.clock.advance(LOOK_MS * 3);
  await flush();
  assert.equal(r.sent.length, count);
  assert.equal(r.watchers.counters.watchers, 0);
});

test('a refresh in the dialog extends it (200 and a NOTIFY); Expires: 0 ends it with a terminated NOTIFY', async () => {
  const r = watchRig();
  const ok = await subscribed(r);
  const tag = /;tag=(\S+)/.exec(getHeader(ok, 'To') ?? '')?.[1];
  r.clock.advance(500_000);
  const refresh = incoming(subscribe('102', ['Event: dialog', 'Expires: 600'], tag), PHONE_A);
  assert.equal(r.watchers.inDialog(refresh), true);
  await flush();
  assert.equal(last(refresh.responses).status, 200);
  r.clock.advance(500_000);
  await flush();
  assert.equal(r.watchers.counters.watchers, 1, 'still there 1000 s after the SUBSCRIBE');
  const end = incoming(subscribe('102', ['Event: dialog', 'Expires: 0'], tag), PHONE_A);
  assert.equal(r.watchers.inDialog(end), true);
  await flush();
  assert.equal(getHeader(r.sent.at(-1)!, 'Subscription-State'), 'terminated;reason=timeout');
  assert.equal(r.watchers.counters.watchers, 0);
  assert.equal(r.watchers.inDialog(incoming(subscribe('102', ['Event: dialog'], 'other'), PHONE_A)), false, 'an unknown dialog is not taken');
});

test('normal mode returns: terminateAll(deactivated) ends every subscription so the phones subscribe again; close() is idempotent', async () => {
  const r = watchRig();
  await subscribed(r);
  r.watchers.terminateAll('deactivated');
  await flush();
  assert.equal(getHeader(r.sent.at(-1)!, 'Subscription-State'), 'terminated;reason=deactivated');
  assert.equal(r.watchers.counters.watchers, 0);
  r.watchers.close();
  r.watchers.close();
  const late = incoming(subscribe('102', ['Event: dialog']), PHONE_A);
  r.watchers.subscribe(late);
  assert.equal(last(late.responses).status, 503);
});

test('a watcher that answers a NOTIFY with 481 is dropped without another NOTIFY', async () => {
  const r = watchRig();
  r.answer = 481;
  await subscribed(r);
  await flush();
  assert.equal(r.watchers.counters.watchers, 0);
  assert.equal(r.sent.length, 1);
});
