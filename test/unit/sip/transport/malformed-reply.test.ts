import { test } from 'node:test';
import assert from 'node:assert/strict';
import { malformedRequestReply } from '../../../../src/sip/transport/index.js';

const HEAD = [
  'Via: SIP/2.0/UDP 127.0.0.9:5070;branch=z9hG4bK-1',
  'v: SIP/2.0/UDP 127.0.0.8:5070;branch=z9hG4bK-0',
  'f: <sip:a@example.test>;tag=1',
  'To: <sip:b@example.test>',
  'i: c1@example.test',
  'CSeq: 1 INVITE',
];

test('the reply copies Via (all), From, To (+ tag), Call-ID and CSeq from the raw lines', () => {
  const raw = Buffer.from(['INVITE sip:b@example.test SIP/2.0', ...HEAD, 'Content-Length: 9999', '', ''].join('\r\n'));
  const reply = malformedRequestReply(raw, 400, 'Bad Content-Length', 'abc');
  assert.equal(reply?.toString('latin1'), [
    'SIP/2.0 400 Bad Content-Length',
    'Via: SIP/2.0/UDP 127.0.0.9:5070;branch=z9hG4bK-1',
    'Via: SIP/2.0/UDP 127.0.0.8:5070;branch=z9hG4bK-0',
    'From: <sip:a@example.test>;tag=1',
    'To: <sip:b@example.test>;tag=abc',
    'Call-ID: c1@example.test',
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'));
});

test('no reply when too little is known: table', () => {
  const cases: Array<[string, string]> = [
    ['ACK is never answered', ['ACK sip:b@example.test SIP/2.0', ...HEAD].join('\r\n')],
    ['a response', ['SIP/2.0 200 OK', ...HEAD].join('\r\n')],
    ['garbage start line', ['HELLO', ...HEAD].join('\r\n')],
    ['no Call-ID', ['INVITE sip:b@example.test SIP/2.0', ...HEAD.filter((h) => !h.startsWith('i:'))].join('\r\n')],
    ['no Via', ['INVITE sip:b@example.test SIP/2.0', ...HEAD.filter((h) => !/^(Via|v):/.test(h))].join('\r\n')],
    ['empty', ''],
  ];
  for (const [name, text] of cases) {
    assert.equal(malformedRequestReply(Buffer.from(`${text}\r\n\r\n`), 400, 'Bad Request', 'abc'), undefined, name);
  }
});
