import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { DEFAULT_PROTECTION, ProtectionGuard, ProtectionPolicy, authOutcome, scannerAgent } from '../../../src/protect/index.js';

function request(userAgent: string | undefined, method = 'OPTIONS'): Buffer {
  return Buffer.from(`${method} sip:100@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1\r\n${userAgent === undefined ? '' : `User-Agent: ${userAgent}\r\n`}Content-Length: 0\r\n\r\n`);
}

test('scanner User-Agents are recognised; phones and responses are not (table)', () => {
  const rows: Array<[Buffer, string | undefined]> = [
    [request('friendly-scanner'), 'friendly-scanner'],
    [request('sipcli/v1.8'), 'sipcli'],
    [request('sip-scan'), 'sip-scan'],
    [request('VaxSIPUserAgent/3.1'), 'vaxsipuseragent'],
    [request('SIPVicious 0.3'), 'sipvicious'],
    [Buffer.from(request('friendly-scanner').toString().replace('User-Agent', 'user-agent')), 'friendly-scanner'],
    [request('Yealink SIP-T46S 66.86.0.15'), undefined],
    [request(undefined), undefined],
    [Buffer.from('SIP/2.0 200 OK\r\nUser-Agent: friendly-scanner\r\n\r\n'), undefined],
    [Buffer.from('garbage'), undefined],
  ];
  for (const [data, expected] of rows) assert.equal(scannerAgent(data), expected, data.toString().slice(0, 60));
});

test('the outcome of a response for the brute-force count (table)', () => {
  const rows: Array<[string, boolean, number, ReturnType<typeof authOutcome>]> = [
    ['REGISTER', false, 401, 'challenged'],
    ['INVITE', false, 407, 'challenged'],
    ['REGISTER', true, 401, 'failed'],
    ['INVITE', true, 407, 'failed'],
    ['REGISTER', true, 403, 'failed'],
    ['REGISTER', false, 403, 'failed'],
    ['REGISTER', false, 404, 'failed'],
    ['INVITE', false, 404, undefined],
    ['REGISTER', true, 200, 'succeeded'],
    ['REGISTER', false, 200, undefined],
    ['INVITE', true, 486, undefined],
  ];
  for (const [method, creds, status, outcome] of rows) assert.equal(authOutcome(method, creds, status), outcome, `${method} ${creds} ${status}`);
});

test('datagrams: scanners dropped and counted, a blocked source dropped before parsing, others pass', () => {
  const clock = new ManualClock();
  const guard = new ProtectionGuard(new ProtectionPolicy(DEFAULT_PROTECTION, clock));
  assert.equal(guard.dropDatagram(request('Yealink'), '192.0.2.10'), false);
  for (let i = 0; i < 9; i++) assert.equal(guard.dropDatagram(request('friendly-scanner'), '192.0.2.66'), true);
  assert.equal(guard.isBlocked('192.0.2.66'), false);
  guard.dropDatagram(request('friendly-scanner'), '192.0.2.66');
  assert.equal(guard.isBlocked('192.0.2.66'), true, 'a persistent scanner is blocked');
  assert.equal(guard.dropDatagram(request('Yealink'), '192.0.2.66'), true, 'everything from a blocked source is dropped');
  assert.equal(guard.admitConnection('192.0.2.66'), false);
  assert.equal(guard.admitConnection('192.0.2.10'), true);
  assert.equal(guard.policy.blockOf('192.0.2.66')?.reason, 'scanner');
  const c = guard.counters();
  assert.equal(c.dropped.scanner, 12, 'ten as scanners, then two from the blocked source');
  assert.equal(c.connectionsRefused, 1);
});

test('REGISTERs with wrong digests: blocked after 10; an unanswered challenge counts; a good digest resets', () => {
  const clock = new ManualClock();
  const guard = new ProtectionGuard(new ProtectionPolicy(DEFAULT_PROTECTION, clock));
  for (let i = 0; i < 9; i++) {
    guard.sipRequest('192.0.2.66', `c${i}`, true);
    guard.sipResponse('192.0.2.66', `c${i}`, 'REGISTER', true, 401);
  }
  assert.equal(guard.isBlocked('192.0.2.66'), false);
  guard.sipResponse('192.0.2.66', 'c9', 'REGISTER', true, 401);
  assert.equal(guard.isBlocked('192.0.2.66'), true);
  // A phone that answers its challenge with the right password is never counted.
  for (let i = 0; i < 20; i++) {
    guard.sipResponse('192.0.2.10', `p${i}`, 'REGISTER', false, 401);
    guard.sipRequest('192.0.2.10', `p${i}`, true);
    guard.sipResponse('192.0.2.10', `p${i}`, 'REGISTER', true, 200);
  }
  clock.advance(60_000);
  guard.policy.sweep();
  assert.equal(guard.isBlocked('192.0.2.10'), false);
  assert.equal(guard.counters().authFailures, 10);
  assert.equal(guard.counters().authSuccesses, 20);
});
