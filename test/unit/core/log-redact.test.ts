import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger, redactCredentials } from '../../../src/core/index.js';

const REGISTER = [
  'REGISTER sip:pbx.example SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1',
  'Authorization: Digest username="100", realm="pbx", nonce="abc", uri="sip:pbx.example", response="6629fae49393a05397450978507c4ef1"',
  'Proxy-Authorization: Digest username="100", response="0123456789abcdef0123456789abcdef"',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

test('redactCredentials removes Authorization and Proxy-Authorization values, keeps the rest', () => {
  const text = redactCredentials(REGISTER);
  assert.doesNotMatch(text, /6629fae4|0123456789abcdef/);
  assert.match(text, /^Authorization: \[redacted\]$/m);
  assert.match(text, /^Proxy-Authorization: \[redacted\]$/m);
  assert.match(text, /^Via: SIP\/2.0\/UDP 192.0.2.10;branch=z9hG4bK1$/m);
});

test('a log line with a SIP message, a header object or an error carries no digest response', async () => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const logger = createLogger({ level: 'info', destination: out });
  logger.info({ message: REGISTER }, 'request from a phone');
  logger.info({ headers: { authorization: 'Digest response="6629fae49393a05397450978507c4ef1"', via: 'x' } }, 'headers');
  logger.warn({ err: new Error(`cannot relay ${REGISTER}`) }, 'failed');
  logger.info(`raw ${REGISTER}`);
  logger.flush();
  await new Promise((resolve) => setImmediate(resolve));
  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
  assert.equal(lines.length, 4);
  for (const line of lines) {
    assert.doesNotMatch(line, /6629fae49393a05397450978507c4ef1|0123456789abcdef0123/, line);
    assert.match(line, /redacted/);
  }
  assert.match(lines[0] ?? '', /branch=z9hG4bK1/, 'the rest of the message stays');
});
