/**
 * MWI subscriptions see the agent's own voicemail (b2bua/mailbox-lamps.ts, issue 13): a phone
 * subscribed to its mailbox gets a NOTIFY in its subscription when a message is left in the
 * agent's box (before, only the PBX's last summary ever reached it); the agent's box wins while
 * it holds messages, the PBX's summary otherwise; a box not read yet is read when first asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.js';
import { DialogWatchers, MailboxLamps, type MailboxSummary } from '../../../src/b2bua/index.js';
import { VoicemailStore } from '../../../src/voicemail/index.js';
import { encodeWav } from '../../../src/media/index.js';
import { parseMessage, type SipRequest, type SipResponse } from '../../../src/sip/index.js';
import { getHeader, incoming, last, PHONE_A } from './fixtures.js';

const PBX: MailboxSummary = { contentType: 'application/simple-message-summary', body: Buffer.from('Messages-Waiting: yes\r\nVoice-Message: 3/0 (0/0)\r\n') };
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function store(t: { after(fn: () => Promise<void>): void }): Promise<VoicemailStore> {
  const dir = await mkdtemp(join(tmpdir(), 'lamps-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return VoicemailStore.open({ dir: join(dir, 'voicemail'), clock: new ManualClock(0, Date.UTC(2026, 0, 5)), durable: false });
}

const message = { caller: '100', wav: encodeWav(new Int16Array(800)), seconds: 0.1 };

function subscribe(): SipRequest {
  return parseMessage(Buffer.from([
    'SUBSCRIBE sip:101@branch.test SIP/2.0', 'Via: SIP/2.0/UDP 192.168.1.21:5060;branch=z9hG4bK-q1', 'Max-Forwards: 70',
    'From: <sip:101@branch.test>;tag=m1', 'To: <sip:101@branch.test>', 'Call-ID: mwi-101', 'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:101@192.168.1.21:5060>', 'Event: message-summary', 'Expires: 3600', 'Content-Length: 0', '', '',
  ].join('\r\n'))) as SipRequest;
}

test('a message left in the agent\'s box: the subscribed phone gets a NOTIFY in its subscription with 1/0', async (t) => {
  const vm = await store(t);
  const sent: SipRequest[] = [];
  const late: { watchers?: DialogWatchers } = {};
  const lamps = new MailboxLamps({ store: vm, domain: '192.168.1.1:5060', changed: (ext) => late.watchers?.mailboxChanged(ext) });
  t.after(() => lamps.close());
  const watchers = new DialogWatchers({
    clock: new ManualClock(),
    stack: {
      newVia: (tr) => `SIP/2.0/${tr} 192.168.1.1:5060;branch=z9hG4bK-l${sent.length}`,
      hostPort: () => '192.168.1.1:5060',
      request: (req) => {
        sent.push(req);
        return Promise.resolve({ kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) } as SipResponse);
      },
    },
    dialogs: () => [],
    watchable: () => false,
    admit: (source, user) => source === PHONE_A && user === '101',
    messageSummary: (user) => lamps.summary(user),
  });
  late.watchers = watchers;
  const inc = incoming(subscribe(), PHONE_A);
  watchers.subscribe(inc);
  await flush();
  assert.equal(last(inc.responses).status, 200);
  assert.equal(sent.length, 1, 'the first NOTIFY at once');
  assert.equal(sent[0]?.body.length, 0, 'box not read yet: no body (the lamp is left as it is)');
  await vm.deposit({ kind: 'extension', number: '101' }, message);
  await flush();
  assert.equal(sent.length, 2, 'a NOTIFY for the change');
  const n = sent[1];
  assert.ok(n !== undefined);
  assert.equal(getHeader(n, 'Call-ID'), 'mwi-101', 'in the subscription\'s dialog');
  assert.equal(getHeader(n, 'Event'), 'message-summary');
  assert.match(getHeader(n, 'Subscription-State') ?? '', /^active;expires=/);
  assert.equal(n.body.toString(), 'Messages-Waiting: yes\r\nMessage-Account: sip:101@192.168.1.1:5060\r\nVoice-Message: 1/0 (0/0)\r\n');
  // Another box's change is not this watcher's.
  await vm.deposit({ kind: 'extension', number: '102' }, message);
  await vm.deposit({ kind: 'queue', number: '8000' }, message);
  await flush();
  assert.equal(sent.length, 2);
  watchers.close();
});

test('what a mailbox NOTIFY carries: the agent\'s box while it holds messages, else the PBX\'s summary, else the empty box once read', async (t) => {
  const vm = await store(t);
  const changed: string[] = [];
  const lamps = new MailboxLamps({ store: vm, domain: 'branch.test', changed: (ext) => changed.push(ext) });
  t.after(() => lamps.close());
  await vm.deposit({ kind: 'extension', number: '101' }, message);
  const rows: Array<[string, string, MailboxSummary | undefined, string | undefined]> = [
    ['101 has a message, the PBX says 3', '101', PBX, 'Messages-Waiting: yes\r\nMessage-Account: sip:101@branch.test\r\nVoice-Message: 1/0 (0/0)\r\n'],
    ['102 not read yet, the PBX says 3', '102', PBX, PBX.body.toString()],
    ['102 not read yet, nothing from the PBX', '102', undefined, undefined],
  ];
  for (const [name, extension, pbx, body] of rows) assert.equal(lamps.summary(extension, pbx)?.body.toString(), body, name);
  // The store runs one operation after the other: once this read is done, the lamps' read of 102 is too.
  await vm.counts({ kind: 'extension', number: '102' });
  await flush();
  assert.deepEqual(changed, ['101'], 'reading 102\'s empty box notifies nobody');
  assert.equal(lamps.summary('102', PBX)?.body.toString(), PBX.body.toString(), '102 read and empty: the PBX\'s summary');
  assert.equal(lamps.summary('102')?.body.toString(), 'Messages-Waiting: no\r\nMessage-Account: sip:102@branch.test\r\nVoice-Message: 0/0 (0/0)\r\n', '102 read and empty, nothing from the PBX');
});

test('a box with messages from before (a restart) is read when first asked for, and its watchers are told', async (t) => {
  const vm = await store(t);
  await vm.deposit({ kind: 'extension', number: '101' }, message);
  const changed: string[] = [];
  const lamps = new MailboxLamps({ store: vm, domain: 'branch.test', changed: (ext) => changed.push(ext) });
  t.after(() => lamps.close());
  assert.equal(lamps.summary('101'), undefined, 'not known yet');
  await vm.counts({ kind: 'extension', number: '101' });
  await flush();
  assert.deepEqual(changed, ['101']);
  assert.match(lamps.summary('101')?.body.toString() ?? '', /Voice-Message: 1\/0/);
  lamps.close();
  lamps.close();
  await vm.deposit({ kind: 'extension', number: '101' }, message);
  assert.deepEqual(changed, ['101'], 'closed: no longer follows the store');
});
