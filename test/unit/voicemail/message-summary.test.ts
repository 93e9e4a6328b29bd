/** RFC 3842 message-summary bodies: the RFC's example, round trip, and refusals; the MWI NOTIFY sent to phones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SipRequest, SipResponse } from '../../../src/sip/index.js';
import { getHeader } from '../../../src/sip/index.js';
import { MwiNotifier, decodeMessageSummary, encodeMessageSummary, type MessageSummary, type MwiContact } from '../../../src/voicemail/index.js';

// RFC 3842 §5.2 example (and the body of the NOTIFY in §6).
const RFC3842_EXAMPLE = 'Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 2/8 (0/2)\r\n';

test('RFC 3842 example: decoded to its counts and encoded back to the same bytes', () => {
  const s = decodeMessageSummary(RFC3842_EXAMPLE);
  assert.deepEqual(s, { waiting: true, account: 'sip:alice@vmail.example.com', voice: { new: 2, old: 8, urgentNew: 0, urgentOld: 2 } });
  assert.equal(encodeMessageSummary(s), RFC3842_EXAMPLE);
});

test('lenient reading: any case, LF lines, other message classes, no urgent part', () => {
  assert.deepEqual(decodeMessageSummary('messages-waiting: NO\nFax-Message: 1/0\nvoice-message: 0/3\n'), { waiting: false, account: undefined, voice: { new: 0, old: 3, urgentNew: 0, urgentOld: 0 } });
});

test('encode → decode round-trips any summary', () => {
  const n = fc.integer({ min: 0, max: 9999 });
  fc.assert(
    fc.property(fc.boolean(), fc.option(fc.constantFrom('sip:201@branch.example', 'sip:800@10.0.0.1'), { nil: undefined }), fc.option(fc.record({ new: n, old: n, urgentNew: n, urgentOld: n }), { nil: undefined }), (waiting, account, voice) => {
      const s: MessageSummary = { waiting, account, voice: voice === undefined ? undefined : { ...voice } };
      assert.deepEqual(decodeMessageSummary(encodeMessageSummary(s)), s);
    }),
  );
});

const BAD: readonly [string, RegExp][] = [
  ['', /without Messages-Waiting/],
  ['Voice-Message: 1/0\r\n', /without Messages-Waiting/],
  ['Messages-Waiting: maybe\r\n', /yes or no/],
  ['Messages-Waiting: yes\r\nVoice-Message: one\r\n', /Voice-Message/],
  ['Messages-Waiting: yes\r\nVoice-Message: 1/2 (x/0)\r\n', /Voice-Message/],
];

test('bodies that are not a message summary: VoicemailError naming the fault', () => {
  for (const [body, says] of BAD) assert.throws(() => decodeMessageSummary(body), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'SBC_ERR_VOICEMAIL' && says.test(e.message), JSON.stringify(body));
});

function notifierRig(answer: (r: SipRequest) => Promise<SipResponse>) {
  const sent: { request: SipRequest; target: MwiContact['target'] }[] = [];
  const contacts: Record<string, MwiContact[]> = {
    '201': [{ contact: 'sip:201@127.0.0.1:5071', target: { transport: 'udp', host: '127.0.0.1', port: 5071 } }, { contact: 'sip:201@127.0.0.1:5072;transport=tcp', target: { transport: 'tcp', host: '127.0.0.1', port: 5072 } }],
    '202': [{ contact: 'sip:202@127.0.0.1:5073', target: { transport: 'udp', host: '127.0.0.1', port: 5073 } }],
  };
  let n = 0;
  const notifier = new MwiNotifier({
    domain: 'branch.example',
    contactsOf: (ext) => contacts[ext] ?? [],
    queueMembers: (q) => (q === '800' ? ['201', '202', '203'] : []),
    newVia: (t) => `SIP/2.0/${t.toUpperCase()} 127.0.0.1:5060;branch=z9hG4bK${++n}`,
    request: (request, target) => {
      sent.push({ request, target });
      return answer(request);
    },
    random: (len) => Buffer.alloc(len, n),
  });
  return { notifier, sent };
}

const ok = (r: SipRequest): Promise<SipResponse> => Promise.resolve({ kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: r.headers, body: Buffer.alloc(0) });

test('MWI: an extension box change sends one unsolicited NOTIFY per registered contact, with the RFC 3842 body', async () => {
  const { notifier, sent } = notifierRig(ok);
  await notifier.boxChanged({ kind: 'extension', number: '201' }, { new: 1, old: 0 });
  assert.equal(sent.length, 2);
  const first = sent[0]?.request;
  assert.ok(first);
  assert.equal(first.method, 'NOTIFY');
  assert.equal(first.uri, 'sip:201@127.0.0.1:5071');
  assert.equal(getHeader(first, 'Event'), 'message-summary');
  assert.equal(getHeader(first, 'Content-Type'), 'application/simple-message-summary');
  assert.equal(getHeader(first, 'To'), '<sip:201@branch.example>');
  assert.match(getHeader(first, 'From') ?? '', /^<sip:201@branch\.example>;tag=\w+$/);
  assert.equal(getHeader(first, 'CSeq'), '1 NOTIFY');
  assert.match(getHeader(first, 'Subscription-State') ?? '', /^terminated/);
  assert.equal(first.body.toString(), 'Messages-Waiting: yes\r\nMessage-Account: sip:201@branch.example\r\nVoice-Message: 1/0 (0/0)\r\n');
  assert.equal(getHeader(first, 'Content-Length'), String(first.body.length));
  assert.deepEqual(sent.map((s) => s.target.transport), ['udp', 'tcp']);
  assert.match(getHeader(sent[1]!.request, 'Via') ?? '', /^SIP\/2\.0\/TCP /);
  assert.notEqual(getHeader(sent[0]!.request, 'Call-ID'), getHeader(sent[1]!.request, 'Call-ID'));
  assert.deepEqual(notifier.counters, { sent: 2, answered2xx: 2, failed: 0 });
});

test('MWI: a queue box lights its members (those registered); failures and timeouts are counted', async () => {
  let i = 0;
  const { notifier, sent } = notifierRig((r) => (++i === 2 ? Promise.reject(new Error('timeout')) : i === 3 ? Promise.resolve({ kind: 'response', version: 'SIP/2.0', status: 489, reason: 'Bad Event', headers: r.headers, body: Buffer.alloc(0) }) : ok(r)));
  await notifier.boxChanged({ kind: 'queue', number: '800' }, { new: 0, old: 2 });
  assert.equal(sent.length, 3);
  assert.ok(sent.every((s) => s.request.body.toString().startsWith('Messages-Waiting: no\r\nMessage-Account: sip:800@branch.example\r\nVoice-Message: 0/2')));
  assert.deepEqual(notifier.counters, { sent: 3, answered2xx: 1, failed: 2 });
});
