/** SIP INFO DTMF bodies (application/dtmf-relay, application/dtmf): what phones send, and the refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtmfInfoError, parseDtmfInfo } from '../../../src/media/index.js';

const GOOD: readonly [string, string, string, number | undefined][] = [
  ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', '5', 160],
  ['application/dtmf-relay', 'Signal= *\nDuration= 250\n', '*', 250],
  ['application/dtmf-relay', 'Duration=100\r\nSignal=#\r\n', '#', 100],
  ['Application/DTMF-Relay; charset=utf-8', 'signal=a', 'A', undefined],
  ['application/dtmf-relay', 'Signal=11\r\nDuration=160', '#', 160],
  ['application/dtmf-relay', 'Signal=16', 'flash', undefined],
  ['application/dtmf', '7', '7', undefined],
  ['application/dtmf', '10\r\n', '*', undefined],
  ['application/dtmf', ' d ', 'D', undefined],
];

for (const [type, body, symbol, durationMs] of GOOD) {
  test(`INFO ${type} ${JSON.stringify(body)} → ${symbol}`, () => {
    assert.deepEqual(parseDtmfInfo(type, Buffer.from(body)), { symbol, durationMs });
  });
}

const BAD: readonly [string, string, number, RegExp][] = [
  ['text/plain', 'Signal=5', 415, /content type/],
  ['application/sdp', 'v=0', 415, /content type/],
  ['', '5', 415, /content type/],
  ['application/dtmf-relay', '', 400, /without Signal/],
  ['application/dtmf-relay', 'Duration=160', 400, /without Signal/],
  ['application/dtmf-relay', 'Signal=E', 400, /not a key/],
  ['application/dtmf-relay', 'Signal=17', 400, /not a key/],
  ['application/dtmf-relay', 'Signal=55', 400, /not a key/],
  ['application/dtmf-relay', 'Signal=5\r\nDuration=long', 400, /Duration/],
  ['application/dtmf-relay', 'Signal=5\r\nDuration=-1', 400, /Duration/],
  ['application/dtmf', '', 400, /not a key/],
  ['application/dtmf', '12 34', 400, /not a key/],
  ['application/dtmf', 'x'.repeat(600), 400, /at most/],
];

test('INFO bodies that are not DTMF: DtmfInfoError with the status to answer', () => {
  for (const [type, body, status, says] of BAD) {
    assert.throws(() => parseDtmfInfo(type, body), (e: unknown) => e instanceof DtmfInfoError && e.code === 'SBC_ERR_DTMF_INFO' && e.status === status && says.test(e.message), `${type} ${JSON.stringify(body)}`);
  }
});
