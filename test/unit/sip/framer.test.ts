import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipFramingError, SipStreamFramer, parseMessage, type FramerEvent } from '../../../src/sip/index.js';

const MSG = (body: string, cl = String(Buffer.byteLength(body))): string =>
  `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: x\r\nl: ${cl}\r\n\r\n${body}`;

function describe(events: FramerEvent[]): string[] {
  return events.map((e) => (e.type === 'message' ? `message:${e.bytes.toString()}` : e.type));
}

test('two messages in one chunk, with a ping before and a pong between', () => {
  const framer = new SipStreamFramer({ maxMessageSize: 4096 });
  const events = framer.push(Buffer.from(`\r\n\r\n${MSG('hello')}\r\n${MSG('')}`));
  assert.deepEqual(describe(events), ['ping', `message:${MSG('hello')}`, 'pong', `message:${MSG('')}`]);
  assert.equal(framer.buffered, 0);
  assert.equal(parseMessage((events[1] as { bytes: Buffer }).bytes, { stream: true }).body.toString(), 'hello');
});

test('a message split byte by byte is yielded once, when complete', () => {
  const framer = new SipStreamFramer({ maxMessageSize: 4096 });
  const bytes = Buffer.from(MSG('0123456789'));
  const events: FramerEvent[] = [];
  for (let i = 0; i < bytes.length; i++) events.push(...framer.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(describe(events), [`message:${MSG('0123456789')}`]);
});

test('a lone CRLF at the end of the data is a pong at once; a ping split after it is still a ping', () => {
  const framer = new SipStreamFramer({ maxMessageSize: 4096 });
  assert.deepEqual(describe(framer.push(Buffer.from('\r\n'))), ['pong']);
  assert.deepEqual(describe(framer.push(Buffer.from('\r\n'))), ['ping']);
  assert.deepEqual(describe(framer.push(Buffer.from('\r\n\r'))), []);
  assert.deepEqual(describe(framer.push(Buffer.from('\n'))), ['ping']);
});

test('bare LF header lines are framed too', () => {
  const framer = new SipStreamFramer({ maxMessageSize: 4096 });
  const lf = 'OPTIONS sip:a@b SIP/2.0\nContent-Length: 2\n\nhi';
  assert.deepEqual(describe(framer.push(Buffer.from(lf + lf))), [`message:${lf}`, `message:${lf}`]);
});

test('folded Content-Length and the compact form are understood', () => {
  const framer = new SipStreamFramer({ maxMessageSize: 4096 });
  const folded = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n  3\r\n\r\nabc';
  assert.deepEqual(describe(framer.push(Buffer.from(folded))), [`message:${folded}`]);
});

const FRAMING_ERRORS: Array<[string, string, number]> = [
  ['missing Content-Length', 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n', 4096],
  ['negative Content-Length', MSG('', '-1'), 4096],
  ['Content-Length not a number', MSG('', 'ten'), 4096],
  ['two Content-Length', 'OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\nContent-Length: 0\r\n\r\n', 4096],
  ['Content-Length above the limit, before the body arrives', MSG('', '100000'), 4096],
  ['header section above the limit with no end in sight', `OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(300)}`, 200],
];

for (const [name, data, max] of FRAMING_ERRORS) {
  test(`SipStreamFramer: ${name} throws SipFramingError`, () => {
    const framer = new SipStreamFramer({ maxMessageSize: max });
    assert.throws(() => framer.push(Buffer.from(data)), (e: unknown) => e instanceof SipFramingError && e.code === 'SBC_ERR_SIP_FRAMING');
  });
}

test('maxMessageSize must be a positive integer', () => {
  assert.throws(() => new SipStreamFramer({ maxMessageSize: 0 }), RangeError);
});
