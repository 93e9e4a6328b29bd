/**
 * The SIP ALG test's two ends (src/sip/echo.ts, src/cli/doctor-sip-alg.ts) as properties: for any
 * local address, port and token, the probe request comes back through the hub's echo byte for
 * byte with no header counted as rewritten; and any rewrite of the address in its Via or Contact
 * is found and named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { headerRewrites, sipAlgRequest } from '../../src/cli/doctor-sip-alg.js';
import { readSipEcho, sipEchoAnswer } from '../../src/sip/index.js';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const port = fc.integer({ min: 1, max: 65535 });
const token = fc.stringMatching(/^[0-9a-f]{8,32}$/);

test('the probe comes back through the echo unchanged, with the source the hub saw', () => {
  fc.assert(fc.property(ipv4, port, ipv4, port, token, ipv4, port, (la, lp, ta, tp, t, sa, sp) => {
    const sent = sipAlgRequest({ local: { address: la, port: lp }, target: { host: ta, port: tp }, token: t });
    const answer = sipEchoAnswer(sent, { address: sa, port: sp });
    assert.ok(answer !== undefined);
    const echo = readSipEcho(answer);
    assert.deepEqual(echo, { callId: `doctor-${t}`, from: `${sa}:${sp}`, request: sent });
    assert.deepEqual(headerRewrites(sent, echo.request), []);
  }));
});

test('a rewrite of the local address in Via or Contact is named', () => {
  fc.assert(fc.property(ipv4, port, ipv4, port, token, fc.constantFrom('Via', 'Contact'), (la, lp, pa, pp, t, header) => {
    fc.pre(`${la}:${lp}` !== `${pa}:${pp}`);
    const sent = sipAlgRequest({ local: { address: la, port: lp }, target: { host: '192.0.2.1', port: 5060 }, token: t });
    const text = sent.toString().split('\r\n').map((line) => (line.startsWith(`${header}:`) ? line.replace(`${la}:${lp}`, `${pa}:${pp}`) : line)).join('\r\n');
    assert.deepEqual(headerRewrites(sent, Buffer.from(text))?.map((r) => r.name), [header]);
  }));
});
